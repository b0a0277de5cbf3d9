"""The Inception score on logits whose answer is known."""

import numpy as np
import pytest

from wgan.errors import WganError
from wgan.metrics import inception_score


def test_the_same_distribution_for_every_sample_scores_one():
    out = inception_score(np.zeros((100, 10)))  # a uniform softmax
    assert out["is"] == pytest.approx(1.0) and out["is_std"] == pytest.approx(0.0, abs=1e-12)
    lopsided = np.tile(np.array([[3.0, 1.0, 0.0, -2.0]]), (100, 1))
    assert inception_score(lopsided)["is"] == pytest.approx(1.0)


@pytest.mark.parametrize("classes", [2, 10, 37])
def test_confident_evenly_spread_classes_score_the_number_of_classes(classes):
    labels = np.arange(classes * 20) % classes
    logits = np.full((len(labels), classes), -50.0)
    logits[np.arange(len(labels)), labels] = 50.0
    out = inception_score(logits, splits=1)
    assert out["is"] == pytest.approx(classes, rel=1e-9)


def test_confident_samples_of_one_class_score_one_and_blurred_ones_less_than_sharp():
    logits = np.full((200, 10), -30.0)
    logits[:, 4] = 30.0
    assert inception_score(logits)["is"] == pytest.approx(1.0)
    labels = np.arange(200) % 10
    sharp = np.eye(10)[labels] * 8.0
    assert 1.0 < inception_score(sharp / 4)["is"] < inception_score(sharp)["is"] < 10.0


def test_splits_give_a_spread_and_the_shuffle_is_fixed():
    logits = np.random.default_rng(0).normal(size=(500, 10)) * 3
    a, b = inception_score(logits), inception_score(logits)
    assert a == b and a["is_std"] > 0 and a["splits"] == 10
    assert inception_score(logits, shuffle_seed=None)["is"] != a["is"]


def test_a_class_no_sample_reaches_adds_nothing():
    logits = np.full((40, 3), -2000.0)  # exp underflows to exactly 0 in float64
    logits[:20, 0] = 0.0
    logits[20:, 1] = 0.0
    assert inception_score(logits, splits=1)["is"] == pytest.approx(2.0)


def test_more_splits_than_samples_is_refused():
    with pytest.raises(WganError, match="between 1 and 5 splits"):
        inception_score(np.zeros((5, 3)), splits=10)
