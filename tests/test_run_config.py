"""A run's config from a file, the layers over it, and what a resumed run may change."""

import json

import numpy as np
import pytest
import torch
import yaml
from cli_helpers import run, train_toy

from wgan.checkpoint import load_checkpoint
from wgan.cli.train_flags import settings_from
from wgan.config_layers import RESUMABLE, build_config


def losses(run_dir):
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [(r["step"], r["loss_critic"], r["loss_generator"]) for r in rows if "loss_critic" in r]


@pytest.fixture
def toy_run(tmp_path):
    return train_toy(tmp_path / "runs", "--set", "train.log_every=1")


def test_a_runs_config_as_input_reproduces_its_first_steps(toy_run, tmp_path):
    code, out = run("train", "--config", toy_run / "config.yaml", "--no-progress", "--out", tmp_path / "again")
    assert code == 0, out
    (again,) = (tmp_path / "again").iterdir()
    assert losses(again) == losses(toy_run) and len(losses(again)) == 4
    first, second = (load_checkpoint(d / "checkpoints" / "last.pt")["generator"] for d in (toy_run, again))
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_layers_file_then_preset_then_flags_then_set(tmp_path):
    partial = tmp_path / "partial.yaml"
    partial.write_text(yaml.safe_dump({"train": {"steps": 7, "n_critic": 3}, "optim": {"lr_g": 1e-3}}))
    cfg = build_config(partial, None, [])
    assert (cfg.train.steps, cfg.train.n_critic, cfg.optim.lr_g) == (7, 3, 1e-3)  # the rest: defaults
    flags = settings_from({"--steps": 9}, ["train.steps=11", "train.n_critic=4"])
    cfg = build_config(partial, "wgan-gp-8gaussians", flags)
    assert cfg.preset == "wgan-gp-8gaussians" and cfg.data.name == "8gaussians"  # the preset over the file
    assert (cfg.train.steps, cfg.train.n_critic) == (11, 4)  # --set last, in order


def test_a_config_file_that_does_not_exist(tmp_path):
    code, out = run("train", "--config", tmp_path / "nope.yaml", "--out", tmp_path / "runs")
    assert code == 2 and "--config" in out and len(out.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_resume_applies_and_records_an_allowed_change(toy_run):
    code, out = run("train", "--resume", toy_run, "--steps", 6, "--set", "train.checkpoint_every=3",
                    "--no-progress")
    assert code == 0, out
    record = yaml.safe_load((toy_run / "config.yaml").read_text())
    assert record["train"]["steps"] == 6 and record["train"]["checkpoint_every"] == 3
    (entry,) = record["history"]
    assert entry["step"] == 4 and entry["changes"] == {"train.steps": [4, 6], "train.checkpoint_every": [2, 3]}
    assert [s for s, *_ in losses(toy_run)] == [1, 2, 3, 4, 5, 6]
    assert load_checkpoint(toy_run / "checkpoints" / "last.pt")["step"] == 6


def test_a_change_whose_first_save_fails_is_not_recorded(toy_run, monkeypatch):
    """--steps 6 enters the history only with a checkpoint that carries it: a save refused on a full
    disk leaves config.yaml as it was."""
    from wgan.errors import WganError
    from wgan.training import callbacks

    def full_disk(state, path):
        raise WganError(f"no space left on device writing {path}")

    before = (toy_run / "config.yaml").read_bytes()
    monkeypatch.setattr(callbacks, "save_checkpoint", full_disk)
    code, out = run("train", "--resume", toy_run, "--steps", 6, "--no-progress")
    assert code == 2 and "no space left on device" in out, out
    assert (toy_run / "config.yaml").read_bytes() == before
    monkeypatch.undo()
    code, out = run("train", "--resume", toy_run, "--steps", 6, "--no-progress")
    assert code == 0, out
    (entry,) = yaml.safe_load((toy_run / "config.yaml").read_text())["history"]
    assert entry["step"] == 4 and entry["changes"] == {"train.steps": [4, 6]}


@pytest.mark.parametrize("args,flag", [(["--lr", "0.1"], "--lr"), (["--n-critic", "3"], "--n-critic"),
                                       (["--set", "loss.gp_lambda=1"], "--set loss.gp_lambda=1"),
                                       (["--batch-size", "64"], "--batch-size")])
def test_resume_refuses_a_change_to_what_is_trained(toy_run, args, flag):
    before = {p: p.read_bytes() for p in toy_run.rglob("*") if p.is_file() and p.name != ".lock"}
    code, out = run("train", "--resume", toy_run, *args, "--no-progress")
    lines = out.strip().splitlines()
    assert code == 2 and len(lines) == 1 and flag in lines[0] and "cannot change" in lines[0], out
    after = {p: p.read_bytes() for p in toy_run.rglob("*") if p.is_file() and p.name != ".lock"}
    assert after == before


def test_every_resumable_key_is_a_config_key():
    from wgan.config import all_keys

    assert set(RESUMABLE) <= set(all_keys())


def test_colour_images_of_ones_own_get_the_colour_recipe_for_their_size(tmp_path, tiny_rgb_images):
    from PIL import Image

    code, out = run("train", "--data", tiny_rgb_images, "--dry-run")  # 32x32 RGB
    assert code == 0 and "recipe: wgan-gp-color32 (recommended for your own colour images at 32x32" in out, out
    assert "preset: wgan-gp-color32" in out and "image_size: 32" in out
    folder = tmp_path / "pictures"
    folder.mkdir()
    for i in range(3):
        Image.new("RGBA", (64, 64), (200, 30 * i, 10, 255)).save(folder / f"{i}.png")
    code, out = run("train", "--data", folder, "--dry-run")
    assert code == 0 and "recipe: wgan-gp-color64" in out, out
    code, out = run("train", "--data", folder, "--image-size", 32, "--dry-run")
    assert "recipe: wgan-gp-color32" in out
    # Other sizes, grey images, and an explicit preset keep what was asked for.
    for args in (["--image-size", 48], ["--set", "data.channels=1"], ["--preset", "wgan-gp-celeba64"]):
        code, out = run("train", "--data", folder, *args, "--dry-run")
        assert code == 0 and "recipe:" not in out, (args, out)
    grey = tmp_path / "grey.npz"
    np.savez(grey, images=np.zeros((4, 32, 32), np.uint8))
    code, out = run("train", "--data", grey, "--dry-run")
    assert code == 0 and "recipe:" not in out and "preset: wgan-gp-mnist" in out
