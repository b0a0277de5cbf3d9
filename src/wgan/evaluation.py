"""``wgan eval``: the metrics that fit a run's data, written to ``eval/metrics.json``."""

from __future__ import annotations

import json
from pathlib import Path

from .metrics.toy import mode_report, w1_report
from .runs import check_run_dir
from .sampling import draw_samples


def evaluate_toy(trainer, n: int = 2000, seed: int = 0) -> dict:
    """Exact W1 against real data with its real-vs-real floor; mode metrics for the mixtures."""
    fake = draw_samples(trainer, n, seed=seed).values
    real = trainer.data.reference(n, seed=2 * seed)[0].numpy()
    real_other = trainer.data.reference(n, seed=2 * seed + 1)[0].numpy()
    results = {"step": trainer.step, "n": n, **w1_report(fake, real, real_other)}
    modes = getattr(trainer.data, "modes", None)
    if modes is not None:
        report = mode_report(fake, modes.centers, modes.sd)
        results.update(modes_covered=report["modes_covered"], modes_total=report["modes_total"],
                       high_quality=report["high_quality"], mode_counts=report["counts"])
    return results


def evaluate_run(run_dir: Path, n: int = 2000, seed: int = 0) -> tuple[dict, Path]:
    from .trainer import Trainer

    run_dir = check_run_dir(run_dir)
    trainer = Trainer.resume(run_dir, progress=False)
    results = evaluate_toy(trainer, n=n, seed=seed)
    path = run_dir / "eval" / "metrics.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    return results, path


def format_table(results: dict) -> str:
    rows = [(k, v) for k, v in results.items() if not isinstance(v, (list, dict))]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v:.4g}" if isinstance(v, float) else f"{k:<{width}}  {v}" for k, v in rows)
