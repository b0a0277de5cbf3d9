"""Quality against training time: domain FID, KID, precision, recall and coverage of a preset.

Trains the preset for ``--minutes`` (default wgan-gp-fashion on Fashion-MNIST), measuring
``--n`` generated images against the test split every ``--every`` steps, and prints the
table together with the floor: the same metrics for ``--n`` real training images against
the test split.

    python benchmarks/bench_quality.py --minutes 20 --every 500
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from wgan.data.sources import load_images
from wgan.evaluation import compare_image_sets
from wgan.evaluation.images import reference_images
from wgan.features import get_feature_extractor
from wgan.metrics import metric_key
from wgan.monitor import read_metrics
from wgan.presets import preset_config
from wgan.runs import new_run_dir
from wgan.trainer import Trainer

COLUMNS = ("fid", "kid", "precision", "recall", "coverage")


def floor(cfg, extractor, n: int, seed: int = 0) -> dict:
    """The metrics of n real training images against the test split: what a perfect generator scores."""
    train_cfg = copy.deepcopy(cfg.data)
    train_cfg.split = "train"
    train = load_images(train_cfg)
    pick = np.random.default_rng(seed).choice(len(train.images), size=min(n, len(train.images)), replace=False)
    test, split = reference_images(cfg.data)
    return compare_image_sets(test.images, train.images[pick], extractor,
                              ("fid", "kid", "precision_recall", "density_coverage"), reference_split=split)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="wgan-gp-fashion")
    parser.add_argument("--minutes", type=float, default=20.0, help="training time (evaluations not counted)")
    parser.add_argument("--every", type=int, default=500, help="evaluate every this many generator steps")
    parser.add_argument("--n", type=int, default=2000, help="generated images per evaluation")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--set", dest="overrides", nargs="*", default=[], metavar="KEY=VALUE")
    parser.add_argument("--out", type=Path, default=None)
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

    _, split = reference_images(cfg.data)
    keys = {c: "eval/" + metric_key(c, "domain", args.n, split) for c in COLUMNS}
    print(f"| step | train time (s) | {' | '.join(COLUMNS)} |")
    print("|---" * (len(COLUMNS) + 2) + "|")
    records = read_metrics(trainer.run_dir / "metrics.jsonl")
    for record in records:
        if keys["fid"] in record:
            values = " | ".join(f"{record[k]:.4g}" for k in keys.values())
            print(f"| {record['step']} | {record.get('train_seconds', float('nan')):.0f} | {values} |")
    if records and keys["fid"] not in records[-1]:  # the time limit ended the run between evaluations
        from wgan.evaluation import evaluate

        final = evaluate(trainer.handle(), n=args.n, run_dir=trainer.run_dir)
        values = " | ".join(f"{final[k[len('eval/'):]]:.4g}" for k in keys.values())
        print(f"| {trainer.step} (end) | {records[-1].get('train_seconds', float('nan')):.0f} | {values} |")
    base = floor(cfg, extractor, args.n)
    values = " | ".join(f"{base[metric_key(c, 'domain', args.n, split)]:.4g}" for c in COLUMNS)
    print(f"| floor: {args.n} real train vs test | - | {values} |")


if __name__ == "__main__":
    main()
