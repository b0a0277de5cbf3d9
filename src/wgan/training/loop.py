"""The training loop: generator iterations, and at intervals the callbacks.

Every process runs this loop. The work that needs all processes happens here:
gathering the logged sums, checking that training is still finite, deciding
to stop, broadcasting BatchNorm statistics before a save, generating
evaluation samples. What writes files (metrics, TensorBoard, grids, plots,
checkpoints) happens in callbacks, and only the main process has callbacks:
one rank check, in ``Trainer.callbacks``. The loop owns the run's
:class:`TrainState`; callbacks read it and report their changes back.

The hot path never waits on the device: per-step numbers stay there as running
sums and are read back every ``train.log_every`` steps.

A stop signal (``train.stop_signals``: SIGTERM, Ctrl-C, SIGUSR1) is a request the loop reads
between iterations (``stopping.py``): the state at that step is saved, the logs closed, and
:class:`~wgan.training.stopping.Stopped` raised on every process at the same step.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import torch

from ..checkpoint import first_non_finite, tensors_of
from ..errors import CollectiveError, WganError
from .algorithm import Algorithm, Totals, sum_dtype
from .stopping import Stopped, StopRequests

if TYPE_CHECKING:
    from ..config import Config
    from ..handle import GeneratorHandle
    from .runtime import Runtime


class TrainingDiverged(CollectiveError):
    """Losses or training state became NaN or infinite; the run stops, its last good checkpoint kept."""


@dataclass
class TrainState:
    """How far a run has got: owned by the loop (the one writer of ``step`` and ``elapsed``) and saved
    in every checkpoint. Callbacks read it and report what they changed (``best``, ``last_checkpoint``)
    as the return value of a hook; the loop applies that."""

    step: int = 0
    elapsed: float = 0.0  # training seconds over all sessions of the run
    best: dict | None = None  # the best evaluation so far (train.eval_every): metric, value, step
    last_checkpoint: tuple[Path, int] | None = None  # (file, step) of the last one written or loaded

    REPORTED = ("best", "last_checkpoint")  # what a callback may change

    def apply(self, changes: dict | None) -> None:
        for key, value in (changes or {}).items():
            if key not in self.REPORTED:
                raise AssertionError(f"a callback may report {self.REPORTED}, not {key!r}")  # a bug, not input
            setattr(self, key, value)

    def to_checkpoint(self, device: torch.device) -> dict:
        """The state's part of a checkpoint, with torch's random state (dropout and the like)."""
        out = {"step": self.step, "elapsed": self.elapsed, "rng_cpu": torch.get_rng_state()}
        if self.best is not None:
            out["best"] = dict(self.best)
        if device.type == "cuda":
            out["rng_cuda"] = torch.cuda.get_rng_state(device)
        return out

    def restore(self, state: dict, device: torch.device, distributed: bool) -> None:
        """Take up :meth:`to_checkpoint`'s record (in place: the loop holds this object)."""
        self.step, self.elapsed = int(state["step"]), float(state.get("elapsed", 0.0))
        self.best = dict(state["best"]) if isinstance(state.get("best"), dict) else None
        if not distributed:  # with several processes each keeps its own stream
            torch.set_rng_state(state["rng_cpu"])
            if device.type == "cuda" and "rng_cuda" in state:
                torch.cuda.set_rng_state(state["rng_cuda"], device)


@dataclass(frozen=True)
class TrainerView:
    """What callbacks read of a run (the Trainer builds it when training starts): its config, its state
    (read only: the loop writes it), the update's pieces, where it writes, and what they may ask of the
    run: a generator handle, the checkpoint record, a divergence error. Nothing in it reaches the loop."""

    cfg: Config
    state: TrainState
    algorithm: Algorithm  # the update (algorithm.py): networks, optimisers, data
    run_dir: Path | None
    fixed_z: torch.Tensor
    handle: Callable[..., GeneratorHandle]  # handle(refresh=True)
    checkpoint: Callable[[], dict]
    diverged: Callable[[str], "TrainingDiverged"]


