"""What the main process writes while training: metrics, sample grids and plots, checkpoints.

Each callback is one job, called by :class:`~wgan.loop.TrainingLoop` at the
intervals of ``train.*_every``. None of them takes part in a collective, so
they can all be left out of every process but the main one.
"""

from __future__ import annotations

from .loop import Callback
from .monitor import Monitor

# Results of evaluations that go to metrics.jsonl and TensorBoard (not counts and names).
_NOT_LOGGED = ("step", "n", "n_reference")


class MetricsLog(Callback):
    """metrics.jsonl, TensorBoard (and W&B), the progress bar; the critic diagnostics at each log step."""

    def __init__(self, monitor: Monitor):
        self.monitor = monitor

    def on_step(self, trainer) -> None:
        self.monitor.advance()

    def on_log(self, trainer, values: dict[str, float]) -> None:
        from .diagnostics import critic_diagnostics

        self.monitor.log(trainer.step, {**values, **critic_diagnostics(trainer)})

    def on_eval(self, trainer, results: dict) -> None:
        scalars = {f"eval/{k}": float(v) for k, v in results.items()
                   if isinstance(v, (int, float)) and k not in _NOT_LOGGED}
        self.monitor.log(trainer.step, scalars)

    def close(self) -> None:
        self.monitor.close()


class SampleGrids(Callback):
    """Fixed-noise samples over training (``samples/``), and the figures at the end (``plots/``)."""

    def __init__(self, artifacts, monitor: Monitor | None = None):
        self.artifacts, self.monitor = artifacts, monitor
        self._last = None

    def on_samples(self, trainer) -> None:
        self.artifacts.snapshot(trainer, self.monitor)
        self._last = trainer.step

    def on_end(self, trainer) -> None:
        if self._last != trainer.step:
            self.on_samples(trainer)
        self.artifacts.finish(trainer)


class Checkpoints(Callback):
    """``checkpoints/last.pt`` at every checkpoint step, at the end and on Ctrl-C; ``best.pt`` by evaluation."""

    def on_checkpoint(self, trainer) -> None:
        trainer.save()

    def on_end(self, trainer) -> None:
        trainer.save()

    def on_interrupt(self, trainer) -> None:
        trainer.save()

    def on_eval(self, trainer, results: dict) -> None:
        trainer.keep_if_best(results)
