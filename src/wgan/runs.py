"""Run folders: ``runs/NNNN-<data>-<objective>[-<name>]/`` with a fixed layout."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from .config import Config
from .errors import WganError

SUBDIRS = ("samples", "plots", "checkpoints", "eval")
CONFIG_FILE = "config.yaml"
METRICS_FILE = "metrics.jsonl"
LAST_CHECKPOINT = "checkpoints/last.pt"
BEST_CHECKPOINT = "checkpoints/best.pt"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.]+", "_", text).strip("_") or "data"


def data_label(data_name: str) -> str:
    """A short label for the data: the name itself, or the last part of a path."""
    path = Path(data_name)
    return _slug(path.stem if path.suffix else path.name) if ("/" in data_name or path.exists()) else _slug(data_name)


def ensure_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise WganError(f"output folder {folder} cannot be written ({e.strerror or e}); pass --out DIR") from None


def new_run_dir(out: Path, cfg: Config) -> Path:
    """Create the next numbered run folder under ``out``; never reuses an existing one."""
    out = Path(out)
    ensure_writable(out)
    numbers = [int(m.group(1)) for p in out.iterdir() if (m := re.match(r"(\d{4,})-", p.name))]
    parts = [data_label(cfg.data.name), cfg.loss.objective] + ([_slug(cfg.name)] if cfg.name else [])
    number = max(numbers, default=0) + 1
    while True:
        run = out / f"{number:04d}-{'-'.join(parts)}"
        try:
            run.mkdir()
            break
        except FileExistsError:  # another process took this number first
            number += 1
    for sub in SUBDIRS:
        (run / sub).mkdir()
    return run


def check_run_dir(run: Path) -> Path:
    run = Path(run)
    if not (run / CONFIG_FILE).is_file():
        raise WganError(f"{run} is not a run folder (no {CONFIG_FILE}); pass a folder made by `wgan train`")
    return run
