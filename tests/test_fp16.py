"""fp16 training: autocast plus a gradient scaler per network, exercised on the CPU."""

import math
from types import SimpleNamespace

import pytest
import torch

from wgan.methods.lipschitz import GradientPenalty, input_gradient_norm, interpolates
from wgan.precision import resolve_precision
from wgan.training.trainer import Trainer

START_SCALE = 2.0**30  # far above what fp16 gradients can carry: the first updates must overflow


def fp16_config(cfg, steps=10):
    cfg.update({"train": {"precision": "fp16", "steps": steps, "n_critic": 2, "log_every": 5,
                          "sample_every": 5, "checkpoint_every": 5}})
    return cfg


def start_scale(trainer, scale):
    for scaler in trainer.algorithm.scalers.values():
        state = scaler.state_dict()
        state["scale"] = scale
        scaler.load_state_dict(state)


def params(module):
    return torch.cat([p.detach().flatten() for p in module.parameters()])


def test_ten_steps_are_finite_and_skipped_updates_are_counted(tiny_image_config):
    trainer = Trainer(fp16_config(tiny_image_config), progress=False)
    start_scale(trainer, START_SCALE)
    for _ in range(10):
        trainer.train_step()
    values = trainer.gather()
    assert all(math.isfinite(v) for v in values.values()), values
    assert all(torch.isfinite(p).all() for p in trainer.algorithm.generator.parameters())
    # Each skipped update halves the scale, and 10 steps are far from the 2,000 clean updates after
    # which it would grow: the skips counted are exactly the halvings.
    for name, scaler in trainer.algorithm.scalers.items():
        halvings = math.log2(START_SCALE / scaler.get_scale())
        assert trainer.algorithm.skipped[name] == halvings, name
    assert trainer.algorithm.skipped["critic"] > 0
    assert 0 < values["amp_skipped_critic"] <= 1 and values["amp_scale_critic"] < START_SCALE


def test_scale_and_skips_are_saved_and_resumed_exactly(tiny_image_config, tmp_path):
    cfg_a = fp16_config(type(tiny_image_config).from_dict(tiny_image_config.to_dict()))
    straight = Trainer(cfg_a, tmp_path / "a", progress=False)
    start_scale(straight, 2.0**20)
    straight.fit()

    cfg_b = fp16_config(type(tiny_image_config).from_dict(tiny_image_config.to_dict()))
    first = Trainer(cfg_b, tmp_path / "b", progress=False)
    start_scale(first, 2.0**20)
    first.fit(5)
    resumed = Trainer.resume(tmp_path / "b", progress=False)
    assert resumed.state.step == 5
    for name in ("critic", "generator"):
        assert resumed.algorithm.scalers[name].state_dict() == first.algorithm.scalers[name].state_dict()
        assert resumed.algorithm.skipped[name] == first.algorithm.skipped[name]
    resumed.fit(10)
    assert torch.equal(params(straight.algorithm.generator), params(resumed.algorithm.generator))
    assert torch.equal(params(straight.algorithm.critic), params(resumed.algorithm.critic))
    for name in ("critic", "generator"):
        assert resumed.algorithm.scalers[name].get_scale() == straight.algorithm.scalers[name].get_scale()
        assert resumed.algorithm.skipped[name] == straight.algorithm.skipped[name]


def test_penalty_under_fp16_matches_fp32(tiny_image_config):
    """The scaled, then unscaled, input-gradient norms and penalty of fp16 autocast equal fp32's within 1%.

    fp16 keeps 11 significant bits, so each rounding is off by at most 2**-11 (0.05%) relative, and
    the kernels accumulate their sums in fp32. A norm passes about six rounded layers (the critic's
    forward and backward; the loss scale only shifts exponents): in the worst case their errors add
    to about 0.3% (0.23% was the largest seen per sample). The penalty is 10 (||g|| - 1)^2 of those
    norms, whose relative error is smaller still while ||g|| is below 1. 1% allows for the worst case.
    """
    trainer = Trainer(tiny_image_config, progress=False)
    critic = trainer.algorithm.critic
    real, _ = trainer.algorithm.real_batch()
    fake = trainer.handle(refresh=False).generate(trainer.handle(refresh=False).latent(real.shape[0]))
    eps = torch.rand(real.shape[0], generator=torch.Generator().manual_seed(0))
    x = interpolates(real, fake, eps)
    gp = GradientPenalty(10.0)
    norms32, penalty32 = input_gradient_norm(critic, x), gp.penalty(critic, real, fake, eps)
    with torch.autocast("cpu", dtype=torch.float16):
        # 2**8: a scale that does not overflow here (the scaler backs off to one such)
        norms16 = input_gradient_norm(critic, x, scale=2.0**8)
        penalty16 = gp.penalty(critic, real, fake, eps, scale=2.0**8)
    torch.testing.assert_close(norms16, norms32, rtol=1e-2, atol=0)
    assert penalty16.item() == pytest.approx(penalty32.item(), rel=1e-2)


def test_an_overflowing_penalty_skips_the_update_instead_of_stopping(tiny_image_config):
    trainer = Trainer(fp16_config(tiny_image_config), progress=False)
    start_scale(trainer, 2.0**60)  # even the loss overflows: every first update is skipped
    before = params(trainer.algorithm.critic).clone()
    real, labels = trainer.algorithm.real_batch()
    with torch.autocast("cpu", dtype=torch.float16):
        out = trainer.algorithm.critic_update(real, labels)
    assert out["amp_skipped_critic"].item() == 1.0
    assert torch.equal(before, params(trainer.algorithm.critic))  # the step was skipped
    assert all(torch.isfinite(v) for v in out.values())


def test_auto_precision_picks_per_device(tmp_path, monkeypatch):
    flags = tmp_path / "cpuinfo"
    flags.write_text("flags\t: fpu sse avx2\n")
    assert resolve_precision("auto", torch.device("cpu"), flags) == "fp32"
    flags.write_text("flags\t: fpu avx512f avx512_bf16\n")
    assert resolve_precision("auto", torch.device("cpu"), flags) == "bf16"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert resolve_precision("auto", torch.device("cuda"), flags) == "fp16"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert resolve_precision("auto", torch.device("cuda"), flags) == "bf16"
    assert resolve_precision("fp16", torch.device("cpu"), flags) == "fp16"


def test_fp16_refuses_cuda_graph_capture():
    from wgan.training.runner import capture_blockers

    assert any("scaler" in r for r in capture_blockers(torch.device("cuda"), SimpleNamespace(streaming=False), "none", "fp16"))


def test_the_logged_loss_scale_lives_on_the_device_of_the_losses(tiny_image_config):
    """On a GPU the loss scale was logged as a CPU tensor beside CUDA ones, and gathering them for the log
    failed ("Expected all tensors to be on the same device"). Here the CPU stands in for the GPU and a
    default device of ``meta`` for the CPU: a number made without naming its device lands there."""
    trainer = Trainer(fp16_config(tiny_image_config), progress=False)
    trainer.train_step()  # the optimisers and scalers make their state on the networks' device first
    trainer.gather()
    torch.set_default_device("meta")
    try:
        trainer.train_step()
        values = trainer.gather()
    finally:
        torch.set_default_device(None)
    assert {"amp_scale_critic", "amp_scale_generator", "loss_critic"} <= set(values)
    assert all(math.isfinite(v) for v in values.values())
    assert values["amp_scale_critic"] == trainer.algorithm.scalers["critic"].get_scale()
