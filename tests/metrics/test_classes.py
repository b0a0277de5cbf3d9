"""Class metrics on hand-made label arrays."""

import math

import numpy as np
import pytest

from wgan.errors import WganError
from wgan.metrics.classes import class_accuracy, class_histogram


def test_balanced_labels_cover_every_class_with_zero_kl():
    out = class_histogram(np.repeat(np.arange(10), 100), n_classes=10)
    assert out["modes_covered"] == out["modes_total"] == 10
    assert out["kl_to_data"] == pytest.approx(0.0, abs=1e-8)
    assert out["counts"] == [100] * 10 and out["n"] == 1000
    assert out["shares"] == pytest.approx([0.1] * 10)


def test_a_missing_class_is_uncovered_and_kl_stays_finite():
    # Classes 0 and 1 only, out of 4 balanced classes: KL(q || p) = log(4 / 2).
    out = class_histogram([0, 1, 0, 1], n_classes=4)
    assert out["modes_covered"] == 2
    assert out["kl_to_data"] == pytest.approx(math.log(2), rel=1e-6)


def test_a_class_below_a_fifth_of_its_expected_count_is_not_covered():
    # 10 classes, 1000 samples: 100 expected each, covered from 20.
    labels = np.concatenate([np.repeat(np.arange(8), 120), np.full(21, 8), np.full(19, 9)])
    assert len(labels) == 1000
    assert class_histogram(labels, n_classes=10)["modes_covered"] == 9


def test_kl_against_an_imbalanced_data_distribution():
    predicted = [0] * 50 + [1] * 50
    out = class_histogram(predicted, data_distribution=[3, 1])  # counts are normalised to 0.75 / 0.25
    want = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)
    assert out["kl_to_data"] == pytest.approx(want, rel=1e-6)
    assert out["modes_covered"] == 2


def test_n_classes_defaults_to_the_largest_label():
    assert class_histogram(np.array([0, 2, 2]))["modes_total"] == 3


def test_class_accuracy_overall_and_per_class():
    requested = [0, 0, 0, 0, 1, 1, 2, 2]
    predicted = [0, 0, 0, 1, 1, 0, 2, 2]
    out = class_accuracy(predicted, requested, n_classes=4)
    assert out["accuracy"] == pytest.approx(6 / 8)
    assert out["per_class"] == [0.75, 0.5, 1.0, None]  # class 3 was never requested
    assert out["n"] == 8


def test_class_metrics_accept_torch_tensors():
    torch = pytest.importorskip("torch")
    out = class_accuracy(torch.tensor([1, 1]), torch.tensor([1, 0]))
    assert out["accuracy"] == 0.5


def test_class_metrics_reject_bad_labels():
    with pytest.raises(WganError, match="differ in length"):
        class_accuracy([0, 1], [0])
    with pytest.raises(WganError, match="out of range"):
        class_histogram([0, 5], n_classes=3)
    with pytest.raises(WganError, match="negative"):
        class_histogram([0, -1])
    with pytest.raises(WganError, match="integer"):
        class_histogram([0.5, 1.0])
    with pytest.raises(WganError, match="n_classes"):
        class_histogram([0, 1], n_classes=3, data_distribution=[0.5, 0.5])
