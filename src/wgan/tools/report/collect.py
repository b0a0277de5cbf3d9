"""What a report shows of a run folder, read once: config, curves, results and pictures.

Everything here reads files the run already wrote (``config.yaml``,
``metrics.jsonl``, ``eval/metrics*.json``, ``checkpoints/best.json``,
``samples/*.png``, ``plots/*.png``); nothing is recomputed and no checkpoint
is loaded, so a report of a 100k-step run takes as long as reading its logs.
"""

from __future__ import annotations

import json
import os
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...config import Config
from ...errors import WganError
from ...plots.curves import series
from ...run_folder import RunFolder, check_run_dir, read_metrics

# The training curves a report draws, in this order, when a run logged them: (key, title).
from ...run_lock import refuse_links

CURVES = (
    ("loss_critic", "critic loss"),
    ("loss_generator", "generator loss"),
    ("wasserstein", "Wasserstein estimate E[C(real)] - E[C(fake)]"),
    ("penalty", "Lipschitz penalty"),
    ("grad_norm", "critic gradient norm at interpolates"),
    ("clip_fraction", "critic weights at the clipping bound"),
)
# Points per curve: more than a figure's pixels across, far fewer than a long run's log lines.
MAX_POINTS = 1000
# Sample grids over training shown per run (evenly spaced, always the last).
MAX_GRIDS = 6
# The largest picture a report embeds (a 100-image 256x256 RGB grid is about 20 MB uncompressed).
MAX_PNG_BYTES = 32 << 20
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_JSON_BYTES = 16 << 20  # an evaluation's results are kilobytes
# Figures the run drew itself that the report shows (its own curves are redrawn instead).
REDRAWN = ("losses.png", "wasserstein.png")


@dataclass
class RunSummary:
    path: Path
    name: str
    config: dict[str, object]  # flattened: "optim.lr_g" -> value (no record sections)
    curves: dict[str, tuple[np.ndarray, np.ndarray]]  # key -> (steps, values), downsampled
    final: dict[str, float]  # the last logged value of each training number
    results: dict[str, object]  # the latest evaluation (eval/metrics.json, else the last eval/* log)
    best: dict | None
    grids: list[tuple[int, Path]] = field(default_factory=list)  # (step, PNG) over training
    final_grid: Path | None = None
    views: list[Path] = field(default_factory=list)  # the run's other figures (2-D views, features)

    @property
    def step(self) -> int:
        return int(self.final.get("step", 0))

    @property
    def final_samples(self) -> Path | None:
        """``samples/final.png``, else the last grid over training (None for a run without grids)."""
        return self.final_grid or (self.grids[-1][1] if self.grids else None)


def flatten(tree: dict, prefix: str = "") -> dict[str, object]:
    """``{"optim": {"lr_g": 1}}`` -> ``{"optim.lr_g": 1}``."""
    out: dict[str, object] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def downsample(steps: np.ndarray, values: np.ndarray, max_points: int = MAX_POINTS
               ) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` points: the mean of each of ``max_points`` equal runs of points
    (a bucket's mean keeps the curve's level; its first step keeps the x-axis honest)."""
    n = len(steps)
    if n <= max_points:
        return steps, values
    edges = np.linspace(0, n, max_points + 1).astype(int)
    return steps[edges[:-1]], np.add.reduceat(values, edges[:-1]) / np.diff(edges)


def _evenly(items: list, k: int) -> list:
    """``k`` items spread over ``items``, the first and the last among them."""
    if len(items) <= k:
        return items
    return [items[i] for i in np.linspace(0, len(items) - 1, k).round().astype(int)]


def _json(path: Path) -> dict | None:
    """A small JSON object the run wrote; None for anything else (a link, a FIFO, a huge file)."""
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_JSON_BYTES:
            return None
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def is_png(path: Path) -> bool:
    """Whether a report may embed ``path``: a regular file (not a link, a FIFO or a device) of at most
    MAX_PNG_BYTES that starts with the PNG signature. Anything else is skipped with a warning naming
    it, so a shared run folder cannot put another file's bytes in the page, hang it or exhaust memory."""
    try:
        info = path.lstat()
        problem = None
        if not stat.S_ISREG(info.st_mode):
            problem = "a link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
        elif info.st_size > MAX_PNG_BYTES:
            problem = f"{info.st_size} bytes, more than the {MAX_PNG_BYTES} a grid can be"
        else:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
            with os.fdopen(fd, "rb") as f:
                if f.read(len(PNG_SIGNATURE)) != PNG_SIGNATURE:
                    problem = "not a PNG"
    except OSError as e:
        problem = f"unreadable ({e.strerror or e})"
    if problem:
        warnings.warn(f"report: skipped {path}: {problem}")
    return problem is None


def load_run(path: str | Path) -> RunSummary:
    """The summary of the run folder at ``path`` (a one-line error when it is not one)."""
    run_dir = check_run_dir(Path(path))
    refuse_links(run_dir)  # its config and log are read whole: never through a link
    folder = RunFolder(run_dir)
    config = flatten(Config.load(folder.config).to_dict())  # one-line errors of its own
    records = read_metrics(folder.metrics)
    curves = {}
    for key, _ in CURVES:
        steps, values = series(records, key)
        if len(steps):
            curves[key] = downsample(steps, values)
    evals = [key for key in dict.fromkeys(k for r in records for k in r) if key.startswith("eval/")]
    for key in evals:
        steps, values = series(records, key)
        if len(steps):
            curves[key] = downsample(steps, values)
    final = {}
    for rec in records:
        final.update({k: v for k, v in rec.items() if not k.startswith("eval/")})
    results = evaluations(run_dir) or {
        k[len("eval/"):]: v for rec in records for k, v in rec.items() if k.startswith("eval/")}
    grids = [(step, path) for step, path in folder.grids() if is_png(path)]
    views = sorted(p for p in folder.plots.glob("*.png") if p.name not in REDRAWN and is_png(p))
    final_grid = folder.final_grid
    return RunSummary(run_dir, run_dir.name, config, curves, final, results,
                      _json(folder.best_record), _evenly(grids, MAX_GRIDS),
                      final_grid if final_grid.exists() and is_png(final_grid) else None, views)


def evaluations(run_dir: Path) -> dict:
    """The latest evaluation of the run's last weights under each protocol, in one dict: every result
    key names its protocol, so numbers measured differently never share a key (nor a report row)."""
    from ...evaluation import PROTOCOLS

    merged: dict = {}
    for name in PROTOCOLS:
        found = _json(RunFolder(run_dir).results(name))
        if found and "protocol" not in found:  # written before protocols had names: all of it, as it was
            merged.update(found)
        elif found:  # only the keys that name the protocol (not its sample counts and the like)
            merged.update({k: v for k, v in found.items() if k.endswith(f"_{found['protocol']}")})
    return merged


def load_runs(paths) -> list[RunSummary]:
    """The runs at ``paths``; runs of the same folder name in different places are named with their parent."""
    runs = [load_run(p) for p in paths]
    if not runs:
        raise WganError("give one or more run folders, e.g. runs/0001-mnist-wgan runs/0002-mnist-wgan")
    names = [r.name for r in runs]
    for run in runs:
        if names.count(run.name) > 1:
            run.name = f"{run.path.parent.name}/{run.path.name}"
    return runs


def differing_keys(runs: list[RunSummary]) -> list[str]:
    """Config keys whose value is not the same in every run (absent counts as a value)."""
    keys = dict.fromkeys(k for run in runs for k in run.config)
    missing = object()
    return [k for k in keys if len({json.dumps(run.config.get(k, missing), default=str) for run in runs}) > 1]
