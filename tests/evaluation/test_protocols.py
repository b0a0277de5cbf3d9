"""Named protocols, reference files (wgan stats) and what the report makes of results measured differently."""

import dataclasses
import json

import numpy as np
import pytest
from click.testing import CliRunner

from wgan.cli import main
from wgan.errors import WganError
from wgan.evaluation import PROTOCOLS, get_protocol
from wgan.evaluation.reference import load_reference

DESCRIPTIVE = {"step", "protocol", "n", "n_reference", "feature_space", "feature_classifier_test_accuracy", "details"}


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture
def image_run(tiny_images, tmp_path, monkeypatch):
    """A one-step run on 50 labelled 28x28 images (no test split: the held-out reference is the holdout)."""
    monkeypatch.setenv("WGAN_CACHE", str(tmp_path / "cache"))
    code, out = invoke("train", "--data", tiny_images, "--out", tmp_path / "runs", "--steps", 1, "--batch-size", 8,
                       "--device", "cpu", "--no-progress", "--set", "train.max_minutes=0")
    assert code == 0, out
    (run_dir,) = (tmp_path / "runs").iterdir()
    return run_dir


@pytest.fixture
def small_paper():
    """The paper protocols with 60 samples instead of 50,000 (everything else as they are)."""
    with PROTOCOLS.override("paper", dataclasses.replace(PROTOCOLS["paper"], n=60)), \
            PROTOCOLS.override("paper-test", dataclasses.replace(PROTOCOLS["paper-test"], n=60)):
        yield


def test_every_result_names_its_protocol(image_run, small_paper):
    code, out = invoke("eval", image_run, "--n", 40)
    assert code == 0, out
    quick = json.loads((image_run / "eval" / "metrics.json").read_text())
    assert quick["protocol"] == "quick"
    metrics = set(quick) - DESCRIPTIVE
    assert {"fid_domain_40_holdout_quick", "is_domain_40_quick", "precision_domain_40_holdout_quick"} <= metrics
    assert all(k.endswith("_quick") for k in metrics), metrics

    code, out = invoke("eval", image_run, "--protocol", "paper")
    assert code == 0, out
    paper = json.loads((image_run / "eval" / "metrics-paper.json").read_text())
    assert paper["protocol"] == "paper" and paper["n"] == 60
    metrics = set(paper) - DESCRIPTIVE
    # against the whole data set (it has no split), the Inception score over 10 splits
    assert {"fid_domain_60_train_paper", "is_domain_60_paper", "is_std_domain_60_paper"} <= metrics
    assert all(k.endswith("_paper") for k in metrics), metrics
    assert paper["details"]["inception_score"]["splits"] == 10
    assert json.loads((image_run / "eval" / "metrics.json").read_text()) == quick  # the quick result is kept


def test_a_protocol_fixes_its_count_and_unknown_ones_are_named(image_run):
    code, out = invoke("eval", image_run, "--protocol", "paper", "--n", 100)
    assert code == 2 and "draws 50000 samples" in out and len(out.strip().splitlines()) == 1
    code, out = invoke("eval", image_run, "--protocol", "fast")
    assert code == 2 and f"unknown evaluation protocol 'fast'; accepted: {', '.join(sorted(PROTOCOLS))}" in out
    assert "lucic" in PROTOCOLS
    with pytest.raises(WganError, match="at least 2"):
        get_protocol("quick").sample_count(1)


def test_the_same_seed_gives_the_same_score_in_any_chunking(image_run, monkeypatch):
    from wgan.evaluation import images
    from wgan.handle import load_generator

    handle = load_generator(image_run, device="cpu")
    whole = images.evaluate_images(handle, n=45, run_dir=image_run, metrics=("fid", "inception_score"))
    monkeypatch.setattr(images, "CHUNK", 7)
    monkeypatch.setattr(images, "PROBE", 3)
    chunked = images.evaluate_images(handle, n=45, run_dir=image_run, metrics=("fid", "inception_score"))
    for key in ("fid_domain_45_holdout_quick", "is_domain_45_quick"):
        assert chunked[key] == pytest.approx(whole[key], rel=1e-6)


