"""Figures for 2-D data: scatter snapshots, the critic landscape and the
discriminator's feature space.

Inputs are numpy arrays and plain callables; nothing here knows about models
or run folders, so the functions can be tested with hand-made data and used
on any critic (a torch module wrapped in a numpy function, a closed form...).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from ._figure import FAKE_COLOR, REAL_COLOR, as_points, new_figure, opaque_legend_handles, padded_limits, save_png

# Points drawn per cloud. Beyond a few thousand a scatter only gets slower and
# darker; a fixed-seed subsample keeps the picture the same from call to call.
MAX_POINTS = 2000

CriticFn = Callable[[np.ndarray], np.ndarray]


def _subsample(points: np.ndarray, k: int = MAX_POINTS) -> np.ndarray:
    if len(points) <= k:
        return points
    index = np.random.default_rng(0).choice(len(points), size=k, replace=False)
    return points[index]


def select_snapshots(count: int, max_panels: int) -> list[int]:
    """Indices of at most ``max_panels`` of ``count`` snapshots, evenly spaced
    over training and always including the first and the last."""
    if count <= 0:
        return []
    if max_panels < 1:
        raise ValueError(f"max_panels must be at least 1, got {max_panels}")
    if count <= max_panels:
        return list(range(count))
    if max_panels == 1:
        return [count - 1]  # the final state is the one worth showing alone
    # count > max_panels, so consecutive linspace values differ by more than 1
    # and rounding cannot produce duplicates.
    return [int(i) for i in np.rint(np.linspace(0, count - 1, max_panels))]


def _step_title(step) -> str:
    if step is None:
        return "no snapshots yet"
    try:
        number = float(step)
    except (TypeError, ValueError):
        return str(step)
    return f"step {int(number):,}" if number.is_integer() else f"step {number:g}"


def plot_scatter_snapshots(real, snapshots: Sequence[tuple[int, object]], path: str | os.PathLike,
                           max_panels: int = 12) -> Path:
    """Real vs generated points at several training steps, one small panel per
    snapshot (the quadratic-curve GAN tutorial's scatter every 1,000 iterations as one figure).

    ``real`` is (N, 2); ``snapshots`` a list of ``(step, samples)`` with samples
    (M, 2), in training order. All panels share the real data's limits (plus a
    margin) so that panels compare; generated points outside them are counted
    in the panel instead of silently vanishing. Writes a PNG, returns the path.
    """
    real = as_points(real, "real")
    xmin, xmax, ymin, ymax = padded_limits(real)  # from all points, before subsampling
    real = _subsample(real)
    shown = [snapshots[i] for i in select_snapshots(len(snapshots), max_panels)]

    n = max(1, len(shown))
    ncols = min(n, 4)
    nrows = math.ceil(n / ncols)
    # At least 5 inches wide, or the title of a one-panel figure is cut off.
    fig = new_figure(max(5.0, 2.7 * ncols + 0.4), 2.5 * nrows + 0.9)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)

    for ax, (step, samples) in zip(axes, shown or [(None, np.empty((0, 2)))]):
        fake = as_points(samples, f"samples at step {step}")
        ax.set_title(_step_title(step), fontsize="medium")
        # Counted on all samples; only a subsample is drawn.
        outside = np.sum((fake[:, 0] < xmin) | (fake[:, 0] > xmax)
                         | (fake[:, 1] < ymin) | (fake[:, 1] > ymax) | ~np.isfinite(fake).all(axis=1))
        total, fake = len(fake), _subsample(fake)
        ax.scatter(real[:, 0], real[:, 1], s=3, c=REAL_COLOR, alpha=0.35, lw=0, label="real")
        ax.scatter(fake[:, 0], fake[:, 1], s=3, c=FAKE_COLOR, alpha=0.6, lw=0, label="generated")
        if outside:
            ax.text(0.03, 0.97, f"{outside} of {total} outside view", transform=ax.transAxes,
                    ha="left", va="top", fontsize="x-small", color=FAKE_COLOR,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})
        ax.tick_params(labelsize="x-small")
    axes[0].set_xlim(xmin, xmax)
    axes[0].set_ylim(ymin, ymax)

    handles, labels = axes[0].get_legend_handles_labels()
    legend = fig.legend(handles, labels, loc="outside lower center", ncols=2, markerscale=4,
                        frameon=False)
    opaque_legend_handles(legend)
    fig.suptitle("Real vs generated samples over training")
    return save_png(fig, path)


def _evaluate(fn: CriticFn, points: np.ndarray, what: str) -> np.ndarray:
    values = np.asarray(fn(points), dtype=float).reshape(-1)
    if values.shape[0] != points.shape[0]:
        raise ValueError(f"{what} returned {values.shape[0]} values for {points.shape[0]} points; "
                         "it must map a (K, 2) array to K values")
    return values


def finite_difference_grad_norm(critic_fn: CriticFn, points, step=1e-3) -> np.ndarray:
    """|grad C| at each of the (K, 2) ``points`` by central differences.

    ``step`` is the difference step, one number or one per axis (useful when
    the axes have very different scales, as in the quadratic data). The four
    shifted copies go to ``critic_fn`` in a single call so that a network is
    run once rather than four times.
    """
    points = as_points(points, "points")
    h = np.broadcast_to(np.asarray(step, dtype=float), (2,))
    if np.any(h <= 0):
        raise ValueError(f"finite-difference step must be positive, got {step}")
    dx, dy = np.array([h[0], 0.0]), np.array([0.0, h[1]])
    shifted = np.concatenate([points + dx, points - dx, points + dy, points - dy])
    c = _evaluate(critic_fn, shifted, "critic_fn").reshape(4, len(points))
    grad_x = (c[0] - c[1]) / (2 * h[0])
    grad_y = (c[2] - c[3]) / (2 * h[1])
    return np.hypot(grad_x, grad_y)


def _levels(z: np.ndarray, n: int = 20) -> tuple[np.ndarray, bool]:
    """About ``n`` round-numbered contour levels spanning the finite values of
    ``z`` (round numbers make a readable colour bar), and whether the field is
    constant. A constant field -- an untrained or collapsed critic -- gets a
    band around its value instead of a matplotlib error."""
    finite = z[np.isfinite(z)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    constant = hi - lo <= 1e-9 * max(1.0, abs(lo))
    if constant:
        pad = max(abs(lo) * 0.1, 1e-3)
        lo, hi = lo - pad, hi + pad
    return MaxNLocator(nbins=n).tick_values(lo, hi), constant


def plot_critic_landscape(critic_fn: CriticFn, real, fake, path: str | os.PathLike,
                          grad_fn: CriticFn | None = None, grid: int = 200,
                          bounds: tuple[float, float, float, float] | None = None) -> Path:
    """The WGAN-GP paper's Figure 1 view of a 2-D critic.

    Left: the critic value C(x) as a filled contour map over a ``grid`` x
    ``grid`` lattice, with real and generated points on top. Right: the
    gradient-norm field |grad C(x)|, from ``grad_fn`` ((K, 2) -> (K,) norms) or
    else by central finite differences of ``critic_fn`` ((K, 2) -> (K,)
    values), with the level |grad C| = 1 that a Lipschitz-1 critic should
    reach between the distributions. ``bounds`` is (xmin, xmax, ymin, ymax);
    by default the box around the real and generated points plus a margin.
    Writes a PNG at ``path`` and returns the path.
    """
    real, fake = as_points(real, "real"), as_points(fake, "fake")
    if grid < 2:
        raise ValueError(f"grid must be at least 2, got {grid}")
    if bounds is None:
        bounds = padded_limits(np.concatenate([real, fake]), margin=0.15)
    real, fake = _subsample(real), _subsample(fake)
    xmin, xmax, ymin, ymax = map(float, bounds)
    if not (xmin < xmax and ymin < ymax):
        raise ValueError(f"bounds must be (xmin, xmax, ymin, ymax) with min < max, got {bounds}")

    xs, ys = np.linspace(xmin, xmax, grid), np.linspace(ymin, ymax, grid)
    gx, gy = np.meshgrid(xs, ys)
    lattice = np.column_stack([gx.ravel(), gy.ravel()])
    values = _evaluate(critic_fn, lattice, "critic_fn").reshape(grid, grid)
    if grad_fn is not None:
        norms = _evaluate(grad_fn, lattice, "grad_fn")
        grad_note = ""
    else:
        # A thousandth of each axis's extent: far below the grid spacing, yet
        # large enough that float32 rounding in a network does not dominate.
        step = 1e-3 * np.array([xmax - xmin, ymax - ymin])
        norms = finite_difference_grad_norm(critic_fn, lattice, step)
        grad_note = " (finite differences)"
    norms = norms.reshape(grid, grid)

    fig = new_figure(12.0, 5.2)
    ax_c, ax_g = fig.subplots(1, 2)
    panels = (
        (ax_c, values, "viridis", "critic value C(x)", "critic value C(x)"),
        (ax_g, norms, "magma", "‖∇ₓC(x)‖", "gradient norm ‖∇ₓC(x)‖" + grad_note),
    )
    for ax, z, cmap, bar_label, title in panels:
        levels, constant = _levels(z)
        if constant:
            title += f" — constant {np.nanmax(z):.3g}"
        filled = ax.contourf(gx, gy, np.ma.masked_invalid(z), levels=levels, cmap=cmap)
        fig.colorbar(filled, ax=ax, label=bar_label)
        ax.scatter(real[:, 0], real[:, 1], s=8, c=REAL_COLOR, edgecolors="white", linewidths=0.2,
                   label="real")
        ax.scatter(fake[:, 0], fake[:, 1], s=8, c=FAKE_COLOR, edgecolors="white", linewidths=0.2,
                   label="generated")
        ax.set_xlim(xmin, xmax)
        ax.set_ylim(ymin, ymax)
        ax.set_title(title, fontsize="medium")
        ax.set_xlabel("x₁")
        ax.set_ylabel("x₂")

    # The unit level is what a 1-Lipschitz critic should reach on the paths
    # between the two distributions; a legend entry names it (contour labels
    # would be scattered all over a busy field).
    finite = norms[np.isfinite(norms)]
    extra = []
    if finite.size and finite.min() < 1.0 < finite.max():
        ax_g.contour(gx, gy, np.ma.masked_invalid(norms), levels=[1.0], colors="cyan",
                     linewidths=1.2, linestyles="--")
        extra = [Line2D([], [], color="cyan", ls="--", lw=1.2, label="‖∇ₓC‖ = 1")]
    for ax, handles in ((ax_c, []), (ax_g, extra)):
        own, _ = ax.get_legend_handles_labels()
        ax.legend(handles=own + handles, loc="upper right", fontsize="small", markerscale=2,
                  framealpha=0.85)
    fig.suptitle("Critic landscape")
    return save_png(fig, path)


def _away(point, others, spans, distance: float = 36.0) -> tuple[float, float]:
    """An offset in points that puts a label beside ``point`` on the side away
    from ``others`` (the other centroid, the arrow's tail), so labels cover
    neither the other marker nor the arrow. Directions are taken in axes
    fractions because the two axes may have very different scales."""
    direction = np.zeros(2)
    for other in others:
        d = (np.asarray(point) - np.asarray(other)) / spans
        norm = np.linalg.norm(d)
        if norm > 0:
            direction += d / norm
    norm = np.linalg.norm(direction)
    direction = direction / norm if norm > 1e-9 else np.array([0.0, 1.0])
    return (float(distance * direction[0]), float(distance * direction[1]))


def _centroid_marker(ax, point: np.ndarray, color: str, label: str, offset: tuple[float, float]) -> None:
    ax.scatter([point[0]], [point[1]], s=220, marker="X", c=color, edgecolors="black",
               linewidths=1.2, zorder=5)
    ax.annotate(f"{label}\n({point[0]:.3g}, {point[1]:.3g})", point, xytext=offset,
                textcoords="offset points", fontsize="small", color=color, fontweight="bold",
                ha="center", va="center", zorder=6,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": color, "alpha": 0.85})


def plot_feature_space(before: Mapping[str, object], after: Mapping[str, object],
                       path: str | os.PathLike) -> Path:
    """The quadratic-curve GAN tutorial's view of the discriminator's 2-D feature layer, before and after a
    generator update.

    ``before`` and ``after`` are dicts with ``real`` and ``fake`` (N, 2)
    feature activations. Each panel shows both clouds and their centroids
    (large annotated markers); the second panel adds an arrow from the fake
    centroid before the update to the one after, which is the move the
    generator step made in the discriminator's eyes. Both panels share their
    limits so that the move reads directly. Writes a PNG, returns the path.
    """
    clouds = {}
    for name, group in (("before", before), ("after", after)):
        for key in ("real", "fake"):
            if key not in group:
                raise ValueError(f"{name} must have keys 'real' and 'fake'; missing {key!r}")
            clouds[name, key] = as_points(group[key], f"{name}[{key!r}]")
    centroid = {k: np.nanmean(v, axis=0) for k, v in clouds.items()}
    xmin, xmax, ymin, ymax = padded_limits(np.concatenate(list(clouds.values())), margin=0.12)

    spans = np.array([xmax - xmin, ymax - ymin])
    start, end = centroid["before", "fake"], centroid["after", "fake"]

    fig = new_figure(11.0, 5.4)
    axes = fig.subplots(1, 2, sharex=True, sharey=True)
    for ax, name in zip(axes, ("before", "after")):
        real, fake = _subsample(clouds[name, "real"]), _subsample(clouds[name, "fake"])
        ax.scatter(real[:, 0], real[:, 1], s=5, c=REAL_COLOR, alpha=0.35, lw=0)
        ax.scatter(fake[:, 0], fake[:, 1], s=5, c=FAKE_COLOR, alpha=0.35, lw=0)
        c_real, c_fake = centroid[name, "real"], centroid[name, "fake"]
        tail = [start] if name == "after" else []
        _centroid_marker(ax, c_real, REAL_COLOR, "real centroid", _away(c_real, [c_fake], spans))
        _centroid_marker(ax, c_fake, FAKE_COLOR, "fake centroid",
                         _away(c_fake, [c_real] + tail, spans))
        ax.set_title(f"{name} generator update", fontsize="medium")
        ax.set_xlabel("feature 1")
        ax.grid(alpha=0.3)

    axes[1].scatter([start[0]], [start[1]], s=160, marker="X", facecolors="none",
                    edgecolors=FAKE_COLOR, linewidths=1.2, zorder=4)
    axes[1].annotate("", xy=end, xytext=start, zorder=7,
                     arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.8,
                                 "shrinkA": 6, "shrinkB": 9})
    if np.linalg.norm((end - start) / spans) < 0.005:
        # Otherwise an arrow of zero length just looks missing.
        axes[1].text(0.02, 0.98, "the fake centroid did not move", transform=axes[1].transAxes,
                     ha="left", va="top", fontsize="small", color=FAKE_COLOR)
    axes[0].set_xlim(xmin, xmax)
    axes[0].set_ylim(ymin, ymax)
    axes[0].set_ylabel("feature 2")

    # One legend for both panels, built from proxies so that the swatches are
    # opaque and the centroid markers are not drawn at their plotted size.
    def marker(label, **style):
        return Line2D([], [], ls="none", label=label, **style)
    handles = [
        marker("real", marker="o", color=REAL_COLOR, ms=5),
        marker("generated", marker="o", color=FAKE_COLOR, ms=5),
        marker("centroid", marker="X", color="0.5", mec="black", ms=10),
        marker("fake centroid before the update", marker="X", mfc="none", mec=FAKE_COLOR, ms=10),
        Line2D([], [], color="black", lw=1.8, marker=">", markevery=[1],
               label="move made by the generator step"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False,
               fontsize="small")
    fig.suptitle("Discriminator feature layer: real vs generated")
    return save_png(fig, path)
