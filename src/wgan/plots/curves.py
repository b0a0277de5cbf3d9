"""Training curves from the records of ``metrics.jsonl``.

Every function takes the records as plain dicts (one per logged step) so that
it works the same on a live run, a finished run folder or hand-made data.
Records are ragged: a key may be absent (no penalty for ``clip``, no clip
fraction for ``gp``) or NaN/None at some steps; such values are skipped.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

from ._figure import new_figure, save_png

# Keys drawn as sub-panels under the losses when any record has them:
# (key, y-axis label, panel title).
_DIAGNOSTICS = (
    ("penalty", "penalty", "Lipschitz penalty"),
    ("grad_norm", "mean ‖∇ₓC‖", "critic gradient norm"),
    ("clip_fraction", "fraction", "critic weights at the clipping bound ±c"),
)
# Losses in a fixed order first, then any other ``loss_*`` key alphabetically
# (e.g. ``loss_critic_real``, or an auxiliary class loss of AC-WGAN).
_MAIN_LOSSES = ("loss_critic", "loss_generator")


def _finite_float(value) -> float | None:
    if isinstance(value, bool):  # a flag, not a measurement
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def series(records: Iterable[Mapping], key: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of ``key`` over ``records``, sorted by step.

    Records without a usable step or value are skipped. When a step appears
    more than once -- a run resumed from a checkpoint older than its last log
    line logs those steps again -- the later record wins, as it belongs to the
    run that continued.
    """
    by_step: dict[float, float] = {}
    for record in records:
        step = _finite_float(record.get("step"))
        value = _finite_float(record.get(key))
        if step is not None and value is not None:
            by_step[step] = value
    if not by_step:
        return np.empty(0), np.empty(0)
    steps = np.array(sorted(by_step))
    return steps, np.array([by_step[s] for s in steps])


def moving_average(values, window: int) -> np.ndarray:
    """Centred moving average of the same length as ``values``.

    Near the ends the window shrinks to the points available instead of
    padding, so the smoothed curve neither lags the raw one nor bends towards
    an invented value at the edges.
    """
    values = np.asarray(values, dtype=float)
    n = len(values)
    window = max(1, min(int(window), n)) if n else 1
    cumsum = np.concatenate([[0.0], np.cumsum(values)])
    start = np.clip(np.arange(n) - window // 2, 0, None)
    stop = np.clip(np.arange(n) - window // 2 + window, None, n)
    return (cumsum[stop] - cumsum[start]) / (stop - start)


def _no_data(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])


def plot_losses(records: Iterable[Mapping], path: str | os.PathLike) -> Path:
    """Critic and generator losses against generator step, with sub-panels
    for the penalty, the critic gradient norm and the clip fraction when the
    records have them. Writes a PNG at ``path`` and returns the path."""
    records = list(records)
    loss_keys = sorted({k for r in records for k in r if str(k).startswith("loss_")})
    loss_keys = [k for k in _MAIN_LOSSES if k in loss_keys] + [
        k for k in loss_keys if k not in _MAIN_LOSSES
    ]
    losses = [(k, *series(records, k)) for k in loss_keys]
    losses = [(k, s, v) for k, s, v in losses if len(s)]
    diagnostics = [(key, ylabel, title, *series(records, key)) for key, ylabel, title in _DIAGNOSTICS]
    diagnostics = [d for d in diagnostics if len(d[3])]

    panels = 1 + len(diagnostics)
    fig = new_figure(8.0, 3.6 + 1.9 * len(diagnostics))
    axes = fig.subplots(panels, 1, sharex=True, squeeze=False,
                        gridspec_kw={"height_ratios": [2] + [1] * len(diagnostics)})[:, 0]

    ax = axes[0]
    if losses:
        for key, steps, values in losses:
            # The two losses the user reads first are solid; their parts
            # (real/fake terms, auxiliary losses) are thinner and dashed.
            main = key in _MAIN_LOSSES
            ax.plot(steps, values, label=key.removeprefix("loss_").replace("_", " "),
                    lw=1.3 if main else 0.9, ls="-" if main else "--", alpha=1.0 if main else 0.8)
        # Outside the axes: loss curves fill their panel, any inside spot hides data.
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small",
                  title="loss", title_fontsize="small")
        ax.set_ylabel("loss")
        ax.grid(alpha=0.3)
    else:
        _no_data(ax, "no losses logged")
    ax.set_title("Training losses")

    for ax, (key, ylabel, title, steps, values) in zip(axes[1:], diagnostics):
        ax.plot(steps, values, lw=1.0, color="0.25")
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize="medium")
        ax.grid(alpha=0.3)
        if key == "clip_fraction":
            ax.set_ylim(-0.02, 1.02)
    axes[-1].set_xlabel("generator step")
    return save_png(fig, path)


def plot_wasserstein(records: Iterable[Mapping], path: str | os.PathLike,
                     window: int | None = None) -> Path:
    """The Wasserstein estimate E[C(real)] - E[C(fake)] against generator step:
    the raw values faintly, a centred moving average of ``window`` points
    (default: a fiftieth of the points) on top -- the WGAN paper's figure.
    Writes a PNG at ``path`` and returns the path."""
    steps, values = series(list(records), "wasserstein")
    fig = new_figure(8.0, 4.2)
    ax = fig.add_subplot()
    ax.set_title("Wasserstein estimate  E[C(real)] − E[C(fake)]")
    if len(steps) == 0:
        _no_data(ax, "no Wasserstein estimate logged")
        return save_png(fig, path)
    if window is None:
        window = max(1, len(values) // 50)
    ax.plot(steps, values, lw=0.8, alpha=0.35, color="tab:blue", label="raw")
    ax.plot(steps, moving_average(values, window), lw=2.0, color="tab:blue",
            label=f"moving average ({window} points)")
    ax.axhline(0.0, color="0.5", lw=0.8, ls=":")
    ax.set_xlabel("generator step")
    ax.set_ylabel("estimate")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return save_png(fig, path)
