"""Adversarial objectives: how critic scores become critic and generator losses.

All return losses to *minimise*; the critic loss is split into its real and
fake terms because some seeds update the critic on each half separately (the MNIST-sevens tutorial). The Wasserstein estimate E[C(real)] - E[C(fake)]
is reported for every objective: for ``wgan`` it is the critic's estimate of
W1 (up to the Lipschitz constant); for ``gan`` it is only a diagnostic.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .errors import choice_error


class WassersteinObjective:
    """Arjovsky et al. 2017: the critic maximises E[C(real)] - E[C(fake)]."""

    name = "wgan"

    def critic_loss_real(self, real_scores: torch.Tensor) -> torch.Tensor:
        return -real_scores.mean()

    def critic_loss_fake(self, fake_scores: torch.Tensor) -> torch.Tensor:
        return fake_scores.mean()

    def generator_loss(self, fake_scores: torch.Tensor) -> torch.Tensor:
        return -fake_scores.mean()


class GANObjective:
    """Goodfellow et al. 2014 with the non-saturating generator loss (the quadratic-curve GAN tutorial)."""

    name = "gan"

    # softplus(-s) = -log sigmoid(s): real labelled 1, fake labelled 0.
    def critic_loss_real(self, real_scores: torch.Tensor) -> torch.Tensor:
        return F.softplus(-real_scores).mean()

    def critic_loss_fake(self, fake_scores: torch.Tensor) -> torch.Tensor:
        return F.softplus(fake_scores).mean()

    def generator_loss(self, fake_scores: torch.Tensor) -> torch.Tensor:
        return F.softplus(-fake_scores).mean()


OBJECTIVES = {"wgan": WassersteinObjective, "gan": GANObjective}


def build_objective(name: str):
    if name not in OBJECTIVES:
        raise choice_error("objective", name, OBJECTIVES)
    return OBJECTIVES[name]()
