"""What the main process writes while training: metrics, sample grids and plots, checkpoints.

Each callback is one job, called by :class:`~wgan.training.loop.TrainingLoop` at the
intervals of ``train.*_every``. None of them takes part in a collective, so
they can all be left out of every process but the main one.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Callable

from ..checkpoint import first_non_finite, save_checkpoint, tensors_of
from ..files import TEMP_MARK, atomic_write, write_text
from ..handle import NonFiniteSamples, write_generator_file
from ..metrics import select_result
from ..run_folder import RunFolder
from .loop import Callback, TrainerView
from .monitor import Monitor

# Results of evaluations that go to metrics.jsonl and TensorBoard (not counts and names).
_NOT_LOGGED = ("step", "n", "n_reference", "train_seconds")


class MetricsLog(Callback):
    """metrics.jsonl, TensorBoard (and W&B), the progress bar; the critic diagnostics at each log step."""

    def __init__(self, monitor: Monitor):
        self.monitor = monitor

    def on_step(self, view: TrainerView) -> None:
        self.monitor.advance()

    def on_log(self, view: TrainerView, values: dict[str, float]) -> None:
        from .diagnostics import critic_diagnostics

        # The generator as it trains: without recomputing the average's statistics for a log line.
        diagnostics = critic_diagnostics(view.algorithm, view.handle(refresh=False), view.cfg.train.seed, view.state.step)
        self.monitor.log(view.state.step, {**values, **diagnostics})

    def on_eval(self, view: TrainerView, results: dict) -> None:
        scalars = {f"eval/{k}": float(v) for k, v in results.items()
                   if isinstance(v, (int, float)) and k not in _NOT_LOGGED}
        if "train_seconds" in results:  # unprefixed: the same training clock as the log lines
            scalars["train_seconds"] = float(results["train_seconds"])
        self.monitor.log(view.state.step, scalars)

    def close(self) -> None:
        self.monitor.close()


class SampleGrids(Callback):
    """Fixed-noise samples over training (``samples/``), and the figures at the end (``plots/``)."""

    def __init__(self, artifacts, monitor: Monitor | None = None):
        self.artifacts, self.monitor = artifacts, monitor
        self.last_step = None  # the step of the last samples written

    def on_samples(self, view: TrainerView) -> None:
        try:
            self.artifacts.snapshot(view.handle(), self.monitor)
        except NonFiniteSamples:
            raise view.diverged("the generator's samples are not finite") from None
        self.last_step = view.state.step

    def on_end(self, view: TrainerView) -> None:
        if self.last_step != view.state.step:
            self.on_samples(view)
        self.artifacts.finish(view.handle(), view.algorithm)


class Checkpoints(Callback):
    """The training state in ``checkpoints/``: ``last.pt`` at every checkpoint step, at the end and on
    Ctrl-C; ``best.pt`` by evaluation; and, with ``keep`` > 0, the last ``keep`` step-named snapshots
    (``step_NNNNNNN.pt``). Each comes with its generator file (:mod:`wgan.handle`)."""

    def __init__(self, keep: int = 0):
        self.keep = keep

    @staticmethod
    def save(view: TrainerView, stem: str = "last", best: dict | None = None) -> dict:
        """Write ``<stem>.pt`` and its generator file, each atomically; refuse (as divergence) a non-finite
        state. ``best``: a new best evaluation, saved in the checkpoint as the state will hold it.
        Returns the state's change: the last checkpoint, when ``stem`` is last."""
        folder = RunFolder(view.run_dir)
        state = view.checkpoint()
        if best is not None:
            state["best"] = dict(best)
        bad = first_non_finite(tensors_of(state))
        if bad is not None:
            raise view.diverged(f"{bad} is not finite, so no checkpoint was written")
        save_checkpoint(state, folder.checkpoint(stem))
        write_generator_file(folder.generator_file(stem), state["generator_info"], view.algorithm.generator,
                             view.algorithm.generator_ema, view.fixed_z)
        return {"last_checkpoint": (folder.checkpoint(stem), view.state.step)} if stem == "last" else {}

    def _snapshot(self, view: TrainerView) -> None:
        """``step_NNNNNNN.pt`` as a second name of the ``last.pt`` just written, then drop the oldest."""
        if not self.keep:
            return
        folder, step = RunFolder(view.run_dir), view.state.step
        link_or_copy(folder.checkpoint("last"), folder.checkpoint(step))
        link_or_copy(folder.generator_file("last"), folder.generator_file(step))
        for old in folder.kept_steps()[:-self.keep]:
            folder.checkpoint(old).unlink(missing_ok=True)
            folder.generator_file(old).unlink(missing_ok=True)

    def on_checkpoint(self, view: TrainerView) -> dict:
        changes = self.save(view)
        self._snapshot(view)
        return changes

    def on_end(self, view: TrainerView) -> dict:
        return self.on_checkpoint(view)

    def on_interrupt(self, view: TrainerView) -> dict:
        return self.save(view)

    def on_eval(self, view: TrainerView, results: dict) -> dict | None:
        """``best.pt`` when ``results`` beat the best so far; the best is training state, so a resumed
        run never replaces a better ``best.pt`` with a worse one."""
        key, higher_is_better = select_result(view.cfg.train.best_metric, results)
        if key is None:
            return None
        value, best = float(results[key]), view.state.best
        if best is not None and best.get("metric") == key and not (
                value > best["value"] if higher_is_better else value < best["value"]):
            return None
        new_best = {"metric": key, "value": value, "step": view.state.step}
        self.save(view, "best", best=new_best)
        write_text(RunFolder(view.run_dir).best_record, json.dumps(new_best) + "\n")
        return {"best": new_best}


class RecordOnFirstSave(Callback):
    """Calls ``record`` once, after the first ``last.pt`` of this session is written: a resumed run's
    changes enter config.yaml's history only with a checkpoint that carries them (a save that fails,
    on a full disk say, raises before this callback is reached). Goes after :class:`Checkpoints`."""

    def __init__(self, record: Callable[[], None]):
        self.record: Callable[[], None] | None = record

    def on_checkpoint(self, view: TrainerView) -> None:  # last.pt was written (at a checkpoint step,
        if self.record is not None:                      # at the end, or on a stop signal)
            record, self.record = self.record, None
            record()

    on_end = on_interrupt = on_checkpoint


def link_or_copy(source: Path, target: Path) -> None:
    """``target`` as a second name of ``source`` (no copy: renaming a new last.pt over it later
    leaves this one as it is), or a copy where links are not possible."""
    tmp = target.with_name(f".{target.name}{TEMP_MARK}")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        atomic_write(target, lambda path: shutil.copyfile(source, path))
        return
    os.replace(tmp, target)
