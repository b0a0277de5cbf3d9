"""Does training start at once? The Wasserstein estimate and penalty of a recipe's first steps.

Trains each variant (the recipe with some settings changed) for ``--steps`` generator steps,
``--seeds`` times, and prints the critic's Wasserstein estimate / gradient penalty averaged
over every ``--every`` steps. A recipe that starts at once has its estimate falling from the
first rows; a stalled one holds it high (or rising) while the generator finds the data.

    python benchmarks/stall_probe.py --data data/emoji64.npz --preset wgan-gp-color64 \\
        --variant base --variant "critic lr 1e-4: optim.lr_c=1e-4"
"""

from __future__ import annotations

import argparse
import time

import torch

from wgan.presets import preset_config
from wgan.training.trainer import Trainer


def parse_variant(text: str) -> tuple[str, list[str]]:
    """``"name: key=value key=value"`` (or a bare name: the recipe as registered)."""
    name, _, settings = text.partition(":")
    return name.strip(), settings.split()


def probe(preset: str, data: str, overrides: list[str], steps: int, every: int, seed: int,
          device: str) -> tuple[list[tuple[float, float]], float]:
    """(Wasserstein estimate, penalty) averaged over each ``every`` steps, and the seconds taken."""
    cfg = preset_config(preset)
    cfg.update({"data": {"name": data}, "train": {"seed": seed, "device": device}})
    cfg.apply_overrides(overrides)
    trainer = Trainer(cfg, progress=False)
    rows, start = [], time.perf_counter()
    for step in range(1, steps + 1):
        trainer.train_step()
        if step % every == 0:
            logged = trainer.gather()
            rows.append((logged["wasserstein"], logged.get("penalty", float("nan"))))
    return rows, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="a folder or .npz of images (as wgan train --data)")
    parser.add_argument("--preset", default="wgan-gp-color64")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME[: KEY=VALUE ...]")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--every", type=int, default=25)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()

    marks = range(args.every, args.steps + 1, args.every)
    print(f"{args.preset} on {args.data}, torch {torch.__version__}; Wasserstein estimate / penalty, "
          f"mean of each {args.every} steps ending at")
    print("| variant | seed | " + " | ".join(str(m) for m in marks) + " | seconds |")
    print("|---" * (len(marks) + 3) + "|")
    for name, overrides in map(parse_variant, args.variant or ["as registered"]):
        for seed in range(args.seeds):
            rows, seconds = probe(args.preset, args.data, overrides, args.steps, args.every, seed, args.device)
            cells = " | ".join(f"{w:.0f}/{p:.0f}" for w, p in rows)
            print(f"| {name} | {seed} | {cells} | {seconds:.0f} |", flush=True)


if __name__ == "__main__":
    main()
