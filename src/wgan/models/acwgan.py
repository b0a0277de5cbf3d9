"""``acwgan``: the AC-WGAN MNIST tutorial's conditional AC-WGAN networks (Keras, MNIST 28x28).

Critic: 4 x [Conv(3x3, same) -> (norm) -> LReLU -> Dropout(0.3)] with 32, 64,
128, 256 channels and a 2x2 max-pool after the first and the third -> flatten ->
two heads, Dense(1) (the score) and Dense(K) (class logits; the AC-WGAN MNIST tutorial's softmax is
left to the loss). Generator: label -> Embedding(K, nz) multiplied with z
(``cfg.conditional`` = embed_mul) -> Dense(1024) LReLU -> Dense(128*s*s) LReLU
-> reshape -> Upsample(2) Conv(256, 5x5) LReLU -> Upsample(2) Conv(128, 5x5)
LReLU -> Conv(C, 2x2, same) -> tanh, with s = size / 4 (7 for MNIST).

Fixed widths (``cfg.width`` is not used). The AC-WGAN MNIST tutorial calls ``LeakyReLU()`` without an
argument, so its slope is Keras's default 0.3, not the 0.2 of the other tutorials.
The AC-WGAN MNIST tutorial's ``MaxPool2D(pool_size=1)`` layers are identities and are left out.
"""

from __future__ import annotations

from torch import nn

from ..config import ModelConfig
from . import CRITICS, GENERATORS
from .heads import Critic, Generator, build_label_input
from .layers import critic_norm, image_shape, init_weights, keras_same_pad, size_error

NAME = "acwgan"
ACCEPTED = "a multiple of 4: 28 as the AC-WGAN MNIST tutorial, 32, 64, ..."
SLOPE = 0.3  # Keras LeakyReLU's default alpha


def _size(shape: tuple) -> tuple[int, int]:
    channels, size = image_shape(shape, NAME, ACCEPTED)
    if size % 4 or size < 4:
        raise size_error(NAME, size, ACCEPTED)
    return channels, size // 4


def _keras_default_layers(model: nn.Module) -> list[nn.Module]:
    # The AC-WGAN MNIST tutorial gives RandomNormal(0, 0.02) to its convolutions only; its Dense layers and
    # the class embedding (glorot_uniform, named explicitly) keep Keras's Glorot default.
    return [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Embedding))]


@GENERATORS.register(NAME)
def build_generator(cfg: ModelConfig, shape: tuple, num_classes: int) -> nn.Module:
    channels, s = _size(shape)
    label_input = build_label_input(cfg.conditional, cfg.latent_dim, num_classes)
    net = nn.Sequential(
        nn.Linear(label_input.out_dim, 1024),
        nn.LeakyReLU(SLOPE),
        nn.Linear(1024, 128 * s * s),
        nn.LeakyReLU(SLOPE),
        nn.Unflatten(1, (128, s, s)),
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.Conv2d(128, 256, 5, padding=2),  # 5x5 'same' is symmetric: 2 each side
        nn.LeakyReLU(SLOPE),
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.Conv2d(256, 128, 5, padding=2),
        nn.LeakyReLU(SLOPE),
        keras_same_pad(2),  # 2x2 'same' pads 0 before, 1 after: the size stays 4s
        nn.Conv2d(128, channels, 2),
        nn.Tanh(),
    )
    model = Generator(label_input, net)
    init_weights(model, cfg.init, keras_default=_keras_default_layers(model))
    return model


@CRITICS.register(NAME)
def build_critic(cfg: ModelConfig, shape: tuple, num_classes: int) -> nn.Module:
    channels, s = _size(shape)
    layers: list[nn.Module] = []
    c_in = channels
    for width, pool in ((32, True), (64, False), (128, True), (256, False)):
        # The AC-WGAN MNIST tutorial max-pools before the LeakyReLU in three blocks and after it in the
        # first; both are monotone, so they commute and one order serves all.
        layers += [nn.Conv2d(c_in, width, 3, padding=1), *critic_norm(cfg.critic_norm, width), nn.LeakyReLU(SLOPE)]
        if pool:
            layers.append(nn.MaxPool2d(2))
        layers.append(nn.Dropout(0.3))
        c_in = width
    layers.append(nn.Flatten())
    model = Critic(nn.Sequential(*layers), lambda n: nn.Linear(256 * s * s, n), num_classes, cfg.critic_conditional)
    init_weights(model, cfg.init, keras_default=_keras_default_layers(model))
    return model
