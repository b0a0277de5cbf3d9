"""Toy-lab benchmark: train each WGAN preset on each 2-D data set and measure it.

Prints one table row per (data, method): wall time, exact W1 against real data and
its ratio to the real-vs-real floor (2,000 vs 2,000 samples), and for the Gaussian
mixtures the modes covered and the share of high-quality samples (VEEGAN/PacGAN).

    python benchmarks/bench_toy.py                       # every method on the three paper toys
    python benchmarks/bench_toy.py --methods gp --data 25gaussians --set train.steps=500
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from wgan.evaluation import evaluate_toy
from wgan.presets import preset_config
from wgan.run_folder import new_run_dir
from wgan.training.trainer import Trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["8gaussians", "25gaussians", "swissroll"])
    parser.add_argument("--methods", nargs="+", default=["gp", "lp", "sn", "clip"])
    parser.add_argument("--set", dest="overrides", nargs="*", default=[], metavar="KEY=VALUE")
    parser.add_argument("--out", type=Path, default=None, help="keep the run folders here (default: a temp dir)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    out = args.out or Path(tempfile.mkdtemp(prefix="bench_toy_"))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; run folders in {out}")
    header = "| preset | steps | time (s) | it/s | W1 | floor | ratio | modes | high quality |"
    print(header)
    print("|---" * 9 + "|")
    for data in args.data:
        for method in args.methods:
            name = f"wgan-{method}-{data}"
            cfg = preset_config(name)
            cfg.train.seed = args.seed
            cfg.apply_overrides(args.overrides)
            trainer = Trainer(cfg, progress=False)
            trainer.attach_run_dir(new_run_dir(out, cfg))
            start = time.perf_counter()
            trainer.fit()
            seconds = time.perf_counter() - start
            r = evaluate_toy(trainer.handle(), n=2000, seed=args.seed)
            modes = f"{r['modes_covered']}/{r['modes_total']}" if "modes_total" in r else "-"
            quality = f"{100 * r['high_quality']:.1f}%" if "high_quality" in r else "-"
            print(f"| {name} | {cfg.train.steps} | {seconds:.0f} | {cfg.train.steps / seconds:.1f} | "
                  f"{r['w1']:.4f} | {r['w1_floor']:.4f} | {r['w1_ratio']:.2f} | {modes} | {quality} |", flush=True)


if __name__ == "__main__":
    main()
