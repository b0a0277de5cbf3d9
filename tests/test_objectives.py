import pytest
import torch

from wgan.errors import WganError
from wgan.methods.objectives import build_objective
from wgan.validation import validate

REAL = torch.tensor([2.0, 3.0])
FAKE = torch.tensor([-1.0, 0.0])


def test_wgan_critic_loss_is_fake_minus_real():
    obj = build_objective("wgan")
    loss = obj.critic_loss_real(REAL) + obj.critic_loss_fake(FAKE)
    assert loss.item() == pytest.approx(FAKE.mean() - REAL.mean())  # negative when real scores higher
    assert obj.generator_loss(FAKE).item() == pytest.approx(-FAKE.mean())


def test_gan_losses_follow_cross_entropy_conventions():
    obj = build_objective("gan")
    confident_real, confident_fake = torch.tensor([20.0]), torch.tensor([-20.0])
    # A discriminator that is right has near-zero loss; the non-saturating generator loss is then large.
    assert obj.critic_loss_real(confident_real).item() < 1e-6
    assert obj.critic_loss_fake(confident_fake).item() < 1e-6
    assert obj.generator_loss(confident_fake).item() == pytest.approx(20.0, rel=1e-3)
    assert obj.critic_loss_real(torch.zeros(1)).item() == pytest.approx(torch.log(torch.tensor(2.0)).item())


def test_unknown_objective():
    with pytest.raises(WganError, match="accepted: gan, hinge, ls, wgan"):
        build_objective("lsgan")


def test_hinge_losses_by_hand():
    obj = build_objective("hinge")
    # Critic: mean(max(0, 1 - [2, 3])) = 0 and mean(max(0, 1 + [-1, 0])) = (0 + 1) / 2.
    assert obj.critic_loss_real(REAL).item() == pytest.approx(0.0)
    assert obj.critic_loss_fake(FAKE).item() == pytest.approx(0.5)
    assert obj.critic_loss_real(torch.tensor([0.5, -1.0])).item() == pytest.approx((0.5 + 2.0) / 2)
    assert obj.generator_loss(FAKE).item() == pytest.approx(0.5)  # -mean([-1, 0])


def test_least_squares_losses_by_hand():
    obj = build_objective("ls")
    # Critic: 0.5 * mean(([2, 3] - 1)^2) = 0.5 * (1 + 4) / 2 and 0.5 * mean([-1, 0]^2) = 0.5 * 0.5.
    assert obj.critic_loss_real(REAL).item() == pytest.approx(1.25)
    assert obj.critic_loss_fake(FAKE).item() == pytest.approx(0.25)
    # Generator: 0.5 * mean(([-1, 0] - 1)^2) = 0.5 * (4 + 1) / 2.
    assert obj.generator_loss(FAKE).item() == pytest.approx(1.25)


@pytest.mark.parametrize("name", ["hinge", "ls"])
def test_new_objectives_are_accepted_by_the_config(name):
    from wgan.config import Config

    cfg = Config()
    cfg.set("loss.objective", name)
    assert validate(cfg).loss.objective == name
