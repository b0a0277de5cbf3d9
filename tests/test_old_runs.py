"""A run folder written before the package took its present layout (commit 104be6d: flat modules,
gp_lambda, clip_value and depth as the config's own fields) resumes and samples."""

import shutil
from pathlib import Path

import numpy as np
import yaml
from cli_helpers import run

from wgan.checkpoint import load_checkpoint
from wgan.config import Config

FIXTURE = Path(__file__).parent / "fixtures" / "run_before_layout"


def test_an_old_run_folder_resumes_samples_and_keeps_its_settings(tmp_path):
    run_dir = shutil.copytree(FIXTURE, tmp_path / "0001-8gaussians-wgan")
    cfg = Config.load(run_dir / "config.yaml")
    assert cfg.loss.options["gp_lambda"] == 0.1 and cfg.model.options["depth"] == 2
    code, output = run("train", "--resume", run_dir, "--steps", 6, "--no-progress")
    assert code == 0, output
    assert load_checkpoint(run_dir / "checkpoints" / "last.pt")["step"] == 6
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert saved["loss"]["gp_lambda"] == 0.1 and saved["model"]["depth"] == 2  # where they always were
    code, output = run("sample", run_dir, "--n", 16, "--out", tmp_path / "points.npz")
    assert code == 0, output
    assert np.load(tmp_path / "points.npz")["samples"].shape == (16, 2)
