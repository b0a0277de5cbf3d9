"""The loop's running sums: each logged number is a mean over the updates that gave it."""

import pytest
import torch

from wgan.training.algorithm import Totals
from wgan.training.loop import RunningSums
from wgan.training.runtime import Runtime


def iteration(critic_losses, generator_loss, extra=None) -> Totals:
    totals = Totals(torch.float64)
    for loss in critic_losses:
        totals.add({"loss_critic": torch.tensor(loss)})
    totals.add({"loss_generator": torch.tensor(generator_loss), **({"new_term": torch.tensor(extra)} if extra else {})})
    return totals


def test_each_name_is_averaged_over_its_own_updates():
    sums = RunningSums(torch.device("cpu"))
    sums.add(iteration([1.0, 2.0, 3.0], 10.0, extra=6.0))  # a warm-up step of 3 critic updates
    sums.add(iteration([4.0], 20.0, extra=8.0))
    values = sums.gather(Runtime(torch.device("cpu")))
    # 4 critic updates, 2 generator updates; a name no list knows of counts per update too.
    assert values == pytest.approx({"loss_critic": 2.5, "loss_generator": 15.0, "new_term": 7.0})
    assert sums.steps == 0 and sums.gather(Runtime(torch.device("cpu"))) == {}
