"""``wgan eval``: the metrics that fit a run's data, written to ``eval/metrics.json``.

2-D runs are measured against fresh samples of their distribution (``toy.py``);
image runs in a feature space against a held-out reference split (``images.py``).
Result names record the protocol, e.g. ``fid_domain_2k_test``.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..files import write_text
from ..runs import check_run_dir
from .images import IMAGE_METRICS, compare_image_sets, evaluate_images
from .toy import evaluate_toy

__all__ = ["IMAGE_METRICS", "compare_image_sets", "evaluate", "evaluate_images", "evaluate_run",
           "evaluate_toy", "format_table", "write_results"]


def evaluate(trainer, n: int = 2000, seed: int = 0, **image_options) -> dict:
    """Every metric that fits the trainer's data, as a flat dict of numbers (plus lists for details)."""
    if trainer.data.kind == "toy":
        return evaluate_toy(trainer, n=n, seed=seed)
    return evaluate_images(trainer, n=n, seed=seed, **image_options)


def evaluate_run(run_dir: Path, n: int = 2000, seed: int = 0, **image_options) -> tuple[dict, Path]:
    from ..trainer import Trainer

    run_dir = check_run_dir(run_dir)
    trainer = Trainer.resume(run_dir, progress=False)
    results = evaluate(trainer, n=n, seed=seed, **image_options)
    return results, write_results(results, run_dir / "eval" / "metrics.json")


def write_results(results: dict, path: Path) -> Path:
    return write_text(path, json.dumps(results, indent=2) + "\n")


def format_table(results: dict) -> str:
    rows = [(k, v) for k, v in results.items() if not isinstance(v, (list, dict))]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v:.4g}" if isinstance(v, float) else f"{k:<{width}}  {v}" for k, v in rows)
