"""The optimisers and learning-rate schedules of a resolved config (its defaults: validation.resolved)."""

from __future__ import annotations

import torch
from torch import nn

from ..config import Config
from ..methods.optimizers import OPTIMIZERS


def build_optimizer(cfg: Config, params, lr: float, device: torch.device) -> torch.optim.Optimizer:
    return OPTIMIZERS.get(cfg.optim.name)(cfg.optim, params, lr, device)


def build_optimizers(cfg: Config, generator: nn.Module, critic: nn.Module, device: torch.device):
    """The generator's and the critic's optimisers of a resolved config (:func:`wgan.validation.resolved`)."""
    return (
        build_optimizer(cfg, generator.parameters(), cfg.optim.lr_g, device),
        build_optimizer(cfg, critic.parameters(), cfg.optim.lr_c, device),
    )


def build_schedulers(cfg: Config, *optimizers: torch.optim.Optimizer) -> list:
    """Per-generator-step learning-rate schedules (none, or linear decay to 0 over train.steps)."""
    if cfg.optim.decay == "none":
        return []
    total = cfg.train.steps
    return [torch.optim.lr_scheduler.LambdaLR(opt, lambda step: max(0.0, 1.0 - step / total))
            for opt in optimizers]
