"""Fully connected networks for 2-D data (gan_toy.py's 3 x 512 ReLU, S2's 2 x 16 LReLU)."""

from __future__ import annotations

from torch import nn

from ..config import ModelConfig
from . import register_critic, register_generator
from .heads import Critic, Generator, LabelInput
from .layers import activation, init_weights


def _hidden(cfg: ModelConfig, n_in: int) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for _ in range(cfg.depth):
        layers += [nn.Linear(n_in, cfg.width), activation(cfg.activation)]
        n_in = cfg.width
    return layers


@register_generator("mlp")
def mlp_generator(cfg: ModelConfig, shape: tuple, num_classes: int) -> nn.Module:
    label_input = LabelInput(cfg.conditional, cfg.latent_dim, num_classes)
    net = nn.Sequential(*_hidden(cfg, label_input.out_dim), nn.Linear(cfg.width, shape[0]))
    model = Generator(label_input, net)
    init_weights(model, cfg.init)
    return model


@register_critic("mlp")
def mlp_critic(cfg: ModelConfig, shape: tuple, num_classes: int) -> nn.Module:
    """Hidden layers, an optional linear feature layer (S2's 2-unit view), a linear score head."""
    layers = _hidden(cfg, shape[0])
    n_features = cfg.width
    if cfg.feature_dim:
        layers.append(nn.Linear(cfg.width, cfg.feature_dim))
        n_features = cfg.feature_dim
    model = Critic(nn.Sequential(*layers), lambda n: nn.Linear(n_features, n), num_classes)
    init_weights(model, cfg.init)
    return model
