"""Drawing samples from a generator handle and writing them where the user asked.

Sample ``i`` always comes from noise row ``i`` of the seed's draw, so a set of
samples is the same whether one process draws it or several share the work
(``runtime``: each draws its part, the main process gathers them in order).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .errors import WganError
from .files import write_npz
from .handle import GeneratorHandle
from .memory import check_memory

N_REFERENCE_POINTS = 2000  # real points drawn beside 2-D samples in a picture


@dataclass
class Samples:
    kind: str  # "toy" or "image"
    values: np.ndarray  # toy: (N, 2) float in data coordinates; image: (N, H, W, C) uint8
    labels: np.ndarray | None = None
    step: int = 0  # the generator step the samples come from
    reference: np.ndarray | None = None  # toy: real points drawn beside the samples in a picture


def draw_samples(handle: GeneratorHandle, n: int, seed: int = 0, class_: int | None = None,
                 truncation: float | None = None, runtime=None) -> Samples | None:
    """``n`` samples in data coordinates, noise seeded by ``seed`` (None on processes other than the main)."""
    check_sample_memory(handle, n)
    parts = list(sample_chunks(handle, n, seed, class_=class_, truncation=truncation, runtime=runtime))
    if parts[0] is None:
        return None
    labels = None if parts[0].labels is None else np.concatenate([p.labels for p in parts])
    samples = Samples(handle.kind, np.concatenate([p.values for p in parts]), labels, handle.step)
    if handle.kind != "toy":
        return samples
    from .data.toy import reference_points

    samples.reference = reference_points(handle.space.name, min(n, N_REFERENCE_POINTS), seed).numpy()
    return samples


def check_sample_memory(handle: GeneratorHandle, n: int) -> None:
    """Refuse, before drawing, a count whose samples (and their noise) would not fit in memory."""
    value_bytes = 1 if handle.kind == "image" else 4  # uint8 pixels; float32 points
    # The samples and their labels, twice: the chunks, then the one array they are joined into.
    per_sample = 2 * (math.prod(handle.space.shape) * value_bytes + 8)
    what = f"{n:,} images of {'x'.join(map(str, handle.space.shape))}" if handle.kind == "image" else f"{n:,} points"
    check_memory(n * per_sample, what, "use a smaller --n")


def chunk_bounds(n: int, chunk: int, first: int | None = None) -> list[tuple[int, int]]:
    """``[start, stop)`` pairs covering ``range(n)`` in order: ``first`` rows, then ``chunk`` at a time."""
    bounds, start = [], 0
    while start < n or not bounds:
        size = first if (first and not bounds) else chunk
        bounds.append((start, min(n, start + size)))
        start += size
    return bounds


def sample_chunks(handle: GeneratorHandle, n: int, seed: int = 0, chunk: int = 5000, first: int | None = None,
                  class_: int | None = None, truncation: float | None = None, runtime=None):
    """The samples :func:`draw_samples` gives, as one :class:`Samples` per chunk of rows (None on processes
    other than the main), so a large count is drawn and used with memory for one chunk at a time."""
    for start, stop in chunk_bounds(n, chunk, first):
        z = handle.noise(stop - start, seed, truncation, start=start)
        labels = handle.labels(stop - start, class_, seed, start=start)
        if runtime is not None and runtime.distributed:
            part = runtime.share(stop - start)
            x = runtime.gather_rows(handle.decode(z[part], None if labels is None else labels[part]), stop - start)
            if not runtime.main:
                yield None
                continue
        else:
            x = handle.decode(z, labels)
        y = None if labels is None else labels.numpy()
        if handle.kind == "toy":
            yield Samples("toy", x.numpy(), y, handle.step)
        else:
            yield Samples("image", x.permute(0, 2, 3, 1).numpy(), y, handle.step)  # NCHW -> NHWC


def write_samples(samples: Samples, out: Path) -> Path:
    out = Path(out)
    if out.suffix == ".npz":
        arrays = {"samples": samples.values} if samples.kind == "toy" else {"images": samples.values}
        if samples.labels is not None:
            arrays["labels"] = samples.labels
        return write_npz(out, arrays)
    if out.suffix == ".png":
        if samples.kind == "toy":
            from .plots.toy import plot_scatter_snapshots

            return plot_scatter_snapshots(samples.reference, [(samples.step, samples.values)], out)
        from .plots.images import save_grid

        return save_grid(samples.values, out)
    if out.suffix:
        raise WganError(f"--out {out}: unknown kind {out.suffix!r}; accepted: FILE.npz, FILE.png or a folder")
    if samples.kind == "toy":
        raise WganError("2-D samples are points, not images: write them to FILE.npz or FILE.png")
    from .plots.images import save_folder

    return save_folder(samples.values, out, labels=samples.labels)


def draw_class_grid(handle: GeneratorHandle, per_class: int, seed: int = 0,
                    truncation: float | None = None) -> np.ndarray:
    """(K, per_class, H, W, C) uint8: every class drawn from the same ``per_class`` noise vectors,
    so that a row of the grid shows one style across all classes (the conditional tutorial's grid)."""
    check_sample_memory(handle, per_class * handle.num_classes)
    z = handle.noise(per_class, seed, truncation)
    rows = [handle.decode(z, torch.full((per_class,), k)).permute(0, 2, 3, 1).numpy()
            for k in range(handle.num_classes)]
    return np.stack(rows)
