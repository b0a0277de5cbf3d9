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
from .loop import Callback, Run
from .monitor import Monitor

# Results of evaluations that go to metrics.jsonl and TensorBoard (not counts and names).
_NOT_LOGGED = ("step", "n", "n_reference", "train_seconds")


class MetricsLog(Callback):
    """metrics.jsonl, TensorBoard (and W&B), the progress bar; the critic diagnostics at each log step."""

    def __init__(self, monitor: Monitor):
        self.monitor = monitor

    def on_step(self, run: Run) -> None:
        self.monitor.advance()

    def on_log(self, run: Run, values: dict[str, float]) -> None:
        from .diagnostics import critic_diagnostics

        # The generator as it trains: without recomputing the average's statistics for a log line.
        diagnostics = critic_diagnostics(run.algorithm, run.handle(refresh=False), run.cfg.train.seed, run.state.step)
        self.monitor.log(run.state.step, {**values, **diagnostics})

    def on_eval(self, run: Run, results: dict) -> None:
        scalars = {f"eval/{k}": float(v) for k, v in results.items()
                   if isinstance(v, (int, float)) and k not in _NOT_LOGGED}
        if "train_seconds" in results:  # unprefixed: the same training clock as the log lines
            scalars["train_seconds"] = float(results["train_seconds"])
        self.monitor.log(run.state.step, scalars)

    def close(self) -> None:
        self.monitor.close()


class SampleGrids(Callback):
    """Fixed-noise samples over training (``samples/``), and the figures at the end (``plots/``)."""

    def __init__(self, artifacts, monitor: Monitor | None = None):
        self.artifacts, self.monitor = artifacts, monitor
        self.last_step = None  # the step of the last samples written

    def on_samples(self, run: Run) -> None:
        try:
            self.artifacts.snapshot(run.handle(), self.monitor)
        except NonFiniteSamples:
            raise run.diverged("the generator's samples are not finite") from None
        self.last_step = run.state.step

    def on_end(self, run: Run) -> None:
        if self.last_step != run.state.step:
            self.on_samples(run)
        self.artifacts.finish(run.handle(), run.algorithm)


class Checkpoints(Callback):
    """The training state in ``checkpoints/``: ``last.pt`` at every checkpoint step, at the end and on
    Ctrl-C; ``best.pt`` by evaluation; and, with ``keep`` > 0, the last ``keep`` step-named snapshots
    (``step_NNNNNNN.pt``). Each comes with its generator file (:mod:`wgan.handle`)."""

    def __init__(self, keep: int = 0):
        self.keep = keep

    @staticmethod
    def save(run: Run, stem: str = "last", best: dict | None = None) -> dict:
        """Write ``<stem>.pt`` and its generator file, each atomically; refuse (as divergence) a non-finite
        state. ``best``: a new best evaluation, saved in the checkpoint as the state will hold it.
        Returns the state's change: the last checkpoint, when ``stem`` is last."""
        folder = RunFolder(run.run_dir)
        state = run.checkpoint()
        if best is not None:
            state["best"] = dict(best)
        bad = first_non_finite(tensors_of(state))
        if bad is not None:
            raise run.diverged(f"{bad} is not finite, so no checkpoint was written")
        save_checkpoint(state, folder.checkpoint(stem))
        write_generator_file(folder.generator_file(stem), state["generator_info"], run.algorithm.generator,
                             run.algorithm.generator_ema, run.fixed_z)
        return {"last_checkpoint": (folder.checkpoint(stem), run.state.step)} if stem == "last" else {}

    def _snapshot(self, run: Run) -> None:
        """``step_NNNNNNN.pt`` as a second name of the ``last.pt`` just written, then drop the oldest."""
        if not self.keep:
            return
        folder, step = RunFolder(run.run_dir), run.state.step
        link_or_copy(folder.checkpoint("last"), folder.checkpoint(step))
        link_or_copy(folder.generator_file("last"), folder.generator_file(step))
        for old in folder.kept_steps()[:-self.keep]:
            folder.checkpoint(old).unlink(missing_ok=True)
            folder.generator_file(old).unlink(missing_ok=True)

    def on_checkpoint(self, run: Run) -> dict:
        changes = self.save(run)
        self._snapshot(run)
        return changes

    def on_end(self, run: Run) -> dict:
        return self.on_checkpoint(run)

    def on_interrupt(self, run: Run) -> dict:
        return self.save(run)

    def on_eval(self, run: Run, results: dict) -> dict | None:
        """``best.pt`` when ``results`` beat the best so far; the best is training state, so a resumed
        run never replaces a better ``best.pt`` with a worse one."""
        key, higher_is_better = select_result(run.cfg.train.best_metric, results)
        if key is None:
            return None
        value, best = float(results[key]), run.state.best
        if best is not None and best.get("metric") == key and not (
                value > best["value"] if higher_is_better else value < best["value"]):
            return None
        new_best = {"metric": key, "value": value, "step": run.state.step}
        self.save(run, "best", best=new_best)
        write_text(RunFolder(run.run_dir).best_record, json.dumps(new_best) + "\n")
        return {"best": new_best}


class RecordOnFirstSave(Callback):
    """Calls ``record`` once, after the first ``last.pt`` of this session is written: a resumed run's
    changes enter config.yaml's history only with a checkpoint that carries them (a save that fails,
    on a full disk say, raises before this callback is reached). Goes after :class:`Checkpoints`."""

    def __init__(self, record: Callable[[], None]):
        self.record: Callable[[], None] | None = record

    def _saved(self, run: Run) -> None:
        if self.record is not None:
            record, self.record = self.record, None
            record()

    def on_checkpoint(self, run: Run) -> None:
        self._saved(run)

    def on_end(self, run: Run) -> None:
        self._saved(run)

    def on_interrupt(self, run: Run) -> None:
        self._saved(run)


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
