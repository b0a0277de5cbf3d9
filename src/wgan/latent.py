"""The generator's input noise: its distribution, seeded draws and truncation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from .errors import WganError
from .registry import Registry


@dataclass(frozen=True)
class Distribution:
    """A noise distribution: ``draw(shape, generator, device, dtype)`` from a torch generator (or torch's
    global one), and ``shared(random, n, dim, dtype)`` from the training step's SharedRandom."""

    summary: str
    draw: Callable[..., torch.Tensor]
    shared: Callable[..., torch.Tensor]


LATENTS: Registry[Distribution] = Registry("latent distribution")
LATENTS.register("normal", Distribution(
    "N(0, I)", lambda shape, g, device, dtype: torch.randn(shape, generator=g, device=device, dtype=dtype),
    lambda random, n, dim, dtype: random.normal(n, dim, dtype=dtype)))
LATENTS.register("uniform", Distribution(
    "U(-1, 1), as the quadratic-curve tutorial and Lucic et al.",
    lambda shape, g, device, dtype: torch.rand(shape, generator=g, device=device, dtype=dtype) * 2 - 1,
    lambda random, n, dim, dtype: random.uniform(n, dim, dtype=dtype) * 2 - 1))


@dataclass(frozen=True)
class Latent:
    """``dim``-dimensional noise of a registered distribution (:data:`LATENTS`)."""

    dim: int
    distribution: str = "normal"

    def draw(self, n: int, generator: torch.Generator | None = None, device=None,
             dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """``n`` vectors from ``generator`` (on its device), or from torch's global generator on ``device``."""
        device = generator.device if generator is not None else device
        return LATENTS.get(self.distribution).draw((n, self.dim), generator, device, dtype)

    def shared(self, random, n: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """``n`` vectors from a :class:`~wgan.rng.SharedRandom` (the training step's draws)."""
        return LATENTS.get(self.distribution).shared(random, n, self.dim, dtype)

    def truncate(self, z: torch.Tensor, psi: float, generator: torch.Generator | None = None,
                 max_rounds: int = 1000) -> torch.Tensor:
        """Redraw every coordinate of ``z`` beyond ``psi`` (standard deviations, or the uniform's half-width).

        The truncation trick: samples from the dense middle of the noise look cleaner
        and vary less. ``psi`` <= 0 is refused; a large ``psi`` changes nothing.
        """
        check_truncation(psi)
        z = z.clone()
        for _ in range(max_rounds):
            outside = z.abs() > psi
            if not outside.any():
                return z
            fresh = self.draw(len(z), generator=generator, device=z.device, dtype=z.dtype)
            z = torch.where(outside, fresh, z)
        return z.clamp(-psi, psi)  # psi so small that redrawing rarely lands inside: the nearest values


def check_truncation(psi: float | None) -> None:
    """Refuse a truncation that is not positive (None: none asked for), before any work is done."""
    if psi is not None and not psi > 0:
        raise WganError(f"--truncation must be positive, got {psi}")
