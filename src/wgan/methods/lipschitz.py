"""Ways to keep the critic (approximately) 1-Lipschitz, as separate pieces, behind a registry.

Each method can touch the critic at four points: ``prepare`` once when the
critic is built (spectral normalisation), ``penalty`` added to the critic loss
(gradient penalties), and ``before_update``/``after_update`` around the
optimiser step (weight clipping). The training step calls all of them for every
method, so methods compose (``sn+gp``) without if/else in the training loop.

A method is a :class:`LipschitzMethod` subclass registered in :data:`LIPSCHITZ_METHODS`
(``@LIPSCHITZ_METHODS.register("gp")``), the one list of them, which config validation,
``--help`` and error messages read. Each carries the optimiser its paper trains
with (``optim.name=auto``) and declares the coefficients it reads from the
``loss`` section (:mod:`wgan.options`), which its constructor takes by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from ..errors import choice_error
from ..options import Option, options_of
from ..registry import Registry

if TYPE_CHECKING:
    from ..config import LossConfig

LIPSCHITZ_METHODS: Registry[type["LipschitzMethod"]] = Registry("Lipschitz method")


def method_names(spec: str) -> list[str]:
    """The registered methods of ``loss.lipschitz`` (one name, or several joined with ``+``)."""
    names = str(spec).split("+")
    for name in names:
        if name not in LIPSCHITZ_METHODS:
            raise choice_error("Lipschitz method", spec, LIPSCHITZ_METHODS.names() + ["a + combination such as sn+gp"])
    return names


def penalises_pairs(spec: str) -> bool:
    """Whether a method of ``spec`` penalises interpolates of real and generated pairs (gp, lp)."""
    return any(LIPSCHITZ_METHODS.get(name).penalises_pairs for name in method_names(spec))


def penalises_inputs(spec: str) -> bool:
    """Whether a method of ``spec`` penalises the critic's gradient with respect to each input (gp, lp,
    r1, r2): such a penalty is per sample, which BatchNorm in the critic breaks."""
    return any(LIPSCHITZ_METHODS.get(name).penalises_inputs for name in method_names(spec))


def paper_optimizer(spec: str) -> tuple[str, float, tuple[float, float]]:
    """``(optimiser, learning rate, Adam betas)`` of ``spec``'s paper; a combination takes its first part's."""
    return LIPSCHITZ_METHODS.get(method_names(spec)[0]).paper_optimizer


def interpolates(real: torch.Tensor, fake: torch.Tensor, eps: torch.Tensor | None = None) -> torch.Tensor:
    """x_hat = eps * real + (1 - eps) * fake with one eps ~ U(0, 1) per sample.

    ``eps`` (shape (B,)) is drawn from torch's global generator when not given; the
    training step passes its own draws (``rng.SharedRandom``).
    """
    if eps is None:
        eps = torch.rand(real.shape[0], device=real.device, dtype=real.dtype)
    eps = eps.to(real.dtype).reshape((real.shape[0],) + (1,) * (real.dim() - 1))
    return eps * real + (1 - eps) * fake


def input_gradient_norm(critic: nn.Module, x: torch.Tensor, create_graph: bool = False,
                        labels: torch.Tensor | None = None, scale: float | None = None) -> torch.Tensor:
    """||grad_x C(x)||_2 per sample (``labels`` for a critic that projects them).

    ``scale`` (fp16 training): the gradient is taken of the score times the loss scale, so that
    small gradients do not underflow in half precision on the way back, and divided by it before
    the norm; an overflow gives inf, which makes the scaler skip the update.
    """
    x = x.detach().requires_grad_(True)
    scores = critic(x) if labels is None else critic(x, labels)
    total = scores.sum() if scale is None else scores.sum() * scale
    (grad,) = torch.autograd.grad(total, x, create_graph=create_graph)
    if scale is not None:
        grad = grad / scale
    return grad.flatten(1).norm(2, dim=1)


class LipschitzMethod:
    # A penalty on interpolates between real and generated samples of one batch (needs them paired).
    penalises_pairs = False
    # A penalty on the critic's gradient with respect to each input (per sample).
    penalises_inputs = False
    # Decides on the host, update by update, whether it applies (a lazy penalty): no CUDA graph.
    lazy = False
    # (optimiser, learning rate, Adam betas) as the method's paper trains, for optim.name=auto.
    # Unconstrained (the vanilla GAN): Adam 2e-4, betas (0.5, 0.999) (DCGAN, Radford et al. 2016).
    paper_optimizer: tuple[str, float, tuple[float, float]] = ("adam", 2e-4, (0.5, 0.999))
    # The settings of the loss section it reads, passed to its constructor by key.
    options: tuple[Option, ...] = ()

    @classmethod
    def from_config(cls, cfg: "LossConfig") -> "LipschitzMethod":
        """The method with the settings of ``loss.*`` it declares."""
        return cls(**{option.key: option.read(cfg) for option in options_of(cls)})

    def prepare(self, critic: nn.Module) -> nn.Module:
        return critic

    def penalty(self, critic: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                eps: torch.Tensor | None = None, labels: torch.Tensor | None = None,
                scale: float | None = None) -> torch.Tensor | None:
        """A term for the critic loss; ``eps`` are the per-sample interpolation weights (see interpolates).
        A projection critic scores the interpolates with the real images' ``labels``; ``scale`` is the
        fp16 loss scale (see input_gradient_norm)."""
        return None

    def before_update(self, critic: nn.Module) -> None:
        pass

    def after_update(self, critic: nn.Module) -> None:
        pass

    def stats(self, critic: nn.Module) -> dict[str, torch.Tensor]:
        """Extra diagnostics (device tensors, gathered only at log steps)."""
        return {}

    def state_dict(self) -> dict:
        """What a checkpoint must keep for the method to continue exactly (a lazy penalty's count)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


@LIPSCHITZ_METHODS.register("none")
class NoConstraint(LipschitzMethod):
    """No constraint (the vanilla GAN, or a critic kept in check by its loss alone)."""


@LIPSCHITZ_METHODS.register("clip")
class WeightClipping(LipschitzMethod):
    """Arjovsky et al. 2017: clamp every critic parameter to [-c, c].

    ``when="after"`` clips after each critic update (the WGAN paper and the CIFAR-10 and MNIST-sevens tutorials);
    ``"before"`` clips before each critic iteration (the AC-WGAN MNIST tutorial's Keras loop).
    """

    paper_optimizer = ("rmsprop", 5e-5, (0.0, 0.0))  # Arjovsky et al. 2017, Algorithm 1
    options = (Option("clip_value", float, 0.01, "weights are clamped to [-c, c]", positive=True),
               Option("clip_when", str, "after", "clip after each critic update (the WGAN paper) or before each "
                      "critic iteration (the AC-WGAN MNIST tutorial)", choices=("after", "before")))

    def __init__(self, clip_value: float = 0.01, clip_when: str = "after"):
        self.c, self.when = clip_value, clip_when

    @torch.no_grad()
    def _clip(self, critic: nn.Module) -> None:
        for p in critic.parameters():
            p.clamp_(-self.c, self.c)

    def before_update(self, critic: nn.Module) -> None:
        if self.when == "before":
            self._clip(critic)

    def after_update(self, critic: nn.Module) -> None:
        if self.when == "after":
            self._clip(critic)

    @torch.no_grad()
    def stats(self, critic: nn.Module) -> dict[str, torch.Tensor]:
        # The share of weights sitting on the bound: near 1 means clipping dominates the critic.
        flat = torch.cat([p.flatten() for p in critic.parameters()])
        return {"clip_fraction": (flat.abs() >= self.c * (1 - 1e-6)).float().mean()}


@LIPSCHITZ_METHODS.register("gp")
class GradientPenalty(LipschitzMethod):
    """Gulrajani et al. 2017: lambda * E[(||grad C(x_hat)|| - 1)^2] on per-sample interpolates."""

    penalises_pairs = penalises_inputs = True
    paper_optimizer = ("adam", 1e-4, (0.0, 0.9))  # Gulrajani et al. 2017, Algorithm 1
    options = (Option("gp_lambda", float, 10.0, "weight of the gradient penalty (gp and lp)", minimum=0),)

    def __init__(self, gp_lambda: float = 10.0):
        self.weight = gp_lambda

    def _excess(self, norms: torch.Tensor) -> torch.Tensor:
        return norms - 1

    def penalty(self, critic: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                eps: torch.Tensor | None = None, labels: torch.Tensor | None = None,
                scale: float | None = None) -> torch.Tensor:
        norms = input_gradient_norm(critic, interpolates(real, fake.detach(), eps), create_graph=True,
                                    labels=labels, scale=scale)
        return self.weight * self._excess(norms).pow(2).mean()


@LIPSCHITZ_METHODS.register("lp")
class LipschitzPenalty(GradientPenalty):
    """Petzka et al. 2018: penalise only norms above 1, lambda * E[max(0, ||grad|| - 1)^2]."""

    def _excess(self, norms: torch.Tensor) -> torch.Tensor:
        return torch.relu(norms - 1)


# How often a zero-centred penalty joins a critic update; shared by r1 and r2.
PENALTY_EVERY = Option("penalty_every", int, 1, "r1/r2: apply the penalty on every k-th critic update only, "
                       "its weight times k (lazy regularisation, StyleGAN2: 16)", minimum=1, maximum=10_000)


class ZeroCentredPenalty(LipschitzMethod):
    """gamma / 2 * E[||grad C(x)||^2] on real (R1) or generated (R2) samples: Mescheder et al. 2018.

    The gradient is pushed towards zero on the data (or the generator's samples) instead of towards
    one on interpolates, which makes the non-saturating GAN converge locally; one critic step per
    generator step is enough. Lazily (``penalty_every`` = k > 1, as StyleGAN2) it joins every k-th
    critic update, with gamma times k so that its weight over time is the same: a double backward
    every k updates instead of every one. The count of updates is kept in checkpoints.
    """

    penalises_inputs = True
    on_real = True
    # Mescheder et al.'s GAN_stability configurations: Adam 1e-4, betas (0, 0.99), one critic step.
    paper_optimizer = ("adam", 1e-4, (0.0, 0.99))

    def __init__(self, gamma: float, penalty_every: int = 1):
        self.gamma, self.every = gamma, penalty_every
        self.lazy = penalty_every > 1
        self.updates = 0  # critic updates seen

    def penalty(self, critic, real, fake, eps=None, labels=None, scale=None):
        due = self.updates % self.every == 0
        self.updates += 1
        if not due:
            return None
        # A projection critic scores R2's samples with the real batch's labels, as gp scores interpolates.
        x = real if self.on_real else fake.detach()
        norms = input_gradient_norm(critic, x, create_graph=True, labels=labels, scale=scale)
        return (self.gamma / 2) * self.every * norms.pow(2).mean()

    def state_dict(self) -> dict:
        return {"updates": self.updates} if self.lazy else {}

    def load_state_dict(self, state: dict) -> None:
        self.updates = int(state.get("updates", 0))


@LIPSCHITZ_METHODS.register("r1")
class R1Penalty(ZeroCentredPenalty):
    """Mescheder et al. 2018: gamma / 2 * E[||grad C(x)||^2] on real samples (R1)."""

    options = (Option("r1_gamma", float, 10.0, "weight gamma of the R1 penalty (gamma / 2 ||grad||^2)", minimum=0),
               PENALTY_EVERY)

    def __init__(self, r1_gamma: float = 10.0, penalty_every: int = 1):
        super().__init__(r1_gamma, penalty_every)


@LIPSCHITZ_METHODS.register("r2")
class R2Penalty(ZeroCentredPenalty):
    """Mescheder et al. 2018: gamma / 2 * E[||grad C(x)||^2] on generated samples (R2)."""

    on_real = False
    options = (Option("r2_gamma", float, 10.0, "weight gamma of the R2 penalty (gamma / 2 ||grad||^2)", minimum=0),
               PENALTY_EVERY)

    def __init__(self, r2_gamma: float = 10.0, penalty_every: int = 1):
        super().__init__(r2_gamma, penalty_every)


@LIPSCHITZ_METHODS.register("sn")
class SpectralNorm(LipschitzMethod):
    """Miyato et al. 2018: divide each weight by its largest singular value (power iteration)."""
    paper_optimizer = ("adam", 2e-4, (0.5, 0.999))  # Miyato et al. 2018, setting C

    def prepare(self, critic: nn.Module) -> nn.Module:
        for module in list(critic.modules()):
            # The projection critic's class embedding too, as Miyato and Koyama's code normalises it.
            if isinstance(module, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d, nn.Embedding)):
                nn.utils.parametrizations.spectral_norm(module)
        return critic


