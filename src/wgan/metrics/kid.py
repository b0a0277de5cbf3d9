"""Kernel Inception Distance (Binkowski et al. 2018, "Demystifying MMD GANs").

KID is the squared maximum mean discrepancy between real and generated
features under the cubic polynomial kernel k(x, y) = (x.y / d + 1)^3, estimated
without bias (so it is centred on 0 when both sets come from one distribution,
and can be slightly negative). Unlike FID it assumes no Gaussian shape, and its
estimator is unbiased at any sample size; averaging over random subsets keeps
the cost at O(n_subsets * subset_size^2 * d) and gives a spread.
"""

from __future__ import annotations

import numpy as np

from ..errors import WganError
from .base import METRICS, Metric
from ._arrays import as_rows, same_dim


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD^2 between two samples of equal size m under the cubic polynomial kernel.

    MMD^2_u = sum_{i!=j} k(x_i,x_j)/(m(m-1)) + sum_{i!=j} k(y_i,y_j)/(m(m-1)) - 2 sum_{i,j} k(x_i,y_j)/m^2
    (Gretton et al. 2012, eq. 4 with the cross term over all pairs, as in Binkowski et al.).
    """
    m, d = x.shape
    k_xx = (x @ x.T / d + 1.0) ** 3
    k_yy = (y @ y.T / d + 1.0) ** 3
    k_xy = (x @ y.T / d + 1.0) ** 3
    # Dropping the diagonal (k(x_i, x_i)) is what removes the bias.
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2.0 * k_xy.mean())


def kid(real, fake, n_subsets: int = 100, subset_size: int = 1000, seed: int = 0) -> dict:
    """KID of ``fake`` vs ``real`` feature arrays (n, d), averaged over random subsets.

    Each of ``n_subsets`` draws picks ``subset_size`` rows of each set without
    replacement (the size is clipped to the smaller set) and computes the
    unbiased MMD^2. Draws are reproducible from ``seed``.
    Returns ``kid`` (mean over subsets), ``kid_std`` (standard deviation of the
    per-subset values: the spread of one subset's estimate, not the standard
    error of the mean), ``n_subsets`` and ``subset_size`` as used.
    """
    real = as_rows(real, "real", min_rows=2)
    fake = as_rows(fake, "fake", min_rows=2)
    same_dim(real, fake)
    if n_subsets < 1 or subset_size < 2:
        raise WganError(f"KID needs n_subsets >= 1 and subset_size >= 2, got {n_subsets} and {subset_size}")
    size = min(subset_size, len(real), len(fake))
    rng = np.random.default_rng(seed)
    values = np.empty(n_subsets)
    for i in range(n_subsets):
        r = real[rng.choice(len(real), size, replace=False)]
        f = fake[rng.choice(len(fake), size, replace=False)]
        values[i] = mmd2_unbiased(r, f)
    return {
        "kid": float(values.mean()),
        "kid_std": float(values.std()),
        "n_subsets": int(n_subsets),
        "subset_size": int(size),
    }


METRICS.register("kid", Metric(kid, "features", {"kid": "lower", "kid_std": None},
                               "unbiased polynomial-kernel MMD^2 over subsets, with its std"))
