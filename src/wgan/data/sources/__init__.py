"""Image sources: built-in names or user data by path, all loaded as :class:`ImageArrays`.

``load_images(cfg)`` is the one entry point: it picks the reader from
``cfg.name`` (a built-in name, else a path whose kind is recognised by
``path_kind``; :mod:`.kinds` registers them), then applies the rest of :class:`~wgan.config.DataConfig` the
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

# Importing the sources registers them, path kinds in the order they are tried.
from . import npz, cifar, idx, archive, folder, builtin  # noqa: F401  # isort: skip  (the order they are tried in)
from .arrays import SPLITS, ImageArrays, convert_channels, renumber, resize_images, select_classes
from .kinds import SOURCES, Source, builtin_names, path_kinds

__all__ = ["ImageArrays", "SOURCES", "Source", "builtin_names", "load_images", "path_kind", "peek", "finish",
           "check_unsplit", "describe_paths"]


def describe_paths() -> str:
    """What a data path may be, as messages and ``--help`` say it."""
    return ", ".join(source.description for _, source in path_kinds())


def peek(name: str, image_size: int | None = None) -> tuple[int, int | None] | None:
    """``(channels, side)`` the images of the path ``name`` will be trained at (``side`` None when not
    square), read from headers only -- no pixels are decoded; None for a built-in name or no path."""
    path = Path(name).expanduser()
    if name.lower() in builtin_names() or not path.exists():
        return None
    source = SOURCES.get(path_kind(path))
    return source.peek(path, image_size) if source.peek is not None else None


def path_kind(path: Path) -> str:
    """The name of the source a data path holds (``npz``, ``idx``, ``cifar``, ``folder``, ...); an
    unusable path is a WganError."""
    path = Path(path).expanduser()
    if not path.exists():
        from ..toy import TOY_SETS  # the 2-D names are data sets too

        raise WganError(f"no data set named {str(path)!r} and no such path; built-in: "
                        f"{', '.join(sorted(builtin_names()) + sorted(TOY_SETS))}; or a path to {describe_paths()}")
    for name, source in path_kinds():
        if source.recognises(path):
            return name
    raise WganError(f"cannot read {path} as image data; accepted: {describe_paths()}")


def load_images(cfg) -> ImageArrays:
    """Load the images ``cfg`` (a :class:`~wgan.config.DataConfig`) names, ready for a dataset."""
    if cfg.split not in SPLITS:
        raise choice_error("split", cfg.split, SPLITS)
    name = str(cfg.name)
    if name.lower() in builtin_names():  # a folder of that name is reached as ./name
        arrays = SOURCES.get(name.lower()).load(None, cfg)
    else:
        path = Path(name).expanduser()
        source = SOURCES.get(path_kind(path))
        if not source.has_split:
            check_unsplit(cfg.split, path)
        arrays = source.load(path, cfg)
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
