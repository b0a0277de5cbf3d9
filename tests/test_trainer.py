import copy
import math
import os
import sys

import pytest
import torch

from wgan.models.matmul_conv import MatmulConv2d
from wgan.presets import preset_config
from wgan.run_folder import read_metrics
from wgan.training.trainer import Trainer, TrainingDiverged


def params(module):
    return torch.cat([p.detach().flatten() for p in module.parameters()])


def test_training_writes_the_run_folder(tiny_toy_config, tmp_path):
    trainer = Trainer(tiny_toy_config, tmp_path, progress=False)
    trainer.fit()
    records = read_metrics(tmp_path / "metrics.jsonl")
    assert [r["step"] for r in records] == [2, 4, 6]
    for key in ("loss_critic", "loss_generator", "wasserstein", "penalty", "grad_norm"):
        assert all(math.isfinite(r[key]) for r in records), key
    assert (tmp_path / "checkpoints" / "last.pt").is_file()
    assert sorted(p.name for p in (tmp_path / "samples").iterdir())[-1] == "step_0000006.npz"
    assert {"losses.png", "wasserstein.png", "scatter.png", "critic.png"} <= {
        p.name for p in (tmp_path / "plots").iterdir()}


def test_resume_continues_as_if_never_stopped(tiny_toy_config, tmp_path):
    straight = Trainer(tiny_toy_config, tmp_path / "a", progress=False)
    straight.fit()

    cfg = type(tiny_toy_config).from_dict(tiny_toy_config.to_dict())
    first = Trainer(cfg, tmp_path / "b", progress=False)
    first.fit(3)  # stops after its checkpoint at step 3
    resumed = Trainer.resume(tmp_path / "b", progress=False)
    assert resumed.state.step == 3
    resumed.fit(6)
    assert torch.equal(params(straight.algorithm.generator), params(resumed.algorithm.generator))
    assert torch.equal(params(straight.algorithm.critic), params(resumed.algorithm.critic))


def test_clip_training_keeps_weights_bounded_and_logs_fraction(tiny_toy_config, tmp_path):
    tiny_toy_config.update({"loss": {"lipschitz": "clip"}})
    trainer = Trainer(tiny_toy_config, tmp_path, progress=False)
    trainer.fit()
    assert params(trainer.algorithm.critic).abs().max().item() <= 0.01
    assert "clip_fraction" in read_metrics(tmp_path / "metrics.jsonl")[-1]


@pytest.mark.parametrize("objective,method", [("gan", "none"), ("wgan", "sn"), ("wgan", "lp"), ("gan", "gp")])
def test_every_objective_and_method_trains(tiny_toy_config, tmp_path, objective, method):
    tiny_toy_config.update({"loss": {"objective": objective, "lipschitz": method}})
    Trainer(tiny_toy_config, tmp_path, progress=False).fit()
    assert all(math.isfinite(r["loss_critic"]) for r in read_metrics(tmp_path / "metrics.jsonl"))


def test_non_finite_loss_stops_with_a_clear_error_and_keeps_the_checkpoint(tiny_toy_config, tmp_path):
    trainer = Trainer(tiny_toy_config, tmp_path, progress=False)
    trainer.fit(3)
    good = (tmp_path / "checkpoints" / "last.pt").read_bytes()
    with torch.no_grad():
        trainer.algorithm.critic.score_head.weight.fill_(float("nan"))
    with pytest.raises(TrainingDiverged, match="non-finite"):
        trainer.fit(6)
    assert (tmp_path / "checkpoints" / "last.pt").read_bytes() == good


def test_the_hot_loop_never_synchronises(tiny_toy_config, monkeypatch):
    # Reading a device value to the host (.item(), .tolist(), bool()) is what stalls a GPU;
    # on the CPU we can catch the Python-side calls that would do it. torch.optim reads its
    # step counters with .item(), but those live on the host by design, so they are allowed.
    trainer = Trainer(tiny_toy_config, progress=False)
    calls = []

    def spy(name, original):
        def wrapper(self, *args):
            caller = sys._getframe(1).f_code.co_filename
            if f"torch{os.sep}optim" not in caller:
                calls.append(f"{name} from {caller}")
            return original(self, *args)
        return wrapper

    for name in ("item", "tolist", "__bool__", "__float__"):
        monkeypatch.setattr(torch.Tensor, name, spy(name, getattr(torch.Tensor, name)))
    for _ in range(3):
        trainer.train_step()
    assert calls == []


@pytest.mark.parametrize("option", ["train.precision=bf16", "train.channels_last=on"])
def test_speed_options_train_an_image_gan_on_cpu(tiny_image_config, option):
    cfg = tiny_image_config
    key, _, value = option.partition("=")
    cfg.set(key, value)
    trainer = Trainer(cfg, progress=False)
    for _ in range(2):
        trainer.train_step()
    values = trainer.gather()
    assert all(torch.isfinite(torch.tensor(v)) for v in values.values())
    assert values["loss_critic"] != 0 and trainer.algorithm.generator(trainer.handle(refresh=False).latent(2)).dtype == torch.float32


def test_channels_last_auto_is_on_for_images_on_cpu_only(tiny_image_config):
    toy = preset_config("wgan-gp-8gaussians")
    toy.train.device = "cpu"
    assert not Trainer(toy, progress=False).channels_last  # 2-D points have no channels
    trainer = Trainer(tiny_image_config, progress=False)
    assert trainer.channels_last
    conv = next(m for m in trainer.algorithm.critic.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)


def _dcgan28_trainer(cfg, matmul_conv: str) -> Trainer:
    cfg = copy.deepcopy(cfg)
    cfg.update({"model": {"generator": "dcgan28", "critic": "dcgan28"}, "train": {"matmul_conv": matmul_conv}})
    return Trainer(cfg, progress=False)


def test_matmul_conv_auto_converts_dcgan28s_last_layer_on_cpu(tiny_image_config):
    last = lambda trainer: list(trainer.algorithm.generator.net)[9]  # noqa: E731
    assert type(last(_dcgan28_trainer(tiny_image_config, "auto"))) is MatmulConv2d
    assert type(last(_dcgan28_trainer(tiny_image_config, "off"))) is torch.nn.Conv2d


def test_matmul_conv_trains_the_same_as_conv2d(tiny_image_config):
    # In float64: two steps of this tiny GAN amplify float32 rounding so much (0.6% in critic_fake
    # between oneDNN's 1- and 2-thread convolutions) that only float64 compares the arithmetic itself.
    tiny_image_config.train.precision = "fp64"
    losses = []
    for mode in ("on", "off"):
        trainer = _dcgan28_trainer(tiny_image_config, mode)
        assert any(isinstance(m, MatmulConv2d) for m in trainer.algorithm.generator.modules()) == (mode == "on")
        for _ in range(2):
            trainer.train_step()
        losses.append(trainer.gather())
    assert losses[0].keys() == losses[1].keys()
    for key in losses[0]:
        assert losses[0][key] == pytest.approx(losses[1][key], rel=1e-9, abs=1e-12), key
