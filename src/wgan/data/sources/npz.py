"""Images from a numpy ``.npz`` file: key ``images``, optional ``labels`` and ``class_names``.

``images`` is (N, H, W) or (N, H, W, C) with C = 1, 3 or 4 (RGBA is
composited on white, as for image folders); (N, C, H, W) is recognised when
the last axis cannot be channels. Pixel values may be uint8 (or any integer
type within 0..255), or floats in [0, 1], [-1, 1] (what a tanh generator
writes) or [0, 255]. This is also the format ``wgan sample`` writes, so
generated images can be fed back in, and the one ``wgan data prepare`` writes: uint8 images in a
stored (uncompressed) member are mapped from disk instead of read.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ...errors import WganError
from ...memory import check_memory
from .arrays import ImageArrays, composite_on_white
from .kinds import SOURCES, Source
from .prepared import map_member


def load_npz(path: Path) -> ImageArrays:
    path = Path(path)
    try:
        # allow_pickle=False: an object array in an .npz is a pickle and could run code.
        f = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise WganError(f"cannot read {path} as an .npz file: {e}") from None
    if not isinstance(f, np.lib.npyio.NpzFile):
        raise WganError(f"{path} is a single .npy array; save an .npz with np.savez(path, images=..., labels=...)")
    with f:
        keys = list(f.files)
        _check_declared_sizes(path, [k for k in ("images", "labels", "class_names") if k in keys])
        # Stored (uncompressed) uint8 pixels, as a prepared file holds them, are mapped, not read.
        mapped = map_member(path, "images") if "images" in keys else None
        if mapped is not None and mapped.dtype != np.uint8:
            mapped = None
        try:
            found = {k: f[k] for k in ("labels", "class_names") if k in keys}
            if "images" in keys:
                found["images"] = mapped if mapped is not None else f["images"]
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
            raise WganError(f"cannot read {path}: {e}") from None
    if "images" not in found:
        raise WganError(f"{path} has no 'images' array (keys: {', '.join(keys) or 'none'}); "
                        f"expected images (N, H, W[, C]) and optional labels (N,)")
    images, labels, names = found["images"], found.get("labels"), found.get("class_names")
    images = _to_nhwc(images, path)
    images = _to_uint8(images, path)
    if images.shape[-1] == 4:
        images = composite_on_white(images)
    if labels is not None:
        if labels.shape != (len(images),) or not np.issubdtype(labels.dtype, np.integer):
            raise WganError(f"{path}: 'labels' must be {len(images)} integers (one per image), "
                            f"got {labels.dtype} {labels.shape}")
    class_names = [str(n) for n in names.tolist()] if names is not None else None
    return ImageArrays(np.ascontiguousarray(images), labels, class_names, str(path))


def declared_shapes(path: Path, keys) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """``{key: (shape, dtype)}`` of the arrays ``keys`` of an ``.npz`` as their headers declare them
    (nothing else is read; a missing key is left out)."""
    found = {}
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            for key in keys:
                if f"{key}.npy" not in names:
                    continue
                with z.open(f"{key}.npy") as member:
                    version = np.lib.format.read_magic(member)
                    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                                   else np.lib.format.read_array_header_2_0)
                    shape, _, dtype = read_header(member)
                    found[key] = (tuple(shape), dtype)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise WganError(f"cannot read {path}: {e}") from None
    return found


def _check_declared_sizes(path: Path, keys: list[str]) -> None:
    """Refuse, before reading, arrays whose shapes (as their headers say) would not fit in memory.

    A compressed member can expand far beyond the file's size; numpy reads exactly what the header
    declares, so checking the declared sizes bounds what loading takes.
    """
    need = 0
    for key, (shape, dtype) in declared_shapes(path, keys).items():
        nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
        # Non-uint8 images are converted: a scaled float copy beside the original.
        need += nbytes * (1 if dtype == np.uint8 or key != "images" else 3)
    check_memory(need, f"the arrays of {path}", "is the file damaged, or save fewer or smaller images")


def _to_nhwc(x: np.ndarray, path: Path) -> np.ndarray:
    if x.ndim == 3:
        return x[..., None]
    if x.ndim == 4:
        if x.shape[-1] in (1, 3, 4):
            return x
        if x.shape[1] in (1, 3, 4):
            return x.transpose(0, 2, 3, 1)
    raise WganError(f"{path}: 'images' must be (N, H, W) or (N, H, W, C) with C 1, 3 or 4, got shape {x.shape}")


def _to_uint8(x: np.ndarray, path: Path) -> np.ndarray:
    if x.dtype == np.uint8:
        return x
    if x.size == 0:
        raise WganError(f"{path}: 'images' is empty")
    if np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.bool_):
        lo, hi = int(x.min()), int(x.max())
        if lo >= 0 and hi <= 255:
            return x.astype(np.uint8)
        raise WganError(f"{path}: integer images must lie in 0..255, found {lo}..{hi}")
    if not np.issubdtype(x.dtype, np.floating):
        raise WganError(f"{path}: 'images' must be uint8 or float, got {x.dtype}")
    if not np.isfinite(x).all():
        raise WganError(f"{path}: 'images' contains NaN or infinite values")
    lo, hi = float(x.min()), float(x.max())
    # Ranges tried narrowest first: values in [0, 1] are read as [0, 1], not as dark [0, 255] pixels.
    if lo >= 0 and hi <= 1:
        scaled = x * 255.0
    elif lo >= -1 and hi <= 1:
        scaled = (x + 1.0) * 127.5
    elif lo >= 0 and hi <= 255:
        scaled = x
    else:
        raise WganError(f"{path}: float images must lie in [0, 1], [-1, 1] or [0, 255], found [{lo:g}, {hi:g}]")
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def peek_npz(path: Path, image_size: int | None) -> tuple[int, int | None] | None:
    """``(channels, side)`` of the images an .npz holds, from the array header alone."""
    shape = declared_shapes(path, ["images"]).get("images", ((),))[0]
    if len(shape) == 3:
        return 1, image_size or (shape[1] if shape[1] == shape[2] else None)
    if len(shape) != 4:
        return None
    channels, (h, w) = (shape[3], shape[1:3]) if shape[3] in (1, 3, 4) else (shape[1], shape[2:4])
    return (1 if channels == 1 else 3), image_size or (h if h == w else None)


SOURCES.register("npz", Source("an .npz file with 'images' (and 'labels')", lambda path, cfg: load_npz(path),
                               recognises=lambda path: path.is_file() and path.suffix.lower() == ".npz",
                               peek=peek_npz, has_split=False))