def test_stats_then_eval_against_the_file_gives_the_same_numbers(image_run, tiny_images, tmp_path):
    code, out = invoke("eval", image_run, "--n", 40, "--metrics", "fid,kid,precision_recall,class_histogram")
    assert code == 0, out
    direct = json.loads((image_run / "eval" / "metrics.json").read_text())

    ref = tmp_path / "ref.npz"
    code, out = invoke("stats", image_run, "--out", ref)  # the run's own data, size and classes
    assert code == 0, out
    assert "quick reference" in out and "holdout split, 10 images" in out
    description = json.loads(str(np.load(ref, allow_pickle=False)["description"]))
    assert description["protocol"] == "quick" and description["split"] == "holdout" and description["count"] == 10
    assert description["extractor"]["space"] == "domain" and len(description["extractor"]["weights_sha256"]) == 64

    code, out = invoke("eval", image_run, "--n", 40, "--metrics", "fid,kid,precision_recall,class_histogram",
                       "--reference", ref)
    assert code == 0, out
    against_file = json.loads((image_run / "eval" / "metrics.json").read_text())
    for key in ("fid_domain_40_holdout_quick", "kid_domain_40_holdout_quick", "recall_domain_40_holdout_quick",
                "kl_to_data_domain_40_holdout_quick"):
        assert against_file[key] == pytest.approx(direct[key], rel=1e-9, abs=1e-12), key

    # The data set named directly makes the same file as the run folder.
    code, out = invoke("stats", tiny_images, "--out", tmp_path / "direct.npz")
    assert code == 0, out
    a, b = np.load(ref, allow_pickle=False), np.load(tmp_path / "direct.npz", allow_pickle=False)
    np.testing.assert_array_equal(a["mean"], b["mean"])
    np.testing.assert_array_equal(a["sample"], b["sample"])


def test_the_data_may_be_gone_once_a_file_exists(image_run, tiny_images, tmp_path):
    ref = tmp_path / "ref.npz"
    assert invoke("stats", tiny_images, "--out", ref)[0] == 0
    tiny_images.rename(tmp_path / "moved.npz")
    for stored in (image_run / "eval").glob("reference-*"):
        stored.unlink()
    code, out = invoke("eval", image_run, "--n", 40)
    assert code == 2 and "not on this machine" in out and "--reference" in out
    code, out = invoke("eval", image_run, "--n", 40, "--reference", ref)
    assert code == 0, out


def test_a_reference_of_another_kind_is_refused(image_run, tiny_images, tiny_rgb_images, tmp_path):
    ref = tmp_path / "ref.npz"
    assert invoke("stats", tiny_images, "--out", ref)[0] == 0
    code, out = invoke("eval", image_run, "--reference", ref, "--features", "inception")
    assert code == 2 and "holds domain features, not inception" in out
    code, out = invoke("eval", image_run, "--reference", ref, "--protocol", "paper")
    assert code == 2 and "made for the quick protocol, not paper" in out
    code, out = invoke("stats", tiny_images, "--out", tmp_path / "big.npz", "--image-size", 32)
    assert code == 0, out
    code, out = invoke("eval", image_run, "--reference", tmp_path / "big.npz")
    assert code == 2 and "made for 1x32x32 images, but this run makes 1x28x28" in out
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    code, out = invoke("eval", image_run, "--reference", tmp_path / "junk.npz")
    assert code == 2 and "is not a reference file" in out


def test_a_reference_from_other_inception_weights_is_refused(tiny_images, random_inception_weights, tmp_path):
    import torch

    ref = tmp_path / "ref.npz"
    code, out = invoke("stats", tiny_images, "--features", "inception", "--inception-weights",
                       random_inception_weights, "--out", ref, "--device", "cpu")
    assert code == 0, out
    assert load_reference(ref, weights=random_inception_weights, device="cpu").extractor.name == "inception"
    other = tmp_path / "other" / random_inception_weights.name
    other.parent.mkdir()
    state = torch.load(random_inception_weights, weights_only=True)
    state["fc.bias"] = state["fc.bias"] + 1.0
    torch.save(state, other)
    with pytest.raises(WganError, match="made with other inception weights"):
        load_reference(ref, weights=other, device="cpu")


def test_the_report_never_puts_two_protocols_in_one_row(image_run, small_paper, tmp_path):
    import shutil

    from wgan.tools.report.collect import load_runs
    from wgan.tools.report.page import metrics_table

    other = tmp_path / "other-run"
    shutil.copytree(image_run, other)
    assert invoke("eval", image_run, "--n", 40, "--metrics", "fid")[0] == 0
    assert invoke("eval", other, "--protocol", "paper", "--metrics", "fid")[0] == 0
    runs = load_runs([image_run, other])
    assert set(runs[0].results) == {"fid_domain_40_holdout_quick"}
    assert set(runs[1].results) == {"fid_domain_60_train_paper"}
    table = metrics_table(runs)
    assert "eval: fid_domain_40_holdout_quick" in table and "eval: fid_domain_60_train_paper" in table
