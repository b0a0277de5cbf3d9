"""Generator and critic networks, one small file per family, behind a registry.

Every generator maps ``(z, labels=None) -> x`` with x in the normalised data
space (images in [-1, 1]). Every critic is a :class:`~wgan.models.heads.Critic`:
a body and a head builder, which it turns into ``(x, labels=None) -> score`` of
shape ``(B,)`` (and a class head for AC-WGAN). Builders take the model config,
the shape of one sample and the number of classes (0 when unconditional); a new
family registers its two with :func:`register_generator` and :func:`register_critic`.
"""

from __future__ import annotations

from typing import Callable

from torch import nn

from ..config import ModelConfig
from ..errors import choice_error

Builder = Callable[[ModelConfig, tuple, int], nn.Module]
GENERATORS: dict[str, Builder] = {}
CRITICS: dict[str, Builder] = {}


def register_generator(name: str):
    def deco(fn: Builder) -> Builder:
        GENERATORS[name] = fn
        return fn

    return deco


def register_critic(name: str):
    def deco(fn: Builder) -> Builder:
        CRITICS[name] = fn
        return fn

    return deco


def build_generator(cfg: ModelConfig, shape: tuple, num_classes: int = 0) -> nn.Module:
    if cfg.generator not in GENERATORS:
        raise choice_error("generator", cfg.generator, GENERATORS)
    return GENERATORS[cfg.generator](cfg, tuple(shape), num_classes)


def build_critic(cfg: ModelConfig, shape: tuple, num_classes: int = 0) -> nn.Module:
    if cfg.critic not in CRITICS:
        raise choice_error("critic", cfg.critic, CRITICS)
    return CRITICS[cfg.critic](cfg, tuple(shape), num_classes)


# Importing the families registers them.
from . import acwgan, dcgan, dcgan28, mlp, resnet, upconv  # noqa: E402,F401
