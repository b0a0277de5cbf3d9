"""AC-WGAN: the class head's cross-entropy enters both updates with the configured weights."""

import copy

import pytest
import torch
import torch.nn.functional as F

from wgan.presets import preset_config
from wgan.training.trainer import Trainer


def ac_trainer(data, w_critic, w_generator):
    cfg = preset_config("ac-wgan-mnist").update({
        "data": {"name": str(data)}, "loss": {"lipschitz": "none", "class_weight_critic": w_critic,
                                              "class_weight_generator": w_generator},
        "train": {"batch_size": 8, "critic_split": "none", "warmup": False, "device": "cpu"}})
    return Trainer(cfg, progress=False)


@pytest.mark.parametrize("w_critic", [0.0, 1.0, 0.5])
def test_class_loss_enters_the_critic_update_with_its_weight(tiny_images, w_critic):
    trainer = ac_trainer(tiny_images, w_critic, 0.1)
    real, labels = trainer.algorithm.real_batch()
    critic = copy.deepcopy(trainer.algorithm.critic).eval()
    trainer.algorithm.critic.eval()  # no dropout, so the logits below are the ones the update saw
    expected = w_critic * F.cross_entropy(critic.score_and_logits(real)[1], labels)
    out = trainer.algorithm.critic_update(real, labels)
    if w_critic == 0:
        assert "class_loss_real" not in out
    else:
        assert out["class_loss_real"].item() == pytest.approx(expected.item(), rel=1e-5)


@pytest.mark.parametrize("w_generator", [0.0, 0.1])
def test_class_loss_enters_the_generator_update_with_its_weight(tiny_images, w_generator, monkeypatch):
    trainer = ac_trainer(tiny_images, 1.0, w_generator)
    trainer.algorithm.critic.eval()
    labels = torch.arange(8) % 10
    z = trainer.handle(refresh=False).latent(8)
    monkeypatch.setattr(trainer.algorithm, "fake_labels", lambda n: labels[:n])
    monkeypatch.setattr(trainer.algorithm, "noise", lambda n: z[:n])
    generator, critic = copy.deepcopy(trainer.algorithm.generator), copy.deepcopy(trainer.algorithm.critic)
    scores, logits = critic.score_and_logits(generator(z, labels))
    out = trainer.algorithm.generator_update()
    assert out["generator_adv"].item() == pytest.approx(-scores.mean().item(), rel=1e-5)
    if w_generator == 0:
        assert "class_loss_generator" not in out
    else:
        expected = w_generator * F.cross_entropy(logits, labels)
        assert out["class_loss_generator"].item() == pytest.approx(expected.item(), rel=1e-5)
        assert out["loss_generator"].item() == pytest.approx((expected - scores.mean()).item(), rel=1e-5)


def test_sample_class_and_class_grid_from_the_cli(tiny_images, tmp_path):
    import numpy as np
    from click.testing import CliRunner

    from wgan.cli import main

    run = CliRunner().invoke(main, ["train", "--preset", "ac-wgan-mnist", "--data", str(tiny_images),
                                    "--out", str(tmp_path / "runs"), "--steps", "1", "--batch-size", "8",
                                    "--set", "train.warmup=false", "--device", "cpu", "--no-progress"])
    assert run.exit_code == 0, run.output
    (run_dir,) = (tmp_path / "runs").iterdir()
    result = CliRunner().invoke(main, ["sample", str(run_dir), "--n", "6", "--class", "3",
                                       "--out", str(tmp_path / "threes.npz")])
    assert result.exit_code == 0, result.output
    f = np.load(tmp_path / "threes.npz")
    assert f["images"].shape == (6, 28, 28, 1) and f["images"].dtype == np.uint8
    assert (f["labels"] == 3).all()
    result = CliRunner().invoke(main, ["sample", str(run_dir), "--n", "30", "--out", str(tmp_path / "g.png")])
    assert result.exit_code == 0, result.output
    from PIL import Image

    width, height = Image.open(tmp_path / "g.png").size
    # 10 columns (one per class) and 3 rows of 28 px plus 2 px padding.
    assert (width, height) == (2 + 10 * 30, 2 + 3 * 30)
    result = CliRunner().invoke(main, ["sample", str(run_dir), "--class", "12", "--out", str(tmp_path / "x.npz")])
    assert result.exit_code == 2 and "0..9" in result.output


@pytest.mark.parametrize("objective, lipschitz", [("hinge", "sn"), ("wgan", "gp")])
def test_projection_and_cbn_train_and_sample_by_class(tiny_images, tmp_path, objective, lipschitz):
    """cGAN-PD's pieces (conditional BatchNorm, projection critic) on a small ResNet, end to end."""
    import numpy as np
    from click.testing import CliRunner

    from wgan.cli import main

    run = CliRunner().invoke(main, [
        "train", "--data", str(tiny_images), "--image-size", "16", "--model", "resnet-wgan",
        "--objective", objective, "--lipschitz", lipschitz, "--out", str(tmp_path / "runs"), "--steps", "2",
        "--batch-size", "4", "--n-critic", "1", "--device", "cpu", "--no-progress",
        "--set", "model.conditional=cbn", "--set", "model.critic_conditional=projection",
        "--set", "data.split=all", "--set", "train.log_every=1", "--set", "model.latent_dim=8"])
    assert run.exit_code == 0, run.output
    (run_dir,) = (tmp_path / "runs").iterdir()
    import json

    logged = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in logged if "loss_critic" in r] == [1, 2]
    assert all(np.isfinite(r["loss_critic"]) and np.isfinite(r["grad_norm"]) for r in logged if "loss_critic" in r)
    result = CliRunner().invoke(main, ["sample", str(run_dir), "--n", "3", "--class", "4",
                                       "--out", str(tmp_path / "fours.npz")])
    assert result.exit_code == 0, result.output
    f = np.load(tmp_path / "fours.npz")
    assert f["images"].shape == (3, 16, 16, 1) and (f["labels"] == 4).all()
