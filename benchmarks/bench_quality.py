"""Quality against training time: domain FID, KID, precision, recall and coverage of a preset.

Trains the preset for ``--minutes`` (default wgan-gp-fashion on Fashion-MNIST), measuring
``--n`` generated images against the test split every ``--every`` steps. Then, in the
same process, it trains the tutorial-style loop (``seed_loop.py``: a tutorial's DataLoader
and eager step, its settings and PyTorch's default initialisation, the same networks)
for the same time, measured at the same training times; the clock stops during every
measurement. It prints both tables and the floor: the same metrics for ``--n`` real
training images against the test split.

    python benchmarks/bench_quality.py --minutes 10 --every 1500 --n 10000
    python benchmarks/bench_quality.py --minutes 2 --no-tutorial-loop
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from seed_loop import seed_contender  # noqa: E402

from wgan.data.sources import load_images  # noqa: E402
from wgan.data.sources.arrays import holdout_split, holdout_tail  # noqa: E402
from wgan.evaluation.images import compare_to_reference  # noqa: E402
from wgan.evaluation.reference import ReferenceSet, build_reference  # noqa: E402
from wgan.features import get_feature_extractor  # noqa: E402
from wgan.metrics import metric_key  # noqa: E402
from wgan.run_folder import read_metrics  # noqa: E402
from wgan.presets import preset_config  # noqa: E402
from wgan.run_folder import new_run_dir  # noqa: E402
from wgan.sampling import draw_samples  # noqa: E402
from wgan.training.trainer import Trainer  # noqa: E402

COLUMNS = ("fid", "kid", "precision", "recall", "coverage")
METRICS = ("fid", "kid", "precision_recall", "density_coverage")


def measure(handle, reference: ReferenceSet, n: int) -> dict:
    """The metrics of ``n`` samples of ``handle`` against ``reference``."""
    return compare_to_reference(reference, draw_samples(handle, n, seed=0).values, METRICS)


def row(label, seconds: float, values: dict, keys: dict) -> str:
    return f"| {label} | {seconds:.0f} | " + " | ".join(f"{values[k]:.4g}" for k in keys.values()) + " |"


def train_seed_loop(marks: list[float], reference: ReferenceSet, n: int, device: str, keys: dict) -> list[str]:
    """Rows of the tutorial-style loop measured when its training time passes each of ``marks`` (seconds)."""
    holder, loop = seed_contender(device)
    rows, trained, steps = [], 0.0, 0
    for mark in marks:
        start = time.perf_counter()
        while trained + time.perf_counter() - start < mark:
            loop.step()  # it ends with .item(), so the clock reads finished work
            steps += 1
        trained += time.perf_counter() - start
        rows.append(row(steps, trained, measure(holder.handle(), reference, n), keys))
        print(rows[-1], flush=True)
    return rows


def real_training_images(cfg, reference: ReferenceSet):
    """The real images the reference did not hold: the train split, or for a source without one (a
    folder, an .npz) the first 80% of each class (of all images when unlabelled)."""
    if reference.split != "holdout":
        return load_images(dataclasses.replace(cfg.data, split="train"))
    every = load_images(dataclasses.replace(cfg.data, split="all"))
    keep = (holdout_split(every.labels, "train") if every.labels is not None
            else holdout_tail(len(every), "train"))
    return every.subset(keep)


def floor(cfg, reference: ReferenceSet, n: int, seed: int = 0) -> tuple[dict, int]:
    """The metrics of up to n real training images against the reference: what a perfect generator
    scores. Their values under the names of an ``n``-sample evaluation, and how many images there were."""
    train = real_training_images(cfg, reference)
    pick = np.random.default_rng(seed).choice(len(train.images), size=min(n, len(train.images)), replace=False)
    values = compare_to_reference(reference, train.images[pick], METRICS)
    space = reference.extractor.name
    return {metric_key(c, space, n, reference.split): values[metric_key(c, space, len(pick), reference.split)]
            for c in COLUMNS}, len(pick)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="wgan-gp-fashion")
    parser.add_argument("--minutes", type=float, default=20.0, help="training time (evaluations not counted)")
    parser.add_argument("--every", type=int, default=500, help="evaluate every this many generator steps")
    parser.add_argument("--n", type=int, default=2000, help="generated images per evaluation")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--set", dest="overrides", nargs="*", default=[], metavar="KEY=VALUE")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--no-tutorial-loop", action="store_true", help="skip the tutorial-style loop's table")
    args = parser.parse_args()

    cfg = preset_config(args.preset)
    cfg.update({"train": {"steps": 10**9, "max_minutes": args.minutes, "eval_every": args.every,
                          "eval_n": args.n, "device": args.device}})
    cfg.apply_overrides(args.overrides)
    trainer = Trainer(cfg, progress=False)
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_quality_"))
    trainer.attach_run_dir(new_run_dir(out, cfg))
    device = trainer.device
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"{args.preset} on {device} ({name}), torch {torch.__version__}; run folder {trainer.run_dir}")

    start = time.perf_counter()
    extractor = get_feature_extractor("domain", cfg.data, device=device, log=print)  # trained once, cached
    print(f"domain classifier test accuracy {extractor.test_accuracy:.3f} "
          f"({time.perf_counter() - start:.0f} s to load or train)")
    trainer.fit()

    reference = build_reference(cfg.data, extractor=extractor)
    keys = {c: metric_key(c, "domain", args.n, reference.split) for c in COLUMNS}
    records = read_metrics(trainer.run_dir / "metrics.jsonl")
    rows, marks, last = [], [], 0
    for record in records:
        if "eval/" + keys["fid"] in record:
            last = record["step"]
            marks.append(record["train_seconds"])
            rows.append(row(last, marks[-1], {k: record["eval/" + k] for k in keys.values()}, keys))
    if trainer.state.step != last:  # the time limit ended the run between evaluations
        marks.append(trainer.state.elapsed)
        rows.append(row(f"{trainer.state.step} (end)", marks[-1], measure(trainer.handle(), reference, args.n), keys))
    header = f"| step | train time (s) | {' | '.join(COLUMNS)} |\n" + "|---" * (len(COLUMNS) + 2) + "|"
    print(f"\n{args.preset} ({' '.join(args.overrides) or 'as registered'}):\n{header}", *rows, sep="\n")
    if not args.no_tutorial_loop:
        print("\ntutorial-style loop (DataLoader, eager step, n_critic 5, Adam 1e-4, default init), same training times:")
        print(header, flush=True)
        train_seed_loop(marks, reference, args.n, args.device, keys)
    base, count = floor(cfg, reference, args.n)
    print(f"\nfloor ({count} real training images against the test split):\n{header}")
    print(row("real", 0, base, keys))


if __name__ == "__main__":
    main()
