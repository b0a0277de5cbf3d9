"""Training sessions as ``wgan train`` runs them: in one process, or in each of many under torchrun.

Every process builds the same trainer; only the main one (rank 0) creates,
names and writes the run folder, and tells the others its path. Set-up
failures are agreed on: if any process cannot set up (bad data on one
machine, a run folder in use), every process stops and the main one says why,
once. ``destroy_process_group`` runs in a ``finally``.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import Callable

from ..config import Config
from ..config_layers import Setting, record_changes, resume_changes
from ..errors import CollectiveError, ProcessExit, WganError, first_line
from ..run_folder import RunFolder, check_run_dir, new_run_dir
from ..run_lock import RunLock, refuse_links
from .runtime import Runtime
from .stopping import Stopped


def agree(runtime: Runtime, error: WganError | None) -> None:
    """Raise on every process when any one of them failed (a collective); the main process names it."""
    if not runtime.distributed:
        if error is not None:
            raise error
        return
    messages = runtime.all_gather_texts(None if error is None else str(error))
    failed = [(rank, m) for rank, m in enumerate(messages) if m is not None]
    if not failed:
        return
    if not runtime.main:
        raise ProcessExit(2)  # the main process names the failure
    if len({m for _, m in failed}) == 1 and (len(failed) == runtime.world_size or failed[0][0] == 0):
        raise WganError(failed[0][1])
    raise WganError("; ".join(f"rank {rank}: {m}" for rank, m in failed))


def attempt(fn: Callable):
    """``(fn(), None)``, or ``(None, error)`` for a user-facing error, to be agreed on."""
    try:
        return fn(), None
    except WganError as e:
        return None, e


@contextlib.contextmanager
def session(runtime: Runtime):
    """Leave the process group at the end: together when every process finished, or stopped at the
    same step for a signal (:class:`~wgan.training.stopping.Stopped`); at once after an error."""
    finished = False
    try:
        yield
        finished = True
    except Stopped:
        finished = True
        raise
    except Exception as e:
        if runtime.distributed and lost_contact(e):
            raise ProcessExit(1, f"stopped: lost contact with the other processes ({first_line(e, 160)})",
                              every_rank=True) from e
        raise
    finally:
        runtime.close(finished)


def lost_contact(error: Exception) -> bool:
    """Whether ``error`` is a collective failing because another process died (not a bug here)."""
    import torch.distributed as dist

    text = str(error).lower()
    return isinstance(error, dist.DistError) or (
        isinstance(error, RuntimeError) and any(w in text for w in ("gloo", "nccl", "connection closed", "peer")))


def train_new(cfg: Config, out: Path, progress: bool = True, echo: Callable[[str], None] = print) -> Path:
    """Train a new run under ``out``; returns its folder."""
    from .trainer import Trainer

    runtime = Runtime.start(cfg.train.device, cfg.train.threads)
    with session(runtime):
        trainer, error = attempt(lambda: Trainer(cfg, None, progress=progress, runtime=runtime))
        agree(runtime, error)
        run_dir, error = attempt(lambda: _make_run_folder(trainer, out)) if runtime.main else (None, None)
        agree(runtime, error)
        run_dir = Path(runtime.broadcast_text(str(run_dir)))
        if not runtime.main:
            trainer.attach_run_dir(run_dir)
        processes = f", {runtime.world_size} processes" if runtime.distributed else ""
        _main_echo(runtime, echo, f"run folder: {run_dir}  (device {trainer.device}, {trainer.precision}{processes})")
        trainer.fit()
        _main_echo(runtime, echo, f"done: {trainer.state.step} steps; run folder: {run_dir}")
        return run_dir


def _make_run_folder(trainer, out: Path) -> Path:
    run_dir = new_run_dir(out, trainer.cfg)
    try:
        trainer.attach_run_dir(run_dir)
    except BaseException:  # e.g. a full disk: leave no half-made run folder behind
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    return run_dir


def resume_plan(run_dir: Path, settings: list[Setting], allow_batch_change: bool = False
                ) -> tuple[Path, Config, Config, dict]:
    """``(run folder, saved config, config to train with, changes)`` of a resume; refused in one line
    when the folder is not a run, has links, or the settings change what a resumed run cannot."""
    run_dir = check_run_dir(run_dir)
    refuse_links(run_dir)  # before reading its config: nothing is read or written through a link
    saved = Config.load(RunFolder(run_dir).config)
    changes = resume_changes(saved, settings, allow_batch_change)
    cfg = Config.from_dict(saved.to_dict())
    for key, (_, new) in changes.items():
        cfg.set(key, new)
    return run_dir, saved, cfg, changes


def train_resume(run_dir: Path, settings: list[Setting], checkpoint: str = "last", allow_batch_change: bool = False,
                 progress: bool = True, echo: Callable[[str], None] = print) -> Path:
    """Continue ``run_dir`` from ``checkpoint`` with the allowed ``settings`` changes, recorded in its config."""
    from .callbacks import RecordOnFirstSave
    from .trainer import Trainer

    run_dir, saved, cfg, changes = resume_plan(run_dir, settings, allow_batch_change)
    runtime = Runtime.start(cfg.train.device, cfg.train.threads)
    with session(runtime):
        with contextlib.ExitStack() as stack:
            lock = RunLock(run_dir) if runtime.main else contextlib.nullcontext()
            _, error = attempt(lambda: stack.enter_context(lock))
            agree(runtime, error)
            trainer, error = attempt(lambda: Trainer.resume(run_dir, progress, runtime, checkpoint, cfg))
            agree(runtime, error)
            if cfg.train.steps < trainer.state.step:
                raise CollectiveError(f"--steps {cfg.train.steps} is below the run's current step {trainer.state.step}; "
                                      f"give a new total of at least {trainer.state.step} (nothing was changed)")
            # The changes enter config.yaml's history with the first checkpoint that carries them, so a
            # save that fails (a full disk) leaves no record of a change that never took effect.
            step = trainer.state.step
            record = RecordOnFirstSave(lambda: record_changes(saved, RunFolder(run_dir).config, changes, step))
            described = ", ".join(f"{k} {old!r} -> {new!r}" for k, (old, new) in changes.items())
            _main_echo(runtime, echo, f"resuming {run_dir} at step {step} of {cfg.train.steps}"
                       + (f" ({described})" if described else ""))
            trainer.fit(cfg.train.steps, also=[record] if changes else [])
        _main_echo(runtime, echo, f"run folder: {run_dir}")
        return run_dir


def _main_echo(runtime: Runtime, echo, message: str) -> None:
    if runtime.main:
        echo(message)


def describe_run(cfg: Config, run_dir: Path, where: str) -> str:
    """``--dry-run``: the resolved config as config.yaml would hold it (the optimiser and learning rates
    the run will use, not "auto"), then ``where`` and what the run would write where."""
    import yaml

    from ..validation import resolved

    cfg = resolved(cfg)
    folder = RunFolder(run_dir)
    lines = [yaml.safe_dump(cfg.to_dict(), sort_keys=False).rstrip(), f"# {where}:"]
    for path, what in ((folder.config, "this config"), (folder.metrics, f"a record every {cfg.train.log_every} steps"),
                       (folder.samples, f"fixed-noise samples every {cfg.train.sample_every} steps"),
                       (folder.checkpoint(), f"the training state every {cfg.train.checkpoint_every} steps"),
                       (folder.generator_file(), "the generator alone"), (folder.plots, "figures at the end"),
                       (folder.eval, "evaluations" + (f" every {cfg.train.eval_every} steps"
                                                      if cfg.train.eval_every else " (wgan eval)"))):
        lines.append(f"#   {path}: {what}")
    return "\n".join(lines)


def describe_resume(run_dir: Path, settings: list[Setting], checkpoint: str = "last",
                    allow_batch_change: bool = False) -> str:
    """``--resume --dry-run``: :func:`describe_run` of the resumed run, with the changes it would make."""
    run_dir, _, cfg, changes = resume_plan(run_dir, settings, allow_batch_change)
    RunFolder(run_dir).checkpoint_files(checkpoint)  # the checkpoint must be there
    described = ", ".join(f"{k} {old!r} -> {new!r}" for k, (old, new) in changes.items()) or "none"
    return describe_run(cfg, run_dir, f"would resume {run_dir} from checkpoint {checkpoint} (changes: {described})")
