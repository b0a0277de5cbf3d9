"""2-D runs: every registered metric of points (exact W1 against fresh real samples and its
real-vs-real floor; for the Gaussian mixtures, mode coverage)."""

from __future__ import annotations

from ..data.toy import TOY_SETS, reference_points
from ..metrics import METRICS, metrics_for
from ..sampling import draw_samples


def evaluate_toy(handle, n: int = 2000, seed: int = 0, runtime=None) -> dict | None:
    """The 2-D metrics of ``n`` samples of ``handle`` (None on processes other than the main).

    Each metric takes what it names of: ``fake``, ``real`` and ``real_other`` (two independent real
    samples) and, for the mixtures, their ``centers`` and ``sd``; one that needs what the data
    lacks (modes of the Swiss roll) is left out.
    """
    samples = draw_samples(handle, n, seed=seed, runtime=runtime)
    if samples is None:
        return None
    name = handle.space.name
    modes = TOY_SETS.get(name).modes
    available = {"fake": samples.values, "real": reference_points(name, n, seed=2 * seed).numpy(),
                 "real_other": reference_points(name, n, seed=2 * seed + 1).numpy(),
                 "centers": None if modes is None else modes.centers, "sd": None if modes is None else modes.sd}
    results, details = {"step": handle.step, "n": n}, {}
    for metric_name in metrics_for("toy"):
        metric = METRICS[metric_name]
        kwargs = metric.arguments(available)
        if kwargs is None:
            continue
        out = metric.fn(**kwargs)
        out = out if isinstance(out, dict) else {metric_name: out}
        results.update({key: out[key] for key in metric.outputs})
        details[metric_name] = {k: v for k, v in out.items() if k not in metric.outputs}  # per-mode counts, ...
    results["details"] = details
    return results
