"""Input checks shared by the metric modules: every metric takes plain (n, d) arrays."""

from __future__ import annotations

import numpy as np

from ..errors import WganError


def as_rows(x, name: str, min_rows: int = 1) -> np.ndarray:
    """``x`` as a finite float64 (n, d) array with n >= ``min_rows``, or a WganError naming ``name``.

    Accepts anything NumPy converts and torch tensors on any device.
    """
    if hasattr(x, "detach"):  # a torch tensor, possibly on a GPU or requiring grad
        x = x.detach().cpu().numpy()
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] < min_rows:
        raise WganError(f"{name} must be an (n, d) array with n >= {min_rows}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise WganError(f"{name} contains non-finite values (NaN or inf)")
    return arr


def same_dim(a: np.ndarray, b: np.ndarray, what: str = "feature") -> None:
    """Raise a WganError unless the two (n, d) arrays share d."""
    if a.shape[1] != b.shape[1]:
        raise WganError(f"{what} dimensions differ: {a.shape[1]} vs {b.shape[1]}")
