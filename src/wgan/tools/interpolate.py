"""Walking the latent space: spherical interpolation between the noise of two seeds.

Noise vectors of a Gaussian latent live near a sphere of radius sqrt(dim); a
straight line between two of them passes through the low-density middle,
where samples look washed out. Spherical interpolation (slerp, Shoemake 1985;
White 2016 for GANs) follows the great circle instead. The end points are
exactly the noise ``wgan sample --seed S`` uses, so the first and last images
of a walk are that command's samples.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from ..errors import WganError
from ..handle import GeneratorHandle
from ..memory import check_memory


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Points at fractions ``t`` (shape (T,)) of the great-circle arc from ``a`` to ``b`` (shape (D,))."""
    t = t.to(a.dtype).reshape(-1, 1)
    cos = torch.dot(a, b) / (a.norm() * b.norm()).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    if omega.abs() < 1e-6:  # (nearly) the same direction: the arc is a straight line
        return (1 - t) * a + t * b
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


MAX_FRAMES = 1000  # images per walk between two seeds


def walk(handle: GeneratorHandle, seeds: list[int], frames: int) -> list[torch.Tensor]:
    """For each consecutive pair of ``seeds``: ``frames`` noise vectors from one seed's noise to the next's."""
    if len(seeds) < 2:
        raise WganError("--seeds needs at least two seeds to interpolate between, e.g. --seeds 0,1")
    if not 2 <= frames <= MAX_FRAMES:
        raise WganError(f"--frames must be in 2..{MAX_FRAMES} (a walk's images, both end points included), "
                        f"got {frames}")
    ends = [handle.noise(1, seed=s)[0] for s in seeds]
    t = torch.linspace(0, 1, frames)
    return [slerp(a, b, t) for a, b in zip(ends, ends[1:])]


def interpolation_grid(handle: GeneratorHandle, seeds: list[int], frames: int, class_: int | None = None
                       ) -> tuple[np.ndarray, int]:
    """``(images, nrow)``: one row per walk between consecutive seeds (uint8 NHWC), ``frames`` columns.

    A conditional run without ``class_`` gets one row per class, each the walk between the
    first two seeds in that class, so the rows show how a style carries over the classes.
    """
    _require_images(handle)
    every_class = handle.num_classes and class_ is None
    rows = handle.num_classes if every_class else len(seeds) - 1
    # The images, and the grid picture made of them.
    check_memory(2 * rows * frames * math.prod(handle.space.shape), f"a grid of {rows} x {frames} images",
                 "use fewer --seeds or --frames")
    paths = walk(handle, seeds, frames)
    if every_class:
        images = [handle.decode(paths[0], torch.full((frames,), k)) for k in range(handle.num_classes)]
    else:
        labels = handle.labels(frames, class_) if handle.num_classes else None
        images = [handle.decode(z, labels) for z in paths]
    return torch.cat(images).permute(0, 2, 3, 1).numpy(), frames


def animation_length(seeds: list[int], frames: int) -> int:
    """Frames of the loop through ``seeds`` and back to the first (each walk's last point is the next's first)."""
    return len(seeds) * (frames - 1)


def animation_frames(handle: GeneratorHandle, seeds: list[int], frames: int, class_: int | None = None,
                     batch: int = 256) -> Iterator[np.ndarray]:
    """Pictures (uint8 HWC) of a loop through ``seeds`` and back to the first: one sample per frame,
    or for a conditional run without ``class_`` a row of every class. Drawn a batch at a time as
    the video writer takes them, so a long loop holds one batch in memory."""
    _require_images(handle)  # checked here, not when the first picture is taken
    loop = walk(handle, list(seeds) + [seeds[0]], frames)
    return _pictures(handle, torch.cat([p[:-1] for p in loop]), class_, batch)


def _pictures(handle: GeneratorHandle, z: torch.Tensor, class_: int | None, batch: int) -> Iterator[np.ndarray]:
    from ..plots.images import make_grid

    if handle.num_classes and class_ is None:
        k = handle.num_classes
        for zi in z:
            yield make_grid(handle.decode(zi.expand(k, -1), torch.arange(k)).permute(0, 2, 3, 1).numpy(), nrow=k)
        return
    labels = handle.labels(len(z), class_) if handle.num_classes else None
    for start in range(0, len(z), batch):
        part = None if labels is None else labels[start:start + batch]
        for image in handle.decode(z[start:start + batch], part).permute(0, 2, 3, 1).numpy():
            yield make_grid(image[None], nrow=1)


def write_interpolation(handle: GeneratorHandle, out: Path, seeds: list[int], frames: int = 10,
                        class_: int | None = None, fps: float = 10.0) -> Path:
    """``out``: a PNG grid of the walks, or a GIF/MP4 of a loop through the seeds."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix == ".png":
        from ..plots.images import save_grid

        images, nrow = interpolation_grid(handle, seeds, frames, class_)
        return save_grid(images, out, nrow=nrow)
    if suffix in (".gif", ".mp4"):
        from PIL import Image

        from .video import enlarge, write_animation

        pictures = (enlarge(Image.fromarray(p[..., 0] if p.shape[-1] == 1 else p))
                    for p in animation_frames(handle, seeds, frames, class_))
        return write_animation(out, pictures, animation_length(seeds, frames), fps)
    raise WganError(f"--out {out}: unknown kind {out.suffix or '(none)'!r}; accepted: FILE.png, FILE.gif, FILE.mp4")


def _require_images(handle: GeneratorHandle) -> None:
    if handle.kind != "image":
        raise WganError("interpolate draws images; this run's samples are 2-D points (use wgan sample --out FILE.png)")
