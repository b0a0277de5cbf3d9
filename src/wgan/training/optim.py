"""Optimisers with the defaults of the paper behind each method."""

from __future__ import annotations

import torch
from torch import nn

from ..config import Config
from ..methods.lipschitz import paper_optimizer
from ..methods.optimizers import OPTIMIZERS


def resolve_optim(cfg: Config) -> None:
    """Fill every ``auto``/None optimiser setting with the paper default for the method."""
    # Each Lipschitz method names its paper's optimiser; a combination such as "sn+gp" takes its first part's.
    name, lr, betas = paper_optimizer(cfg.loss.lipschitz)
    o = cfg.optim
    if o.name == "auto":
        o.name = name
    if o.lr_g is None:
        o.lr_g = lr
    if o.lr_c is None:
        o.lr_c = lr
    if o.name == "adam":
        default_betas = betas if name == "adam" else (0.5, 0.999)
        o.beta1 = default_betas[0] if o.beta1 is None else o.beta1
        o.beta2 = default_betas[1] if o.beta2 is None else o.beta2


def build_optimizer(cfg: Config, params, lr: float, device: torch.device) -> torch.optim.Optimizer:
    return OPTIMIZERS.get(cfg.optim.name)(cfg.optim, params, lr, device)


def build_optimizers(cfg: Config, generator: nn.Module, critic: nn.Module, device: torch.device):
    resolve_optim(cfg)
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
