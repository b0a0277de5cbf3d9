import json
import os
import stat

import numpy as np
import pytest
from cli_helpers import TINY, run, train_toy


def run_files(run_dir):
    """Every file of a run folder with its modification time (not the lock, which only says who trains)."""
    return {p: p.stat().st_mtime_ns for p in run_dir.rglob("*") if p.is_file() and p.name != ".lock"}


@pytest.fixture
def trained_run(tmp_path):
    return train_toy(tmp_path / "runs")


def test_train_sample_eval_round_trip(trained_run, tmp_path):
    assert trained_run.name == "0001-8gaussians-wgan"
    assert (trained_run / "config.yaml").is_file()
    code, out = run("sample", trained_run, "--n", 50, "--out", tmp_path / "s.npz", "--seed", 1)
    assert code == 0, out
    samples = np.load(tmp_path / "s.npz")["samples"]
    assert samples.shape == (50, 2) and np.isfinite(samples).all()
    code, out = run("sample", trained_run, "--n", 50, "--out", tmp_path / "s.png")
    assert code == 0 and (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"
    code, out = run("eval", trained_run, "--n", 200)
    assert code == 0, out
    results = json.loads((trained_run / "eval" / "metrics.json").read_text())
    assert results["w1_ratio"] > 0 and results["modes_total"] == 8 and "high_quality" in results
    assert "w1_ratio" in out


def test_same_seed_gives_the_same_samples(trained_run, tmp_path):
    for name in ("a", "b"):
        assert run("sample", trained_run, "--n", 20, "--out", tmp_path / f"{name}.npz", "--seed", 7)[0] == 0
    assert np.array_equal(np.load(tmp_path / "a.npz")["samples"], np.load(tmp_path / "b.npz")["samples"])


def test_resume_extends_a_run(trained_run):
    code, out = run("train", "--resume", trained_run, "--steps", 6, "--no-progress")
    assert code == 0, out
    assert "at step 4 of 6" in out
    steps = [json.loads(line)["step"] for line in (trained_run / "metrics.jsonl").read_text().splitlines()]
    assert steps == [2, 4, 6]


def test_second_run_gets_a_new_folder(trained_run, tmp_path):
    code, _ = run("train", "--preset", "wgan-gp-8gaussians", "--out", tmp_path / "runs", "--name", "again", *TINY)
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [
        "0001-8gaussians-wgan", "0002-8gaussians-wgan-again"]


@pytest.mark.parametrize("args,message", [
    (["train", "--preset", "nope"], "unknown preset 'nope'"),
    (["train", "--data", "9gaussians"], "9gaussians"),
    (["train", "--objective", "lsgan"], "unknown objective 'lsgan'; accepted: gan, hinge, ls, wgan"),
    (["train", "--lipschitz", "foo"], "unknown Lipschitz method 'foo'"),
    (["train", "--steps", "0"], "train.steps must be positive"),
    (["train", "--lr", "-1"], "must be positive"),
    (["train", "--batch-size", "x"], "'x' is not a valid integer"),
    (["train", "--set", "train.nope=1"], "unknown config key 'train.nope'"),
    (["train", "--set", "novalue"], "--set expects KEY=VALUE"),
    (["train", "--device", "cuda"] if not __import__("torch").cuda.is_available() else ["train", "--device", "x"],
     "device"),
    (["train", "--resume", "/nonexistent/run"], "not a run folder"),
    (["sample", "/nonexistent/run", "--out", "x.npz"], "not a run folder"),
    (["eval", "/nonexistent/run"], "not a run folder"),
])
def test_bad_input_is_one_line_and_exit_2(args, message, tmp_path):
    if args[0] == "train" and "--resume" not in args:
        args = [*args, "--out", tmp_path / "runs"]
    code, out = run(*args)
    assert code == 2, out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], out
    assert not (tmp_path / "runs").exists()


