"""The layout of a run folder: the one place that knows where a run keeps what.

::

    runs/0003-mnist-wgan/
      config.yaml               the resolved config (and the history of resumed changes)
      metrics.jsonl             one record per log step and evaluation
      .lock                     held while a process trains here
      events.out.tfevents.*     TensorBoard
      wandb/                    Weights & Biases (train.wandb)
      samples/step_NNNNNNN.png  fixed-noise grids (2-D runs: step_NNNNNNN.npz points); final.png
      plots/NAME.png            figures; progress.mp4 or .gif (wgan video)
      checkpoints/last.pt       the training state; best.pt, step_NNNNNNN.pt
      checkpoints/generator.safetensors      the generator of last.pt; <stem>.generator.safetensors
      checkpoints/best.json     which evaluation best.pt won by
      eval/metrics[-PROTOCOL][-CHECKPOINT].json   evaluation results
      eval/reference-SPACE-PROTOCOL.npz           the real side of evaluations

Everything that reads or writes a run asks a :class:`RunFolder` for the path;
changing the layout is an edit here.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from .errors import WganError

# Results of the default evaluation protocol are eval/metrics.json; the protocol registry
# (wgan.evaluation.protocols) takes its default from here.
DEFAULT_PROTOCOL = "quick"

CHECKPOINT_HELP = "last, best or a step number (a checkpoint the run kept; see train.keep_checkpoints)"
_STEP_FILE = re.compile(r"step_(\d+)")


class RunFolder:
    """The paths of the run folder at ``root`` (nothing is created or checked here)."""

    SUBFOLDERS = ("samples", "plots", "checkpoints", "eval")

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"RunFolder({str(self.root)!r})"

    # ---- the top level -------------------------------------------------------------------
    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.jsonl"

    @property
    def lock(self) -> Path:
        return self.root / ".lock"

    @property
    def tensorboard(self) -> Path:
        """The folder of TensorBoard's event files (the run folder itself: ``tensorboard --logdir runs``
        then lists each run by its name)."""
        return self.root

    @property
    def wandb(self) -> Path:
        """Weights & Biases' own files (train.wandb)."""
        return self.root / "wandb"

    @property
    def samples(self) -> Path:
        return self.root / "samples"

    @property
    def plots(self) -> Path:
        return self.root / "plots"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def eval(self) -> Path:
        return self.root / "eval"

    def subfolders(self) -> tuple[Path, ...]:
        return tuple(self.root / name for name in self.SUBFOLDERS)

    def written_by_training(self) -> tuple[Path, ...]:
        """What training writes into (and so must not be a link to somewhere else)."""
        return (*self.subfolders(), self.config, self.metrics)

    def make(self) -> "RunFolder":
        """Create the subfolders (the root must exist)."""
        for folder in self.subfolders():
            folder.mkdir(exist_ok=True)
        return self

    # ---- samples and plots ---------------------------------------------------------------
    def grid(self, step: int) -> Path:
        """The fixed-noise grid of ``step`` (image runs)."""
        return self.samples / f"step_{int(step):07d}.png"

    def grids(self) -> list[tuple[int, Path]]:
        """``(step, path)`` of every fixed-noise grid, in step order (other files are left out)."""
        return _by_step(self.samples.glob("step_*.png"))

    def points(self, step: int) -> Path:
        """The fixed-noise samples of ``step`` (2-D runs)."""
        return self.samples / f"step_{int(step):07d}.npz"

    def point_snapshots(self) -> list[Path]:
        return [path for _, path in _by_step(self.samples.glob("step_*.npz"))]

    @property
    def final_grid(self) -> Path:
        return self.samples / "final.png"

    def plot(self, name: str) -> Path:
        return self.plots / f"{name}.png"

    def video(self, suffix: str) -> Path:
        """``wgan video``'s default output, ``.mp4`` or ``.gif``."""
        return self.plots / f"progress{suffix}"

    # ---- checkpoints ---------------------------------------------------------------------
    @staticmethod
    def checkpoint_stem(checkpoint: str | int) -> str:
        """The file stem of ``--checkpoint``: last, best, or step_NNNNNNN."""
        text = str(checkpoint).strip()
        if text in ("last", "best"):
            return text
        if re.fullmatch(r"\d+", text):
            return f"step_{int(text):07d}"
        raise WganError(f"--checkpoint {checkpoint!r}: accepted: {CHECKPOINT_HELP}")

    def checkpoint(self, checkpoint: str | int = "last") -> Path:
        """The training state of ``checkpoint`` (last, best or a step)."""
        return self.checkpoints / f"{self.checkpoint_stem(checkpoint)}.pt"

    def generator_file(self, checkpoint: str | int = "last") -> Path:
        """The generator file beside ``checkpoint``'s training state."""
        stem = self.checkpoint_stem(checkpoint)
        return self.checkpoints / ("generator.safetensors" if stem == "last" else f"{stem}.generator.safetensors")

    def kept_steps(self) -> list[int]:
        """The steps of the step-named training states (train.keep_checkpoints), oldest first."""
        return [step for step, _ in _by_step(self.checkpoints.glob("step_*.pt"))]

    def available_checkpoints(self) -> list[str]:
        """What ``--checkpoint`` may name here: last, best and the kept steps."""
        have = [name for name in ("last", "best") if self.checkpoint(name).is_file()]
        return have + [str(step) for step in self.kept_steps()]

    def checkpoint_files(self, checkpoint: str | int = "last") -> tuple[Path, Path]:
        """``(training state, generator file)`` of ``checkpoint``; a one-line error when neither is there."""
        pt, gen = self.checkpoint(checkpoint), self.generator_file(checkpoint)
        if not pt.is_file() and not gen.is_file():
            have = ", ".join(self.available_checkpoints()) or "none yet"
            raise WganError(f"{self.root} has no checkpoint {checkpoint!r}; it has: {have}")
        return pt, gen

    @property
    def best_record(self) -> Path:
        return self.checkpoints / "best.json"

    # ---- evaluation ----------------------------------------------------------------------
    def results(self, protocol: str, checkpoint: str | int = "last") -> Path:
        """``eval/metrics.json`` for the quick protocol and the last weights; the others named by
        protocol and checkpoint (``metrics-paper.json``, ``metrics-best.json``, ``metrics-paper-best.json``),
        so an evaluation never replaces one made another way."""
        parts = [p for p in (None if protocol == DEFAULT_PROTOCOL else protocol,
                             None if str(checkpoint) == "last" else str(checkpoint)) if p]
        return self.eval / ("-".join(["metrics", *parts]) + ".json")

    def reference(self, space: str, protocol: str) -> Path:
        """Where an evaluation keeps the real side of ``protocol`` in feature ``space``."""
        return self.eval / f"reference-{space}-{protocol}.npz"

    def legacy_reference(self, space: str) -> Path:
        """Where evaluations before named protocols kept the (quick) reference."""
        return self.eval / f"reference-{space}.safetensors"


