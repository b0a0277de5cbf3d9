import pytest
import torch
from torch import nn

from wgan.config import LossConfig
from wgan.errors import WganError
from wgan.methods.lipschitz import build_lipschitz, input_gradient_norm


def linear_critic(weights):
    critic = nn.Linear(len(weights), 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([weights]))
    return lambda x: critic(x).squeeze(1)


@pytest.mark.parametrize("weights", [[3.0, 4.0], [0.3, 0.4]])
def test_gradient_penalty_of_linear_critic_is_analytic(weights):
    # C(x) = w.x + b has gradient w everywhere: GP = lambda * (|w| - 1)^2 exactly.
    torch.manual_seed(0)
    critic = linear_critic(weights)
    gp = build_lipschitz(LossConfig(lipschitz="gp", options={"gp_lambda": 10.0}))
    value = gp.penalty(critic, torch.randn(64, 2), torch.randn(64, 2))
    norm = torch.tensor(weights).norm().item()
    assert value.item() == pytest.approx(10.0 * (norm - 1) ** 2, rel=1e-5)


def test_lipschitz_penalty_is_one_sided():
    lp = build_lipschitz(LossConfig(lipschitz="lp", options={"gp_lambda": 10.0}))
    x = torch.randn(16, 2)
    assert lp.penalty(linear_critic([0.3, 0.4]), x, x).item() == 0.0  # |w| = 0.5 < 1: no penalty
    assert lp.penalty(linear_critic([3.0, 4.0]), x, x).item() == pytest.approx(10.0 * 16.0, rel=1e-5)


def test_penalty_is_differentiable_wrt_critic_weights():
    critic = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    gp = build_lipschitz(LossConfig(lipschitz="gp"))
    gp.penalty(lambda x: critic(x).squeeze(1), torch.randn(8, 2), torch.randn(8, 2)).backward()
    assert critic[0].weight.grad is not None and critic[0].weight.grad.abs().sum() > 0


@pytest.mark.parametrize("when", ["after", "before"])
def test_clipping_bounds_every_critic_weight(when):
    critic = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 1))
    with torch.no_grad():
        for p in critic.parameters():
            p.mul_(100)
    clip = build_lipschitz(LossConfig(lipschitz="clip", options={"clip_value": 0.01, "clip_when": when}))
    clip.before_update(critic)
    clip.after_update(critic)
    assert all(p.abs().max().item() <= 0.01 for p in critic.parameters())
    assert clip.stats(critic)["clip_fraction"].item() > 0.9


def test_spectral_norm_gives_unit_largest_singular_value():
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 1))
    with torch.no_grad():
        critic[0].weight.mul_(10)
    critic = build_lipschitz(LossConfig(lipschitz="sn")).prepare(critic)
    for _ in range(50):  # power iteration refines its estimate on each training-mode forward
        critic(torch.randn(4, 8))
    sigma = torch.linalg.matrix_norm(critic[0].weight.detach(), ord=2).item()
    assert sigma == pytest.approx(1.0, abs=0.05)


def test_methods_compose_with_plus():
    method = build_lipschitz(LossConfig(lipschitz="sn+gp", options={"gp_lambda": 1.0}))
    critic = method.prepare(nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1)))
    assert hasattr(critic[0], "parametrizations")
    assert method.penalty(lambda x: critic(x).squeeze(1), torch.randn(4, 2), torch.randn(4, 2)) is not None


def test_unknown_method_is_named():
    with pytest.raises(WganError, match="unknown Lipschitz method 'clipp'.*gp"):
        build_lipschitz(LossConfig(lipschitz="clipp"))


def test_input_gradient_norm_per_sample():
    norms = input_gradient_norm(linear_critic([3.0, 4.0]), torch.randn(5, 2))
    assert torch.allclose(norms, torch.full((5,), 5.0))
