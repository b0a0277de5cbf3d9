"""Figure creation and saving shared by the plot modules.

Figures are built with the object-oriented API (``Figure`` + the Agg canvas)
rather than ``pyplot``: no global figure registry to leak memory over a long
training run, no dependency on a display, and no interference with a user's
own pyplot session or backend choice.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..files import atomic_write

# One palette for every figure, so "real" and "generated" look the same across
# the scatter snapshots, the critic landscape and the feature-space view.
REAL_COLOR = "#1f77b4"
FAKE_COLOR = "#d62728"
DPI = 110


def new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_png(fig: Figure, path: str | os.PathLike) -> Path:
    """Write ``fig`` as a PNG at ``path`` and return the path.

    The image goes to a temporary file in the same folder and is then renamed
    (:func:`wgan.files.atomic_write`), so a viewer, a crash or a full disk never
    leaves a half-written PNG in place of a good one from an earlier step.
    """
    return atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=DPI))


def opaque_legend_handles(legend) -> None:
    """Draw legend markers fully opaque: the translucent points of a dense
    scatter would otherwise show as pale, hard-to-match swatches."""
    for handle in legend.legend_handles:
        handle.set_alpha(1.0)


def as_points(array, name: str) -> np.ndarray:
    """``array`` as a float (N, 2) numpy array, or a ValueError naming it."""
    points = np.asarray(array, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"{name} must be an (N, 2) array of 2-D points, got shape {points.shape}")
    return points


def padded_limits(points: np.ndarray, margin: float = 0.1) -> tuple[float, float, float, float]:
    """(xmin, xmax, ymin, ymax) around the finite ``points`` with a relative margin.

    A degenerate extent (one point, or all points on a line) still gets a
    non-zero width so that matplotlib does not collapse the axis.
    """
    finite = points[np.isfinite(points).all(axis=1)]
    if len(finite) == 0:
        return (-1.0, 1.0, -1.0, 1.0)
    lo, hi = finite.min(axis=0), finite.max(axis=0)
    span = hi - lo
    pad = np.where(span > 0, span * margin, np.maximum(np.abs(lo), 1.0) * margin)
    lo, hi = lo - pad, hi + pad
    return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
