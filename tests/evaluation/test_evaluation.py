import json

import numpy as np
import pytest
from click.testing import CliRunner

from wgan.cli import main
from wgan.evaluation import compare_image_sets
from wgan.metrics import select_result
from wgan.run_folder import read_metrics
from wgan.training.trainer import Trainer


class PixelFeatures:
    """A stand-in feature space: flattened pixels, and 'class' = brightness decile."""

    name = "pixels"

    def features(self, images):
        return np.asarray(images, dtype=np.float64).reshape(len(images), -1)[:, :32]

    def predict(self, images):
        return np.minimum(np.asarray(images, dtype=np.float64).reshape(len(images), -1).mean(1) // 25.6, 9
                          ).astype(np.int64)


def test_compare_image_sets_names_results_by_protocol():
    rng = np.random.default_rng(0)
    real = rng.integers(0, 256, (300, 8, 8, 1), dtype=np.uint8)
    fake = rng.integers(0, 256, (300, 8, 8, 1), dtype=np.uint8)
    results = compare_image_sets(real, fake, PixelFeatures(), reference_split="test",
                                 requested=np.zeros(300, np.int64), n_classes=10)
    for key in ("fid_pixels_300_test_quick", "kid_pixels_300_test_quick", "precision_pixels_300_test_quick",
                "recall_pixels_300_test_quick", "coverage_pixels_300_test_quick", "kl_to_data_pixels_300_test_quick",
                "accuracy_pixels_300_test_quick"):
        assert key in results, key
    assert results["protocol"] == "quick"
    worse = compare_image_sets(real, np.clip(fake.astype(int) + 60, 0, 255).astype(np.uint8), PixelFeatures(),
                               metrics=("fid",), reference_split="test")
    assert worse["fid_pixels_300_test_quick"] > results["fid_pixels_300_test_quick"]


def test_unknown_metric_is_named():
    with pytest.raises(Exception, match="unknown image metric 'fidd'"):
        compare_image_sets(np.zeros((2, 8, 8, 1), np.uint8), np.zeros((2, 8, 8, 1), np.uint8), PixelFeatures(),
                           metrics=("fidd",))


def test_best_metric_direction():
    assert select_result("auto", {"fid_domain_1k_test": 3.0}) == ("fid_domain_1k_test", False)
    assert select_result("auto", {"w1_ratio": 1.2}) == ("w1_ratio", False)
    assert select_result("coverage", {"coverage_domain_1k_test": 0.5}) == ("coverage_domain_1k_test", True)
    assert select_result("fid", {"kid_x": 1.0}) == (None, False)
    assert select_result("is", {"is_domain_2k_quick": 8.0}) == ("is_domain_2k_quick", True)
    assert select_result("is_std", {"is_std_domain_2k_quick": 0.1}) == ("is_std_domain_2k_quick", False)
    assert select_result("kl_to_data", {"kl_to_data_domain_2k_test_quick": 0.1})[1] is False
    assert select_result("modes_covered", {"modes_covered_domain_2k_test_quick": 9})[1] is True


def test_eval_every_logs_and_keeps_the_best_checkpoint(tiny_toy_config, tmp_path):
    tiny_toy_config.update({"train": {"eval_every": 2, "eval_n": 100}})
    Trainer(tiny_toy_config, tmp_path, progress=False).fit()
    records = read_metrics(tmp_path / "metrics.jsonl")
    assert [r["step"] for r in records] == [2, 4, 6]
    assert all("eval/w1_ratio" in r and "loss_critic" in r for r in records)  # merged into one record per step
    best = json.loads((tmp_path / "checkpoints" / "best.json").read_text())
    assert best["metric"] == "w1_ratio"
    assert best["value"] == min(r["eval/w1_ratio"] for r in records)
    assert (tmp_path / "checkpoints" / "best.pt").is_file()


def test_evaluations_between_log_steps_record_their_training_time(tiny_toy_config, tmp_path):
    # Quality over training time needs the clock at every evaluation, not only at log steps.
    tiny_toy_config.update({"train": {"eval_every": 2, "eval_n": 100, "log_every": 3, "steps": 6}})
    Trainer(tiny_toy_config, tmp_path, progress=False).fit()
    records = read_metrics(tmp_path / "metrics.jsonl")
    assert [r["step"] for r in records] == [2, 3, 4, 6]
    assert "loss_critic" not in records[0] and "eval/w1_ratio" in records[0]
    times = [r["train_seconds"] for r in records]
    assert all(t > 0 for t in times) and times == sorted(times)
    assert not any(k.startswith("eval/train_seconds") for r in records for k in r)


def test_eval_of_an_image_run_from_the_cli(tiny_images, tmp_path, monkeypatch):
    monkeypatch.setenv("WGAN_CACHE", str(tmp_path / "cache"))
    run = CliRunner().invoke(main, ["train", "--data", str(tiny_images), "--out", str(tmp_path / "runs"),
                                    "--steps", "1", "--batch-size", "8", "--device", "cpu", "--no-progress",
                                    "--set", "train.max_minutes=0"])
    assert run.exit_code == 0, run.output
    (run_dir,) = (tmp_path / "runs").iterdir()
    result = CliRunner().invoke(main, ["eval", str(run_dir), "--n", "40", "--metrics", "fid,kid,class_histogram"])
    assert result.exit_code == 0, result.output
    results = json.loads((run_dir / "eval" / "metrics.json").read_text())
    # tiny.npz has no test split: the reference is the per-class holdout, and the names say so.
    assert results["fid_domain_40_holdout_quick"] > 0 and "kid_domain_40_holdout_quick" in results
    assert "modes_covered_domain_40_holdout_quick" in results and results["protocol"] == "quick"
    assert results["n_reference"] == 10  # 20% of each of the 10 classes of five images


def test_an_unlabelled_colour_run_is_measured_in_rotation_features(tmp_path, monkeypatch):
    from wgan.features import classifier

    monkeypatch.setenv("WGAN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(classifier, "MAX_STEPS", 20)  # the keys are what this test is about
    data = tmp_path / "colour.npz"
    np.savez(data, images=np.random.default_rng(0).integers(0, 256, (50, 16, 16, 3), dtype=np.uint8))
    run = CliRunner().invoke(main, ["train", "--data", str(data), "--out", str(tmp_path / "runs"), "--steps", "1",
                                    "--batch-size", "8", "--device", "cpu", "--no-progress"])
    assert run.exit_code == 0, run.output
    (run_dir,) = (tmp_path / "runs").iterdir()
    result = CliRunner().invoke(main, ["eval", str(run_dir), "--n", "40"])
    assert result.exit_code == 0, result.output
    results = json.loads((run_dir / "eval" / "metrics.json").read_text())
    # The reference is the last 20% of the images, which the classifier of rotations never saw.
    assert results["fid_domain_40_holdout_quick"] > 0 and results["n_reference"] == 10
    assert not any(k.startswith(("modes_covered", "accuracy", "is_")) for k in results)  # no classes to count


def test_eval_compares_two_sets_without_a_run(tiny_images, tmp_path, monkeypatch):
    monkeypatch.setenv("WGAN_CACHE", str(tmp_path / "cache"))
    result = CliRunner().invoke(main, ["eval", "--real", str(tiny_images), "--fake", str(tiny_images),
                                       "--metrics", "fid"])
    assert result.exit_code == 0, result.output
    assert "fid_domain_50_quick" in result.output
    result = CliRunner().invoke(main, ["eval", "--real", str(tiny_images)])
    assert result.exit_code == 2 and "--real PATH --fake PATH" in result.output
