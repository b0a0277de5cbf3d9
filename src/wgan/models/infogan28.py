"""``infogan28``: the InfoGAN-style networks of Lucic et al. 2018 ("Are GANs Created Equal?") at 28x28.

The networks their Fashion-MNIST and MNIST rows were measured with (compare_gan v1, after Chen et
al.'s InfoGAN), so that a run here compares with the paper's table network for network:

- generator: z -> Linear(1024) BN LReLU(0.2) -> Linear(128*7*7) BN LReLU -> reshape (128, 7, 7)
  -> ConvT(64, 4, 2, 1) BN LReLU -> ConvT(C, 4, 2, 1) -> tanh (the paper's sigmoid on [0, 1]
  images, here on [-1, 1] ones);
- critic: Conv(64, 4, 2, 1) LReLU -> Conv(128, 4, 2, 1) (norm) LReLU -> Linear(1024) (norm) LReLU
  -> Linear(1). The norm is ``cfg.critic_norm`` (their ``discriminator_batchnorm``: batch or none;
  their WGAN-GP runs use none).

About 6.6M parameters in each network. The widths are the paper's, so ``cfg.width`` is not used;
``cfg.init`` normal is their N(0, 0.02).
"""

from __future__ import annotations

from torch import nn

from ..config import ModelConfig
from . import CRITICS, GENERATORS
from .heads import Critic, Generator, build_label_input
from .layers import channels_at, critic_norm, init_weights

NAME = "infogan28"


@GENERATORS.register(NAME)
def build_generator(cfg: ModelConfig, shape: tuple, num_classes: int) -> nn.Module:
    channels = channels_at(shape, NAME, 28)
    label_input = build_label_input(cfg.conditional, cfg.latent_dim, num_classes)
    net = nn.Sequential(
        nn.Linear(label_input.out_dim, 1024), nn.BatchNorm1d(1024), nn.LeakyReLU(0.2),
        nn.Linear(1024, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7), nn.LeakyReLU(0.2),
        nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),  # 7 -> 14
        nn.ConvTranspose2d(64, channels, 4, 2, 1), nn.Tanh(),  # 14 -> 28
    )
    model = Generator(label_input, net)
    init_weights(model, cfg.init)
    return model


@CRITICS.register(NAME)
def build_critic(cfg: ModelConfig, shape: tuple, num_classes: int) -> nn.Module:
    channels = channels_at(shape, NAME, 28)
    body = nn.Sequential(
        nn.Conv2d(channels, 64, 4, 2, 1), nn.LeakyReLU(0.2),  # 28 -> 14
        nn.Conv2d(64, 128, 4, 2, 1), *critic_norm(cfg.critic_norm, 128), nn.LeakyReLU(0.2),  # 14 -> 7
        nn.Flatten(),
        nn.Linear(128 * 7 * 7, 1024), *critic_norm(cfg.critic_norm, 1024, flat=True), nn.LeakyReLU(0.2),
    )
    model = Critic(body, lambda n: nn.Linear(1024, n), num_classes, cfg.critic_conditional)
    init_weights(model, cfg.init)
    return model
