"""Known answers for the Frechet distance: zero on identical sets, the Gaussian closed form, monotone in noise."""

import numpy as np
import pytest
import scipy.linalg

from wgan.errors import WganError
from wgan.metrics.fid import feature_stats, fid, frechet_distance


def random_spd(d, rng):
    a = rng.normal(size=(d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def closed_form(mu1, s1, mu2, s2):
    """W2^2 between Gaussians through the symmetric form tr((S1^1/2 S2 S1^1/2)^1/2), by eigendecomposition."""

    def psd_sqrt(m):
        w, v = np.linalg.eigh(m)
        return (v * np.sqrt(np.clip(w, 0, None))) @ v.T

    r1 = psd_sqrt(s1)
    cross = psd_sqrt(r1 @ s2 @ r1)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(cross))


def test_fid_of_a_set_with_itself_is_zero():
    x = np.random.default_rng(0).normal(size=(2000, 16)) @ np.random.default_rng(1).normal(size=(16, 16))
    assert fid(x, x) == pytest.approx(0.0, abs=1e-6)


def test_fid_grows_monotonically_with_noise():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2000, 16))
    noise = rng.normal(size=x.shape)
    values = [fid(x, x + s * noise) for s in (0.0, 0.1, 0.3, 1.0, 3.0)]
    assert values[0] == pytest.approx(0.0, abs=1e-6)
    assert all(a < b for a, b in zip(values, values[1:])), values


def test_frechet_distance_of_diagonal_gaussians():
    # Commuting covariances: |mu1 - mu2|^2 + sum (sqrt(a_i) - sqrt(b_i))^2.
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 9.0])
    expected = 5.0 + 1.0 + 1.0 + 0.0
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected, rel=1e-10)


def test_frechet_distance_matches_the_closed_form_for_general_covariances():
    rng = np.random.default_rng(3)
    d = 12
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    s1, s2 = random_spd(d, rng), random_spd(d, rng)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(closed_form(mu1, s1, mu2, s2), rel=1e-8)


def test_fid_of_samples_approaches_the_population_value():
    rng = np.random.default_rng(4)
    d = 4
    mu1, mu2 = np.zeros(d), np.full(d, 0.5)
    s1, s2 = random_spd(d, rng), random_spd(d, rng)
    x = rng.multivariate_normal(mu1, s1, size=50_000)
    y = rng.multivariate_normal(mu2, s2, size=50_000)
    assert fid(x, y) == pytest.approx(closed_form(mu1, s1, mu2, s2), rel=0.03)


def test_feature_stats_are_mean_and_unbiased_covariance():
    x = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])
    mu, sigma = feature_stats(x)
    assert mu == pytest.approx([1.0, 1.0])
    assert sigma == pytest.approx(np.eye(2) * 4 / 3)


def test_fid_with_fewer_samples_than_dimensions_stays_finite():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(10, 64)), rng.normal(size=(10, 64)) + 1.0
    value = fid(x, y)
    assert np.isfinite(value) and value > 0


def test_singular_product_triggers_the_eps_retry(monkeypatch):
    calls = []
    real_sqrtm = scipy.linalg.sqrtm

    def flaky(a):
        calls.append(a)
        return np.full_like(a, np.nan) if len(calls) == 1 else real_sqrtm(a)

    monkeypatch.setattr(scipy.linalg, "sqrtm", flaky)
    value = frechet_distance(np.zeros(3), np.eye(3), np.zeros(3), np.eye(3), eps=1e-6)
    assert len(calls) == 2
    assert np.allclose(calls[1], (1 + 1e-6) ** 2 * np.eye(3))
    assert value == pytest.approx(0.0, abs=1e-9)


def test_a_large_imaginary_part_is_an_error():
    # (-I)(I) = -I has square root i*I: no real distance exists; the inputs are not covariances.
    with pytest.raises(WganError, match="imaginary"):
        frechet_distance(np.zeros(2), -np.eye(2), np.zeros(2), np.eye(2))


def test_fid_rejects_mismatched_features():
    with pytest.raises(WganError, match="dimensions differ"):
        fid(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(WganError, match="n >= 2"):
        fid(np.zeros((1, 3)), np.zeros((5, 3)))