def test_corrupt_checkpoint_on_resume_leaves_the_run_untouched(trained_run):
    checkpoint = trained_run / "checkpoints" / "last.pt"
    checkpoint.write_bytes(b"garbage")
    before = run_files(trained_run)
    code, out = run("train", "--resume", trained_run)
    assert code == 2 and "corrupt" in out
    assert run_files(trained_run) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_output_folder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    code, out = run("train", "--preset", "wgan-gp-8gaussians", "--out", locked / "runs", *TINY)
    assert code == 2 and "cannot be written" in out


def test_output_path_that_is_a_file(tmp_path):
    (tmp_path / "afile").write_text("x")
    code, out = run("train", "--preset", "wgan-gp-8gaussians", "--out", tmp_path / "afile" / "runs", *TINY)
    assert code == 2 and "cannot be written" in out, out


def test_sampling_2d_to_a_folder_is_refused(trained_run, tmp_path):
    code, out = run("sample", trained_run, "--out", tmp_path / "folder")
    assert code == 2 and "FILE.npz or FILE.png" in out


def test_presets_lists_descriptions():
    code, out = run("presets")
    assert code == 0
    assert any(line.startswith("gan-quadratic") and "quadratic-curve GAN tutorial" in line for line in out.splitlines())
    assert "wgan-clip-25gaussians" in out and "wgan-sn-swissroll" in out


def test_help_is_complete():
    for command in ("train", "sample", "eval", "presets", "plot", "video"):
        code, out = run(command, "--help")
        assert code == 0 and "Usage:" in out
    code, out = run("train", "--help")
    for flag in ("--preset", "--data", "--objective", "--lipschitz", "--model", "--steps", "--batch-size",
                 "--n-critic", "--lr", "--seed", "--device", "--out", "--name", "--resume", "--set"):
        assert flag in out


def test_train_help_names_every_registered_family_and_objective():
    from click.testing import CliRunner

    from wgan.cli import main
    from wgan.methods.objectives import OBJECTIVES
    from wgan.models import GENERATORS

    assert CliRunner().invoke(main, ["train", "--help"]).exit_code == 0
    helps = {p.name: p.help for p in main.commands["train"].params}
    for name in GENERATORS:
        assert name in helps["model"], name
    for name in OBJECTIVES:
        assert name in helps["objective"], name


def test_dry_run_prints_the_resolved_config_and_writes_nothing(tmp_path):
    import yaml

    code, out = run("train", "--preset", "wgan-gp-8gaussians", "--steps", 7, "--lipschitz", "clip", "--dry-run",
                    "--out", tmp_path / "runs")
    assert code == 0, out
    cfg = yaml.safe_load(out)  # the optimiser as the run will use it: clipping's paper trains with RMSProp 5e-5
    assert cfg["train"]["steps"] == 7 and cfg["optim"]["name"] == "rmsprop" and cfg["optim"]["lr_g"] == 5e-5
    assert f"would write a new run folder {tmp_path / 'runs' / '0001-8gaussians-wgan'}" in out
    assert "checkpoints/last.pt: the training state every" in out
    assert not (tmp_path / "runs").exists()
    code, out = run("train", "--preset", "wgan-gp-8gaussians", "--model", "nope", "--dry-run")
    assert code == 2 and "unknown generator 'nope'" in out


def test_dry_run_of_a_resume_names_the_changes(tmp_path):
    run_dir = train_toy(tmp_path / "runs")
    before = sorted(p.name for p in run_dir.rglob("*"))
    code, out = run("train", "--resume", run_dir, "--steps", 9, "--dry-run")
    assert code == 0 and f"would resume {run_dir} from checkpoint last (changes: train.steps 4 -> 9)" in out, out
    assert sorted(p.name for p in run_dir.rglob("*")) == before
    code, out = run("train", "--resume", run_dir, "--lr", 0.1, "--dry-run")
    assert code == 2 and "which a resumed run cannot change" in out
