"""Full training state on disk: written atomically and only when finite, read without executing code."""

from __future__ import annotations

from pathlib import Path

import torch

from .errors import WganError, first_line
from .files import atomic_write

REQUIRED = {"generator", "critic", "step", "config"}


def tensors_of(state, prefix: str = ""):
    """``(name, tensor)`` for every tensor in a nested state (dicts, lists), e.g. ``opt_c.state.3.exp_avg_sq``."""
    if torch.is_tensor(state):
        yield prefix, state
    elif isinstance(state, dict):
        for key, value in state.items():
            yield from tensors_of(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(state, (list, tuple)):
        for i, value in enumerate(state):
            yield from tensors_of(value, f"{prefix}.{i}" if prefix else str(i))


def first_non_finite(named_tensors) -> str | None:
    """The name of the first floating-point tensor holding a NaN or infinity, or None.

    One flag per tensor is computed on its device and read back once.
    """
    named = [(name, t) for name, t in named_tensors if t.is_floating_point() and t.numel()]
    if not named:
        return None
    flags = torch.stack([torch.isfinite(t).all().to(named[0][1].device) for _, t in named]).tolist()
    return next((name for (name, _), ok in zip(named, flags) if not ok), None)


def state_bytes(state: dict) -> int:
    return sum(t.numel() * t.element_size() for _, t in tensors_of(state))


def save_checkpoint(state: dict, path: Path) -> Path:
    """Write ``state`` to ``path`` atomically (see :func:`wgan.files.atomic_write`).

    A crash, a kill or a full disk mid-save leaves the previous checkpoint at
    ``path`` as it was; the caller checks finiteness first (``first_non_finite``).
    """
    def write(tmp: str) -> None:
        # Through a Python file, so that a full disk is an OSError (torch's own writer raises RuntimeError).
        with open(tmp, "wb") as f:
            torch.save(state, f)

    return atomic_write(path, write, needs_bytes=state_bytes(state))


def load_checkpoint(path: Path) -> dict:
    """Load with ``weights_only=True``: tensors and plain containers only, never pickled code."""
    path = Path(path)
    if not path.is_file():
        raise WganError(f"no checkpoint at {path}; a run folder has checkpoints/last.pt once it saved one")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for truncated, corrupt or unsafe files
        if "weights_only" in str(e) or "Unsupported global" in str(e):
            # Never pass on torch's advice to retry with weights_only=False: that would run the file's code.
            raise WganError(f"{path} is not a checkpoint this toolkit can load safely: it holds Python objects "
                            "other than tensors and plain values, and loading those could run code") from None
        raise WganError(f"checkpoint {path} is corrupt or not a wgan checkpoint ({first_line(e)})") from None
    if not isinstance(state, dict) or not REQUIRED <= state.keys():
        raise WganError(f"checkpoint {path} is not a wgan checkpoint (missing model or step entries)")
    return state