def _by_step(paths) -> list[tuple[int, Path]]:
    found = [(int(m.group(1)), path) for path in paths if (m := _STEP_FILE.fullmatch(path.stem))]
    return sorted(found)


# ---- reading the training log ----------------------------------------------------------------
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


# ---- naming and recognising run folders ----------------------------------------------------
def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.]+", "_", text).strip("_") or "data"


def data_label(data_name: str) -> str:
    """A short label for the data: the name itself, or the last part of a path."""
    path = Path(data_name)
    return _slug(path.stem if path.suffix else path.name) if ("/" in data_name or path.exists()) else _slug(data_name)


def ensure_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".wgan-write-test."):
            pass
    except OSError as e:
        raise WganError(f"output folder {folder} cannot be written ({e.strerror or e}); pass --out DIR") from None


def next_run_dir(out: Path, cfg, number: int | None = None) -> Path:
    """The run folder ``cfg`` would get under ``out`` (the next free number, or ``number``); not created."""
    out = Path(out)
    if number is None:
        found = out.iterdir() if out.is_dir() else ()
        number = max((int(m.group(1)) for p in found if (m := re.match(r"(\d{4,})-", p.name))), default=0) + 1
    parts = [data_label(cfg.data.name), cfg.loss.objective] + ([_slug(cfg.name)] if cfg.name else [])
    return out / f"{number:04d}-{'-'.join(parts)}"


def new_run_dir(out: Path, cfg) -> Path:
    """Create the next numbered run folder under ``out``; never reuses an existing one."""
    ensure_writable(Path(out))
    run = next_run_dir(out, cfg)
    while True:
        try:
            run.mkdir()
            break
        except FileExistsError:  # another process took this number first
            run = next_run_dir(out, cfg, int(run.name.split("-", 1)[0]) + 1)
    RunFolder(run).make()
    return run


def check_run_dir(run: Path) -> Path:
    run = Path(run)
    config = RunFolder(run).config
    if not config.is_file():
        raise WganError(f"{run} is not a run folder (no {config.name}); pass a folder made by `wgan train`")
    return run
