"""The kinds of image data the toolkit reads, one :class:`Source` each, in one registry.

A source is a built-in data set, chosen by its name (``mnist``), or a kind of path, recognised by
looking at the path (an ``.npz`` file, IDX files, CIFAR batches, an image folder). Each says how
to load it, whether it has a train/test split, and, for a path, how to tell the channels and size
of its images from headers alone (``peek``, which picks the colour recipe before any pixel is
decoded). A new kind of data is one file that registers a source here; ``--data``'s help and
every error about data read this registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ...registry import Registry
from .arrays import ImageArrays


@dataclass(frozen=True)
class Source:
    """``load(path, cfg)`` gives the images (``path`` None for a built-in set; ``cfg`` a DataConfig whose
    split the source applies where it has one; class subset, channels and size are applied after,
    alike for every source). ``recognises(path)``: whether a path is of this kind (None: a built-in
    set, chosen by name). ``peek(path, image_size)``: ``(channels, side)`` from headers (``side``
    None when not square), or None when it cannot tell."""

    description: str
    load: Callable[[Path | None, object], ImageArrays]
    recognises: Callable[[Path], bool] | None = None
    peek: Callable[[Path, int | None], tuple[int, int | None] | None] | None = None
    has_split: bool = True  # False: train and all both mean everything; test is refused
    catch_all: bool = False  # recognises any folder (an image folder): tried after every other kind

    @property
    def reads_path(self) -> bool:
        return self.recognises is not None


# Path kinds are tried in the order they are registered, a catch-all (an image folder) last.
SOURCES: Registry[Source] = Registry("data source")


def builtin_names() -> list[str]:
    return [name for name, source in SOURCES.items() if not source.reads_path]


def path_kinds() -> list[tuple[str, Source]]:
    """The kinds of path, in the order they are tried: as registered, a catch-all last."""
    kinds = [(name, source) for name, source in SOURCES.items() if source.reads_path]
    return sorted(kinds, key=lambda item: item[1].catch_all)
