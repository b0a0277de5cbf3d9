"""Standing statistics: BatchNorm statistics recomputed for a generator's averaged weights.

An exponential moving average of the generator's weights (``train.ema``) is a
different network from the one trained, but its BatchNorm layers would
otherwise normalise with the running statistics of the *trained* weights'
activations, which do not match the averaged weights' own (Yazici et al. 2019
saw this hurt; BigGAN's "standing statistics" are the cure). Before the
averaged generator samples, is evaluated or is saved, its BatchNorm statistics
are recomputed: the running averages are reset, a few batches of noise go
through it in training mode without gradients, and each layer's running mean
and variance become the plain average of those batches' statistics.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn


def batchnorm_layers(module: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    return [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


@torch.no_grad()
def recompute_batchnorm(generator: nn.Module, inputs: Iterable[tuple[torch.Tensor, torch.Tensor | None]]) -> bool:
    """Reset ``generator``'s BatchNorm statistics and average them over ``inputs`` (``(z, labels)``
    batches) in training mode. False, and nothing changed, when it has no BatchNorm to recompute
    (none, or SyncBatchNorm, whose training-mode forward would wait for the other processes)."""
    norms = batchnorm_layers(generator)
    if not norms or any(isinstance(m, nn.SyncBatchNorm) for m in norms):
        return False
    momenta = [m.momentum for m in norms]
    was_training = generator.training
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average: every batch counts alike
    generator.train()
    try:
        for z, labels in inputs:
            generator(z, labels)
    finally:
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        generator.train(was_training)
    return True
