"""Where training numbers go: metrics.jsonl, TensorBoard, and a progress bar."""

from __future__ import annotations

import json
import math
import threading
import time
from pathlib import Path

from tqdm.auto import tqdm

from .files import append_line, write_error
from .runs import METRICS_FILE


# The AC-WGAN MNIST tutorial's progress bar: critic on real and fake (is-fake and class heads), and D(G) (is-fake and class).
SIX_LOSSES = ("critic_real", "class_loss_real", "critic_fake", "class_loss_fake", "generator_adv",
              "class_loss_generator")


class Monitor:
    """Receives host-side numbers at log steps; never touches the device itself."""

    def __init__(self, run_dir: Path, total_steps: int, start_step: int = 0, progress: bool = True,
                 sinks=()):
        """``sinks``: extra destinations (e.g. ``wandb_log.WandbLogger``) with the same
        ``log(step, values)``, ``image(tag, image_chw, step)`` and ``close()`` methods."""
        from torch.utils.tensorboard import SummaryWriter  # import late: tensorboard is slow to import

        self.run_dir = Path(run_dir)
        self.metrics_path = self.run_dir / METRICS_FILE
        _quiet_writer_threads()
        # purge_step drops events a killed run wrote past the checkpoint we resume from.
        with self._writing():
            self.tb = SummaryWriter(str(self.run_dir), purge_step=start_step or None)
        self.bar = tqdm(total=total_steps, initial=start_step, disable=not progress, unit="it",
                        dynamic_ncols=True, desc="train")
        self.start_time = time.time()
        self.sinks = list(sinks)

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
        self.bar.set_postfix({k: f"{values[k]:.4g}" for k in shown if k in values}, refresh=False)

    def image(self, tag: str, image_chw, step: int) -> None:
        with self._writing():
            self.tb.add_image(tag, image_chw, step)
        for sink in self.sinks:
            sink.image(tag, image_chw, step)

    def advance(self, n: int = 1) -> None:
        self.bar.update(n)

    def close(self) -> None:
        self.bar.close()
        try:
            with self._writing():
                self.tb.close()
        finally:
            for sink in self.sinks:
                sink.close()

    def _writing(self):
        """TensorBoard writes in a thread of its own; its OSError (a full disk) comes back here as one line."""
        return _TensorBoardErrors(self.run_dir)


class _TensorBoardErrors:
    def __init__(self, run_dir: Path):
        self.run_dir = run_dir

    def __enter__(self):
        return self

    def __exit__(self, kind, error, tb):
        if isinstance(error, OSError):
            raise write_error(self.run_dir / "events.out.tfevents.*", error) from None
        return False


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


def read_metrics(path: Path) -> list[dict]:
    """Records of metrics.jsonl in step order, one per step.

    Records of one step (training numbers and an evaluation) are merged; a resumed
    run's records replace those a killed run wrote past the checkpoint it resumed from.
    """
    records: list[dict] = []
    path = Path(path)
    if not path.is_file():
        return records
    for line in path.read_text().splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a kill
        while records and records[-1]["step"] > rec["step"]:
            records.pop()
        if records and records[-1]["step"] == rec["step"]:
            records[-1].update(rec)
        else:
            records.append(rec)
    return records


def finite(values: dict[str, float]) -> bool:
    return all(math.isfinite(v) for v in values.values())
