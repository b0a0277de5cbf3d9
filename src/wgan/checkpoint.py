"""Full training state on disk: written atomically, read without executing code."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from .errors import WganError


def save_checkpoint(state: dict, path: Path) -> None:
    """Write to a temporary file, flush it to disk, then rename over ``path``.

    A crash or kill mid-save leaves at worst a stray ``.tmp`` file; the previous
    checkpoint at ``path`` is replaced only by a complete new one.
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> dict:
    """Load with ``weights_only=True``: tensors and plain containers only, never pickled code."""
    path = Path(path)
    if not path.is_file():
        raise WganError(f"no checkpoint at {path}; a run folder has checkpoints/last.pt once it saved one")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for truncated/corrupt files
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise WganError(f"checkpoint {path} is corrupt or not a wgan checkpoint ({first})") from None
    if not isinstance(state, dict) or not {"generator", "critic", "step", "config"} <= state.keys():
        raise WganError(f"checkpoint {path} is not a wgan checkpoint (missing model or step entries)")
    return state
