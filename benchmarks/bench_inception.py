"""Numbers a paper can be held against: Inception FID on Fashion-MNIST under Lucic et al.'s protocol.

Lucic et al. 2018 ("Are GANs Created Equal?", NeurIPS; code google/compare_gan, branch v1) report
Fashion-MNIST FIDs in Inception space: 10,000 generated images against the first 10,000 test
images, grey repeated to three channels, TensorFlow 1's bilinear resize to 299x299. The
toolkit's ``lucic`` protocol measures the same way (``wgan eval RUN --protocol lucic``).

Two contenders train in turns on the same CPU threads, each up to every mark of ``--minutes`` of
training time (the clock stops while measuring):

- ``wgan-gp-fashion``, trained by the Trainer as ``wgan train --preset wgan-gp-fashion`` would;
- the tutorial-style loop (``seed_loop.py``: torchvision + DataLoader + an eager step, the speed
  protocol's dcgan28 and settings: Adam 1e-4 betas (0, 0.9), 5 critic steps, batch 64, fp32).

At each mark it draws 10,000 samples of each and measures FID, KID, precision and recall
against the reference, whose features are computed once and kept in the cache folder (as
``wgan eval`` keeps them). First the floor: the first 10,000 train images against the same reference.
The published rows are printed beside the measured ones, each with its source.

    python benchmarks/bench_inception.py --minutes 10,30
    python benchmarks/bench_inception.py --minutes 1 --n 2000        # a quick look (not the protocol)
    python benchmarks/bench_inception.py --minutes 10 --n 2000 --no-tutorial-loop --no-floor --set train.ema=0.999
    python benchmarks/bench_inception.py --features-speed 640   # the Inception pass itself, timed

``--features-speed N`` times the features of N Fashion-MNIST test images two ways -- torch-fidelity's
own forward and the folded one the toolkit uses (``wgan.features.inception_folded``) -- and prints
each as seconds per 10,000 images (the protocol's count), their largest difference, and the
floor the arithmetic sets: the FLOPs of one image's convolutions and matrix products times
10,000, at the fastest dense kernel measured on this machine (``flops.peak``).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from bench_color import Contender  # noqa: E402
from seed_loop import seed_contender  # noqa: E402

from wgan.data.sources import load_images  # noqa: E402
from wgan.evaluation.images import compare_to_reference  # noqa: E402
from wgan.evaluation.protocols import get_protocol  # noqa: E402
from wgan.evaluation.reference import cached_reference  # noqa: E402
from wgan.features import get_feature_extractor  # noqa: E402
from wgan.metrics import metric_key  # noqa: E402
from wgan.presets import preset_config  # noqa: E402
from wgan.run_folder import new_run_dir  # noqa: E402
from wgan.sampling import draw_samples  # noqa: E402
from wgan.training.trainer import Trainer  # noqa: E402

PROTOCOL = "lucic"
METRICS = ("fid", "kid", "precision_recall")
COLUMNS = ("fid", "kid", "precision", "recall")
# Lucic et al. 2018, Table 2 / Figure 4 (Fashion-MNIST, best FID of a 100-setting search, mean and
# standard deviation over 50 seeds, 15,625 steps of batch 64, InfoGAN-style networks), and Zhang and
# Khoreva 2019 (progressive augmentation, "PA-GAN", NS GAN without an epoch limit, same protocol).
PUBLISHED = [
    ("WGAN (Lucic et al. 2018, tuned)", "21.5 ± 1.6"),
    ("BEGAN (Lucic et al. 2018, tuned)", "22.9 ± 0.9"),
    ("WGAN-GP (Lucic et al. 2018, tuned)", "24.5 ± 2.1"),
    ("NS GAN (Lucic et al. 2018, tuned)", "26.5 ± 1.6"),
    ("DRAGAN (Lucic et al. 2018, tuned)", "27.7 ± 1.2"),
    ("MM GAN (Lucic et al. 2018, tuned)", "29.6 ± 1.6"),
    ("LSGAN (Lucic et al. 2018, tuned)", "30.7 ± 2.2"),
    ("best GAN with its authors' settings (Lucic et al. 2018)", "about 32"),
    ("NS GAN + progressive augmentation (Zhang and Khoreva 2019)", "15.8 ± 1.1"),
]


def trainer_contender(device: str, out: Path, overrides=(), every: int = 50) -> tuple[Contender, Trainer]:
    """wgan-gp-fashion as ``wgan train --preset wgan-gp-fashion`` trains it (with ``overrides``; its
    numbers gathered every ``every`` steps, as the log does), writing a run folder under ``out``."""
    cfg = preset_config("wgan-gp-fashion")
    cfg.update({"train": {"device": device}})
    cfg.apply_overrides(overrides)
    trainer = Trainer(cfg, progress=False)
    trainer.attach_run_dir(new_run_dir(out, cfg))

    def step():
        trainer.train_step()
        if trainer.state.step % every == 0:
            trainer.gather()

    return Contender("wgan-gp-fashion", step, trainer.handle), trainer


def lucic_reference(cfg, extractor):
    """The protocol's reference (first 10,000 test images): computed once, then from the cache."""
    started = time.perf_counter()
    ref = cached_reference(cfg.data, "inception", extractor.weights_path, extractor.device, PROTOCOL)
    print(f"reference: {ref.count} {ref.split} images ({ref.extractor.name}) in {time.perf_counter() - started:.0f} s",
          flush=True)
    return ref


