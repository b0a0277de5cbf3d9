"""``dcgan28``: the model of the speed benchmark (benchmarks/bench_speed.py), also the MNIST-sevens tutorial's networks.

Generator: z -> Linear(128*7*7) -> LReLU(0.2) -> 2 x [ConvT(128, 4, 2, 1) BN LReLU]
-> Conv(C, 7, pad 3) -> tanh. Critic: 2 x [Conv(64, 4, 2, 1) (norm) LReLU] ->
Linear(1). Widths are fixed by the spec, so ``cfg.width`` is not used; the
critic's norm (``cfg.critic_norm``) goes after each convolution (the MNIST-sevens tutorial: batch).

Keras's ``padding='same'`` in the MNIST-sevens tutorial gives the same sizes as padding 1 here: a
4x4 stride-2 convolution of an even size n pads 2 in all, 1 on each side, and
the transposed one is its mirror; the 7x7 convolution pads 3 on each side.
"""

from __future__ import annotations

from torch import nn

from ..config import ModelConfig
from . import CRITICS, GENERATORS
from .heads import Critic, Generator, build_label_input
from .layers import channels_at, critic_norm, init_weights

NAME = "dcgan28"


@GENERATORS.register(NAME)
def build_generator(cfg: ModelConfig, shape: tuple, num_classes: int) -> nn.Module:
    channels = channels_at(shape, NAME, 28)
    label_input = build_label_input(cfg.conditional, cfg.latent_dim, num_classes)
    net = nn.Sequential(
        nn.Linear(label_input.out_dim, 128 * 7 * 7),
        nn.LeakyReLU(0.2),
        nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 128, 4, 2, 1),  # 7 -> 14
        nn.BatchNorm2d(128),
        nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(128, 128, 4, 2, 1),  # 14 -> 28
        nn.BatchNorm2d(128),
        nn.LeakyReLU(0.2),
        nn.Conv2d(128, channels, 7, padding=3),
        nn.Tanh(),
    )
    model = Generator(label_input, net)
    init_weights(model, cfg.init)
    return model


@CRITICS.register(NAME)
def build_critic(cfg: ModelConfig, shape: tuple, num_classes: int) -> nn.Module:
    channels = channels_at(shape, NAME, 28)
    body = nn.Sequential(
        nn.Conv2d(channels, 64, 4, 2, 1),  # 28 -> 14
        *critic_norm(cfg.critic_norm, 64),
        nn.LeakyReLU(0.2),
        nn.Conv2d(64, 64, 4, 2, 1),  # 14 -> 7
        *critic_norm(cfg.critic_norm, 64),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
    )
    model = Critic(body, lambda n: nn.Linear(64 * 7 * 7, n), num_classes, cfg.critic_conditional)
    # The MNIST-sevens tutorial gives its convolutions RandomNormal(0, 0.02) but leaves the final Dense at Keras's default.
    heads = [m for m in (model.score_head, model.class_head) if m is not None]
    init_weights(model, cfg.init, keras_default=heads)
    return model
