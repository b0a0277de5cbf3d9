import pytest
import torch

from wgan.objectives import build_objective
from wgan.errors import WganError

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
    with pytest.raises(WganError, match="accepted: gan, wgan"):
        build_objective("lsgan")