def measure(images, reference) -> tuple[dict, float]:
    started = time.perf_counter()
    values = compare_to_reference(reference, images, METRICS)
    return values, time.perf_counter() - started


def row(label: str, steps, seconds: float, values: dict, keys: dict, took: float) -> str:
    cells = " | ".join(f"{values[k]:.4g}" for k in keys.values())
    return f"| {label} | {steps} | {seconds:.0f} | {cells} | {took:.0f} |"


def features_speed(n: int, weights, device: str) -> None:
    """Seconds per 10,000 images of the Inception features, torch-fidelity's forward against the folded one."""
    import numpy as np
    from flops import count_flops, peak

    from wgan.config import DataConfig
    from wgan.features import InceptionFeatures

    images = load_images(DataConfig(name="fashion-mnist", split="test")).images[:n]
    times, features = {}, {}
    for label, folded in (("torch-fidelity's forward", False), ("folded (the toolkit's)", True)):
        extractor = InceptionFeatures(weights, device=device, folded=folded)
        extractor.features(images[:extractor.batch_size])  # warm-up: oneDNN picks its kernels
        started = time.perf_counter()
        features[label] = extractor.features(images)
        times[label] = (time.perf_counter() - started) / n * 10_000
        print(f"{label}: {times[label]:.0f} s per 10,000 images ({n} timed, batch {extractor.batch_size}, "
              f"{torch.get_num_threads()} threads)", flush=True)
    a, b = features.values()
    print(f"largest difference of the pool features: {np.abs(a - b).max():.2e} (largest value {np.abs(a).max():.2f})")
    flops = count_flops(lambda: extractor.features(images[:8])) / 8
    best = max(peak(torch.float32, torch.device(device), 2.0).values())
    print(f"arithmetic: {flops / 1e9:.2f} GFLOP an image; at the fastest dense kernel measured here "
          f"({best / 1e9:.0f} GFLOP/s) 10,000 images take at least {flops * 10_000 / best:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", default="10,30", help="training times to measure at, comma-separated")
    parser.add_argument("--n", type=int, default=get_protocol(PROTOCOL).n,
                        help="generated images per measurement (the protocol's 10,000; fewer is a quick look)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--weights", type=Path, help="Inception weights (default: the cache's, official or port)")
    parser.add_argument("--out", type=Path, default=None, help="folder of the trainer's run")
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--no-tutorial-loop", action="store_true", help="train and measure the recipe only")
    parser.add_argument("--set", dest="overrides", nargs="*", default=[], metavar="KEY=VALUE",
                        help="change the recipe (e.g. train.ema=0.999), to try it against the published rows")
    parser.add_argument("--features-speed", type=int, default=0, metavar="N",
                        help="time the Inception features of N test images two ways, and stop")
    args = parser.parse_args()
    if args.features_speed:
        features_speed(args.features_speed, args.weights, args.device)
        return
    marks = [60 * float(m) for m in args.minutes.split(",")]
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_inception_"))

    extractor = get_feature_extractor("inception", weights=args.weights, device=args.device)
    recipe, trainer = trainer_contender(args.device, out, args.overrides)
    if args.overrides:
        recipe.name = f"wgan-gp-fashion ({' '.join(args.overrides)})"
    contenders = [recipe]
    if not args.no_tutorial_loop:
        holder, loop = seed_contender(args.device)
        contenders.append(Contender("tutorial-style loop", loop.step, holder.handle))
    print(f"Fashion-MNIST, {extractor.name} features ({extractor.weights_path}), {trainer.device}, "
          f"{torch.get_num_threads()} threads, torch {torch.__version__}; trainer precision {trainer.precision}",
          flush=True)
    reference = lucic_reference(trainer.cfg, extractor)
    keys = {c: metric_key(c, reference.extractor.name, args.n, reference.split, PROTOCOL) for c in COLUMNS}
    header = (f"| contender | steps | train time (s) | {' | '.join(COLUMNS)} | evaluation (s) |\n"
              + "|---" * (len(COLUMNS) + 4) + "|")

    # The floor first: it needs no training, and a long benchmark cut short still has its anchor.
    if not args.no_floor:
        train = load_images(dataclasses.replace(trainer.cfg.data, split="train"))
        values, took = measure(train.images[:args.n], reference)
        print(f"floor (the first {min(args.n, len(train))} train images against the reference):\n{header}")
        print(row("real train images", "-", 0, values, keys, took), flush=True)

    rows = []
    for mark in marks:
        for contender in contenders:
            contender.run_to(mark)
            images = draw_samples(contender.handle(), args.n, seed=0).values
            values, took = measure(images, reference)
            rows.append(row(contender.name, contender.steps, contender.trained, values, keys, took))
            print(rows[-1], flush=True)
    print(f"\n{args.n} samples against the first {reference.count} test images, {reference.extractor.name} "
          f"features, protocol {PROTOCOL}:\n{header}", *rows, sep="\n")
    print("\npublished (the same protocol, Inception FID):\n| GAN (source) | FID |\n|---|---|")
    for label, value in PUBLISHED:
        print(f"| {label} | {value} |")


if __name__ == "__main__":
    main()
