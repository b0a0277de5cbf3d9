"""What the main process writes while training: metrics, sample grids and plots, checkpoints.

Each callback is one job, called by :class:`~wgan.loop.TrainingLoop` at the
intervals of ``train.*_every``. None of them takes part in a collective, so
they can all be left out of every process but the main one.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from .checkpoint import first_non_finite, save_checkpoint, tensors_of
from .files import atomic_write, write_text
from .handle import NonFiniteSamples, write_generator_file
from .loop import Callback
from .metrics import select_result
from .monitor import Monitor
from .run_folder import RunFolder

# Results of evaluations that go to metrics.jsonl and TensorBoard (not counts and names).
_NOT_LOGGED = ("step", "n", "n_reference", "train_seconds")


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
        if "train_seconds" in results:  # unprefixed: the same training clock as the log lines
            scalars["train_seconds"] = float(results["train_seconds"])
        self.monitor.log(trainer.step, scalars)

    def close(self) -> None:
        self.monitor.close()


class SampleGrids(Callback):
    """Fixed-noise samples over training (``samples/``), and the figures at the end (``plots/``)."""

    def __init__(self, artifacts, monitor: Monitor | None = None):
        self.artifacts, self.monitor = artifacts, monitor
        self._last = None

    def on_samples(self, trainer) -> None:
        try:
            self.artifacts.snapshot(trainer.handle(), self.monitor)
        except NonFiniteSamples:
            raise trainer.diverged("the generator's samples are not finite") from None
        self._last = trainer.step

    def on_end(self, trainer) -> None:
        if self._last != trainer.step:
            self.on_samples(trainer)
        self.artifacts.finish(trainer.handle(), trainer.algorithm)


class Checkpoints(Callback):
    """The training state in ``checkpoints/``: ``last.pt`` at every checkpoint step, at the end and on
    Ctrl-C; ``best.pt`` by evaluation; and, with ``keep`` > 0, the last ``keep`` step-named snapshots
    (``step_NNNNNNN.pt``). Each comes with its generator file (:mod:`wgan.handle`)."""

    def __init__(self, keep: int = 0):
        self.keep = keep

    def save(self, trainer, stem: str = "last") -> None:
        """Write ``<stem>.pt`` and its generator file, atomically; refuse (as divergence) a non-finite state."""
        folder = RunFolder(trainer.run_dir)
        state = trainer.state_dict()
        bad = first_non_finite(tensors_of(state))
        if bad is not None:
            raise trainer.diverged(f"{bad} is not finite, so no checkpoint was written")
        save_checkpoint(state, folder.checkpoint(stem))
        write_generator_file(folder.generator_file(stem), state["generator_info"], trainer.generator,
                             trainer.generator_ema, trainer.fixed_z)
        if stem == "last":
            trainer.last_checkpoint = (folder.checkpoint("last"), trainer.step)

    def _snapshot(self, trainer) -> None:
        """``step_NNNNNNN.pt`` as a second name of the ``last.pt`` just written, then drop the oldest."""
        if not self.keep:
            return
        folder, step = RunFolder(trainer.run_dir), trainer.step
        link_or_copy(folder.checkpoint("last"), folder.checkpoint(step))
        link_or_copy(folder.generator_file("last"), folder.generator_file(step))
        for old in folder.kept_steps()[:-self.keep]:
            folder.checkpoint(old).unlink(missing_ok=True)
            folder.generator_file(old).unlink(missing_ok=True)

    def on_checkpoint(self, trainer) -> None:
        self.save(trainer)
        self._snapshot(trainer)

    def on_end(self, trainer) -> None:
        self.on_checkpoint(trainer)

    def on_interrupt(self, trainer) -> None:
        self.save(trainer)

    def on_eval(self, trainer, results: dict) -> None:
        """``best.pt`` when ``results`` beat the best so far; the best is training state, so a resumed
        run never replaces a better ``best.pt`` with a worse one."""
        key, higher_is_better = select_result(trainer.cfg.train.best_metric, results)
        if key is None:
            return
        value, best = float(results[key]), trainer.best
        if best is None or best.get("metric") != key or (
                value > best["value"] if higher_is_better else value < best["value"]):
            trainer.best = {"metric": key, "value": value, "step": trainer.step}
            self.save(trainer, "best")
            write_text(RunFolder(trainer.run_dir).best_record, json.dumps(trainer.best) + "\n")


def link_or_copy(source: Path, target: Path) -> None:
    """``target`` as a second name of ``source`` (no copy: renaming a new last.pt over it later
    leaves this one as it is), or a copy where links are not possible."""
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        atomic_write(target, lambda path: shutil.copyfile(source, path))
        return
    os.replace(tmp, target)
