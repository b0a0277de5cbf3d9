"""Frechet distance between Gaussians fitted to two feature sets (FID).

Heusel et al. 2017 ("GANs trained by a two time-scale update rule converge to a
local Nash equilibrium"): fit a Gaussian to each feature set and report

    d^2 = |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)),

the squared 2-Wasserstein distance between the two Gaussians. It is "FID" when
the features are Inception-v3 pool features; the toolkit also uses it on its own
domain-classifier features, and the metric name records which.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from ..errors import WganError
from .base import METRICS, Metric
from ._arrays import as_rows, same_dim

# Relative size of the imaginary part of sqrtm(S1 S2) we discard as round-off.
# S1 S2 is similar to a positive semi-definite matrix, so its square root is
# real in exact arithmetic; a large imaginary part means the inputs are broken.
IMAG_TOL = 1e-3


def feature_stats(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean (d,) and covariance (d, d) of an (n, d) feature array, in float64.

    Cache these for a fixed reference set and pass them to :func:`frechet_distance`.
    """
    x = as_rows(features, "features", min_rows=2)
    return x.mean(axis=0), np.cov(x, rowvar=False).reshape(x.shape[1], x.shape[1])


def _sqrtm_product(sigma1: np.ndarray, sigma2: np.ndarray, eps: float) -> np.ndarray:
    """(S1 S2)^(1/2), retried on (S1 + eps I)(S2 + eps I) when the first attempt is not finite.

    With fewer samples than dimensions the covariances are singular and the
    Schur-based square root can come back with inf/NaN; the small ridge makes
    the product non-singular (the same remedy as the reference FID code).
    """
    root = scipy.linalg.sqrtm(sigma1 @ sigma2)
    if not np.all(np.isfinite(root)):
        offset = eps * np.eye(len(sigma1))
        root = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
        if not np.all(np.isfinite(root)):
            raise WganError("matrix square root in the Frechet distance is not finite, even with an eps offset")
    if np.iscomplexobj(root):
        # Only the trace matters; judge the imaginary part where it enters.
        imag = np.abs(np.diagonal(root).imag).max()
        scale = max(1.0, np.abs(np.diagonal(root).real).max())
        if imag > IMAG_TOL * scale:
            raise WganError(f"matrix square root in the Frechet distance has a large imaginary part ({imag:.3g})")
        root = root.real
    return root


def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6) -> float:
    """Frechet (2-Wasserstein squared) distance between N(mu1, sigma1) and N(mu2, sigma2)."""
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    d = mu1.shape[0]
    if mu1.shape != (d,) or mu2.shape != (d,) or sigma1.shape != (d, d) or sigma2.shape != (d, d):
        raise WganError(
            f"Frechet distance needs means (d,) and covariances (d, d) of one d; got {mu1.shape}, "
            f"{sigma1.shape}, {mu2.shape}, {sigma2.shape}"
        )
    diff = mu1 - mu2
    root = _sqrtm_product(sigma1, sigma2, eps)
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(root)
    # Round-off can leave a tiny negative number for identical inputs.
    return float(max(value, 0.0))


def fid(real, fake, eps: float = 1e-6) -> float:
    """Frechet distance between Gaussians fitted to ``real`` and ``fake`` feature arrays (n, d)."""
    real = as_rows(real, "real", min_rows=2)
    fake = as_rows(fake, "fake", min_rows=2)
    same_dim(real, fake)
    return frechet_distance(*feature_stats(real), *feature_stats(fake), eps=eps)


def fid_from_stats(real_stats, fake_stats, eps: float = 1e-6) -> float:
    """Frechet distance between two (mean, covariance) pairs, as :func:`feature_stats` returns them."""
    return frechet_distance(*real_stats, *fake_stats, eps=eps)


METRICS.register("fid", Metric(fid_from_stats, "stats", {"fid": "lower"},
                                 "Frechet distance between Gaussians fitted to the features"))
