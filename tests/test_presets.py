"""Every tutorial preset trains a few steps on tiny data, with the seed's networks and schedule."""

import math

import pytest
import torch

from wgan.presets import preset_config
from wgan.run_folder import read_metrics
from wgan.training.trainer import Trainer

SHRINK = {"train": {"steps": 2, "batch_size": 8, "log_every": 1, "sample_every": 1, "checkpoint_every": 1,
                    "device": "cpu", "warmup_n_critic": 2, "max_minutes": 0}}


def train_tiny(name, path, tmp_path, **extra):
    cfg = preset_config(name).update(SHRINK).update(extra)
    cfg.data.name = str(path)
    trainer = Trainer(cfg, tmp_path / name, progress=False)
    trainer.fit()
    records = read_metrics(tmp_path / name / "metrics.jsonl")
    assert records and all(math.isfinite(r["loss_critic"]) for r in records)
    return trainer


@pytest.mark.parametrize("name", ["wgan-gp-mnist", "wgan-gp-fashion", "wgan-clip-mnist7"])
def test_28x28_presets(name, tiny_images, tmp_path):
    trainer = train_tiny(name, tiny_images, tmp_path)  # the MNIST-sevens tutorial keeps its class 7: five images here
    assert trainer.handle(refresh=False).generate(trainer.fixed_z[:3]).shape == (3, 1, 28, 28)
    record = read_metrics(tmp_path / name / "metrics.jsonl")[-1]
    assert record["epoch_seconds"] > 0 and record["img_per_s"] > 0


def test_s4_updates_the_critic_on_half_batches(tiny_images, tmp_path, monkeypatch):
    cfg = preset_config("wgan-clip-mnist7").update(SHRINK).update({"data": {"classes": None}})
    cfg.data.name = str(tiny_images)
    trainer = Trainer(cfg, progress=False)
    sizes = []
    original = trainer.algorithm.critic.score_and_logits
    monkeypatch.setattr(trainer.algorithm.critic, "score_and_logits", lambda x, labels=None: sizes.append(len(x)) or original(x, labels))
    trainer.algorithm.critic_update(*trainer.algorithm.real_batch())
    assert sizes == [4, 4]  # one update on 4 real, then one on 4 fake
    assert all(p.abs().max() <= 0.01 for p in trainer.algorithm.critic.parameters())


def test_s0_cifar64_preset(tiny_rgb_images, tmp_path):
    trainer = train_tiny("wgan-clip-cifar64", tiny_rgb_images, tmp_path, model={"width": 8})
    assert trainer.handle(refresh=False).generate(trainer.fixed_z[:2]).shape == (2, 3, 64, 64)


def test_s3_celeba64_preset_warns_about_batchnorm(tiny_rgb_images, tmp_path):
    with pytest.warns(UserWarning, match="BatchNorm"):
        trainer = train_tiny("wgan-gp-celeba64", tiny_rgb_images, tmp_path, model={"width": 8})
    assert trainer.cfg.train.n_critic == 3
    assert trainer.handle(refresh=False).generate(trainer.fixed_z[:2]).shape == (2, 3, 64, 64)


def test_s1_ac_wgan_preset(tiny_images, tmp_path):
    trainer = train_tiny("ac-wgan-mnist", tiny_images, tmp_path)
    assert trainer.num_classes == 10 and trainer.algorithm.critic.num_classes == 10
    record = read_metrics(tmp_path / "ac-wgan-mnist" / "metrics.jsonl")[-1]
    for key in ("critic_real", "class_loss_real", "critic_fake", "class_loss_fake", "generator_adv",
                "class_loss_generator", "class_acc_real", "class_acc_fake"):
        assert key in record, key
    labels = torch.arange(10)
    out = trainer.handle(refresh=False).generate(trainer.fixed_z[:1].repeat(10, 1), labels)
    assert out.shape == (10, 1, 28, 28)
    assert (out[0] - out[1]).abs().max() > 0  # the class changes the image for the same noise


@pytest.fixture
def tiny_labelled_rgb(tmp_path):
    import numpy as np

    rng = np.random.default_rng(1)
    path = tmp_path / "tiny_labelled_rgb.npz"
    np.savez(path, images=rng.integers(0, 256, (20, 32, 32, 3), dtype=np.uint8), labels=np.arange(20) % 10)
    return path


@pytest.mark.parametrize("name, conditional, critic_conditional", [
    ("wgan-gp-cifar10-resnet", "none", "ac"), ("ac-wgan-gp-cifar10-resnet", "cbn", "ac"),
    ("sngan-cifar10", "none", "ac"), ("cgan-pd-cifar10", "cbn", "projection")])
def test_cifar10_resnet_presets(name, conditional, critic_conditional, tiny_labelled_rgb, tmp_path):
    trainer = train_tiny(name, tiny_labelled_rgb, tmp_path, train={"n_critic": 1, "generator_batch_size": 0})
    cfg = trainer.cfg
    assert (cfg.model.conditional, cfg.model.critic_conditional) == (conditional, critic_conditional)
    assert (cfg.optim.lr_g, cfg.optim.beta1, cfg.optim.beta2, cfg.optim.decay) == (2e-4, 0.0, 0.9, "linear")
    assert preset_config(name).train.n_critic == 5 and preset_config(name).train.steps == 100_000
    labels = torch.arange(2) if conditional != "none" else None
    assert trainer.handle(refresh=False).generate(trainer.fixed_z[:2], labels).shape == (2, 3, 32, 32)


def test_wgan_gp_resnet_updates_its_generator_on_twice_the_batch(tiny_labelled_rgb, tmp_path, monkeypatch):
    cfg = preset_config("wgan-gp-cifar10-resnet").update(SHRINK).update({"train": {"generator_batch_size": 16}})
    cfg.data.name = str(tiny_labelled_rgb)
    trainer = Trainer(cfg, progress=False)
    sizes = []
    original = trainer.algorithm.generator.forward
    monkeypatch.setattr(trainer.algorithm.generator, "forward", lambda z, labels=None: sizes.append(len(z)) or original(z, labels))
    trainer.algorithm.iteration(n_critic=1)
    assert sizes == [8, 16]  # the critic update's fakes, then the generator update's
    assert preset_config("wgan-gp-cifar10-resnet").train.generator_batch_size == 128


@pytest.mark.parametrize("name", ["wgan-gp-cifar10-resnet", "ac-wgan-gp-cifar10-resnet", "sngan-cifar10",
                                  "cgan-pd-cifar10"])
def test_cifar10_presets_ask_for_the_data_in_one_line(name, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from wgan.cli import main

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["train", "--preset", name, "--out", str(tmp_path / "runs")])
    assert result.exit_code == 2
    assert "cannot be downloaded here: pass --data PATH" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "runs").exists()
