"""The metric registry and protocol-named result keys."""

import pytest

from wgan.errors import WganError
from wgan.metrics import METRICS, Metric, direction, format_count, metric_key


def test_registry_lists_every_metric_with_its_inputs():
    kinds = {name: m.needs for name, m in METRICS.items()}
    assert kinds == {
        "fid": "stats",
        "kid": "features",
        "precision_recall": "features",
        "density_coverage": "features",
        "inception_score": "logits",
        "class_histogram": "labels",
        "class_accuracy": "labels",
        "w1": "points",
        "modes": "points",
    }
    assert METRICS["fid"].args == ("real_stats", "fake_stats")
    assert METRICS["kid"].args == ("real", "fake")
    assert METRICS["inception_score"].args == ("logits",)
    assert METRICS["w1"].args == ("fake", "real", "real_other")
    assert METRICS["modes"].args == ("fake", "centers", "sd")
    assert METRICS["class_accuracy"].args == ("predicted", "requested")


def test_metric_key_names_the_protocol():
    assert metric_key("fid", "domain", 10_000, "test") == "fid_domain_10k_test_quick"
    assert metric_key("kid", "inception", 2000, "train", "paper") == "kid_inception_2k_train_paper"
    assert metric_key("precision", "domain", 500, "test", "paper-test") == "precision_domain_500_test_paper-test"
    assert metric_key("is", "inception", 50_000, None, "paper") == "is_inception_50k_paper"
    assert metric_key("w1", None, 2000, None, None) == "w1_2k"
    assert [format_count(n) for n in (2500, 1_000_000)] == ["2500", "1M"]


@pytest.fixture
def own_metrics():
    saved = METRICS.snapshot()
    yield METRICS
    METRICS.restore(saved)


def test_register_and_look_up(own_metrics):
    import wgan.metrics as metrics

    metric = METRICS.register("mean_gap", Metric(lambda real, fake: 0.0, "features", {"mean_gap": "lower"},
                                                 "a test metric"))
    assert metrics.METRICS["mean_gap"] is metric and metric.args == ("real", "fake")
    assert "mean_gap" in metrics.metrics_for("image") and "mean_gap" not in metrics.metrics_for("toy")
    assert metrics.direction("mean_gap_domain_2k_test_quick") == "lower"
    with pytest.raises(WganError, match="metric 'mean_gap' is already registered"):
        METRICS.register("mean_gap", Metric(lambda real, fake: 0.0, "features", {"mean_gap": "lower"}))
    with pytest.raises(WganError, match="unknown metric input kind"):
        Metric(lambda x: 0.0, "images", {"other": "lower"})
    with pytest.raises(WganError, match="unknown direction of 'other'"):
        Metric(lambda x: 0.0, "features", {"other": "smaller"})


def test_every_output_has_a_direction_and_the_longest_name_wins():
    assert direction("kid_domain_2k_test_quick") == "lower" and direction("kid_std_domain_2k_test_quick") is None
    assert direction("is_inception_50k_paper") == "higher" and direction("w1_ratio") == "lower"
    assert direction("feature_space") is None


def test_a_metric_takes_what_it_names_of_what_is_available():
    accuracy = METRICS["class_accuracy"]
    assert accuracy.arguments({"predicted": [1], "requested": None, "n_classes": 3}) is None
    assert accuracy.arguments({"predicted": [1], "requested": [1], "n_classes": 3, "sd": 1.0}) == {
        "predicted": [1], "requested": [1], "n_classes": 3}


def test_unknown_metric_names_the_accepted_ones():
    with pytest.raises(WganError, match="unknown metric 'fdi'; accepted: .*fid"):
        METRICS.get("fdi")
