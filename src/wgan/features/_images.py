"""Image inputs shared by the feature spaces, and the device they run on.

Two forms reach a feature extractor: what a generator produces (float in
[-1, 1], NCHW, numpy or torch) and what :func:`wgan.data.sources.load_images`
returns (uint8 NHWC). Accepting both means callers never convert by hand,
and the one place that converts is also the one place that checks shapes.
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import WganError


def resolve_device(device=None) -> torch.device:
    """None or "auto": the GPU when there is one, else the CPU."""
    if device is None or str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError):
        raise WganError(f"unknown device {device!r}; accepted: auto, cpu, cuda, cuda:N") from None


def _as_tensor(images) -> torch.Tensor:
    if isinstance(images, torch.Tensor):
        return images.detach()
    arr = np.asarray(images)
    if arr.dtype == object:
        raise WganError("images must be a numeric array, got an object array")
    return torch.from_numpy(np.ascontiguousarray(arr))


def as_nchw(images, channels: int | None = None, size: tuple[int, int] | None = None) -> torch.Tensor:
    """Images as an NCHW tensor: uint8 stays uint8 (NHWC input is transposed), floats stay floats.

    uint8 input is read as NHWC (the loaders' layout) when its last axis can
    be channels, and as NCHW otherwise; float input is NCHW in [-1, 1].
    ``channels``/``size``, when given, are checked so a mismatch is a clear
    message instead of a shape error deep inside a convolution.
    """
    x = _as_tensor(images)
    if x.ndim == 3:  # (N, H, W): one channel
        x = x.unsqueeze(1)
    if x.ndim != 4:
        raise WganError(f"images must be (N, C, H, W) floats in [-1, 1] or (N, H, W, C) uint8, got shape "
                        f"{tuple(x.shape)}")
    if x.dtype == torch.uint8:
        if x.shape[-1] in (1, 3) and x.shape[1] not in (1, 3):
            x = x.permute(0, 3, 1, 2)
    elif not x.is_floating_point():
        raise WganError(f"images must be float in [-1, 1] or uint8 in [0, 255], got {x.dtype}")
    if channels is not None and x.shape[1] != channels:
        raise WganError(f"images have {x.shape[1]} channels but this feature space expects {channels}")
    if size is not None and tuple(x.shape[2:]) != tuple(size):
        raise WganError(f"images are {x.shape[2]}x{x.shape[3]} but this feature space expects "
                        f"{size[0]}x{size[1]} (the data set's resolution)")
    return x


def to_float(x: torch.Tensor) -> torch.Tensor:
    """An NCHW batch as float32 in [-1, 1] (uint8 is rescaled from [0, 255])."""
    if x.dtype == torch.uint8:
        return x.float().div_(127.5).sub_(1.0)
    return x.float()


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """An NCHW batch as uint8 in [0, 255] (floats are read as [-1, 1], clipped, rounded)."""
    if x.dtype == torch.uint8:
        return x
    return ((x.float().clamp(-1.0, 1.0) + 1.0) * 127.5).round_().to(torch.uint8)


def batches(n: int, batch_size: int):
    """Slices covering range(n) in order, ``batch_size`` at a time."""
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))
