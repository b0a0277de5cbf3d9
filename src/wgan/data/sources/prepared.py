"""Decoded pixels kept as one file: a large folder is decoded once, then read back in a second.

A prepared file is a plain, uncompressed ``.npz``: ``images`` (uint8, N x H x W x C), ``labels`` and
``class_names`` where the source has them, and ``prepared``, a JSON description of what made the
pixels (the source, its listing's signature, image size, channels, classes, crop, decoder
versions) and which files were skipped. Because its members are stored, not deflated, ``images``
is mapped from disk (:func:`map_member`) instead of read: loading costs no time and no memory
until pages are touched, and an in-memory data set uses the mapping itself (no second copy). So
it is also a valid ``--data`` path anywhere (the ``.npz`` source reads it; ``np.load`` too), and
``wgan data prepare`` writes one on purpose.

An ``.npy`` per array or a zip of PNGs (as stylegan2-ada's dataset_tool writes) were the other
choices; a PNG per image must be decoded again at every start (about 2,000 files a second on this
project's 2 cores: 100 s for CelebA), where a mapped array starts at once.

The toolkit keeps one such file per folder and settings in its cache folder (``data.cache``):
found by the digest of :func:`key`, so a changed folder (any file added, removed or rewritten)
or other settings are decoded again. A cache that cannot be written costs a warning, never the run.
"""

from __future__ import annotations

import hashlib
import json
import struct
import warnings
import zipfile
from pathlib import Path

import numpy as np

from ...errors import WganError, first_line
from ...files import atomic_write, cache_dir
from .. import progress
from .arrays import ImageArrays

FORMAT = "wgan-prepared"
VERSION = 1
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # a zip member's local header (30 bytes)
_SLICE = 64 << 20  # bytes of pixels written at a time


def digest(description: dict) -> str:
    """The key of the pixels ``description`` (:func:`wgan.data.sources.folder.preparation`) says how to make."""
    return hashlib.sha256(json.dumps(description, sort_keys=True, default=str).encode()).hexdigest()[:20]


def cache_folder(setting: str) -> Path | None:
    """Where kept pixels go for ``data.cache``: ``auto``, the toolkit's cache folder ($WGAN_CACHE or
    ~/.cache/wgan, under ``data/``); ``off``, nowhere; anything else, that folder."""
    if setting == "off":
        return None
    if setting == "auto":
        return cache_dir() / "data"
    return Path(setting).expanduser()


def kept_file(folder: Path, source: Path, size: int | None, description: dict) -> Path:
    """The file in ``folder`` that holds the pixels ``description`` makes of ``source``."""
    return folder / f"{source.name}-{size or 'native'}-{digest(description)}.npz"


def write_prepared(path: Path, arrays: ImageArrays, description: dict) -> Path:
    """``arrays`` and ``description`` as a prepared file, atomically: an ``.npz`` of stored (mappable)
    members, the pixels written a slice at a time under a progress bar (CelebA's are 2.3 GiB)."""
    small = {}
    if arrays.labels is not None:
        small["labels"] = np.asarray(arrays.labels, dtype=np.int64)
    if arrays.class_names is not None:
        small["class_names"] = np.asarray(arrays.class_names, dtype=str)
    small["prepared"] = np.asarray(json.dumps({"format": FORMAT, "version": VERSION, **description}))
    images = np.ascontiguousarray(arrays.images)
    per_image = max(images[0].nbytes, 1) if len(images) else 1
    step = max(1, _SLICE // per_image)

    def write(tmp: str) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED, allowZip64=True) as z:
            with z.open("images.npy", "w", force_zip64=True) as f:
                np.lib.format.write_array_header_2_0(f, np.lib.format.header_data_from_array_1_0(images))
                with progress.bar(len(images), "keeping the decoded images", unit="image") as bar:
                    for start in range(0, len(images), step):
                        f.write(images[start:start + step].tobytes())
                        bar.update(len(images[start:start + step]))
            for key, value in small.items():
                with z.open(f"{key}.npy", "w", force_zip64=True) as f:
                    np.save(f, value)

    return atomic_write(path, write, needs_bytes=images.nbytes)


def map_member(path: Path, key: str) -> np.ndarray | None:
    """Array ``key`` of an ``.npz`` mapped from disk (copy-on-write: writable, never written back),
    or None when it is compressed or not a plain array."""
    try:
        with zipfile.ZipFile(path) as z:
            info = z.getinfo(f"{key}.npy")
        if info.compress_type != zipfile.ZIP_STORED:
            return None
        with open(path, "rb") as f:
            f.seek(info.header_offset)
            fields = _LOCAL_HEADER.unpack(f.read(_LOCAL_HEADER.size))
            f.seek(info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1])  # past name and extra field
            version = np.lib.format.read_magic(f)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read(f)
            offset = f.tell()
    except (KeyError, OSError, ValueError, zipfile.BadZipFile, struct.error):
        return None
    if dtype.hasobject or fortran or not shape or 0 in shape:
        return None
    return np.memmap(path, dtype=dtype, mode="c", shape=shape, offset=offset)


def description_of(path: Path) -> dict | None:
    """The ``prepared`` description of a prepared file; None for any other ``.npz``."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            if "prepared" not in npz.files:
                return None
            found = json.loads(str(npz["prepared"]))
    except (OSError, ValueError, zipfile.BadZipFile, EOFError):
        return None
    return found if isinstance(found, dict) and found.get("format") == FORMAT else None


def read_prepared(path: Path) -> tuple[ImageArrays, dict] | None:
    """The images of a prepared file (mapped) and its description; None when it is not one or damaged."""
    description = description_of(path)
    images = map_member(path, "images") if description is not None else None
    if images is None or images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] not in (1, 3):
        return None
    with np.load(path, allow_pickle=False) as npz:
        labels = npz["labels"] if "labels" in npz.files else None
        names = [str(n) for n in npz["class_names"].tolist()] if "class_names" in npz.files else None
    if labels is not None and labels.shape != (len(images),):
        return None
    return ImageArrays(images, labels, names, str(description.get("source", path))), description


def keep(path: Path, arrays: ImageArrays, description: dict) -> Path | None:
    """Write the decoded pixels to the cache; a warning (and None) when that is not possible."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return write_prepared(path, arrays, description)
    except (OSError, WganError) as e:
        warnings.warn(f"could not keep the decoded images in {path.parent} ({first_line(e, 200)}): the next start "
                      "decodes them again; set data.cache to a writable folder (or off)", stacklevel=3)
        return None


def kept_files(folder: Path) -> list[tuple[Path, dict]]:
    """The prepared files in a cache folder, with their descriptions (oldest first)."""
    if not folder.is_dir():
        return []
    found = [(p, description_of(p)) for p in folder.glob("*.npz")]
    return sorted(((p, d) for p, d in found if d is not None), key=lambda item: item[0].stat().st_mtime)
