"""``dcgan``: transposed-convolution generator and strided-convolution critic (the CelebA WGAN-GP tutorial).

For 64x64 with h = ``cfg.width`` this is the CelebA WGAN-GP tutorial's network:

- generator: (B, nz, 1, 1) -> ConvT(nz, 16h, 4, 1, 0) BN ReLU -> ConvT 16h -> 8h
  -> 4h -> 2h (4, 2, 1; BN, ReLU) -> ConvT(2h, C, 4, 2, 1) -> tanh;
- critic: Conv(C, h, 4, 2, 1) LReLU(0.2) -> 2h -> 4h -> 8h (4, 2, 1; norm,
  LReLU(0.2)) -> Conv(8h, 1, 4) on the final 4x4 map.

Other sizes change the number of doubling blocks: a size is ``start * 2**L``
with a 4x4 start (powers of two) or a 7x7 one (28, MNIST), the generator's first
layer has ``h * 2**L`` channels and halves them per block down to 2h, and the
critic mirrors it. As in DCGAN (and the CelebA WGAN-GP tutorial's source), the critic's first layer has
no normalisation and the generator's output layer none either. The generator's
hidden activation is ``cfg.activation`` (the CelebA WGAN-GP tutorial: relu).
"""

from __future__ import annotations

from torch import nn

from ..config import ModelConfig
from . import CRITICS, GENERATORS
from .heads import Critic, Generator, LabelInput
from .layers import activation, critic_norm, doubling_ladder, init_weights

NAME = "dcgan"


@GENERATORS.register(NAME)
def build_generator(cfg: ModelConfig, shape: tuple, num_classes: int) -> nn.Module:
    channels, start, levels = doubling_ladder(shape, NAME)
    label_input = LabelInput(cfg.conditional, cfg.latent_dim, num_classes)
    width = cfg.width * 2**levels
    layers: list[nn.Module] = [
        nn.Unflatten(1, (label_input.out_dim, 1, 1)),
        nn.ConvTranspose2d(label_input.out_dim, width, start, 1, 0),  # 1 -> start
        nn.BatchNorm2d(width),
        activation(cfg.activation),
    ]
    for _ in range(levels - 1):  # each doubles the size and halves the channels
        layers += [
            nn.ConvTranspose2d(width, width // 2, 4, 2, 1),
            nn.BatchNorm2d(width // 2),
            activation(cfg.activation),
        ]
        width //= 2
    layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1), nn.Tanh()]
    model = Generator(label_input, nn.Sequential(*layers))
    init_weights(model, cfg.init)
    return model


@CRITICS.register(NAME)
def build_critic(cfg: ModelConfig, shape: tuple, num_classes: int) -> nn.Module:
    channels, start, levels = doubling_ladder(shape, NAME)
    width = cfg.width
    layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2)]
    for _ in range(levels - 1):  # each halves the size and doubles the channels
        layers += [
            nn.Conv2d(width, width * 2, 4, 2, 1),
            *critic_norm(cfg.critic_norm, width * 2),
            nn.LeakyReLU(0.2),
        ]
        width *= 2
    # The heads see the whole start x start map: the CelebA WGAN-GP tutorial's Conv(8h, 1, 4, 2, 0) on 4x4
    # (its stride never applies to a single output position, so stride 1 here).
    model = Critic(nn.Sequential(*layers), lambda n: nn.Conv2d(width, n, start), num_classes, cfg.critic_conditional)
    init_weights(model, cfg.init)
    return model