class Combined(LipschitzMethod):
    """Several methods at once, e.g. ``sn+gp``: each hook calls every part in order."""

    def __init__(self, parts: list[LipschitzMethod]):
        self.parts = parts

    def prepare(self, critic: nn.Module) -> nn.Module:
        for part in self.parts:
            critic = part.prepare(critic)
        return critic

    def penalty(self, critic, real, fake, eps=None, labels=None, scale=None):
        terms = [t for t in (p.penalty(critic, real, fake, eps, labels, scale) for p in self.parts) if t is not None]
        return sum(terms) if terms else None

    def before_update(self, critic: nn.Module) -> None:
        for part in self.parts:
            part.before_update(critic)

    def after_update(self, critic: nn.Module) -> None:
        for part in self.parts:
            part.after_update(critic)

    def stats(self, critic: nn.Module) -> dict[str, torch.Tensor]:
        return {k: v for part in self.parts for k, v in part.stats(critic).items()}

    @property
    def lazy(self) -> bool:
        return any(part.lazy for part in self.parts)

    def state_dict(self) -> dict:
        return {str(i): part.state_dict() for i, part in enumerate(self.parts) if part.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        for i, part in enumerate(self.parts):
            part.load_state_dict(state.get(str(i), {}))


def build_lipschitz(cfg: "LossConfig") -> LipschitzMethod:
    """One method by name, or several joined with ``+`` (``sn+gp``)."""
    parts = [LIPSCHITZ_METHODS.get(name).from_config(cfg) for name in method_names(cfg.lipschitz)]
    return parts[0] if len(parts) == 1 else Combined(parts)
