"""Where trained feature extractors are kept between runs, and how they are written and read.

One entry is two files with the same stem: ``<stem>.safetensors`` (tensors
only, so reading it can never execute code, unlike a pickle) and
``<stem>.json`` (small metadata). Both are written to a temporary name and
renamed into place, weights first: a JSON file is only ever present next to
complete weights, so a crash mid-write leaves an entry that is simply
missing and gets rebuilt, never one that is half there.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch

from ..errors import WganError
from ..files import CACHE_ENV, atomic_write, cache_dir, write_safetensors  # noqa: F401  (cache_dir: re-exported)



def save_entry(folder: Path, stem: str, tensors: dict[str, torch.Tensor], meta: dict) -> Path | None:
    """Write an entry; returns the JSON path, or None (with a warning) when the folder is not writable.

    A cache that cannot be written costs a retraining next time, not the
    current run, so an OSError is a warning rather than an error.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_safetensors(folder / f"{stem}.safetensors", tensors)
        text = json.dumps(meta, indent=2, sort_keys=True) + "\n"
        atomic_write(folder / f"{stem}.json", lambda p: Path(p).write_text(text))
    except (OSError, WganError) as e:
        warnings.warn(f"could not write the feature cache in {folder} ({getattr(e, 'strerror', None) or e}); "
                      f"set {CACHE_ENV} to a writable folder to keep trained classifiers", stacklevel=3)
        return None
    return folder / f"{stem}.json"


def load_entry(folder: Path, stem: str) -> tuple[dict[str, torch.Tensor], dict] | None:
    """The tensors and metadata of an entry, or None when it is missing or unreadable (it is then rebuilt)."""
    import safetensors
    from safetensors.torch import load_file

    damaged = (OSError, ValueError, RuntimeError, getattr(safetensors, "SafetensorError", ValueError))

    meta_path, weights_path = folder / f"{stem}.json", folder / f"{stem}.safetensors"
    if not (meta_path.is_file() and weights_path.is_file()):
        return None
    try:
        meta = json.loads(meta_path.read_text())
        tensors = load_file(weights_path, device="cpu")
    except damaged as e:
        warnings.warn(f"ignoring the damaged cache entry {weights_path} ({e}); it will be rebuilt", stacklevel=3)
        return None
    return (tensors, meta) if isinstance(meta, dict) else None
