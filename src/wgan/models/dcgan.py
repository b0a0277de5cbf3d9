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

The family's own settings (``model.*``, all off by default, so the tutorial's network is unchanged):

- ``critic_width``: the critic's base width, where it should differ from the generator's ``width``;
- ``critic_fc``: a hidden fully connected layer of that many units (LReLU) between the critic's
  last map and its score, as the InfoGAN-style critic of Lucic et al. has (1,024 units);
- ``generator_fc``: a hidden fully connected layer (BN, activation) between the noise and the
  first transposed convolution, as that generator's stem has;
- ``generator_output``: ``convt`` (the last transposed convolution) or ``upsample`` (nearest
  upsampling then a 3x3 convolution, which has no uneven kernel overlap and so no checkerboard;
  Odena et al. 2016).
"""

from __future__ import annotations

from torch import nn

from ..config import MAX_WIDTH, ModelConfig
from ..options import Option, declares
from . import CRITICS, GENERATORS
from .heads import Critic, Generator, build_label_input
from .layers import activation, critic_norm, doubling_ladder, init_weights

NAME = "dcgan"

CRITIC_WIDTH = Option("critic_width", int, 0, "dcgan: the critic's base width (0: model.width)", minimum=0,
                      maximum=MAX_WIDTH)
CRITIC_FC = Option("critic_fc", int, 0, "dcgan: units of a hidden fully connected layer before the critic's "
                   "score (0: none)", minimum=0, maximum=MAX_WIDTH)
GENERATOR_FC = Option("generator_fc", int, 0, "dcgan: units of a hidden fully connected layer after the "
                      "generator's input (0: none)", minimum=0, maximum=MAX_WIDTH)
GENERATOR_OUTPUT = Option("generator_output", str, "convt", "dcgan: the generator's last layer, a transposed "
                          "convolution or nearest upsampling + a 3x3 convolution", choices=("convt", "upsample"))


def _output_layer(kind: str, width: int, channels: int) -> list[nn.Module]:
    """The layer that doubles the last map to the image size and maps it to the image's channels."""
    if kind == "upsample":
        return [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(width, channels, 3, 1, 1)]
    return [nn.ConvTranspose2d(width, channels, 4, 2, 1)]


@GENERATORS.register(NAME)
@declares(GENERATOR_FC, GENERATOR_OUTPUT)
def build_generator(cfg: ModelConfig, shape: tuple, num_classes: int) -> nn.Module:
    channels, start, levels = doubling_ladder(shape, NAME)
    label_input = build_label_input(cfg.conditional, cfg.latent_dim, num_classes)
    width, stem = cfg.width * 2**levels, label_input.out_dim
    layers: list[nn.Module] = []
    if GENERATOR_FC.read(cfg):
        stem = GENERATOR_FC.read(cfg)
        layers += [nn.Linear(label_input.out_dim, stem), nn.BatchNorm1d(stem), activation(cfg.activation)]
    layers += [
        nn.Unflatten(1, (stem, 1, 1)),
        nn.ConvTranspose2d(stem, width, start, 1, 0),  # 1 -> start
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
    layers += [*_output_layer(GENERATOR_OUTPUT.read(cfg), width, channels), nn.Tanh()]
    model = Generator(label_input, nn.Sequential(*layers))
    init_weights(model, cfg.init)
    return model


@CRITICS.register(NAME)
@declares(CRITIC_WIDTH, CRITIC_FC)
def build_critic(cfg: ModelConfig, shape: tuple, num_classes: int) -> nn.Module:
    channels, start, levels = doubling_ladder(shape, NAME)
    width = CRITIC_WIDTH.read(cfg) or cfg.width
    layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2)]
    for _ in range(levels - 1):  # each halves the size and doubles the channels
        layers += [
            nn.Conv2d(width, width * 2, 4, 2, 1),
            *critic_norm(cfg.critic_norm, width * 2),
            nn.LeakyReLU(0.2),
        ]
        width *= 2
    units = CRITIC_FC.read(cfg)
    if units:  # a fully connected layer over the whole last map, then the heads read its units
        layers += [nn.Flatten(), nn.Linear(width * start * start, units), nn.LeakyReLU(0.2)]
        model = Critic(nn.Sequential(*layers), lambda n: nn.Linear(units, n), num_classes, cfg.critic_conditional)
    else:
        # The heads see the whole start x start map: the CelebA WGAN-GP tutorial's Conv(8h, 1, 4, 2, 0) on 4x4
        # (its stride never applies to a single output position, so stride 1 here).
        model = Critic(nn.Sequential(*layers), lambda n: nn.Conv2d(width, n, start), num_classes,
                       cfg.critic_conditional)
    init_weights(model, cfg.init)
    return model
