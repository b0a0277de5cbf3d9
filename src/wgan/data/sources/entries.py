"""Where the image files of a folder or an archive live, their classes, and how to open them.

An image folder's files are paths; a zip archive's are its members (:class:`ZipMember`), read
without extracting anything. Both are listed as a :class:`FolderIndex` with the same class rule
(:func:`by_class`) and opened by :func:`open_entry`, so one decoder reads either. Each process
keeps its own handle on an archive: processes forked for decoding (DataLoader workers) share the
parent's file offset, so a handle opened before the fork must not be used in them.

In an archive whose images all sit in one top folder (the way zipping a folder makes it), the
classes are read from inside that folder.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

import numpy as np

from ...errors import WganError

# torchvision's ImageFolder extensions (torchvision.datasets.folder.IMG_EXTENSIONS), written out so
# that listing a folder does not import torchvision (1.8 s here); tests/data/test_folder.py checks
# that they are still torchvision's.
IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


@dataclass(frozen=True)
class ZipMember:
    archive: Path
    name: str  # the member's name in the archive ("img_align_celeba/000001.jpg")

    def __str__(self) -> str:
        return f"{self.archive}:{self.name}"


Entry = Path | ZipMember

_handles: dict[tuple[int, Path], zipfile.ZipFile] = {}  # (process id, archive) -> open archive


def archive(path: Path) -> zipfile.ZipFile:
    """This process's open handle on a zip archive."""
    key = (os.getpid(), Path(path))
    if key not in _handles:
        _handles[key] = zipfile.ZipFile(path)
    return _handles[key]


def open_entry(entry: Entry) -> IO[bytes]:
    """The bytes of one image file, as a file object for PIL."""
    if isinstance(entry, ZipMember):
        return archive(entry.archive).open(entry.name)
    return open(entry, "rb")


def shown(entry: Entry, root: Path) -> str:
    """How messages name an entry: its path within ``root`` (a folder or an archive)."""
    if isinstance(entry, ZipMember):
        return entry.name
    return str(entry.relative_to(root)) if entry.is_relative_to(root) else str(entry)


@dataclass
class FolderIndex:
    root: Path  # the folder, or the zip archive
    files: list[Entry]
    labels: np.ndarray | None
    class_names: list[str] | None

    def subset(self, keep: np.ndarray) -> "FolderIndex":
        idx = np.flatnonzero(keep) if keep.dtype == bool else keep
        labels = None if self.labels is None else self.labels[idx]
        return FolderIndex(self.root, [self.files[i] for i in idx], labels, self.class_names)


def by_class(root: Path, groups: dict[str, list[Entry]]) -> FolderIndex:
    """An index of files grouped by class folder, as torchvision's ImageFolder numbers them: folder
    names that are all integers ("0".."9") become those labels, others are numbered in sorted order."""
    names = sorted(groups)
    if all(n.isdigit() for n in names):
        values = [int(n) for n in names]
        class_names = [str(i) for i in range(max(values) + 1)]
    else:
        values, class_names = list(range(len(names))), names
    files, labels = [], []
    for name, value in zip(names, values):
        files += groups[name]
        labels += [value] * len(groups[name])
    return FolderIndex(root, files, np.asarray(labels, dtype=np.int64), class_names)


def visible(name: str) -> bool:
    """Not a hidden file or folder, nor macOS's ``__MACOSX`` (its "._name.jpg" files are not images)."""
    return not name.startswith(".") and name != "__MACOSX"


def is_archive(path: Path) -> bool:
    path = Path(path)
    return path.is_file() and path.suffix.lower() == ".zip"


def scan_archive(path: Path) -> FolderIndex:
    """The images of a zip archive and their labels (one subfolder per class), in name order."""
    try:
        with zipfile.ZipFile(path) as z:
            names = [i.filename for i in z.infolist() if not i.is_dir()]
    except (OSError, zipfile.BadZipFile) as e:
        raise WganError(f"cannot read {path} as a zip archive ({e})") from None
    members = sorted(PurePosixPath(n) for n in names
                     if n.lower().endswith(IMG_EXTENSIONS) and all(visible(p) for p in PurePosixPath(n).parts))
    if not members:
        exts = ", ".join(e.lstrip(".") for e in IMG_EXTENSIONS)
        raise WganError(f"no images in the archive {path} (looked for {exts})")
    inner = [m.parts for m in members]
    while len({parts[0] for parts in inner}) == 1 and all(len(parts) > 2 for parts in inner):
        inner = [parts[1:] for parts in inner]  # the one folder everything sits in
    entries = [ZipMember(Path(path), str(m)) for m in members]
    groups: dict[str, list[Entry]] = {}
    for entry, parts in zip(entries, inner):
        groups.setdefault(parts[0] if len(parts) > 1 else "", []).append(entry)
    if "" in groups or len(groups) < 2:  # loose images, or one folder: no classes
        return FolderIndex(Path(path), entries, None, None)
    return by_class(Path(path), groups)
