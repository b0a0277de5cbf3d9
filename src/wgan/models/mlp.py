"""Fully connected networks: gan_toy.py's 3 x 512 ReLU and the quadratic tutorial's 2 x 16 LReLU for
2-D points, and the original GAN paper's kind of MLP for images (flattened pixels in, tanh out)."""

from __future__ import annotations

import math

from torch import nn

from ..config import MAX_DEPTH, MAX_WIDTH, ModelConfig
from ..options import Option, declares
from . import CRITICS, GENERATORS
from .heads import Critic, Generator, build_label_input
from .layers import activation, init_weights

# The MLP's own settings (model.depth, model.feature_dim); model.width is its hidden units.
DEPTH = Option("depth", int, 3, "hidden layers of an MLP", minimum=1, maximum=MAX_DEPTH)
FEATURE_DIM = Option("feature_dim", int, 0, "MLP critic: a linear feature layer before the score (the "
                     "quadratic-curve GAN tutorial's 2-d view); 0: none", minimum=0, maximum=MAX_WIDTH)


def _hidden(cfg: ModelConfig, n_in: int) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for _ in range(DEPTH.read(cfg)):
        layers += [nn.Linear(n_in, cfg.width), activation(cfg.activation)]
        n_in = cfg.width
    return layers


@GENERATORS.register("mlp")
@declares(DEPTH)
def mlp_generator(cfg: ModelConfig, shape: tuple, num_classes: int) -> nn.Module:
    """Points: a linear output. Images (C, H, W): C*H*W outputs through tanh, shaped as the images."""
    label_input = build_label_input(cfg.conditional, cfg.latent_dim, num_classes)
    out = [nn.Linear(cfg.width, math.prod(shape))]
    if len(shape) == 3:  # images live in [-1, 1]
        out += [nn.Tanh(), nn.Unflatten(1, tuple(shape))]
    model = Generator(label_input, nn.Sequential(*_hidden(cfg, label_input.out_dim), *out))
    init_weights(model, cfg.init)
    return model


@CRITICS.register("mlp")
@declares(DEPTH, FEATURE_DIM)
def mlp_critic(cfg: ModelConfig, shape: tuple, num_classes: int) -> nn.Module:
    """Hidden layers, an optional linear feature layer (the 2-unit view of the quadratic
    tutorial), a linear score head; images are flattened first."""
    flatten = [nn.Flatten()] if len(shape) == 3 else []
    layers = flatten + _hidden(cfg, math.prod(shape))
    n_features = cfg.width
    if FEATURE_DIM.read(cfg):
        n_features = FEATURE_DIM.read(cfg)
        layers.append(nn.Linear(cfg.width, n_features))
    model = Critic(nn.Sequential(*layers), lambda n: nn.Linear(n_features, n), num_classes, cfg.critic_conditional)
    init_weights(model, cfg.init)
    return model
