"""Where training numbers go: metrics.jsonl, TensorBoard, and a progress bar."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

from tqdm.auto import tqdm

from .files import append_line
from .runs import METRICS_FILE


# S1's progress bar: critic on real and fake (is-fake and class heads), and D(G) (is-fake and class).
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
        # purge_step drops events a killed run wrote past the checkpoint we resume from.
        self.tb = SummaryWriter(str(self.run_dir), purge_step=start_step or None)
        self.bar = tqdm(total=total_steps, initial=start_step, disable=not progress, unit="it",
                        dynamic_ncols=True, desc="train")
        self.start_time = time.time()
        self.sinks = list(sinks)

    def log(self, step: int, values: dict[str, float]) -> None:
        record = {"step": step, "time": round(time.time() - self.start_time, 3), **values}
        append_line(self.metrics_path, json.dumps(record, allow_nan=True))
        for key, value in values.items():
            self.tb.add_scalar(key, value, step)
        for sink in self.sinks:
            sink.log(step, values)
        shown = SIX_LOSSES if "class_loss_real" in values else ("loss_critic", "loss_generator", "wasserstein",
                                                                 "penalty")
        self.bar.set_postfix({k: f"{values[k]:.4g}" for k in shown if k in values}, refresh=False)

    def image(self, tag: str, image_chw, step: int) -> None:
        self.tb.add_image(tag, image_chw, step)
        for sink in self.sinks:
            sink.image(tag, image_chw, step)

    def advance(self, n: int = 1) -> None:
        self.bar.update(n)

    def close(self) -> None:
        self.bar.close()
        self.tb.close()
        for sink in self.sinks:
            sink.close()


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
