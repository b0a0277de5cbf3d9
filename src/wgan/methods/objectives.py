"""Adversarial objectives: how critic scores become critic and generator losses.

All return losses to *minimise*; the critic loss is split into its real and
fake terms because some tutorials update the critic on each half separately (the MNIST-sevens tutorial). The Wasserstein estimate E[C(real)] - E[C(fake)]
is reported for every objective: for ``wgan`` it is the critic's estimate of
W1 (up to the Lipschitz constant); for ``gan``, ``hinge`` and ``ls`` it is only a
diagnostic (their critics' scores are not bounded by a Lipschitz constant alone).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..registry import Registry

OBJECTIVES: Registry[type] = Registry("objective")


@OBJECTIVES.register("wgan")
class WassersteinObjective:
    """Arjovsky et al. 2017: the critic maximises E[C(real)] - E[C(fake)]."""

    summary = "E[C(real)] - E[C(fake)]"

    def critic_loss_real(self, real_scores: torch.Tensor) -> torch.Tensor:
        return -real_scores.mean()

    def critic_loss_fake(self, fake_scores: torch.Tensor) -> torch.Tensor:
        return fake_scores.mean()

    def generator_loss(self, fake_scores: torch.Tensor) -> torch.Tensor:
        return -fake_scores.mean()


@OBJECTIVES.register("gan")
class GANObjective:
    """Goodfellow et al. 2014 with the non-saturating generator loss (the quadratic-curve GAN tutorial)."""

    summary = "sigmoid cross-entropy"

    # softplus(-s) = -log sigmoid(s): real labelled 1, fake labelled 0.
    def critic_loss_real(self, real_scores: torch.Tensor) -> torch.Tensor:
        return F.softplus(-real_scores).mean()

    def critic_loss_fake(self, fake_scores: torch.Tensor) -> torch.Tensor:
        return F.softplus(fake_scores).mean()

    def generator_loss(self, fake_scores: torch.Tensor) -> torch.Tensor:
        return F.softplus(-fake_scores).mean()


@OBJECTIVES.register("hinge")
class HingeObjective:
    """The hinge loss of geometric GAN (Lim and Ye 2017), as SNGAN and BigGAN train.

    Critic: E[max(0, 1 - C(x))] + E[max(0, 1 + C(G(z)))], a margin classifier that
    stops pushing a sample once its score is past the margin. Generator: -E[C(G(z))].
    """

    summary = "SNGAN's margin loss"

    def critic_loss_real(self, real_scores: torch.Tensor) -> torch.Tensor:
        return F.relu(1 - real_scores).mean()

    def critic_loss_fake(self, fake_scores: torch.Tensor) -> torch.Tensor:
        return F.relu(1 + fake_scores).mean()

    def generator_loss(self, fake_scores: torch.Tensor) -> torch.Tensor:
        return -fake_scores.mean()


@OBJECTIVES.register("ls")
class LeastSquaresObjective:
    """Least-squares GAN (Mao et al. 2017) with targets a = 0 (fake), b = 1 (real), c = 1 (G's aim).

    Critic: 1/2 E[(C(x) - 1)^2] + 1/2 E[C(G(z))^2]; generator: 1/2 E[(C(G(z)) - 1)^2].
    Minimising it minimises the Pearson chi-squared divergence when b - c = 1 and b - a = 2;
    the 0-1-1 coding is the paper's second, more commonly used choice.
    """

    summary = "least squares"

    def critic_loss_real(self, real_scores: torch.Tensor) -> torch.Tensor:
        return 0.5 * (real_scores - 1).pow(2).mean()

    def critic_loss_fake(self, fake_scores: torch.Tensor) -> torch.Tensor:
        return 0.5 * fake_scores.pow(2).mean()

    def generator_loss(self, fake_scores: torch.Tensor) -> torch.Tensor:
        return 0.5 * (fake_scores - 1).pow(2).mean()


def build_objective(name: str):
    return OBJECTIVES.get(name)()
