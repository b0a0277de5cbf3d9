"""The report's figures: one curve panel per logged quantity with a line per run, and the
``compare`` figure (the same panels with the runs' final grids) for papers and slides."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image

from ...plots._figure import new_figure, save_png
from ...plots.curves import moving_average
from .collect import CURVES, RunSummary

# Panels of the compare figure, when any run logged them.
COMPARE_CURVES = ("loss_critic", "wasserstein", "penalty", "grad_norm")
TITLES = dict(CURVES)
# Evaluation results drawn over training (the table has them all).
EVAL_CURVES = tuple(f"eval/{name}" for name in ("fid", "kid", "precision", "recall", "coverage", "w1_ratio",
                                                 "modes_covered", "high_quality", "class_accuracy"))


def plain(text: str) -> str:
    """``text`` shown as it is: a run folder named ``a$b$`` must not start matplotlib's math mode."""
    return text.replace("$", r"\$")


def title_of(key: str) -> str:
    return TITLES.get(key) or (f"evaluation: {key[len('eval/'):]}" if key.startswith("eval/") else key)


def curve_keys(runs: list[RunSummary]) -> list[str]:
    """The curves any run has: the training ones in :data:`CURVES` order, then the main evaluations."""
    keys = [k for k, _ in CURVES if any(k in r.curves for r in runs)]
    evals = dict.fromkeys(k for r in runs for k in r.curves if k.startswith(EVAL_CURVES))
    return keys + [k for k in evals if not k.startswith("eval/kid_std")]


def _draw(ax, runs: list[RunSummary], key: str) -> None:
    for i, run in enumerate(runs):
        if key not in run.curves:
            continue
        steps, values = run.curves[key]
        color = f"C{i % 10}"
        smooth = len(values) > 20 and not key.startswith("eval/")
        ax.plot(steps, values, color=color, alpha=0.3 if smooth else 1.0, lw=0.8,
                marker=None if len(values) > 1 else "o", label=None if smooth else plain(run.name))
        if smooth:
            ax.plot(steps, moving_average(values, max(3, len(values) // 25)), color=color, lw=1.6, label=plain(run.name))
    ax.set_title(title_of(key), fontsize=9)
    ax.set_xlabel("generator step", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)


def curve_png(runs: list[RunSummary], key: str) -> bytes:
    """One panel of ``key`` over steps, a line per run (raw and smoothed), as PNG bytes."""
    fig = new_figure(5.0, 2.8)
    ax = fig.add_subplot()
    _draw(ax, runs, key)
    if len(runs) > 1:
        ax.legend(fontsize=7)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def write_compare_figure(runs: list[RunSummary], out: str | os.PathLike) -> Path:
    """A PNG: the main curves overlaid (top row) and each run's final sample grid or 2-D view below."""
    keys = [k for k in COMPARE_CURVES if any(k in r.curves for r in runs)] or curve_keys(runs)[:4]
    pictures = [_final_picture(r) for r in runs]
    shown = [(r, p) for r, p in zip(runs, pictures) if p is not None]
    columns = max(len(keys), len(shown), 1)
    fig = new_figure(3.2 * columns, 2.8 + (3.0 if shown else 0))
    grid = fig.add_gridspec(2 if shown else 1, columns, height_ratios=[1, 1.1] if shown else [1])
    for i, key in enumerate(keys):
        ax = fig.add_subplot(grid[0, i])
        _draw(ax, runs, key)
        if i == 0:
            ax.legend(fontsize=7)
    for i, (run, picture) in enumerate(shown):
        ax = fig.add_subplot(grid[1, i])
        ax.imshow(picture, interpolation="nearest")
        ax.set_title(f"{plain(run.name)} (step {run.step})", fontsize=8, color=f"C{runs.index(run) % 10}")
        ax.axis("off")
    return save_png(fig, out)


def _final_picture(run: RunSummary) -> np.ndarray | None:
    """The run's final sample grid, else its first 2-D view (scatter), as an array; None if neither."""
    scatter = next((p for p in run.views if p.name == "scatter.png"), None)
    path = run.final_samples or scatter or next(iter(run.views), None)
    if path is None:
        return None
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))
