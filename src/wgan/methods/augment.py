"""Differentiable augmentation of the critic's inputs (DiffAugment, Zhao et al. 2020).

With little data (the embedded MNIST has 4,000 training digits) a critic soon
memorises the real images, and an AC-WGAN's class head with it: it names the
class of every training digit correctly and is then easily satisfied by
generated digits that an independent classifier reads differently. DiffAugment
shows the critic only randomly transformed images, real and generated alike,
and passes the generator's gradients back through the same transforms, so the
generator still learns the un-augmented distribution.

``policy`` is a comma-separated list of operations, applied in order, each
with its own random draw per image:

- ``translation``: shift by up to an eighth of each side, whole pixels,
  the uncovered border filled with black (-1);
- ``cutout``: blank a square of half the side at a random place to black;
- ``color``: per image, shift the brightness by up to +-0.5 (a quarter of the
  [-1, 1] range), scale the saturation by 0 to 2 (grey to twice as vivid; no
  change for one channel) and the contrast by 0.5 to 1.5, in that order, as
  DiffAugment's colour transform does. For colour images.

Images are float NCHW in [-1, 1]. The random numbers come from ``random``, the
training step's :class:`~wgan.rng.SharedRandom` (so that every process of a
data-parallel run draws those of its own images), or from torch's global
generator on the images' device when none is given.
"""

from __future__ import annotations

import torch

from ..errors import WganError
from ..registry import Registry

OPERATIONS: Registry = Registry("augmentation")  # the one list of them (train.augment)
BLACK = -1.0  # the value of a black pixel in [-1, 1] images
TRANSLATION_RATIO = 0.125
CUTOUT_RATIO = 0.5


def augment(x: torch.Tensor, ops: tuple[str, ...], random=None) -> torch.Tensor:
    """``x`` through each operation of ``ops`` (:func:`augmentation_ops`); ``x`` itself when none."""
    for op in ops:
        x = OPERATIONS.get(op)(x, random=random)
    return x


def _uniform(random, x: torch.Tensor) -> torch.Tensor:
    """One number in [0, 1) per image of ``x``, shaped (N, 1, 1, 1) in ``x``'s dtype."""
    if random is None:
        return torch.rand((x.shape[0], 1, 1, 1), device=x.device, dtype=x.dtype)
    return random.uniform(x.shape[0], 1, 1, 1, dtype=x.dtype)


def _integers(random, low: int, high: int, x: torch.Tensor) -> torch.Tensor:
    """One integer in [low, high) per image of ``x``, shaped (N, 1, 1)."""
    if random is None:
        return torch.randint(low, high, (x.shape[0], 1, 1), device=x.device)
    return random.integers(low, high, x.shape[0], 1, 1)


@OPERATIONS.register("translation")
def translation(x: torch.Tensor, ratio: float = TRANSLATION_RATIO, random=None) -> torch.Tensor:
    n, _, h, w = x.shape
    # Whole-pixel shifts in [-max, max] per image and axis.
    max_y, max_x = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = _integers(random, -max_y, max_y + 1, x)
    dx = _integers(random, -max_x, max_x + 1, x)
    rows = torch.arange(h, device=x.device).view(1, h, 1) - dy  # output (i, j) reads input (i - dy, j - dx)
    cols = torch.arange(w, device=x.device).view(1, 1, w) - dx
    inside = ((rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)).unsqueeze(1)
    index = (rows.clamp(0, h - 1) * w + cols.clamp(0, w - 1)).reshape(n, 1, h * w)
    # A gather keeps the operation differentiable with respect to the pixels.
    moved = x.reshape(n, x.shape[1], h * w).gather(2, index.expand(-1, x.shape[1], -1)).reshape(x.shape)
    return torch.where(inside, moved, BLACK)


@OPERATIONS.register("cutout")
def cutout(x: torch.Tensor, ratio: float = CUTOUT_RATIO, random=None) -> torch.Tensor:
    n, _, h, w = x.shape
    size_y, size_x = int(h * ratio + 0.5), int(w * ratio + 0.5)
    # The square's centre anywhere in the image; near a border part of it falls outside.
    cy = _integers(random, 0, h + (1 - size_y % 2), x)
    cx = _integers(random, 0, w + (1 - size_x % 2), x)
    # Rows and columns relative to the square's first one: inside when in [0, size).
    rows = torch.arange(h, device=x.device).view(1, h, 1) - (cy - size_y // 2)
    cols = torch.arange(w, device=x.device).view(1, 1, w) - (cx - size_x // 2)
    hole = (rows >= 0) & (rows < size_y) & (cols >= 0) & (cols < size_x)
    return torch.where(hole.unsqueeze(1), BLACK, x)


@OPERATIONS.register("color")
def color(x: torch.Tensor, random=None) -> torch.Tensor:
    x = x + (_uniform(random, x) - 0.5)  # brightness
    grey = x.mean(dim=1, keepdim=True)
    x = (x - grey) * (2 * _uniform(random, x)) + grey  # saturation (the identity for one channel)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_uniform(random, x) + 0.5) + mean  # contrast


def augmentation_ops(policy: str) -> tuple[str, ...]:
    """The operations of an augmentation policy: "none", or OPERATIONS names joined by commas."""
    if policy in ("none", ""):
        return ()
    ops = tuple(p.strip() for p in policy.split(","))
    for op in ops:
        if op not in OPERATIONS:
            raise WganError(f"unknown augmentation {op!r} in {policy!r}; accepted: none, or a comma-separated "
                            f"list of {OPERATIONS.help()}")
    return ops
