"""``upconv``: upsample + convolution generator and strided critic (the CIFAR-10 clipping tutorial).

Upsampling then convolving instead of a transposed convolution avoids the
checkerboard artefacts of uneven kernel overlap (Odena et al. 2016). With
h = ``cfg.width``, a size ``start * 2**L`` (start 4 for powers of two, 7 for 28):

- generator: z -> Linear(c0 * start**2) -> BN -> act -> reshape (c0, start,
  start) with c0 = h * 2**(L-1) -> (L - 1) x [Upsample(2) -> Conv(k4, same) ->
  BN -> act], halving the channels -> Upsample(2) -> Conv(C, k4, same) -> tanh;
- critic: L x [Conv(k4, stride 2, same) -> norm -> LReLU(0.2)] with h, 2h, 4h,
  ... channels -> flatten -> Linear(1). At 64x64 that is the CIFAR-10 clipping tutorial's four blocks; at
  other sizes the critic mirrors the generator, ending on the start map.

``act`` is ``cfg.activation`` (the CIFAR-10 clipping tutorial: relu); the CIFAR-10 clipping tutorial's critic norm is ``batch``.

Keras ``padding='same'``: a stride-1 4x4 convolution pads 1 before and 2 after
(:func:`keras_same_pad`), which PyTorch's symmetric integer padding cannot
express; a stride-2 4x4 one on an even size pads 2 in all, split 1/1, which is
PyTorch's ``padding=1``.
"""

from __future__ import annotations

from torch import nn

from ..config import ModelConfig
from . import CRITICS, GENERATORS
from .heads import Critic, Generator, build_label_input
from .layers import activation, critic_norm, doubling_ladder, init_weights, keras_same_pad

NAME = "upconv"


def _up_conv(c_in: int, c_out: int) -> list[nn.Module]:
    # Keras's UpSampling2D repeats pixels: nearest-neighbour.
    return [nn.Upsample(scale_factor=2, mode="nearest"), keras_same_pad(4), nn.Conv2d(c_in, c_out, 4)]


@GENERATORS.register(NAME)
def build_generator(cfg: ModelConfig, shape: tuple, num_classes: int) -> nn.Module:
    channels, start, levels = doubling_ladder(shape, NAME)
    label_input = build_label_input(cfg.conditional, cfg.latent_dim, num_classes)
    width = cfg.width * 2 ** (levels - 1)
    units = width * start * start
    layers: list[nn.Module] = [
        nn.Linear(label_input.out_dim, units),
        nn.BatchNorm1d(units),  # Keras normalises the Dense units before the reshape
        activation(cfg.activation),
        nn.Unflatten(1, (width, start, start)),
    ]
    for _ in range(levels - 1):
        layers += [*_up_conv(width, width // 2), nn.BatchNorm2d(width // 2), activation(cfg.activation)]
        width //= 2
    layers += [*_up_conv(width, channels), nn.Tanh()]
    model = Generator(label_input, nn.Sequential(*layers))
    init_weights(model, cfg.init)
    return model


@CRITICS.register(NAME)
def build_critic(cfg: ModelConfig, shape: tuple, num_classes: int) -> nn.Module:
    channels, start, levels = doubling_ladder(shape, NAME)
    layers: list[nn.Module] = []
    c_in, width = channels, cfg.width
    for _ in range(levels):
        layers += [nn.Conv2d(c_in, width, 4, 2, 1), *critic_norm(cfg.critic_norm, width), nn.LeakyReLU(0.2)]
        c_in, width = width, width * 2
    layers.append(nn.Flatten())
    model = Critic(nn.Sequential(*layers), lambda n: nn.Linear(c_in * start * start, n), num_classes, cfg.critic_conditional)
    init_weights(model, cfg.init)
    return model
