"""The training step's random numbers: one explicit generator, keyed on the step.

Every random number of a generator iteration (the real batch's indices, the
noise, the fake labels, the penalty's interpolation weights, augmentation) is
drawn from :class:`SharedRandom`. At the start of each iteration it is reseeded
from ``(seed, step)``, and every process draws the numbers of the *global*
batch and keeps its own slice of them. So:

- no two processes see the same sample, and a run on N processes draws the
  same numbers as one process with the same global batch;
- resuming needs only the step, at any number of processes;
- logging, plotting and evaluation use their own generators and never move
  the training trajectory.
"""

from __future__ import annotations

import hashlib

import torch


def stream_seed(*key) -> int:
    """A 63-bit seed from a key such as ``(seed, step)``, well mixed (nearby keys give unrelated seeds)."""
    digest = hashlib.blake2b("/".join(map(str, key)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


class SharedRandom:
    """Random numbers of the global batch, drawn alike on every process; each keeps its slice.

    Sizes given to the methods are this process's (the local batch); the first
    dimension drawn is ``n * world_size``. With ``generator=None`` the numbers
    come from torch's global generator (for code outside the training step).
    """

    def __init__(self, seed: int, device: torch.device, rank: int = 0, world_size: int = 1,
                 generator: torch.Generator | None | bool = True):
        self.seed, self.device = int(seed), torch.device(device)
        self.rank, self.world_size = rank, world_size
        self.generator = torch.Generator(device=self.device) if generator is True else generator or None
        self.start(0)

    def start(self, step: int, stream: str = "train") -> None:
        """Key the numbers that follow on ``(seed, stream, step)``."""
        if self.generator is not None:
            self.generator.manual_seed(stream_seed(self.seed, stream, step))

    def _mine(self, x: torch.Tensor, n: int) -> torch.Tensor:
        return x if self.world_size == 1 else x[self.rank * n:(self.rank + 1) * n]

    def normal(self, n: int, *shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        x = torch.randn((n * self.world_size, *shape), generator=self.generator, device=self.device, dtype=dtype)
        return self._mine(x, n)

    def uniform(self, n: int, *shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """U[0, 1)."""
        x = torch.rand((n * self.world_size, *shape), generator=self.generator, device=self.device, dtype=dtype)
        return self._mine(x, n)

    def integers(self, low: int, high: int, n: int, *shape: int) -> torch.Tensor:
        """Integers in [low, high)."""
        x = torch.randint(low, high, (n * self.world_size, *shape), generator=self.generator, device=self.device)
        return self._mine(x, n)

    def state_dict(self) -> dict:
        return {"seed": self.seed}


def seeded(seed: int, device="cpu") -> torch.Generator:
    """A fresh generator on ``device`` seeded with ``seed`` (sampling, evaluation, plots)."""
    return torch.Generator(device=device).manual_seed(int(seed))
