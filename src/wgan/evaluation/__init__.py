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
from .images import IMAGE_METRICS, compare_image_sets, compare_to_reference, evaluate_images
from .toy import evaluate_toy

__all__ = ["IMAGE_METRICS", "compare_image_sets", "compare_to_reference", "evaluate", "evaluate_images", "evaluate_run",
           "evaluate_toy", "format_table", "write_results"]


def evaluate(handle, n: int = 2000, seed: int = 0, runtime=None, run_dir=None, **image_options) -> dict | None:
    """Every metric that fits the generator's data, as a flat dict of numbers (plus lists for details).

    ``handle`` is a :class:`~wgan.handle.GeneratorHandle`. With a ``runtime`` of several processes
    they share the sampling and the main process gets the results (the others None).
    """
    if handle.kind == "toy":
        return evaluate_toy(handle, n=n, seed=seed, runtime=runtime)
    return evaluate_images(handle, n=n, seed=seed, run_dir=run_dir, runtime=runtime, **image_options)


def evaluate_run(run_dir: Path, n: int = 2000, seed: int = 0, checkpoint: str = "last", device="auto",
                 **image_options) -> tuple[dict, Path]:
    """Evaluate a run folder's generator (no training data needed) and write ``eval/metrics.json``
    (``eval/metrics-<checkpoint>.json`` for a checkpoint other than the last)."""
    from ..handle import load_generator
    from ..runtime import pick_device

    run_dir = check_run_dir(run_dir)
    handle = load_generator(run_dir, checkpoint, device=pick_device(device))
    results = evaluate(handle, n=n, seed=seed, run_dir=run_dir, **image_options)
    name = "metrics.json" if str(checkpoint) == "last" else f"metrics-{checkpoint}.json"
    return results, write_results(results, run_dir / "eval" / name)


def write_results(results: dict, path: Path) -> Path:
    return write_text(path, json.dumps(results, indent=2) + "\n")


def format_table(results: dict) -> str:
    rows = [(k, v) for k, v in results.items() if not isinstance(v, (list, dict))]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v:.4g}" if isinstance(v, float) else f"{k:<{width}}  {v}" for k, v in rows)
