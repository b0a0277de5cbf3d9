"""The training loop: generator iterations, and at intervals the callbacks.

Every process runs this loop. The work that needs all processes happens here:
gathering the logged sums, checking that training is still finite, deciding
to stop, broadcasting BatchNorm statistics before a save, generating
evaluation samples. What writes files (metrics, TensorBoard, grids, plots,
checkpoints) happens in callbacks, and only the main process has callbacks:
one rank check, in ``Trainer.callbacks``.

The hot path never waits on the device: per-step numbers stay there as running
sums and are read back every ``train.log_every`` steps.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch

from .errors import CollectiveError, WganError
from .schedule import critic_iterations
from .step import Totals, sum_dtype


class TrainingDiverged(CollectiveError):
    """Losses or training state became NaN or infinite; the run stops, its last good checkpoint kept."""


class Callback:
    """Hooks the loop calls on the main process; each may ignore any of them."""

    def on_start(self, trainer) -> None: ...
    def on_step(self, trainer) -> None: ...
    def on_log(self, trainer, values: dict[str, float]) -> None: ...
    def on_samples(self, trainer) -> None: ...
    def on_checkpoint(self, trainer) -> None: ...
    def on_eval(self, trainer, results: dict) -> None: ...
    def on_end(self, trainer) -> None: ...
    def on_interrupt(self, trainer) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Intervals:
    """Steps between log records, sample grids, checkpoints and evaluations (0 = never)."""

    log: int
    samples: int
    checkpoint: int
    eval: int = 0

    @staticmethod
    def due(step: int, every: int) -> bool:
        return every > 0 and step % every == 0


class RunningSums:
    """Per-step numbers summed on the device since the last log step, with their counts."""

    def __init__(self, device: torch.device):
        self.device, self.dtype = device, sum_dtype(device)
        self.totals = Totals(self.dtype)
        self.steps = 0

    def add(self, iteration: Totals) -> None:
        self.totals.merge(iteration)
        self.steps += 1

    def gather(self, runtime) -> dict[str, float]:
        """Means since the last log step over all processes, each over the updates that gave it
        (critic numbers per critic update, generator numbers per generator update); the one host
        synchronisation of the loop."""
        keys = sorted(self.totals.sums)
        if not keys:
            return {}
        stacked = torch.stack([self.totals.sums[k] for k in keys])
        host = (runtime.all_reduce_sum_(stacked) / runtime.world_size).tolist()
        values = {k: v / self.totals.counts[k] for k, v in zip(keys, host)}
        self.totals, self.steps = Totals(self.dtype), 0
        return values


class TrainingLoop:
    """Runs ``trainer`` (its step, counters and state) and calls ``callbacks`` at ``intervals``."""

    def __init__(self, trainer, callbacks: list[Callback], intervals: Intervals, max_minutes: float = 0.0,
                 check_finite: str = "log"):
        self.trainer, self.callbacks, self.intervals = trainer, callbacks, intervals
        self.runtime = trainer.runtime
        self.max_minutes, self.check_finite = max_minutes, check_finite
        self.sums: RunningSums = trainer.sums
        self._clock = (time.time(), trainer.step)  # (start of the current log interval, its first step)

    def _call(self, hook: str, *args) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(self.trainer, *args)

    def train_step(self) -> None:
        """One generator iteration, its numbers added to the running sums."""
        t = self.trainer
        n_critic = critic_iterations(t.step, t.cfg.train)
        self.sums.add(t.runner(t.step, n_critic))
        for scheduler in t.schedulers:
            scheduler.step()
        t.step += 1

    def run(self, until: int) -> None:
        """Train until step ``until`` or ``max_minutes`` of training time, then finish."""
        t, iv = self.trainer, self.intervals
        # max_minutes counts training time in this session: evaluations and start-up do not count.
        limit = t.elapsed + 60 * self.max_minutes if self.max_minutes else math.inf
        self._clock = (time.time(), t.step)
        finished = False
        try:
            if t.step == 0:
                self._call("on_samples")
            self._call("on_start")
            while t.step < until and not self._time_is_up(limit):
                self.train_step()
                self._call("on_step")
                if self.check_finite == "always" and not iv.due(t.step, iv.log):
                    self._check_state()
                if iv.due(t.step, iv.log):
                    self._log()
                if iv.due(t.step, iv.samples):
                    self._call("on_samples")
                if iv.due(t.step, iv.checkpoint):
                    self._checkpoint()
                if iv.due(t.step, iv.eval):
                    self._evaluate()
            if self.sums.steps:  # the last steps since the previous log step
                self._log()
            self._checkpoint(final=True)
            finished = True
        except KeyboardInterrupt:
            self._call("on_interrupt")
            raise
        finally:
            self._close(report=finished)

    def _close(self, report: bool) -> None:
        """Close every callback; a failure to close is reported unless another error already is."""
        failure = None
        for callback in self.callbacks:
            try:
                callback.close()
            except (OSError, WganError) as e:
                failure = failure or e
        if failure is not None and report:
            raise failure

    def _time_is_up(self, limit: float) -> bool:
        if limit == math.inf:
            return False
        up = self._training_seconds() >= limit
        if not self.runtime.distributed:
            return up
        # Clocks differ between processes: decide together, at log steps only (a collective).
        return self.intervals.due(self.trainer.step, self.intervals.log) and self.runtime.any(up)

    def _training_seconds(self) -> float:
        return self.trainer.elapsed + time.time() - self._clock[0]

    def _check_state(self) -> None:
        bad = self.trainer.first_non_finite()
        if self.runtime.any(bad is not None):
            raise self.trainer.diverged(f"{bad or 'the state of another process'} is not finite")

    def _log(self) -> None:
        """Gather the running sums, check them and the training state, and hand them to the callbacks."""
        t = self.trainer
        values = self.sums.gather(self.runtime)
        bad = [k for k, v in values.items() if not math.isfinite(v)]
        if bad:
            raise t.diverged("non-finite " + ", ".join(bad))
        self._check_state()
        now, (last_time, last_step) = time.time(), self._clock
        rate = (t.step - last_step) / max(now - last_time, 1e-9)
        t.elapsed += now - last_time
        self._clock = (now, t.step)
        values.update(it_per_s=rate, img_per_s=rate * t.cfg.train.batch_size, train_seconds=t.elapsed,
                      threads=torch.get_num_threads())
        self.runtime.adapt_threads()
        if t.data.size:  # an epoch as the tutorials count it: size / batch generator steps
            values["epoch_seconds"] = t.data.size / max(values["img_per_s"], 1e-9)
        self._call("on_log", values)

    def _checkpoint(self, final: bool = False) -> None:
        self.trainer.algorithm.broadcast_buffers()
        self._call("on_end" if final else "on_checkpoint")

    def _evaluate(self) -> None:
        """Measure the run now (outside the hot loop); its time is not training time."""
        trained = self._training_seconds()  # of the generator measured: quality over training time
        started = time.time()
        results = self.trainer.evaluate(n=self.trainer.cfg.train.eval_n)
        self._clock = (self._clock[0] + time.time() - started, self._clock[1])
        if results is not None:
            results["train_seconds"] = trained
            self._call("on_eval", results)
