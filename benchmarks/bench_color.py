"""A folder of one's own colour images: the recipe ``wgan train --data FOLDER`` picks, against a tutorial's loop.

For a folder of colour images in torchvision's ImageFolder layout (one sub-folder per class, as
``emoji_data.py --out FOLDER`` writes it), at 32x32 or 64x64, two contenders train in turns on
the same CPU threads, each up to every mark of ``--minutes`` of training time (the clock stops
while measuring):

- the toolkit: the colour recipe that ``wgan train --data FOLDER --image-size SIZE`` picks
  (the same function chooses it), trained by the Trainer;
- the tutorial-style loop: the PyTorch CelebA WGAN-GP tutorial as written (``seed_loop.folder_contender``):
  ImageFolder with Resize/ToTensor/Normalize, a shuffled DataLoader, its DCGAN networks (width
  64, BatchNorm critic) and settings (Adam 1e-4 betas (0.5, 0.999), 3 critic steps), eager, fp32.

At each mark it measures ``--n`` samples of each in the domain feature space (a classifier of the
folder's classes trained on the first 80% of each class) against the held-out fifth: FID, KID,
precision, recall, coverage; with ``--inception``, the same samples in Inception space too (the
official weights, or the port that ``wgan weights install inception`` converts), against the same
held-out fifth. It also prints the recipe's Wasserstein estimate and penalty over
its first steps, which shows whether training starts at once, and the floor: real training
images measured the same way.

    python benchmarks/emoji_data.py --out data/emoji64
    python benchmarks/bench_color.py --folder data/emoji64 --size 64 --minutes 10,30 --n 10000 --inception
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from bench_quality import COLUMNS, METRICS, floor, row  # noqa: E402
from seed_loop import folder_contender  # noqa: E402

from wgan.evaluation.images import compare_to_reference  # noqa: E402
from wgan.evaluation.reference import build_reference  # noqa: E402
from wgan.features import get_feature_extractor  # noqa: E402
from wgan.metrics import metric_key  # noqa: E402
from wgan.config_layers import Setting, build_config  # noqa: E402
from wgan.run_folder import new_run_dir  # noqa: E402
from wgan.sampling import draw_samples  # noqa: E402
from wgan.training.trainer import Trainer  # noqa: E402


class Contender:
    """Something that trains one generator step per ``step()``, with the clock kept by ``run_to``."""

    def __init__(self, name: str, step, handle, log: list | None = None):
        self.name, self.step, self.handle = name, step, handle
        self.log = log if log is not None else []  # (step, Wasserstein estimate, penalty), where logged
        self.trained, self.steps = 0.0, 0

    def run_to(self, seconds: float) -> None:
        start, before = time.perf_counter(), self.trained
        while before + time.perf_counter() - start < seconds:
            self.step()  # both end with finished work on the CPU
            self.steps += 1
        self.trained = before + time.perf_counter() - start


def recipe_contender(folder: Path, size: int, device: str, every: int, out: Path) -> tuple[Contender, Trainer]:
    """The recipe ``wgan train --data FOLDER --image-size SIZE`` would pick, gathering its logged
    numbers every ``every`` steps as ``wgan train`` does, and keeping the Wasserstein estimate."""
    cfg = build_config(None, None, [Setting("--data", "data.name", str(folder)),
                                    Setting("--image-size", "data.image_size", size),
                                    Setting("--device", "train.device", device)])
    trainer = Trainer(cfg, progress=False)
    trainer.attach_run_dir(new_run_dir(out, cfg))
    print(f"recipe: {cfg.preset}; run folder {trainer.run_dir}", flush=True)
    log = []

    def step():
        trainer.train_step()
        if trainer.state.step % every == 0:
            numbers = trainer.gather()
            log.append((trainer.state.step, numbers["wasserstein"], numbers["penalty"]))

    return Contender(cfg.preset, step, trainer.handle, log), trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, required=True, help="colour images, one sub-folder per class")
    parser.add_argument("--size", type=int, choices=(32, 64), default=64)
    parser.add_argument("--minutes", default="10,30", help="training times to measure at, comma-separated")
    parser.add_argument("--n", type=int, default=10000, help="generated images per measurement")
    parser.add_argument("--log-every", type=int, default=50, help="the recipe's Wasserstein estimate every N steps")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--inception", action="store_true", help="also measure in Inception space (its weights "
                        "from the cache: wgan weights fetch inception, or wgan weights install inception)")
    args = parser.parse_args()
    marks = [60 * float(m) for m in args.minutes.split(",")]
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_color_"))

    recipe, trainer = recipe_contender(args.folder, args.size, args.device, args.log_every, out)
    holder, loop = folder_contender(args.device, args.folder, args.size)
    seed = Contender("tutorial-style loop", loop.step, holder.handle)
    cfg = trainer.cfg
    print(f"{args.folder} at {args.size}x{args.size} on {trainer.device}, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}")
    start = time.perf_counter()
    extractor = get_feature_extractor("domain", cfg.data, device=trainer.device, log=print)  # cached
    references = [build_reference(cfg.data, extractor=extractor)]
    print(f"domain classifier test accuracy {extractor.test_accuracy:.3f}; reference: {len(references[0])} "
          f"{references[0].split} images ({time.perf_counter() - start:.0f} s)", flush=True)
    if args.inception:
        start = time.perf_counter()
        references.append(build_reference(cfg.data, extractor=get_feature_extractor("inception",
                                                                                    device=trainer.device)))
        print(f"{references[1].extractor.name} reference: {time.perf_counter() - start:.0f} s", flush=True)
    header = f"| contender | steps | train time (s) | {' | '.join(COLUMNS)} |\n" + "|---" * (len(COLUMNS) + 3) + "|"

    rows: dict[str, list[str]] = {ref.extractor.name: [] for ref in references}
    for mark in marks:
        for contender in (recipe, seed):
            contender.run_to(mark)
            images = draw_samples(contender.handle(), args.n, seed=0).values  # one draw, measured in each space
            for ref in references:
                space = ref.extractor.name
                keys = {c: metric_key(c, space, args.n, ref.split) for c in COLUMNS}
                rows[space].append(f"| {contender.name} " + row(contender.steps, contender.trained,
                                                                compare_to_reference(ref, images, METRICS), keys))
                print(f"{space}: {rows[space][-1]}", flush=True)
    for ref in references:
        space = ref.extractor.name
        keys = {c: metric_key(c, space, args.n, ref.split) for c in COLUMNS}
        print(f"\n{args.n} samples against the held-out fifth, {space} features:\n{header}", *rows[space], sep="\n")
        base, count = floor(cfg, ref, args.n)
        print(f"floor ({count} real training images against the held-out fifth):")
        print("| real " + row("-", 0, base, keys))
    print(f"\nthe recipe's Wasserstein estimate / penalty (mean of the {args.log_every} steps ending at):")
    print(", ".join(f"{s}: {w:.1f}/{p:.1f}" for s, w, p in recipe.log[:20]))


if __name__ == "__main__":
    main()