class Callback:
    """Hooks the loop calls on the main process; each may ignore any of them. A hook reads ``view``
    (and ``view.state``) and returns the changes it made to the state, if any (``{"best": ...}``)."""

    def on_start(self, view: TrainerView) -> dict | None: ...
    def on_step(self, view: TrainerView) -> dict | None: ...
    def on_log(self, view: TrainerView, values: dict[str, float]) -> dict | None: ...
    def on_samples(self, view: TrainerView) -> dict | None: ...
    def on_checkpoint(self, view: TrainerView) -> dict | None: ...
    def on_eval(self, view: TrainerView, results: dict) -> dict | None: ...
    def on_end(self, view: TrainerView) -> dict | None: ...
    def on_interrupt(self, view: TrainerView) -> dict | None: ...
    def close(self) -> None: ...


# Several processes agree on a stop request every this many steps (a small collective on the CPU);
# one process reads its own request after every step.
STOP_CHECK_EVERY = 10


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


@dataclass(frozen=True)
class LoopParts:
    """What the loop runs, each given explicitly (``Trainer`` assembles them): the update and how one
    iteration of it is run, the critic schedule, the learning-rate schedules, the intervals and limits
    of ``train.*``, and the evaluation and divergence error the loop asks for."""

    runtime: Runtime
    algorithm: Algorithm  # its modules (broadcast before a save), its state (checked finite), its data's size
    runner: Callable[[int, int], Totals]  # (step, critic iterations) -> that iteration's numbers
    critic_steps: Callable[[int], int]  # the critic iterations of a step (train.n_critic and its schedule)
    schedulers: list
    intervals: Intervals
    batch_size: int  # the global batch, for images a second
    max_minutes: float = 0.0  # of training time in this session (0: no limit)
    check_finite: str = "log"  # "always": the state after every step, else at log steps
    stop_signals: tuple[str, ...] = ()
    evaluate: Callable[[], dict | None] = lambda: None  # the main process's results, None elsewhere
    diverged: Callable[[str], TrainingDiverged] = TrainingDiverged


