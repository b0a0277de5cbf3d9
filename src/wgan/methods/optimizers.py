"""The optimisers ``optim.name`` chooses, each a builder behind one registry.

``auto`` is not one of them: it asks for the optimiser of the Lipschitz method's paper
(:func:`wgan.methods.lipschitz.paper_optimizer`, resolved by the trainer).
"""

from __future__ import annotations

from typing import Callable

import torch

from ..registry import Registry

# name -> builder(optim config section, parameters, learning rate, device)
OPTIMIZERS: Registry[Callable[..., torch.optim.Optimizer]] = Registry("optimiser")


@OPTIMIZERS.register("adam")
def adam(o, params, lr: float, device: torch.device) -> torch.optim.Optimizer:
    """Adam with ``optim.beta1``/``beta2``; foreach kernels batch the per-parameter updates, and fused
    Adam is faster still on CUDA."""
    fast = {"fused": True} if device.type == "cuda" else {"foreach": True}
    return torch.optim.Adam(params, lr=lr, betas=(o.beta1, o.beta2), **fast)


@OPTIMIZERS.register("rmsprop")
def rmsprop(o, params, lr: float, device: torch.device) -> torch.optim.Optimizer:
    """RMSProp, as the WGAN paper trains with weight clipping."""
    return torch.optim.RMSprop(params, lr=lr, foreach=True)
