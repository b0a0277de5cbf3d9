"""Network families against each other: domain FID over training time, same data and protocol.

Each family trains with its paper's recipe on Fashion-MNIST resized to 32x32 (precision
auto, so bf16 where the CPU has it; no learning-rate decay, since the runs are short):

- ``dcgan``: the recommended 28x28 recipe (wgan-gp-fashion: DCGAN width 32, WGAN-GP, 2
  critic steps at 3e-4) at 32x32;
- ``resnet-wgan``: the WGAN-GP paper's CIFAR-10 ResNet recipe (wgan-gp-cifar10-resnet);
- ``resnet-sngan``: SNGAN's (sngan-cifar10: hinge loss, spectral normalisation).

At each of ``--at`` training minutes (the clock stops while it measures) the trained
generator and its weight average (``train.ema`` = ``--ema``, with standing BatchNorm
statistics) each draw ``--n`` images, compared with the test split in the domain
classifier's feature space. Prints one row per family and time: generator steps, steps
per second, FID of the trained and of the averaged generator, and the recall of each.

    python benchmarks/bench_families.py --at 10 --n 10000
    python benchmarks/bench_families.py --families resnet-wgan --at 10 30
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from bench_quality import METRICS  # noqa: E402

from wgan.evaluation.images import compare_to_reference  # noqa: E402
from wgan.evaluation.reference import reference_set  # noqa: E402
from wgan.metrics import metric_key  # noqa: E402
from wgan.presets import preset_config  # noqa: E402
from wgan.run_folder import new_run_dir  # noqa: E402
from wgan.sampling import draw_samples  # noqa: E402
from wgan.training.trainer import Trainer  # noqa: E402

DATA = {"name": "fashion-mnist", "image_size": 32, "channels": None, "split": "train"}
FAMILIES = {"dcgan": "wgan-gp-fashion", "resnet-wgan": "wgan-gp-cifar10-resnet", "resnet-sngan": "sngan-cifar10"}


def family_config(family: str, ema: float, device: str, overrides: list[str]):
    cfg = preset_config(FAMILIES[family])
    cfg.update({"data": DATA, "optim": {"decay": "none"},
                "train": {"steps": 10**9, "precision": "auto", "ema": ema, "device": device,
                          "sample_every": 10**9, "checkpoint_every": 10**9, "log_every": 50}})
    cfg.apply_overrides(overrides)
    return cfg


def trained_handle(trainer: Trainer):
    """The trained (not averaged) generator, as a handle."""
    handle = trainer.handle()
    handle.net = trainer.algorithm.generator
    return handle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=list(FAMILIES))
    parser.add_argument("--at", nargs="+", type=float, default=[10.0], help="training minutes to measure at")
    parser.add_argument("--n", type=int, default=10_000, help="generated images per measurement")
    parser.add_argument("--ema", type=float, default=0.99, help="decay of the weight average measured beside")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--set", dest="overrides", nargs="*", default=[], metavar="KEY=VALUE")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_families_"))

    reference = None
    rows = []
    header = ("| family | minutes | steps | steps/s | FID | FID, average | recall | recall, average |\n"
              "|---|---|---|---|---|---|---|---|")
    for family in args.families:
        cfg = family_config(family, args.ema, args.device, args.overrides)
        torch.manual_seed(0)
        trainer = Trainer(cfg, progress=False)
        trainer.attach_run_dir(new_run_dir(out, cfg))
        if reference is None:  # one reference (and domain classifier) for every family
            start = time.perf_counter()
            reference = reference_set(cfg.data, "domain", device=trainer.device, log=print)
            print(f"reference features of the test split in {time.perf_counter() - start:.0f} s")
            fid, recall = (metric_key(k, "domain", args.n, reference.split) for k in ("fid", "recall"))
        print(f"{family}: {trainer.precision}, run folder {trainer.run_dir}", flush=True)
        for minutes in args.at:
            trainer.cfg.train.max_minutes = minutes - trainer.state.elapsed / 60
            trainer.fit()
            measured = [compare_to_reference(reference, draw_samples(h, args.n, seed=0).values, METRICS)
                        for h in (trained_handle(trainer), trainer.handle())]
            rows.append(f"| {family} | {trainer.state.elapsed / 60:.1f} | {trainer.state.step} | "
                        f"{trainer.state.step / trainer.state.elapsed:.2f} | {measured[0][fid]:.2f} | {measured[1][fid]:.2f} | "
                        f"{measured[0][recall]:.3f} | {measured[1][recall]:.3f} |")
            print(header, rows[-1], sep="\n", flush=True)
    print(f"\nDomain FID and recall of {args.n} images against the test split (EMA decay {args.ema}, standing "
          f"statistics):\n{header}", *rows, sep="\n")


if __name__ == "__main__":
    main()
