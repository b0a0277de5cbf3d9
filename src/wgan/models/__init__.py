"""Generator and critic networks, one small file per family, behind a registry.

Every generator maps ``(z, labels=None) -> x`` with x in the normalised data
space (images in [-1, 1]). Every critic is a :class:`~wgan.models.heads.Critic`:
a body and a head builder, which it turns into ``(x, labels=None) -> score`` of
shape ``(B,)`` (and a class head for AC-WGAN). Builders take the model config,
the shape of one sample and the number of classes (0 when unconditional); a new
family registers its two in :data:`GENERATORS` and :data:`CRITICS` (``@GENERATORS.register(name)``).
"""

from __future__ import annotations

from typing import Callable

from torch import nn

from ..config import ModelConfig
from ..registry import Registry

Builder = Callable[[ModelConfig, tuple, int], nn.Module]
GENERATORS: Registry[Builder] = Registry("generator")
CRITICS: Registry[Builder] = Registry("critic")


def build_generator(cfg: ModelConfig, shape: tuple, num_classes: int = 0) -> nn.Module:
    return GENERATORS.get(cfg.generator)(cfg, tuple(shape), num_classes)


def build_critic(cfg: ModelConfig, shape: tuple, num_classes: int = 0) -> nn.Module:
    return CRITICS.get(cfg.critic)(cfg, tuple(shape), num_classes)


# Importing the families registers them.
from . import acwgan, dcgan, dcgan28, infogan28, mlp, resnet, upconv  # noqa: E402,F401
