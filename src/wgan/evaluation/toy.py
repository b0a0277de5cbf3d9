"""2-D runs: exact W1 against fresh real samples, its real-vs-real floor, and mode metrics."""

from __future__ import annotations

from ..metrics.toy import mode_report, w1_report
from ..sampling import draw_samples


def evaluate_toy(trainer, n: int = 2000, seed: int = 0) -> dict:
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
