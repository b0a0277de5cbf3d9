"""R1 and R2 (Mescheder et al. 2018), eager and lazy (StyleGAN2), and what their laziness asks of a run."""

import pytest
import torch
from torch import nn

from wgan.config import LossConfig
from wgan.errors import WganError
from wgan.methods.lipschitz import build_lipschitz
from wgan.training.runner import capture_blockers
from wgan.training.trainer import Trainer
from wgan.validation import validate


def quadratic_critic():
    """C(x) = sum(x^2) / 2, whose gradient at x is x: ||grad C(x)||^2 = ||x||^2."""
    return lambda x: 0.5 * x.pow(2).sum(1)


def test_r1_is_half_gamma_times_the_squared_gradient_norm_on_real_samples():
    real, fake = torch.randn(32, 3), 5 * torch.randn(32, 3)
    r1 = build_lipschitz(LossConfig(lipschitz="r1", options={"r1_gamma": 4.0}))
    expected = 4.0 / 2 * real.pow(2).sum(1).mean()
    assert r1.penalty(quadratic_critic(), real, fake).item() == pytest.approx(expected.item(), rel=1e-5)


def test_r2_penalises_the_generated_samples():
    real, fake = torch.randn(32, 3), 5 * torch.randn(32, 3)
    r2 = build_lipschitz(LossConfig(lipschitz="r2", options={"r2_gamma": 4.0}))
    expected = 4.0 / 2 * fake.pow(2).sum(1).mean()
    assert r2.penalty(quadratic_critic(), real, fake).item() == pytest.approx(expected.item(), rel=1e-5)


def test_a_lazy_penalty_joins_every_kth_update_with_k_times_the_weight():
    real = torch.randn(16, 3)
    eager = build_lipschitz(LossConfig(lipschitz="r1", options={"r1_gamma": 1.0}))
    lazy = build_lipschitz(LossConfig(lipschitz="r1", options={"r1_gamma": 1.0, "penalty_every": 3}))
    once = eager.penalty(quadratic_critic(), real, real).item()
    values = [lazy.penalty(quadratic_critic(), real, real) for _ in range(7)]
    assert [v is not None for v in values] == [True, False, False, True, False, False, True]
    assert values[0].item() == pytest.approx(3 * once, rel=1e-6)
    assert lazy.lazy and not eager.lazy
    assert lazy.state_dict() == {"updates": 7}


def test_the_penalty_trains_the_critic_towards_flat_gradients_on_real_data():
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))
    r1 = build_lipschitz(LossConfig(lipschitz="r1", options={"r1_gamma": 1.0}))
    real = torch.randn(64, 2)
    score = lambda x: critic(x).squeeze(1)  # noqa: E731
    before = r1.penalty(score, real, real).item()
    opt = torch.optim.SGD(critic.parameters(), lr=0.5)
    for _ in range(300):
        opt.zero_grad()
        r1.penalty(score, real, real).backward()
        opt.step()
    assert r1.penalty(score, real, real).item() < before / 10


def r1_config(cfg, every=3):
    cfg.update({"loss": {"objective": "gan", "lipschitz": "r1", "r1_gamma": 1.0, "penalty_every": every},
                "train": {"n_critic": 1}})
    return cfg


def test_a_lazy_run_resumes_exactly(tiny_image_config, tmp_path):
    import copy

    straight = Trainer(r1_config(copy.deepcopy(tiny_image_config)), tmp_path / "a", progress=False)
    straight.fit()
    first = Trainer(r1_config(copy.deepcopy(tiny_image_config)), tmp_path / "b", progress=False)
    first.fit(3)  # a checkpoint at step 3: the count of critic updates is saved with it
    resumed = Trainer.resume(tmp_path / "b", progress=False)
    assert resumed.algorithm.lipschitz.updates == 3
    resumed.fit(tiny_image_config.train.steps)
    for a, b in zip(straight.algorithm.critic.parameters(), resumed.algorithm.critic.parameters()):
        assert torch.equal(a, b)


def test_a_lazy_penalty_cannot_be_captured_in_a_cuda_graph():
    class Data:
        streaming = False

    reasons = capture_blockers(torch.device("cuda"), Data(), "none", lazy=True)
    assert reasons == ["a lazy penalty (loss.penalty_every > 1) decides on the host which updates it joins"]


def test_the_split_critic_update_is_refused_with_an_input_penalty(tiny_image_config):
    cfg = r1_config(tiny_image_config, every=1)
    cfg.train.critic_split = "half"
    with pytest.raises(WganError, match="critic_split.*no gradient penalty"):
        validate(cfg)


def test_the_penalty_interval_is_checked(tiny_image_config):
    cfg = r1_config(tiny_image_config, every=0)
    with pytest.raises(WganError, match="loss.penalty_every must be >= 1"):
        validate(cfg)
