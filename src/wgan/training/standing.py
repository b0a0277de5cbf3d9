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


class StandingStatistics:
    """The averaged generator's own BatchNorm statistics, recomputed at most once per step from
    ``batches`` batches of noise drawn by a generator of their own (keyed on the run's seed and the
    step), so that they never move the training trajectory."""

    def __init__(self, average: nn.Module, latent, seed: int, device: torch.device, dtype: torch.dtype,
                 batch_size: int, num_classes: int, batches: int, autocast: torch.dtype | None):
        self.average, self.latent, self.seed = average, latent, seed
        self.device, self.dtype, self.autocast = device, dtype, autocast
        self.batch_size, self.num_classes, self.batches = batch_size, num_classes, batches
        self.fresh_at: int | None = None  # the step whose statistics the average holds now

    def inputs(self, step: int) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
        """The noise (and labels) that recompute the statistics at ``step``."""
        from ..rng import seeded, stream_seed

        gen = seeded(stream_seed(self.seed, "standing", step), self.device)
        n = self.batch_size
        return [(self.latent.draw(n, generator=gen, device=self.device, dtype=self.dtype),
                 torch.randint(0, self.num_classes, (n,), generator=gen, device=self.device)
                 if self.num_classes else None) for _ in range(self.batches)]

    def refresh(self, step: int) -> None:
        """Give the average statistics of its own, unless it has them for ``step`` already."""
        if not self.batches or self.fresh_at == step:
            return
        with torch.autocast(self.device.type, dtype=self.autocast or torch.bfloat16, enabled=self.autocast is not None):
            recompute_batchnorm(self.average, self.inputs(step))
        self.fresh_at = step

    def stale(self) -> None:
        """The average's weights moved: its statistics are to be recomputed before it is next used."""
        self.fresh_at = None
