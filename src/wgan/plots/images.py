"""Image samples as pictures: grids, class grids and folders of PNGs.

Everything here takes images as numpy ``uint8`` arrays in NHWC layout (the
layout of ``wgan sample``'s ``.npz`` and of PIL), already in [0, 255]; nothing
knows about generators or trainers. Grids are laid out by
``torchvision.utils.make_grid`` so they look like every other PyTorch GAN's.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torchvision.utils import make_grid as _torch_make_grid

from ..errors import WganError
from ..files import atomic_write

PADDING = 2  # pixels between (and around) the images of a grid, black


def as_images(images) -> np.ndarray:
    """``images`` as a uint8 (N, H, W, C) array; (N, H, W) is taken as grayscale."""
    array = np.asarray(images)
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4 or array.shape[-1] not in (1, 3, 4) or len(array) == 0:
        raise WganError(f"expected images as a non-empty (N, H, W, C) array with C = 1, 3 or 4, "
                        f"got shape {array.shape}")
    if array.dtype != np.uint8:
        raise WganError(f"expected uint8 images in [0, 255], got dtype {array.dtype}")
    return array


def make_grid(images, nrow: int = 10) -> np.ndarray:
    """One (H', W', C) uint8 picture of ``images`` with ``nrow`` images per row.

    The channels of the input are kept (torchvision would turn grayscale into
    three equal channels, which only triples the size of the PNG).
    """
    array = as_images(images)
    channels = array.shape[-1]
    tensor = torch.from_numpy(np.ascontiguousarray(array)).permute(0, 3, 1, 2)  # NHWC -> NCHW
    grid = _torch_make_grid(tensor, nrow=max(1, int(nrow)), padding=PADDING, pad_value=0)
    return grid[:channels].permute(1, 2, 0).contiguous().numpy()


def write_png(picture: np.ndarray, path: str | os.PathLike) -> Path:
    """Write an (H, W, C) uint8 picture as a PNG, atomically.

    The PNG goes to a temporary file in the same folder and is then renamed,
    so a viewer, the video maker reading a running run, or a crash mid-write
    never sees a half-written file.
    """
    image = Image.fromarray(picture[..., 0] if picture.shape[-1] == 1 else picture)
    return atomic_write(path, lambda tmp: image.save(tmp, format="PNG"))


def save_grid(images, path: str | os.PathLike, nrow: int = 10) -> Path:
    """A grid of ``images`` (``nrow`` per row) as a PNG at ``path``; returns the path."""
    return write_png(make_grid(images, nrow), path)


def save_folder(images, folder: str | os.PathLike, labels=None) -> Path:
    """One PNG per image in ``folder``: ``00000.png`` ... or ``00000_class3.png`` with labels.

    Refuses a folder that already holds anything: samples of two runs (or two
    seeds) mixed in one folder could not be told apart afterwards, and nothing
    a user already has is ever overwritten.
    """
    array = as_images(images)
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise WganError(f"{folder} exists and is not a folder; give a new or empty folder")
    if folder.is_dir() and any(folder.iterdir()):
        raise WganError(f"{folder} is not empty; give a new or empty folder (nothing was written)")
    if labels is not None:
        labels = np.asarray(labels).reshape(-1)
        if len(labels) != len(array):
            raise WganError(f"{len(labels)} labels for {len(array)} images")
    folder.mkdir(parents=True, exist_ok=True)
    width = max(5, len(str(len(array) - 1)))  # names sort in sample order
    for i, image in enumerate(array):
        name = f"{i:0{width}d}" + ("" if labels is None else f"_class{int(labels[i])}")
        # "xb": fail rather than replace a file that appeared meanwhile.
        with open(folder / f"{name}.png", "xb") as fh:
            Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(fh, format="PNG")
    return folder


def class_grid_order(num_classes: int, per_class: int, by: str = "column"
                     ) -> tuple[np.ndarray, np.ndarray, int]:
    """Where each class and noise vector goes in a class grid (the AC-WGAN MNIST tutorial's sample grid).

    Returns ``(labels, noise_index, nrow)``: generate image ``i`` of the grid
    for class ``labels[i]`` from noise ``z[noise_index[i]]`` and lay the images
    out with ``make_grid(images, nrow)``. With ``by="column"`` column ``c``
    holds class ``c`` and row ``r`` uses noise ``r`` for every class, so one
    row shows one "style" across all classes; ``by="row"`` is the transpose.
    """
    if num_classes < 1 or per_class < 1:
        raise WganError(f"a class grid needs at least one class and one image per class, "
                        f"got {num_classes} and {per_class}")
    if by == "column":
        noise_index, labels = np.divmod(np.arange(num_classes * per_class), num_classes)
        return labels, noise_index, num_classes
    if by == "row":
        labels, noise_index = np.divmod(np.arange(num_classes * per_class), per_class)
        return labels, noise_index, per_class
    raise WganError(f"class grid layout must be 'column' or 'row', got {by!r}")


def make_class_grid(images_by_class, by: str = "column") -> np.ndarray:
    """A class grid from a (K, P, H, W, C) array: ``images_by_class[k, j]`` is
    class ``k`` drawn from the ``j``-th noise vector (shared across classes)."""
    array = np.asarray(images_by_class)
    if array.ndim not in (4, 5):
        raise WganError(f"expected a (classes, per_class, H, W, C) array, got shape {array.shape}")
    labels, noise_index, nrow = class_grid_order(array.shape[0], array.shape[1], by)
    return make_grid(array[labels, noise_index], nrow)


def save_class_grid(images_by_class, path: str | os.PathLike, by: str = "column") -> Path:
    """``make_class_grid`` written as a PNG at ``path``; returns the path."""
    return write_png(make_class_grid(images_by_class, by), path)
