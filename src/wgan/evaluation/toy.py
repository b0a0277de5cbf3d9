"""2-D runs: exact W1 against fresh real samples, its real-vs-real floor, and mode metrics."""

from __future__ import annotations

from ..data.toy import MODES, reference_points
from ..metrics.toy import mode_report, w1_report
from ..sampling import draw_samples


def evaluate_toy(handle, n: int = 2000, seed: int = 0, runtime=None) -> dict | None:
    """W1 of ``n`` samples of ``handle`` and, for the mixtures, modes (None on processes other than the main)."""
    samples = draw_samples(handle, n, seed=seed, runtime=runtime)
    if samples is None:
        return None
    fake, name = samples.values, handle.space.name
    real = reference_points(name, n, seed=2 * seed).numpy()
    real_other = reference_points(name, n, seed=2 * seed + 1).numpy()
    results = {"step": handle.step, "n": n, **w1_report(fake, real, real_other)}
    modes = MODES.get(name)
    if modes is not None:
        report = mode_report(fake, modes.centers, modes.sd)
        results.update(modes_covered=report["modes_covered"], modes_total=report["modes_total"],
                       high_quality=report["high_quality"], mode_counts=report["counts"])
    return results
