"""The two ResNet families, ``resnet-wgan`` and ``resnet-sngan``, built from models/resblocks.py.

``resnet-wgan``: the WGAN-GP paper's CIFAR-10 networks (Gulrajani et al. 2017,
improved_wgan_training's gan_cifar_resnet.py, Inception score 7.86, and 8.42 as
AC-WGAN-GP). Generator: z(128) -> Linear(4*4*128) -> 3 x UpBlock(128) -> BN ReLU
-> Conv(3, 3x3) -> tanh. Critic: FirstDownBlock(128) -> DownBlock(128, pool) ->
2 x DownBlock(128) -> ReLU, mean over the map -> Linear(1).

``resnet-sngan``: Miyato et al. 2018's CIFAR-10 ResNets (appendix B.4; the same
as mimicry's SNGAN-32 and chainer-gan-lib's). The same shape with a 256-channel
generator, and the critic sums over the map instead of averaging. Spectral
normalisation is the Lipschitz method (``loss.lipschitz=sn``), not part of the
network, so each family can be trained with any method.

Sizes: a power of two from 16 to 256. At 32 these are the papers' networks;
other sizes add (or remove) one UpBlock and one pooling DownBlock per doubling,
at the same widths, so that the critic's last two blocks always work on 8x8
maps (64x64: 4 UpBlocks; FirstDownBlock then 2 pooling DownBlocks). For 28x28
data (MNIST, Fashion-MNIST) pass ``--image-size 32``, which resizes it.

Widths are fixed by the papers (``model.width`` is not used). ``model.init``
``default`` gives both papers' Glorot initialisation (``resblocks.resnet_init``);
``normal`` gives N(0, 0.02). Conditioning: ``model.conditional=cbn`` makes every
generator BatchNorm class-conditional (the papers' conditional generators);
``model.critic_conditional`` chooses an AC head (the WGAN-GP paper) or a
projection (cGAN-PD).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ..config import ModelConfig
from ..registry import Registry
from . import CRITICS, GENERATORS
from .heads import Critic, Generator, build_label_input
from .layers import image_shape, init_weights, size_error
from .resblocks import DownBlock, FirstDownBlock, Pool, UpBlock, resnet_init

ACCEPTED = "a power of two from 16 to 256 (32 as the papers' CIFAR-10 networks; 64); for 28x28 pass --image-size 32"
START = 4  # the generator's first map, 4x4
LAST = 8  # the size of the critic's last maps



@dataclass(frozen=True)
class Family:
    """What tells the two ResNet families apart: the generator's and the critic's channels, and how the
    critic pools its last maps."""

    generator_width: int
    critic_width: int
    pooling: str  # mean (the WGAN-GP paper) or sum (SNGAN)


FAMILIES: Registry[Family] = Registry("ResNet family")
FAMILIES.register("resnet-wgan", Family(128, 128, "mean"))
FAMILIES.register("resnet-sngan", Family(256, 128, "sum"))


def _levels(shape: tuple, name: str) -> tuple[int, int]:
    """``(channels, doublings from 4x4)`` of a supported size."""
    channels, size = image_shape(shape, name, ACCEPTED)
    if not 16 <= size <= 256 or size & (size - 1):
        raise size_error(name, size, ACCEPTED)
    return channels, (size // START).bit_length() - 1


def _init(model: nn.Module, scheme: str) -> None:
    if scheme == "normal":
        init_weights(model, scheme)
    else:
        resnet_init(model)


def generator(name: str, cfg: ModelConfig, shape: tuple, num_classes: int) -> nn.Module:
    width = FAMILIES.get(name).generator_width
    channels, levels = _levels(shape, name)
    label_input = build_label_input(cfg.conditional, cfg.latent_dim, num_classes)
    net = nn.Sequential(
        nn.Linear(label_input.out_dim, START * START * width),
        nn.Unflatten(1, (width, START, START)),
        *(UpBlock(width, width) for _ in range(levels)),
        nn.BatchNorm2d(width),
        nn.ReLU(),
        nn.Conv2d(width, channels, 3, padding=1),
        nn.Tanh(),
    )
    model = Generator(label_input, net)
    _init(model, cfg.init)
    return model


def critic(name: str, cfg: ModelConfig, shape: tuple, num_classes: int) -> nn.Module:
    family = FAMILIES.get(name)
    width, pooling = family.critic_width, family.pooling
    channels, levels = _levels(shape, name)
    pooled = levels - 1  # doublings from 8x8: the first block pools once, DownBlocks the rest
    body = nn.Sequential(
        FirstDownBlock(channels, width),
        *(DownBlock(width, width, down=True) for _ in range(pooled - 1)),
        DownBlock(width, width, down=False),
        DownBlock(width, width, down=False),
        Pool(pooling),
    )
    model = Critic(body, lambda n: nn.Linear(width, n), num_classes, cfg.critic_conditional)
    _init(model, cfg.init)
    return model


for _name in FAMILIES.names():
    GENERATORS.register(_name, lambda cfg, shape, k, _n=_name: generator(_n, cfg, shape, k))
    CRITICS.register(_name, lambda cfg, shape, k, _n=_name: critic(_n, cfg, shape, k))
