"""2-D toy distributions, exactly as the quadratic-curve GAN tutorial and improved_wgan_training's gan_toy.py define them.

Each toy keeps a fixed pool of points on the training device and draws batches
from it by index, so a training step never calls into NumPy or scikit-learn.
The pools are large (100,000 points, gan_toy's own size for 25gaussians) so
that fresh-sampling toys (8gaussians, swissroll) lose nothing measurable.
Points are stored in the coordinates the definitions give; ``normalize``
standardises them for the networks and ``to_data`` undoes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from ..registry import Registry
from .space import DataSpace

POOL_SIZE = 100_000


@dataclass(frozen=True)
class Modes:
    """Centres and per-coordinate standard deviation of a Gaussian mixture (for mode metrics)."""

    centers: np.ndarray  # (K, 2)
    sd: float


@dataclass(frozen=True)
class ToySet:
    """A 2-D data set: ``draw(n, numpy Generator)`` -> (n, 2) points in data coordinates, and, for a
    Gaussian mixture, its modes (the mode metrics read them)."""

    draw: Callable[[int, np.random.Generator], np.ndarray]
    modes: Modes | None = None


# The 2-D data sets by name.
TOY_SETS: Registry[ToySet] = Registry("2-D data set")


def toy_set(name: str, modes: Modes | None = None):
    """Register the decorated ``draw`` function as the 2-D data set ``name`` (with its ``modes``)."""
    def register(draw):
        TOY_SETS.register(name, ToySet(draw, modes))
        return draw

    return register


@toy_set("quadratic")
def quadratic(n: int, rng: np.random.Generator) -> np.ndarray:
    """TF1 quadratic-curve GAN tutorial: x = 100 * (U - 0.5), y = 10 + x^2."""
    x = 100.0 * (rng.random(n) - 0.5)
    return np.stack([x, 10.0 + x**2], axis=1)


def _eight_centers() -> np.ndarray:
    r = 1.0 / math.sqrt(2.0)
    unit = [(1, 0), (-1, 0), (0, 1), (0, -1), (r, r), (r, -r), (-r, r), (-r, -r)]
    return 2.0 * np.array(unit, dtype=np.float64)


@toy_set("8gaussians", Modes(_eight_centers() / 1.414, 0.02 / 1.414))
def eight_gaussians(n: int, rng: np.random.Generator) -> np.ndarray:
    """gan_toy.py: 8 centres on a circle of radius 2, sd 0.02, all divided by 1.414."""
    centers = _eight_centers()
    points = centers[rng.integers(0, len(centers), n)] + 0.02 * rng.standard_normal((n, 2))
    return points / 1.414


def _grid_centers() -> np.ndarray:
    return np.array([(2.0 * x, 2.0 * y) for x in range(-2, 3) for y in range(-2, 3)])


@toy_set("25gaussians", Modes(_grid_centers() / 2.828, 0.05 / 2.828))
def twentyfive_gaussians(n: int, rng: np.random.Generator) -> np.ndarray:
    """gan_toy.py: a 5 x 5 grid at -4..4 step 2, sd 0.05, divided by 2.828 (equal counts per mode)."""
    centers = _grid_centers()
    points = np.repeat(centers, -(-n // len(centers)), axis=0)[:n] + 0.05 * rng.standard_normal((n, 2))
    return rng.permutation(points) / 2.828


@toy_set("swissroll")
def swissroll(n: int, rng: np.random.Generator) -> np.ndarray:
    """gan_toy.py: scikit-learn's swiss roll, noise 0.25, columns 0 and 2, divided by 7.5."""
    from sklearn.datasets import make_swiss_roll  # here: scikit-learn takes a second to import

    seed = int(rng.integers(0, 2**31 - 1))
    return make_swiss_roll(n_samples=n, noise=0.25, random_state=seed)[0][:, [0, 2]] / 7.5


class ToyDataset:
    """A pool of 2-D points on a device, sampled by index."""

    kind = "toy"
    shape = (2,)
    num_classes = 0
    size = None  # the points are drawn from a pool, without epochs
    streaming = False

    def __init__(self, name: str, normalize: bool = True, seed: int = 0, pool_size: int = POOL_SIZE):
        self.name = name
        self.modes = TOY_SETS.get(name).modes
        self._make = TOY_SETS.get(name).draw
        points = self._make(pool_size, np.random.default_rng(seed))
        if normalize:
            self.shift, self.scale = points.mean(0), points.std(0)
        else:
            self.shift, self.scale = np.zeros(2), np.ones(2)
        self.pool = torch.as_tensor((points - self.shift) / self.scale, dtype=torch.float32)
        self.space = DataSpace("toy", self.shape, name, tuple(map(float, self.shift)), tuple(map(float, self.scale)))

    def to(self, device) -> "ToyDataset":
        self.pool = self.pool.to(device)
        return self

    @property
    def device(self) -> torch.device:
        return self.pool.device

    def sample(self, n: int, random) -> tuple[torch.Tensor, None]:
        """``n`` points by index from the pool (``random``: the training step's SharedRandom)."""
        return self.pool[random.integers(0, len(self.pool), n)], None

    def reference(self, n: int, seed: int) -> tuple[torch.Tensor, None]:
        """``n`` independent real points in data coordinates (see :func:`reference_points`)."""
        return reference_points(self.name, n, seed), None

    def to_data(self, x: torch.Tensor) -> torch.Tensor:
        return self.space.to_data(x)

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass

    def from_data(self, x: torch.Tensor) -> torch.Tensor:
        return self.space.from_data(x)


def reference_points(name: str, n: int, seed: int) -> torch.Tensor:
    """``n`` independent draws from a fresh pool made by the definition (not the training pool).

    Drawn by index, like training batches, rather than made at size ``n``: 25gaussians
    puts exactly n/25 points on every mode, and two such sets would agree on their
    mode counts far better than any independent sample can, the true distribution
    included, which would make the real-vs-real floor of W1 unreachably low (in our
    runs 0.007 instead of about 0.03 at 2,000 points).
    """
    make = TOY_SETS.get(name).draw
    # Offset the seed so evaluation never reuses the pool's random stream.
    rng = np.random.default_rng(10_000 + seed)
    points = make(max(n, POOL_SIZE), rng)
    return torch.as_tensor(points[rng.integers(0, len(points), n)], dtype=torch.float32)
