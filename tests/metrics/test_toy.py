"""Known answers for the 2-D metrics: exact W1 and Gaussian-mixture mode coverage."""

import math

import numpy as np
import pytest

from wgan.errors import WganError
from wgan.metrics.toy import mode_report, w1, w1_report

# gan_toy.py's 8gaussians: centres on a circle of radius 2, sd 0.02, all divided by 1.414.
R = 1 / math.sqrt(2)
CENTERS_8 = 2 * np.array([(1, 0), (-1, 0), (0, 1), (0, -1), (R, R), (R, -R), (-R, R), (-R, -R)]) / 1.414
SD_8 = 0.02 / 1.414
# Chance that a 2-D Gaussian sample lies within 3 sd of its centre (chi-squared, 2 dof).
INSIDE_3SD_2D = 1 - math.exp(-4.5)


def mixture(n, centers, sd, rng, modes=None):
    modes = np.arange(len(centers)) if modes is None else np.asarray(modes)
    pick = rng.choice(modes, n)
    return centers[pick] + sd * rng.standard_normal((n, 2))


def test_w1_of_a_cloud_with_itself_is_zero():
    a = np.random.default_rng(0).normal(size=(300, 2))
    assert w1(a, a) == pytest.approx(0.0, abs=1e-12)


def test_w1_to_a_shifted_copy_is_the_shift_length():
    a = np.random.default_rng(1).normal(size=(300, 2))
    v = np.array([0.3, -0.4])
    assert w1(a, a + v) == pytest.approx(0.5, rel=1e-9)


def test_w1_with_unequal_sizes_spreads_uniform_weights():
    # One point at the origin against {1, 3} on the x-axis: half the mass moves 1, half moves 3.
    assert w1([[0.0, 0.0]], [[1.0, 0.0], [3.0, 0.0]]) == pytest.approx(2.0)


def test_w1_2000_points_converges_to_optimality():
    # A collapsed generator against the mixture: a hard transport problem at the size eval uses.
    rng = np.random.default_rng(2)
    real = mixture(2000, CENTERS_8, SD_8, rng)
    fake = mixture(2000, CENTERS_8, 0.3, rng, modes=[0, 4])
    value = w1(fake, real)  # raises if the network simplex stopped early
    # The mean-difference bound: W1 >= |E fake - E real|.
    assert value >= np.linalg.norm(fake.mean(0) - real.mean(0))


def test_w1_report_against_the_real_floor():
    rng = np.random.default_rng(3)
    real, other = mixture(500, CENTERS_8, SD_8, rng), mixture(500, CENTERS_8, SD_8, rng)
    good = w1_report(mixture(500, CENTERS_8, SD_8, rng), real, other)
    bad = w1_report(mixture(500, CENTERS_8, SD_8, rng, modes=[0, 1, 2, 3]), real, other)
    assert good["w1_floor"] > 0
    assert good["w1_ratio"] == pytest.approx(good["w1"] / good["w1_floor"])
    assert good["w1_ratio"] < 1.5
    assert bad["w1_ratio"] > 2
    assert bad["w1_floor"] == good["w1_floor"]


def test_w1_rejects_bad_input():
    with pytest.raises(WganError, match="dimensions differ"):
        w1(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(WganError, match="non-finite"):
        w1([[0.0, np.nan]], [[0.0, 0.0]])
    with pytest.raises(WganError, match="real_other"):
        w1_report(np.zeros((4, 2)), np.zeros((4, 2)), np.zeros((3, 2)))


def test_exact_mixture_samples_cover_every_mode_with_high_quality():
    samples = mixture(2500, CENTERS_8, SD_8, np.random.default_rng(4))
    report = mode_report(samples, CENTERS_8, SD_8)
    assert report["modes_covered"] == report["modes_total"] == 8
    assert report["high_quality"] == pytest.approx(INSIDE_3SD_2D, abs=0.006)
    assert report["min_count"] == 20  # PacGAN: 20 of 2,500
    assert sum(report["counts"]) == round(report["high_quality"] * 2500)


def test_samples_from_four_modes_cover_four():
    samples = mixture(2000, CENTERS_8, SD_8, np.random.default_rng(5), modes=[0, 2, 4, 6])
    report = mode_report(samples, CENTERS_8, SD_8)
    assert report["modes_covered"] == 4
    assert report["min_count"] == 16  # scaled with the sample size
    assert [c > 0 for c in report["counts"]] == [True, False, True, False, True, False, True, False]


def test_a_mode_needs_min_count_high_quality_samples():
    rng = np.random.default_rng(6)
    samples = np.concatenate([mixture(100, CENTERS_8, SD_8, rng, modes=[0]), mixture(5, CENTERS_8, SD_8, rng, modes=[1])])
    assert mode_report(samples, CENTERS_8, SD_8, min_count=10)["modes_covered"] == 1
    assert mode_report(samples, CENTERS_8, SD_8, min_count=1)["modes_covered"] == 2


def test_samples_between_modes_are_not_high_quality():
    centers = np.array([[0.0, 0.0], [1.0, 0.0]])
    samples = np.array([[0.5, 0.0], [0.0, 0.29], [1.0, -0.31]])  # sd 0.1: 3 sd = 0.3
    report = mode_report(samples, centers, 0.1, min_count=1)
    assert report["high_quality"] == pytest.approx(1 / 3)
    assert report["counts"] == [1, 0]
    assert report["modes_covered"] == 1


def test_mode_report_on_the_25_grid():
    centers = np.array([(2.0 * x, 2.0 * y) for x in range(-2, 3) for y in range(-2, 3)]) / 2.828
    sd = 0.05 / 2.828
    report = mode_report(mixture(2500, centers, sd, np.random.default_rng(7)), centers, sd)
    assert report["modes_covered"] == 25
    assert report["high_quality"] > 0.97


def test_mode_report_rejects_bad_sd():
    with pytest.raises(WganError, match="sd"):
        mode_report(np.zeros((3, 2)), CENTERS_8, 0.0)
