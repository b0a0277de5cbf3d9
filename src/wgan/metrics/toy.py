"""Metrics for 2-D runs: exact Wasserstein-1 distance and Gaussian-mixture mode coverage.

On 2-D data nothing has to be estimated through a feature network: the
earth mover's distance between two point clouds can be solved exactly, and for
the Gaussian mixtures the modes are known, so coverage can be counted.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import WganError
from .base import METRICS, Metric
from ._arrays import as_rows, same_dim

# Cap on network-simplex pivots. POT's default (100,000) suffices at 2,000 x
# 2,000 but stops early from about 6,000 points, returning a value above the
# true distance; 50 million leaves room, and a stop is still reported (see w1).
NUM_ITER_MAX = 50_000_000

# PacGAN (Lin et al. 2018, section 5.1) counts a mode as lost when fewer than
# 20 of 2,500 generated samples are assigned to it (one fifth of the 100 a
# perfect generator puts on each of 25 modes); we keep that share of the sample.
PACGAN_MIN_SHARE = 20 / 2500


def w1(a, b) -> float:
    """Exact 1-Wasserstein distance between two uniformly weighted point clouds.

    Solves the earth mover's problem with POT's network simplex (``ot.emd2``)
    on the Euclidean ground cost. Clouds may differ in size (each point of a
    cloud carries weight 1/len(cloud)). Cost grows about as O(n^3) in time and
    O(n^2) in memory (a dense cost matrix and transport plan, 16 bytes per
    pair): 2,000 vs 2,000 takes about a second on one CPU core, 6,000 vs
    6,000 about 10 s; subsample beyond that.
    Raises WganError if the solver does not reach optimality.
    """
    import ot  # POT is a heavy import: only where a 2-D run is measured

    a = as_rows(a, "a")
    b = as_rows(b, "b")
    same_dim(a, b, "point")
    cost = ot.dist(a, b, metric="euclidean")
    # Empty weight lists mean uniform weights to POT.
    with warnings.catch_warnings():
        # We check the result code ourselves and turn a failure into an error.
        warnings.simplefilter("ignore", UserWarning)
        value, log = ot.emd2([], [], cost, numItermax=NUM_ITER_MAX, log=True)
    if log["result_code"] != 1:  # 1 = OPTIMAL in POT's network simplex
        raise WganError(f"exact W1 did not converge ({log['warning']}) for {len(a)} x {len(b)} points")
    return float(value)


def w1_report(fake, real, real_other) -> dict:
    """W1 of generated vs real samples, next to the real-vs-real floor.

    ``real_other`` is an independent real sample of the same size as ``real``:
    two finite samples of one distribution are never at distance 0, so W1 is
    only meaningful against this floor. ``w1_ratio`` = w1 / w1_floor (1 is as
    good as a finite sample can show).
    Returns ``w1``, ``w1_floor``, ``w1_ratio``, ``n_fake``, ``n_real``.
    """
    fake = as_rows(fake, "fake")
    real = as_rows(real, "real")
    real_other = as_rows(real_other, "real_other")
    if len(real_other) != len(real):
        raise WganError(f"real_other must have as many points as real ({len(real)}), got {len(real_other)}")
    dist = w1(fake, real)
    floor = w1(real_other, real)
    return {
        "w1": dist,
        "w1_floor": floor,
        "w1_ratio": dist / floor if floor > 0 else float("inf"),
        "n_fake": len(fake),
        "n_real": len(real),
    }


def mode_report(fake, centers, sd, min_count=None) -> dict:
    """Modes covered and high-quality share of samples ``fake`` from a Gaussian mixture.

    Definitions of VEEGAN (Srivastava et al. 2017, section 5.1) and PacGAN
    (Lin et al. 2018, section 5.1): each sample is assigned to its nearest mode
    centre; it is *high quality* if its Euclidean distance to that centre is
    within 3 standard deviations (``sd`` is the per-coordinate standard
    deviation of a mixture component, in the samples' coordinates). A mode is
    *covered* if at least ``min_count`` high-quality samples are assigned to it.

    ``min_count`` defaults to PacGAN's 20 per 2,500 samples, scaled to the
    sample size: ceil(0.008 * n), at least 1 (16 for n = 2,000).

    Note that in 2-D the chance that an exact mixture sample lies within 3 sd
    of its centre is 1 - exp(-4.5), about 98.9% (not the 1-D 99.7%): the
    squared distance over sd^2 is chi-squared with 2 degrees of freedom.

    Returns ``modes_covered``, ``modes_total``, ``high_quality`` (fraction in
    [0, 1]), ``counts`` (high-quality samples per mode, in ``centers`` order),
    ``min_count`` and ``n``.
    """
    samples = as_rows(fake, "samples")
    centers = as_rows(centers, "centers")
    same_dim(samples, centers, "point")
    if not sd > 0:
        raise WganError(f"sd must be positive, got {sd}")
    n = len(samples)
    if min_count is None:
        min_count = max(1, int(np.ceil(PACGAN_MIN_SHARE * n - 1e-9)))
    elif min_count < 1:
        raise WganError(f"min_count must be at least 1, got {min_count}")

    # (n, K) distances; K is small (8 or 25), so this is cheap.
    dist = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=2)
    nearest = dist.argmin(axis=1)
    good = dist[np.arange(n), nearest] <= 3.0 * sd
    counts = np.bincount(nearest[good], minlength=len(centers))
    return {
        "modes_covered": int((counts >= min_count).sum()),
        "modes_total": len(centers),
        "high_quality": float(good.mean()),
        "counts": counts.tolist(),
        "min_count": int(min_count),
        "n": n,
    }


METRICS.register("w1", Metric(w1_report, "points", {"w1": "lower", "w1_floor": None, "w1_ratio": "lower"},
                              "exact W1 to real data, its real-vs-real floor and their ratio"))
METRICS.register("modes", Metric(mode_report, "points",
                                 {"modes_covered": "higher", "modes_total": None, "high_quality": "higher"},
                                 "Gaussian-mixture modes covered and high-quality share"))
