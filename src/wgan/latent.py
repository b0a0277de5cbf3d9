"""The generator's input noise: its distribution, seeded draws and truncation."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .errors import WganError

DISTRIBUTIONS = ("normal", "uniform")


@dataclass(frozen=True)
class Latent:
    """``dim``-dimensional noise: N(0, I) (``normal``) or U(-1, 1) (``uniform``, the quadratic toy's tutorial)."""

    dim: int
    distribution: str = "normal"

    def draw(self, n: int, generator: torch.Generator | None = None, device=None,
             dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """``n`` vectors from ``generator`` (on its device), or from torch's global generator on ``device``."""
        device = generator.device if generator is not None else device
        if self.distribution == "uniform":
            return torch.rand((n, self.dim), generator=generator, device=device, dtype=dtype) * 2 - 1
        return torch.randn((n, self.dim), generator=generator, device=device, dtype=dtype)

    def shared(self, random, n: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """``n`` vectors from a :class:`~wgan.rng.SharedRandom` (the training step's draws)."""
        if self.distribution == "uniform":
            return random.uniform(n, self.dim, dtype=dtype) * 2 - 1
        return random.normal(n, self.dim, dtype=dtype)

    def truncate(self, z: torch.Tensor, psi: float, generator: torch.Generator | None = None,
                 max_rounds: int = 1000) -> torch.Tensor:
        """Redraw every coordinate of ``z`` beyond ``psi`` (standard deviations, or the uniform's half-width).

        The truncation trick: samples from the dense middle of the noise look cleaner
        and vary less. ``psi`` <= 0 is refused; a large ``psi`` changes nothing.
        """
        if not psi > 0:
            raise WganError(f"--truncation must be positive, got {psi}")
        z = z.clone()
        for _ in range(max_rounds):
            outside = z.abs() > psi
            if not outside.any():
                return z
            fresh = self.draw(len(z), generator=generator, device=z.device, dtype=z.dtype)
            z = torch.where(outside, fresh, z)
        return z.clamp(-psi, psi)  # psi so small that redrawing rarely lands inside: the nearest values
