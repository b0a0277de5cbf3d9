"""Image sources: built-in names or user data by path, all loaded as :class:`ImageArrays`.

``load_images(cfg)`` is the one entry point: it picks the reader from
``cfg.name`` (a built-in name, else a path whose kind is recognised by
``path_kind``), then applies the rest of :class:`~wgan.config.DataConfig` the
same way for every source -- split, class subset, channels, size -- and
finally renumbers the kept labels 0..K-1 (``class_names[k]`` keeps the
original name), which is what a conditional model's embedding needs.

Built-in names win over a folder of the same name in the working directory
(reach that as ``./mnist``), so the default data set cannot be hijacked.
Sources without a train/test split (image folders, ``.npz``) treat ``train``
and ``all`` as everything and refuse ``test``.
"""

from __future__ import annotations

from pathlib import Path

from ...errors import WganError, choice_error
from .arrays import SPLITS, ImageArrays, convert_channels, renumber, resize_images, select_classes
from .builtin import BUILTIN
from .cifar import is_cifar, load_cifar
from .folder import load_folder
from .idx import find_idx_files, is_idx_file, load_idx
from .npz import load_npz

__all__ = ["ImageArrays", "BUILTIN", "PATH_KINDS", "load_images", "path_kind", "peek", "finish", "check_unsplit"]

PATH_KINDS = ("a folder of MNIST-format IDX files (or one of them)", "a CIFAR-10/100 python batches folder "
              "(or its .tar.gz)", "an image folder", "an .npz file with 'images'")


def peek(name: str, image_size: int | None = None) -> tuple[int, int | None] | None:
    """``(channels, side)`` the images of the path ``name`` will be trained at (``side`` None when not
    square), read from headers only -- no pixels are decoded; None for a built-in name or no path."""
    path = Path(name).expanduser()
    if name.lower() in BUILTIN or not path.exists():
        return None
    kind = path_kind(path)
    if kind == "cifar":
        return 3, image_size or 32
    if kind == "idx":
        return 1, image_size or 28
    if kind == "npz":
        from .npz import declared_shapes

        shape = declared_shapes(path, ["images"]).get("images", ((),))[0]
        if len(shape) == 3:
            return 1, image_size or (shape[1] if shape[1] == shape[2] else None)
        if len(shape) != 4:
            return None
        channels, (h, w) = (shape[3], shape[1:3]) if shape[3] in (1, 3, 4) else (shape[1], shape[2:4])
        return (1 if channels == 1 else 3), image_size or (h if h == w else None)
    from .folder import open_folder

    try:
        _, plan = open_folder(path, image_size)
    except WganError:  # mixed sizes without --image-size: loading will say so
        return None
    return plan.channels, plan.size[0] if plan.size[0] == plan.size[1] else None


def path_kind(path: Path) -> str:
    """What a data path holds: "npz", "idx", "cifar" or "folder"; an unusable path is a WganError."""
    path = Path(path).expanduser()
    if not path.exists():
        from ..toy import GENERATORS as TOYS  # the 2-D names are data sets too

        raise WganError(f"no data set named {str(path)!r} and no such path; built-in: "
                        f"{', '.join(sorted(BUILTIN) + sorted(TOYS))}; or a path to {', '.join(PATH_KINDS)}")
    if path.is_file():
        if path.suffix.lower() == ".npz":
            return "npz"
        if is_idx_file(path):
            return "idx"
        if is_cifar(path):
            return "cifar"
        raise WganError(f"cannot read {path} as image data; accepted: {', '.join(PATH_KINDS)}")
    if is_cifar(path):
        return "cifar"
    if find_idx_files(path):
        return "idx"
    return "folder"


def load_images(cfg) -> ImageArrays:
    """Load the images ``cfg`` (a :class:`~wgan.config.DataConfig`) names, ready for a dataset."""
    if cfg.split not in SPLITS:
        raise choice_error("split", cfg.split, SPLITS)
    name = str(cfg.name)
    if name.lower() in BUILTIN:  # a folder of that name is reached as ./name
        arrays = BUILTIN[name.lower()](cfg.split)
    else:
        path = Path(name).expanduser()
        kind = path_kind(path)
        if kind in ("npz", "folder"):
            check_unsplit(cfg.split, path)
        if kind == "npz":
            arrays = load_npz(path)
        elif kind == "idx":
            arrays = load_idx(path, cfg.split)
        elif kind == "cifar":
            arrays = load_cifar(path, cfg.split)
        else:
            # The folder reader subsets, converts and resizes while decoding, one file at a time.
            arrays = load_folder(path, cfg.image_size, cfg.channels, cfg.classes, cfg.skip_bad)
    return finish(arrays, cfg)


def finish(arrays: ImageArrays, cfg) -> ImageArrays:
    """Apply the class subset, channels and size of ``cfg``, then number the labels 0..K-1."""
    if cfg.classes:
        arrays = arrays.subset(select_classes(arrays.labels, arrays.class_names, cfg.classes, arrays.source))
    if not len(arrays):
        raise WganError(f"{arrays.source} has no images in its {cfg.split} split")
    images = arrays.images
    if cfg.channels is not None:
        images = convert_channels(images, cfg.channels)
    if cfg.image_size is not None:
        images = resize_images(images, cfg.image_size, source=arrays.source)
    labels, names = renumber(arrays.labels, arrays.class_names)
    return ImageArrays(images, labels, names, arrays.source)


def check_unsplit(split: str, source) -> None:
    """Sources without a split (folders, .npz): train and all both mean everything; test is an error."""
    if split == "test":
        raise WganError(f"{source} has no test split; use data.split train or all (both mean all of it)")
