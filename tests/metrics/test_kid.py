"""Known answers for KID: the unbiased estimator against a direct sum, ~0 on one distribution, > 0 when shifted."""

import numpy as np
import pytest

from wgan.errors import WganError
from wgan.metrics.kid import kid, mmd2_unbiased


def direct_mmd2(x, y):
    m, d = x.shape
    k = lambda a, b: (a @ b / d + 1) ** 3  # noqa: E731
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / m**2
    return xx + yy - 2 * xy


def test_mmd2_matches_the_direct_sum():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(7, 3)), rng.normal(size=(7, 3)) + 0.5
    assert mmd2_unbiased(x, y) == pytest.approx(direct_mmd2(x, y), rel=1e-12)


def test_kid_of_one_distribution_is_zero_within_its_spread():
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(1000, 16)), rng.normal(size=(1000, 16))
    out = kid(real, fake, n_subsets=20, subset_size=500)
    assert out["kid_std"] > 0
    assert abs(out["kid"]) < 3 * out["kid_std"]


def test_kid_of_shifted_distributions_is_clearly_positive():
    rng = np.random.default_rng(2)
    real, fake = rng.normal(size=(1000, 16)), rng.normal(size=(1000, 16)) + 0.5
    out = kid(real, fake, n_subsets=20, subset_size=500)
    assert out["kid"] > 10 * out["kid_std"] > 0


def test_kid_is_seeded_and_clips_the_subset_size():
    rng = np.random.default_rng(3)
    real, fake = rng.normal(size=(60, 4)), rng.normal(size=(80, 4))
    a = kid(real, fake, n_subsets=5, seed=7)
    assert a == kid(real, fake, n_subsets=5, seed=7)
    assert a["subset_size"] == 60 and a["n_subsets"] == 5
    assert kid(real, fake, n_subsets=5, subset_size=30, seed=8)["kid"] != a["kid"]


def test_kid_rejects_bad_arguments():
    x = np.zeros((10, 3))
    with pytest.raises(WganError, match="n_subsets"):
        kid(x, x, n_subsets=0)
    with pytest.raises(WganError, match="dimensions differ"):
        kid(x, np.zeros((10, 4)))
