"""Where training numbers go: metrics.jsonl, TensorBoard, and a progress bar."""

from __future__ import annotations

import json
import math
import threading
import time
from pathlib import Path

from tqdm.auto import tqdm

from ..files import append_line, write_error
from ..run_folder import RunFolder

# The AC-WGAN MNIST tutorial's progress bar: critic on real and fake (is-fake and class heads), and D(G) (is-fake and class).
SIX_LOSSES = ("critic_real", "class_loss_real", "critic_fake", "class_loss_fake", "generator_adv",
              "class_loss_generator")


class Monitor:
    """Receives host-side numbers at log steps; never touches the device itself."""

    def __init__(self, run_dir: Path, total_steps: int, start_step: int = 0, progress: bool = True,
                 sinks=(), time_limit_s: float = 0.0):
        """``sinks``: extra destinations (e.g. ``wandb_log.WandbLogger``) with the same
        ``log(step, values)``, ``image(tag, image_chw, step)`` and ``close()`` methods.
        ``time_limit_s``: the session's time budget (``train.max_minutes``); the bar then
        counts that time and says when the run will end, by its steps or its time limit."""
        from torch.utils.tensorboard import SummaryWriter  # import late: tensorboard is slow to import

        self.run_dir = Path(run_dir)
        self.metrics_path = RunFolder(run_dir).metrics
        _quiet_writer_threads()
        # purge_step drops events a killed run wrote past the checkpoint we resume from.
        with self._writing():
            self.tb = SummaryWriter(str(RunFolder(run_dir).tensorboard), purge_step=start_step or None)
        self.start_time = time.time()
        self.sinks = list(sinks)
        self.progress = TimedProgress(total_steps, start_step, time_limit_s, progress) if time_limit_s \
            else StepProgress(total_steps, start_step, progress)

    def log(self, step: int, values: dict[str, float]) -> None:
        record = {"step": step, "time": round(time.time() - self.start_time, 3), **values}
        append_line(self.metrics_path, json.dumps(record, allow_nan=True))
        with self._writing():
            for key, value in values.items():
                self.tb.add_scalar(key, value, step)
        for sink in self.sinks:
            sink.log(step, values)
        shown = SIX_LOSSES if "class_loss_real" in values else ("loss_critic", "loss_generator", "wasserstein",
                                                                 "penalty")
        self.progress.show({k: f"{values[k]:.4g}" for k in shown if k in values})

    def image(self, tag: str, image_chw, step: int) -> None:
        with self._writing():
            self.tb.add_image(tag, image_chw, step)
        for sink in self.sinks:
            sink.image(tag, image_chw, step)

    def advance(self, n: int = 1) -> None:
        self.progress.advance(n)

    def close(self) -> None:
        self.progress.close()
        try:
            with self._writing():
                self.tb.close()
        finally:
            for sink in self.sinks:
                sink.close()

    def _writing(self):
        """TensorBoard writes in a thread of its own; its OSError (a full disk) comes back here as one line."""
        return _TensorBoardErrors(RunFolder(self.run_dir).tensorboard)


class _TensorBoardErrors:
    def __init__(self, run_dir: Path):
        self.run_dir = run_dir

    def __enter__(self):
        return self

    def __exit__(self, kind, error, tb):
        if isinstance(error, OSError):
            raise write_error(self.run_dir / "events.out.tfevents.*", error) from None
        return False


class StepProgress:
    """The bar of a run bounded by its steps: step n of N, tqdm's rate and ETA, the latest losses."""

    def __init__(self, total_steps: int, start_step: int, enabled: bool):
        self.bar = tqdm(total=total_steps, initial=start_step, disable=not enabled, unit="it",
                        dynamic_ncols=True, desc="train")

    def advance(self, n: int) -> None:
        self.bar.update(n)

    def show(self, losses: dict[str, str]) -> None:
        self.bar.set_postfix(losses, refresh=False)

    def close(self) -> None:
        self.bar.close()


class TimedProgress:
    """The bar of a run with a time limit: it fills with the time budget, and says at which step the
    run is and when it ends (by its steps or its time limit, whichever comes first)."""

    def __init__(self, total_steps: int, start_step: int, limit_s: float, enabled: bool):
        self.total, self.step, self.limit = total_steps, start_step, limit_s
        self.start, self.first_step = time.time(), start_step
        self.losses: dict[str, str] = {}
        self.bar = tqdm(total=round(limit_s), disable=not enabled, dynamic_ncols=True, desc="train",
                        bar_format="{desc} {percentage:3.0f}%|{bar}| {elapsed} of " + _clock(limit_s) + "{postfix}")

    def advance(self, n: int) -> None:
        self.step += n
        spent = time.time() - self.start
        self.bar.set_postfix_str(self._note(spent), refresh=False)
        self.bar.update(max(0, min(round(spent), self.bar.total) - self.bar.n))

    def _note(self, spent: float) -> str:
        rate = (self.step - self.first_step) / max(spent, 1e-9)
        by_steps = (self.total - self.step) / rate if rate > 0 else float("inf")
        left = max(self.limit - spent, 0.0)
        end = f"ends in {_clock(by_steps)} (steps)" if by_steps < left else f"ends in {_clock(left)} (time limit)"
        return ", ".join([f"step {self.step}/{self.total}", f"{rate:.2f} it/s", end,
                          *(f"{k}={v}" for k, v in self.losses.items())])

    def show(self, losses: dict[str, str]) -> None:
        self.losses = losses

    def close(self) -> None:
        self.bar.close()


def _clock(seconds: float) -> str:
    """``MM:SS`` or ``H:MM:SS``, as tqdm writes times."""
    return tqdm.format_interval(round(seconds))


def _quiet_writer_threads() -> None:
    """Keep TensorBoard's writer thread from printing a traceback for an OSError: the main
    thread reports it, as one line, at its next write (see Monitor._writing)."""
    if getattr(threading.excepthook, "_wgan", False):
        return
    default = threading.excepthook

    def hook(args):
        if isinstance(args.exc_value, OSError) and type(args.thread).__name__ == "_AsyncWriterThread":
            return
        default(args)

    hook._wgan = True
    threading.excepthook = hook


def finite(values: dict[str, float]) -> bool:
    return all(math.isfinite(v) for v in values.values())
