"""Precision, recall, density and coverage from k-nearest-neighbour balls in feature space.

- Improved precision and recall (Kynkaanniemi et al. 2019, "Improved precision
  and recall metric for assessing generative models"): the real manifold is
  the union of balls around each real feature with radius the distance to its
  k-th nearest real neighbour (k = 3). Precision is the fraction of fake
  samples inside the real manifold (quality); recall is the fraction of real
  samples inside the fake manifold, built the same way (diversity).
- Density and coverage (Naeem et al. 2020, "Reliable fidelity and diversity
  metrics for generative models", k = 5): density counts how many real balls
  contain each fake sample, divided by k, so it is about 1 for matching
  distributions and is not fooled by real outliers with huge balls; coverage
  is the fraction of real balls that contain at least one fake sample
  (expected 1 - 2^-k, about 0.97 for k = 5, when the distributions match).

Balls are closed (distance <= radius); the k-th neighbour excludes the point
itself. Distances are computed with ``torch.cdist`` in float64 in row blocks
of about 16 million entries, so 10k x 10k needs about 130 MB at a time.
"""

from __future__ import annotations

import torch

from ..errors import WganError
from .base import METRICS, Metric
from ._arrays import as_rows, same_dim

BLOCK_ENTRIES = 1 << 24  # distance-matrix entries held at once (128 MB in float64)


def _blocks(n_rows: int, n_cols: int):
    step = max(1, BLOCK_ENTRIES // max(1, n_cols))
    for start in range(0, n_rows, step):
        yield start, min(n_rows, start + step)


def knn_radii(x: torch.Tensor, ks: list[int]) -> dict[int, torch.Tensor]:
    """For each k in ``ks``, the distance of every row of ``x`` to its k-th nearest other row."""
    n = len(x)
    k_max = max(ks)
    if n <= k_max:
        raise WganError(f"k-nearest-neighbour radii with k = {k_max} need more than {k_max} samples, got {n}")
    nearest = torch.empty((n, k_max), dtype=x.dtype, device=x.device)
    for start, stop in _blocks(n, n):
        dist = torch.cdist(x[start:stop], x)
        rows = torch.arange(stop - start, device=x.device)
        dist[rows, rows + start] = float("inf")  # a point is not its own neighbour
        nearest[start:stop] = torch.topk(dist, k_max, dim=1, largest=False).values
    return {k: nearest[:, k - 1] for k in ks}


def prdc(real, fake, k_pr: int | None = 3, k_dc: int | None = 5, device=None) -> dict:
    """Precision and recall (k = ``k_pr``) and density and coverage (k = ``k_dc``) of ``fake`` vs ``real``.

    ``real`` and ``fake`` are (n, d) feature arrays. Pass ``k_pr=None`` or
    ``k_dc=None`` to skip a pair. ``device`` picks where torch computes the
    distances (default CPU). Returns ``precision``, ``recall`` (if k_pr),
    ``density``, ``coverage`` (if k_dc), and the k values used.
    """
    real_np = as_rows(real, "real", min_rows=2)
    fake_np = as_rows(fake, "fake", min_rows=2)
    same_dim(real_np, fake_np)
    ks = [k for k in (k_pr, k_dc) if k is not None]
    if not ks:
        raise WganError("prdc needs k_pr or k_dc (or both)")
    if any(k < 1 for k in ks):
        raise WganError(f"nearest-neighbour k must be at least 1, got {ks}")
    device = torch.device(device or "cpu")
    real_t = torch.from_numpy(real_np).to(device)
    fake_t = torch.from_numpy(fake_np).to(device)
    n_real, n_fake = len(real_t), len(fake_t)

    real_radii = knn_radii(real_t, ks)
    fake_radius = knn_radii(fake_t, [k_pr])[k_pr] if k_pr is not None else None

    # One pass over real x fake distances serves all four metrics.
    precise = torch.zeros(n_fake, dtype=torch.bool, device=device)  # fake inside some real k_pr-ball
    recalled = torch.zeros(n_real, dtype=torch.bool, device=device)  # real inside some fake k_pr-ball
    in_balls = torch.zeros(n_fake, dtype=torch.float64, device=device)  # real k_dc-balls holding each fake
    covered = torch.zeros(n_real, dtype=torch.bool, device=device)  # real k_dc-ball holding some fake
    for start, stop in _blocks(n_real, n_fake):
        dist = torch.cdist(real_t[start:stop], fake_t)  # (block of real, all fake)
        if k_pr is not None:
            precise |= (dist <= real_radii[k_pr][start:stop, None]).any(dim=0)
            recalled[start:stop] = (dist <= fake_radius[None, :]).any(dim=1)
        if k_dc is not None:
            inside = dist <= real_radii[k_dc][start:stop, None]
            in_balls += inside.sum(dim=0)
            covered[start:stop] = inside.any(dim=1)

    out: dict = {}
    if k_pr is not None:
        out.update(precision=precise.double().mean().item(), recall=recalled.double().mean().item(), k_pr=k_pr)
    if k_dc is not None:
        out.update(
            density=(in_balls.sum() / (k_dc * n_fake)).item(),
            coverage=covered.double().mean().item(),
            k_dc=k_dc,
        )
    return out


def precision_recall(real, fake, k: int = 3, device=None) -> dict:
    """Improved precision and recall (Kynkaanniemi et al. 2019). Returns ``precision``, ``recall``, ``k_pr``."""
    return prdc(real, fake, k_pr=k, k_dc=None, device=device)


def density_coverage(real, fake, k: int = 5, device=None) -> dict:
    """Density and coverage (Naeem et al. 2020). Returns ``density``, ``coverage``, ``k_dc``."""
    return prdc(real, fake, k_pr=None, k_dc=k, device=device)


METRICS.register("precision_recall", Metric(precision_recall, "features", {"precision": "higher", "recall": "higher"},
                                            "k-NN manifold precision and recall, k = 3"))
METRICS.register("density_coverage", Metric(density_coverage, "features", {"density": "higher", "coverage": "higher"},
                                            "k-NN density and coverage, k = 5"))
