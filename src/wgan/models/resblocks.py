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
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .heads import with_labels


class UpBlock(nn.Module):
    """Doubles the size. Its BatchNorm layers become class-conditional with ``model.conditional=cbn``."""

    takes_labels = True

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.norm2 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.shortcut = nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = F.relu(with_labels(self.norm1, x, labels))
        h = self.conv1(F.interpolate(h, scale_factor=2, mode="nearest"))
        h = self.conv2(F.relu(with_labels(self.norm2, h, labels)))
        return h + F.interpolate(self.shortcut(x), scale_factor=2, mode="nearest")


class FirstDownBlock(nn.Module):
    """Halves the size; the first critic block, which starts from pixels (no ReLU before it)."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.shortcut = nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.avg_pool2d(self.conv2(F.relu(self.conv1(x))), 2)
        return h + self.shortcut(F.avg_pool2d(x, 2))


class DownBlock(nn.Module):
    """Halves the size when ``down``; keeps it otherwise."""

    def __init__(self, c_in: int, c_out: int, down: bool):
        super().__init__()
        self.down = down
        self.conv1 = nn.Conv2d(c_in, c_in, 3, padding=1)
        self.conv2 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.shortcut = nn.Conv2d(c_in, c_out, 1) if down or c_in != c_out else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv2(F.relu(self.conv1(F.relu(x))))
        skip = x
        if self.down:
            h, skip = F.avg_pool2d(h, 2), F.avg_pool2d(skip, 2)
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
