"""MNIST-format IDX files: MNIST, Fashion-MNIST, KMNIST, EMNIST, ... by path.

The format (http://yann.lecun.com/exdb/mnist/) is a 4-byte magic number --
two zero bytes, a type code (0x08 = unsigned byte), the number of
dimensions -- then one big-endian int32 per dimension, then the data. Images
are 3-D (N, rows, cols), labels 1-D (N,). Files may be gzipped; we look at
the bytes, not the name, to decide.

A folder is searched (a few levels deep) for file sets named the usual ways:
``train-images-idx3-ubyte[.gz]``, ``train-images.idx3-ubyte`` (as some
unzip tools write it), ``t10k-``/``test-`` for the test set, and a prefix
such as ``emnist-letters-``. A folder holding several sets (the EMNIST
archive has six) needs one of the set's files passed to choose.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import zlib
from pathlib import Path

import numpy as np

from ...errors import WganError
from ...memory import check_memory
from .arrays import ImageArrays
from .kinds import SOURCES, Source

_NAME = re.compile(
    r"^(?P<prefix>.*?)(?P<split>train|t10k|test)[-_.](?P<kind>images|labels)[-_.]idx(?P<ndim>[13])[-_.]ubyte(\.gz)?$",
    re.IGNORECASE,
)
_MAX_DEPTH = 3  # torchvision's layout is root/MNIST/raw/<files>


def is_idx_file(path: Path) -> bool:
    return _NAME.match(path.name) is not None


def find_idx_files(folder: Path) -> list[Path]:
    """IDX files named the usual ways under ``folder`` (not deeper than a few levels)."""
    found = []
    for depth in range(_MAX_DEPTH + 1):
        found += [p for p in folder.glob("/".join(["*"] * (depth + 1))) if p.is_file() and is_idx_file(p)]
    return sorted(found)


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """One IDX file of unsigned bytes with ``ndim`` dimensions, validated against its header.

    The header says how many bytes follow, so that is all that is read (and it is checked against
    memory first): a small gzip file whose content expands far past its header is refused after
    one byte too many, not decompressed whole.
    """
    try:
        with open(path, "rb") as raw:
            compressed = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            with (gzip.GzipFile(fileobj=raw) if compressed else contextlib.nullcontext(raw)) as f:
                dims, header = _idx_header(f, path, ndim)
                expected = int(np.prod(dims, dtype=object))
                shape = "x".join(map(str, dims))
                if not compressed:  # the file's size says at once whether the data is all there
                    _check_length(path, shape, expected, os.fstat(raw.fileno()).st_size - header)
                check_memory(expected, f"IDX file {path} (header {shape})", "is its header damaged?")
                data = np.empty(expected, dtype=np.uint8)
                got = _read_into(f, memoryview(data))
                _check_length(path, shape, expected, got + len(f.read(1)))
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise WganError(f"IDX file {path} is a damaged or truncated gzip file ({e}); re-download it") from None
    except OSError as e:
        raise WganError(f"cannot read IDX file {path}: {e.strerror or e}") from None
    return data.reshape(dims)


def _idx_header(f, path: Path, ndim: int) -> tuple[tuple[int, ...], int]:
    """The dimensions in an IDX header (after checking its magic number) and the header's length."""
    magic = f.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] != 0x08 or magic[3] != ndim:
        want = f"00 00 08 0{ndim}"
        raise WganError(f"{path} is not an IDX file of {ndim}-D unsigned bytes: magic number "
                        f"{magic.hex(' ') or '(empty)'}, expected {want}")
    raw_dims = f.read(4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise WganError(f"IDX file {path} is truncated: its header is incomplete")
    return tuple(int(d) for d in np.frombuffer(raw_dims, dtype=">u4")), 4 + 4 * ndim


def _read_into(f, view: memoryview) -> int:
    """Fill ``view`` from ``f`` as far as it goes; the bytes read."""
    done = 0
    while done < len(view):
        n = f.readinto(view[done:])
        if not n:
            break
        done += n
    return done


def _check_length(path: Path, shape: str, expected: int, found: int) -> None:
    if found != expected:
        kind = "truncated" if found < expected else "longer than its header says"
        raise WganError(f"IDX file {path} is {kind}: header {shape} needs {expected} bytes of data, found "
                        f"{found if found < expected else 'more'}")


def _file_sets(files: list[Path]) -> dict[tuple[Path, str], dict[tuple[str, str], Path]]:
    """Group files into sets: (folder, prefix) -> {(split, kind): file}."""
    sets: dict[tuple[Path, str], dict[tuple[str, str], Path]] = {}
    for f in files:
        m = _NAME.match(f.name)
        split = "train" if m["split"].lower() == "train" else "test"
        key = (f.parent, m["prefix"].lower())
        # A folder may hold both x.gz and its unpacked x; either serves, keep the first.
        sets.setdefault(key, {}).setdefault((split, m["kind"].lower()), f)
    return sets


def load_idx(path: Path, split: str = "train", class_names: list[str] | None = None,
             source: str | None = None) -> ImageArrays:
    """Images and labels of ``split`` (train | test | all) from an IDX folder, or the set of one IDX file."""
    path = Path(path)
    if path.is_file():
        if not is_idx_file(path):
            raise WganError(f"{path} is not named like an IDX file (e.g. train-images-idx3-ubyte.gz)")
        m = _NAME.match(path.name)
        chosen = (path.parent, m["prefix"].lower())
        sets = _file_sets(find_idx_files(path.parent))
    else:
        sets = _file_sets(find_idx_files(path))
        if not sets:
            raise WganError(f"no IDX files (train-images-idx3-ubyte[.gz], t10k-..., ...) found in {path}")
        if len(sets) > 1:
            names = ", ".join(f"{p.relative_to(path) if p != path else '.'}/{pre or '(no prefix)'}"
                              for p, pre in sorted(sets))
            raise WganError(f"{path} holds several IDX sets ({names}); pass one of the set's image files as the path")
        (chosen,) = sets
    files = sets[chosen]
    parts = ("train", "test") if split == "all" else (split,)
    images, labels = [], []
    for part in parts:
        for kind in ("images", "labels"):
            if (part, kind) not in files:
                have = ", ".join(sorted(f.name for f in files.values()))
                raise WganError(f"the {part} {kind} file is missing from the IDX set in {chosen[0]} (found: {have})")
        x = read_idx(files[(part, "images")], 3)
        y = read_idx(files[(part, "labels")], 1)
        if len(x) != len(y):
            raise WganError(f"{files[(part, 'images')]} has {len(x)} images but "
                            f"{files[(part, 'labels')].name} has {len(y)} labels")
        if chosen[1].startswith("emnist"):
            # EMNIST stores each image transposed (column-major), unlike MNIST.
            x = x.transpose(0, 2, 1)
        images.append(x)
        labels.append(y.astype(np.int64))
    if class_names is None:
        class_names = _emnist_mapping(chosen)
    return ImageArrays(np.ascontiguousarray(np.concatenate(images))[..., None], np.concatenate(labels),
                       class_names, source or str(path))


def _emnist_mapping(chosen: tuple[Path, str]) -> list[str] | None:
    """Class names from EMNIST's ``<prefix>mapping.txt`` ("label ascii [ascii]" per line), if present."""
    folder, prefix = chosen
    mapping = folder / f"{prefix}mapping.txt"
    if not prefix or not mapping.is_file():
        return None
    try:
        pairs = [line.split() for line in mapping.read_text().splitlines() if line.strip()]
        table = {int(p[0]): chr(int(p[1])) for p in pairs}
    except (ValueError, IndexError, OSError):
        return None  # names are a nicety; a damaged mapping must not stop training
    return [table.get(i, str(i)) for i in range(max(table) + 1)]


def _holds_idx(path: Path) -> bool:
    return is_idx_file(path) if path.is_file() else bool(find_idx_files(path))


SOURCES.register("idx", Source("a folder of MNIST-format IDX files (or one of them)",
                               lambda path, cfg: load_idx(path, cfg.split), recognises=_holds_idx,
                               peek=lambda path, image_size: (1, image_size or 28)))
