"""Residual blocks of the ResNet GANs (``resnet-wgan``, ``resnet-sngan``), and their initialisation.

Both papers' CIFAR-10 ResNets are built from the same three blocks (Gulrajani et
al. 2017, gan_cifar_resnet.py; Miyato et al. 2018, appendix B.4):

- :class:`UpBlock` (generator): BN ReLU upsample conv3x3 BN ReLU conv3x3, plus a
  shortcut that upsamples and applies a 1x1 convolution;
- :class:`FirstDownBlock` (the critic's "optimised" first block, which sees raw
  pixels): conv3x3 ReLU conv3x3 mean-pool, plus mean-pool then 1x1 conv;
- :class:`DownBlock` (critic): ReLU conv3x3 ReLU conv3x3 (mean-pool), with a 1x1
  shortcut when the block pools or changes width, the identity otherwise.

Upsampling is nearest-neighbour (tflib's depth_to_space of four copies is the
same). A 1x1 convolution commutes with nearest upsampling and with mean pooling,
so the shortcuts run it on the smaller map; the result is the same. The critic's
blocks have no normalisation, so a gradient penalty stays per sample.

The 3x3 convolutions next to a resampling (:class:`UpConv`, :class:`ConvPool`)
can also be computed as one strided convolution with a 4x4 kernel made from the
3x3 one (``fused``; ``train.fused_resample``, on for CPUs by default): the same
numbers with 4 instead of 9 products per output pixel. ``python
benchmarks/bench_fused_resample.py`` times both.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .heads import with_labels


def upsampled_kernel(weight: torch.Tensor) -> torch.Tensor:
    """The 4x4, stride-2 transposed-convolution kernel ``(in, out, 4, 4)`` that equals nearest
    upsampling by 2 followed by the 3x3 convolution ``weight`` ``(out, in, 3, 3)`` with padding 1.

    Output row 2p reads input rows p-1 (tap 0) and p (taps 1 and 2); row 2p+1 reads p (taps 0
    and 1) and p+1 (tap 2). A transposed convolution with padding 1 puts kernel row k on output
    row 2m - 1 + k, so its rows are: k=0 tap 2, k=1 taps 1+2, k=2 taps 0+1, k=3 tap 0; the same
    for columns.
    """
    taps = ((2,), (1, 2), (0, 1), (0,))
    rows = torch.stack([weight[:, :, list(t)].sum(2) for t in taps], 2)  # (out, in, 4, 3)
    kernel = torch.stack([rows[:, :, :, list(t)].sum(3) for t in taps], 3)  # (out, in, 4, 4)
    return kernel.transpose(0, 1)


def pooled_kernel(weight: torch.Tensor) -> torch.Tensor:
    """The 4x4, stride-2 convolution kernel that equals the 3x3 convolution ``weight`` (padding 1)
    followed by 2x2 mean pooling: the 3x3 kernel averaged over the pool's four offsets."""
    return sum(F.pad(weight, (b, 1 - b, a, 1 - a)) for a in (0, 1) for b in (0, 1)) / 4


class UpConv(nn.Conv2d):
    """Nearest-neighbour upsampling by 2, then this 3x3 convolution (padding 1)."""

    fused = False

    def __init__(self, c_in: int, c_out: int):
        super().__init__(c_in, c_out, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused:
            return F.conv_transpose2d(x, upsampled_kernel(self.weight), self.bias, stride=2, padding=1)
        return super().forward(F.interpolate(x, scale_factor=2, mode="nearest"))


class ConvPool(nn.Conv2d):
    """This 3x3 convolution (padding 1), then 2x2 mean pooling (tflib's ConvMeanPool)."""

    fused = False

    def __init__(self, c_in: int, c_out: int):
        super().__init__(c_in, c_out, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused:
            return F.conv2d(x, pooled_kernel(self.weight), self.bias, stride=2, padding=1)
        return F.avg_pool2d(super().forward(x), 2)


def fuse_resampling(module: nn.Module) -> int:
    """Compute every :class:`UpConv` and :class:`ConvPool` in ``module`` as one strided 4x4
    convolution (same parameters, same numbers); the number of layers switched."""
    layers = [m for m in module.modules() if isinstance(m, (UpConv, ConvPool))]
    for m in layers:
        m.fused = True
    return len(layers)


class UpBlock(nn.Module):
    """Doubles the size. Its BatchNorm layers become class-conditional with ``model.conditional=cbn``."""

    takes_labels = True

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(c_in)
        self.conv1 = UpConv(c_in, c_out)
        self.norm2 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.shortcut = nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.conv1(F.relu(with_labels(self.norm1, x, labels)))
        h = self.conv2(F.relu(with_labels(self.norm2, h, labels)))
        return h + F.interpolate(self.shortcut(x), scale_factor=2, mode="nearest")


class FirstDownBlock(nn.Module):
    """Halves the size; the first critic block, which starts from pixels (no ReLU before it)."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.conv2 = ConvPool(c_out, c_out)
        self.shortcut = nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv2(F.relu(self.conv1(x)))
        return h + self.shortcut(F.avg_pool2d(x, 2))


class DownBlock(nn.Module):
    """Halves the size when ``down``; keeps it otherwise."""

    def __init__(self, c_in: int, c_out: int, down: bool):
        super().__init__()
        self.down = down
        self.conv1 = nn.Conv2d(c_in, c_in, 3, padding=1)
        self.conv2 = ConvPool(c_in, c_out) if down else nn.Conv2d(c_in, c_out, 3, padding=1)
        self.shortcut = nn.Conv2d(c_in, c_out, 1) if down or c_in != c_out else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv2(F.relu(self.conv1(F.relu(x))))
        skip = F.avg_pool2d(x, 2) if self.down else x
        return h + (skip if self.shortcut is None else self.shortcut(skip))


class Pool(nn.Module):
    """ReLU, then the mean (WGAN-GP) or the sum (SNGAN) over the map: ``(B, C, H, W) -> (B, C)``."""

    def __init__(self, how: str):
        super().__init__()
        self.how = how

    def extra_repr(self) -> str:
        return self.how

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(x)
        return h.mean((2, 3)) if self.how == "mean" else h.sum((2, 3))


def resnet_init(model: nn.Module) -> None:
    """Both papers' initialisation: Glorot-uniform weights, zero biases, with gain sqrt(2) for the
    3x3 convolutions inside the residual branches (tflib's ``he_init``; chainer's and mimicry's
    SNGAN the same) and gain 1 for the shortcuts, the input Linear, the output convolution and the
    heads."""
    branch = {id(m) for block in model.modules() if isinstance(block, (UpBlock, FirstDownBlock, DownBlock))
              for m in (block.conv1, block.conv2)}
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight, math.sqrt(2) if id(m) in branch else 1.0)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
