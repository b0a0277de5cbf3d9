"""Fully connected networks for 2-D data (gan_toy.py's 3 x 512 ReLU, S2's 2 x 16 LReLU)."""

from __future__ import annotations

import torch
from torch import nn

from ..config import ModelConfig
from . import register_critic, register_generator
from .layers import activation, init_weights


def _hidden(cfg: ModelConfig, n_in: int) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for _ in range(cfg.depth):
        layers += [nn.Linear(n_in, cfg.width), activation(cfg.activation)]
        n_in = cfg.width
    return layers


class MLPGenerator(nn.Module):
    def __init__(self, cfg: ModelConfig, shape: tuple):
        super().__init__()
        self.net = nn.Sequential(*_hidden(cfg, cfg.latent_dim), nn.Linear(cfg.width, shape[0]))
        init_weights(self, cfg.init)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z)


class MLPCritic(nn.Module):
    """Hidden layers, an optional linear feature layer (S2's 2-unit view), a linear output."""

    def __init__(self, cfg: ModelConfig, shape: tuple):
        super().__init__()
        layers = _hidden(cfg, shape[0])
        n_features = cfg.width
        if cfg.feature_dim:
            layers.append(nn.Linear(cfg.width, cfg.feature_dim))
            n_features = cfg.feature_dim
        self.body = nn.Sequential(*layers)
        self.out = nn.Linear(n_features, 1)
        init_weights(self, cfg.init)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The layer before the output: S2's 2-d feature space when ``feature_dim`` is 2."""
        return self.body(x)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.out(self.body(x)).squeeze(1)


@register_generator("mlp")
def _mlp_generator(cfg: ModelConfig, shape: tuple, num_classes: int) -> nn.Module:
    return MLPGenerator(cfg, shape)


@register_critic("mlp")
def _mlp_critic(cfg: ModelConfig, shape: tuple, num_classes: int) -> nn.Module:
    return MLPCritic(cfg, shape)
