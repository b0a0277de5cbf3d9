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


def test_the_loop_runs_what_it_is_given_without_a_trainer(tiny_toy_config):
    """LoopParts is everything the loop runs: here a runner that only counts, a critic schedule of its
    own and no learning-rate schedules; the callbacks get the view they are given."""
    from types import SimpleNamespace

    from wgan.training.loop import Callback, Intervals, LoopParts, TrainingLoop, TrainState
    from wgan.training.trainer import Trainer

    algorithm = Trainer(tiny_toy_config, progress=False).algorithm  # networks with a state to check
    calls, logged, seen = [], [], []

    def runner(step, critic_steps):
        calls.append((step, critic_steps))
        return iteration([1.0] * critic_steps, 2.0)

    class Watch(Callback):
        def on_step(self, view):
            seen.append((view.name, view.state.step))

        def on_log(self, view, values):
            logged.append((view.state.step, values["loss_critic"], values["loss_generator"]))

    parts = LoopParts(Runtime(torch.device("cpu")), algorithm, runner, lambda step: 5 if step < 2 else 1, [],
                      Intervals(log=2, samples=0, checkpoint=0), batch_size=32)
    state = TrainState()
    TrainingLoop(parts, state).run_until(4, [Watch()], SimpleNamespace(name="a view", state=state))
    assert calls == [(0, 5), (1, 5), (2, 1), (3, 1)] and state.step == 4
    assert seen == [("a view", 1), ("a view", 2), ("a view", 3), ("a view", 4)]
    assert logged == [(2, 1.0, 2.0), (4, 1.0, 2.0)]