class TrainingLoop:
    """Runs generator iterations of ``parts`` and calls callbacks at the intervals of ``train.*_every``;
    the one writer of ``state.step`` and ``state.elapsed``."""

    def __init__(self, parts: LoopParts, state: TrainState):
        self.parts, self.state = parts, state
        self.runtime = parts.runtime
        self.intervals = parts.intervals
        self.sums = RunningSums(self.runtime.device)  # the numbers of the steps since the last log step
        self.callbacks: list[Callback] = []
        self.view: TrainerView | None = None  # what the callbacks read, while run_until runs
        self._clock = (time.time(), state.step)  # (start of the current log interval, its first step)

    def _call(self, hook: str, *args) -> None:
        for callback in self.callbacks:
            self.state.apply(getattr(callback, hook)(self.view, *args))

    def train_step(self) -> None:
        """One generator iteration, its numbers added to the running sums."""
        step = self.state.step
        self.sums.add(self.parts.runner(step, self.parts.critic_steps(step)))
        for scheduler in self.parts.schedulers:
            scheduler.step()
        self.state.step += 1

    def gather(self) -> dict[str, float]:
        """Means of the logged numbers since the last log step (or gather), over all processes."""
        return self.sums.gather(self.runtime)

    def restore(self, checkpoint: dict, source: Path | None = None) -> None:
        """Take up a checkpoint's step, time, best evaluation and random state (read from ``source``)."""
        self.state.restore(checkpoint, self.runtime.device, self.runtime.distributed)
        if source is not None:
            self.state.last_checkpoint = (Path(source), self.state.step)

    def save(self, write: Callable[[], dict]) -> None:
        """``write`` the checkpoint of this step now, outside :meth:`run_until` (``Trainer.save``), and
        take up the change it reports."""
        self.state.apply(write())

    def run_until(self, until: int, callbacks: list[Callback], view: TrainerView) -> None:
        """Train until step ``until`` or ``max_minutes`` of training time, calling ``callbacks`` with
        ``view``; then finish. A stop signal saves the state where it is and raises
        :class:`~wgan.training.stopping.Stopped`."""
        state, parts = self.state, self.parts
        self.callbacks, self.view = list(callbacks), view
        # max_minutes counts training time in this session: evaluations and start-up do not count.
        limit = state.elapsed + 60 * parts.max_minutes if parts.max_minutes else math.inf
        self._clock = (time.time(), state.step)
        finished = False
        # The handlers stay until the logs are closed: a second signal never cuts a save or a close short.
        with StopRequests(parts.stop_signals, quiet=not self.runtime.main) as requests:
            try:
                if state.step == 0:
                    self._call("on_samples")
                self._call("on_start")
                self._clock = (time.time(), state.step)  # the first grid and on_start are not training time
                self._train(until, limit, requests)
                if self.sums.steps:  # the last steps since the previous log step
                    self._log()
                self._checkpoint(final=True)
                finished = True
            except KeyboardInterrupt:  # Ctrl-C where train.stop_signals leaves SIGINT out
                self._call("on_interrupt")
                raise
            finally:
                self._close(report=finished)
                self.callbacks, self.view = [], None

    def _train(self, until: int, limit: float, requests: StopRequests) -> None:
        """Generator iterations, each followed by the callbacks due at its step, until ``until``, the
        time limit or a stop request."""
        state, iv = self.state, self.intervals
        while state.step < until and not self._time_is_up(limit):
            self.train_step()
            self._call("on_step")
            if self.parts.check_finite == "always" and not iv.due(state.step, iv.log):
                self._check_state()
            if iv.due(state.step, iv.log):
                self._log()
            if iv.due(state.step, iv.samples):
                self._call("on_samples")
            if iv.due(state.step, iv.checkpoint):
                self._checkpoint()
            if iv.due(state.step, iv.eval):
                self._evaluate()
            signum = self._stop_requested(requests)
            if signum:
                self._stop(signum)

    def _stop_requested(self, requests: StopRequests) -> int:
        """The signal that asks every process to stop after this step (0: none). One process reads its
        own request; several agree every STOP_CHECK_EVERY steps (the same steps on each), on the
        largest signal number any of them received."""
        if not self.runtime.distributed:
            return requests.received or 0
        if self.state.step % STOP_CHECK_EVERY:
            return 0
        return self.runtime.largest(requests.received or 0)

    def _stop(self, signum: int) -> None:
        """Log the steps since the last log step, save the state at this step, and raise Stopped."""
        if self.sums.steps:
            self._log()
        self.runtime.broadcast_modules(self.parts.algorithm.modules(), buffers_only=True)
        self._call("on_interrupt")
        raise Stopped(signum, self.state.step, self.view.run_dir)  # only run_until calls this: view is set

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
        return self.intervals.due(self.state.step, self.intervals.log) and self.runtime.any(up)

    def _training_seconds(self) -> float:
        return self.state.elapsed + time.time() - self._clock[0]

    def _check_state(self) -> None:
        bad = first_non_finite(tensors_of(self.parts.algorithm.state_dict()))
        if self.runtime.any(bad is not None):
            raise self.parts.diverged(f"{bad or 'the state of another process'} is not finite")

    def _log(self) -> None:
        """Gather the running sums, check them and the training state, and hand them to the callbacks."""
        state = self.state
        values = self.gather()
        bad = [k for k, v in values.items() if not math.isfinite(v)]
        if bad:
            raise self.parts.diverged("non-finite " + ", ".join(bad))
        self._check_state()
        now, (last_time, last_step) = time.time(), self._clock
        rate = (state.step - last_step) / max(now - last_time, 1e-9)
        state.elapsed += now - last_time
        self._clock = (now, state.step)
        values.update(it_per_s=rate, img_per_s=rate * self.parts.batch_size, train_seconds=state.elapsed,
                      threads=torch.get_num_threads())
        self.runtime.adapt_threads()
        size = self.parts.algorithm.data.size
        if size:  # an epoch as the tutorials count it: size / batch generator steps
            values["epoch_seconds"] = size / max(values["img_per_s"], 1e-9)
        self._call("on_log", values)

    def _checkpoint(self, final: bool = False) -> None:
        self.runtime.broadcast_modules(self.parts.algorithm.modules(), buffers_only=True)
        self._call("on_end" if final else "on_checkpoint")

    def _evaluate(self) -> None:
        """Measure the run now (outside the hot loop); its time is not training time."""
        trained = self._training_seconds()  # of the generator measured: quality over training time
        started = time.time()
        results = self.parts.evaluate()
        self._clock = (self._clock[0] + time.time() - started, self._clock[1])
        if results is not None:
            results["train_seconds"] = trained
            self._call("on_eval", results)
