"""Known answers for precision/recall and density/coverage: a brute-force computation and limiting cases."""

import importlib

import numpy as np
import pytest

from wgan.errors import WganError
from wgan.metrics.prdc import density_coverage, prdc, precision_recall

prdc_module = importlib.import_module("wgan.metrics.prdc")  # the package re-exports the function prdc


def brute_force(real, fake, k_pr, k_dc):
    """The definitions written out with explicit loops (Kynkaanniemi et al. 2019; Naeem et al. 2020)."""

    def dist(a, b):
        return np.sqrt(((a - b) ** 2).sum())

    def radius(points, i, k):
        others = sorted(dist(points[i], points[j]) for j in range(len(points)) if j != i)
        return others[k - 1]

    r_real_pr = [radius(real, i, k_pr) for i in range(len(real))]
    r_fake_pr = [radius(fake, j, k_pr) for j in range(len(fake))]
    r_real_dc = [radius(real, i, k_dc) for i in range(len(real))]
    precision = np.mean([any(dist(f, r) <= rr for r, rr in zip(real, r_real_pr)) for f in fake])
    recall = np.mean([any(dist(r, f) <= rf for f, rf in zip(fake, r_fake_pr)) for r in real])
    density = sum(dist(f, r) <= rr for f in fake for r, rr in zip(real, r_real_dc)) / (k_dc * len(fake))
    coverage = np.mean([any(dist(r, f) <= rr for f in fake) for r, rr in zip(real, r_real_dc)])
    return dict(precision=precision, recall=recall, density=density, coverage=coverage)


@pytest.fixture
def small_gaussians():
    rng = np.random.default_rng(0)
    return rng.normal(size=(60, 3)), 0.6 * rng.normal(size=(45, 3)) + 0.8


def test_prdc_matches_brute_force(small_gaussians):
    real, fake = small_gaussians
    got = prdc(real, fake, k_pr=3, k_dc=5)
    want = brute_force(real, fake, 3, 5)
    for name, value in want.items():
        assert got[name] == pytest.approx(value, abs=1e-12), name
    assert 0 < got["precision"] < 1 and 0 < got["recall"] < 1  # the case is not degenerate


def test_blocking_gives_the_same_answer(small_gaussians, monkeypatch):
    real, fake = small_gaussians
    whole = prdc(real, fake)
    monkeypatch.setattr(prdc_module, "BLOCK_ENTRIES", 100)  # one or two rows at a time
    assert prdc(real, fake) == whole


def test_split_functions_agree_with_prdc(small_gaussians):
    real, fake = small_gaussians
    both = prdc(real, fake, k_pr=3, k_dc=5)
    pr, dc = precision_recall(real, fake), density_coverage(real, fake)
    assert pr == {"precision": both["precision"], "recall": both["recall"], "k_pr": 3}
    assert dc == {"density": both["density"], "coverage": both["coverage"], "k_dc": 5}


def test_fake_on_part_of_the_real_support_is_precise_but_has_low_recall():
    rng = np.random.default_rng(1)
    left, right = rng.normal(size=(500, 4)), rng.normal(size=(500, 4)) + 10.0
    real = np.concatenate([left, right])
    fake = rng.normal(size=(500, 4))  # only the left cluster
    out = prdc(real, fake)
    assert out["precision"] > 0.95
    assert out["recall"] < 0.55
    assert out["coverage"] < 0.55


def test_identical_distributions_have_density_and_coverage_near_one():
    rng = np.random.default_rng(2)
    real, fake = rng.normal(size=(1500, 8)), rng.normal(size=(1500, 8))
    out = prdc(real, fake)
    assert out["density"] == pytest.approx(1.0, abs=0.1)
    assert out["coverage"] == pytest.approx(1 - 2.0**-5, abs=0.03)  # Naeem et al.: 1 - 2^-k
    assert out["precision"] > 0.6 and out["recall"] > 0.6


def test_a_set_against_itself_is_perfect():
    x = np.random.default_rng(3).normal(size=(200, 5))
    out = prdc(x, x)
    assert out["precision"] == out["recall"] == out["coverage"] == 1.0


def test_prdc_rejects_bad_input():
    x = np.zeros((4, 2)) + np.arange(4)[:, None]
    with pytest.raises(WganError, match="k = 5"):
        density_coverage(x, x)
    with pytest.raises(WganError, match="dimensions differ"):
        prdc(np.zeros((10, 2)), np.zeros((10, 3)))
    with pytest.raises(WganError, match="at least 1"):
        precision_recall(x, x, k=0)
