"""A folder of image files (recursive): CelebA-style, or one subfolder per class.

- Files: torchvision's image extensions (png, jpg/jpeg, webp, bmp, ppm/pgm,
  tif/tiff), any case. Hidden files and ``__MACOSX`` folders are ignored: the
  "._name.jpg" files macOS leaves in archives are not images.
- Labels: when the folder holds only subfolders (at least two) they are the
  classes, as torchvision's ImageFolder does; names that are all integers
  ("0".."9") become those labels, others are numbered in sorted order. A
  single subfolder (``celeba/img_align_celeba``) gives no labels.
- Channels: grayscale stays 1 channel, colour becomes RGB; a folder of mixed
  modes is converted to ``channels`` when given, else to the majority (RGB on
  a tie). Transparency is composited on white (see ``composite_on_white``).
- Size: with ``image_size`` every image is resized (shorter side) and
  centre-cropped to it; without, all images must share one size.
- Unreadable or truncated files are an error naming the first few, unless
  ``skip_bad`` (``--skip-bad``), which skips them with a warning giving the count.

Headers are read first (cheap: PIL reads only the header on open) to settle
size and channels; decoding then runs through a torch DataLoader so large
folders decode on several worker processes. The same per-file decoder serves
the streaming dataset for folders too large for memory.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torchvision.datasets.folder import IMG_EXTENSIONS

from ...errors import WganError
from .arrays import ImageArrays, check_fits, select_classes
from .kinds import SOURCES, Source

_SHOW_BAD = 3  # how many bad files an error names
_GRAY_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "F"}


@dataclass
class FolderIndex:
    root: Path
    files: list[Path]
    labels: np.ndarray | None
    class_names: list[str] | None

    def subset(self, keep: np.ndarray) -> "FolderIndex":
        idx = np.flatnonzero(keep) if keep.dtype == bool else keep
        labels = None if self.labels is None else self.labels[idx]
        return FolderIndex(self.root, [self.files[i] for i in idx], labels, self.class_names)


@dataclass
class FolderPlan:
    size: tuple[int, int]  # (height, width) of every decoded image
    channels: int
    resize_to: int | None  # resize + centre-crop to this, or None to keep native sizes
    bad: list[tuple[Path, str]]  # files whose header could not be read, with the reason


def _visible(name: str) -> bool:
    return not name.startswith(".") and name != "__MACOSX"


def _image_files(folder: Path) -> list[Path]:
    found = []
    for here, dirs, files in os.walk(folder, followlinks=True):
        dirs[:] = sorted(d for d in dirs if _visible(d))
        found += [Path(here) / f for f in sorted(files) if _visible(f) and f.lower().endswith(IMG_EXTENSIONS)]
    return found


def scan_folder(root: Path) -> FolderIndex:
    """List the images under ``root`` and their class labels (if laid out one subfolder per class)."""
    root = Path(root)
    entries = sorted(p for p in root.iterdir() if _visible(p.name))
    subdirs = [p for p in entries if p.is_dir()]
    loose = [p for p in entries if p.is_file() and p.name.lower().endswith(IMG_EXTENSIONS)]
    if len(subdirs) >= 2 and not loose:
        names = [d.name for d in subdirs]
        if all(n.isdigit() for n in names):
            values = [int(n) for n in names]
            class_names = [str(i) for i in range(max(values) + 1)]
        else:
            values = list(range(len(names)))
            class_names = names
        files, labels = [], []
        for d, value in zip(subdirs, values):
            found = _image_files(d)
            files += found
            labels += [value] * len(found)
        index = FolderIndex(root, files, np.asarray(labels, dtype=np.int64), class_names)
    else:
        index = FolderIndex(root, _image_files(root), None, None)
    if not index.files:
        exts = ", ".join(e.lstrip(".") for e in IMG_EXTENSIONS)
        raise WganError(f"no images in {root} (looked recursively for {exts}); accepted data paths: an image "
                        f"folder, a folder of MNIST-format IDX files, a CIFAR-10/100 python batches folder, or an .npz")
    return index


def _channels_of(mode: str) -> int:
    return 1 if mode in _GRAY_MODES else 3


def _header(path: Path) -> tuple[tuple[int, int], str] | str:
    """((height, width), mode) from the file header, or the reason it cannot be read."""
    try:
        with Image.open(path) as img:
            return (img.height, img.width), img.mode
    except Exception as e:  # PIL raises many types for a bad file; each is a bad file here, nothing more
        return _reason(e, path)


def _reason(e: Exception, path: Path) -> str:
    # The file is named beside the reason already; PIL's messages repeat the full path.
    message = str(e).replace(f" '{path}'", "").replace(str(path), "").replace("\n", " ")
    return f"{type(e).__name__}: {message}"[:160]


def plan_folder(index: FolderIndex, image_size: int | None, channels: int | None) -> FolderPlan:
    """Read every header and settle one size and one channel count for the whole folder."""
    files = index.files
    if len(files) > 256:  # reading headers waits on the disk, so threads help
        with ThreadPoolExecutor(max_workers=8) as pool:
            headers = list(pool.map(_header, files))
    else:
        headers = [_header(f) for f in files]
    bad = [(f, h) for f, h in zip(files, headers) if isinstance(h, str)]
    good = [(f, h) for f, h in zip(files, headers) if not isinstance(h, str)]
    if not good:
        return FolderPlan((0, 0), channels or 3, image_size, bad)
    if channels is None:
        counts = Counter(_channels_of(mode) for _, (_, mode) in good)
        channels = 1 if counts[1] > counts[3] else 3
    if image_size is not None:
        return FolderPlan((image_size, image_size), channels, image_size, bad)
    sizes = Counter(size for _, (size, _) in good)
    if len(sizes) > 1:
        (a, _), (b, _) = sizes.most_common(2)
        fa = next(f for f, (s, _) in good if s == a)
        fb = next(f for f, (s, _) in good if s == b)
        raise WganError(f"images in {index.root} have mixed sizes ({len(sizes)} sizes, e.g. {a[1]}x{a[0]} "
                        f"{fa.name}, {b[1]}x{b[0]} {fb.name}); pass --image-size N to resize and centre-crop them all")
    (size,) = sizes
    return FolderPlan(size, channels, None, bad)


def decode(path: Path, channels: int, resize_to: int | None) -> np.ndarray:
    """One file -> uint8 (H, W, channels); raises whatever PIL raises for a bad file."""
    from torchvision.transforms.v2 import functional as F

    with Image.open(path) as img:
        img.load()  # decode now, so a truncated file fails here and not later
        img = _convert(img, channels)
    if resize_to is not None and img.size != (resize_to, resize_to):
        img = F.resize(img, [resize_to], antialias=True)  # shorter side, keeping the aspect ratio
        img = F.center_crop(img, [resize_to, resize_to])
    arr = np.array(img, dtype=np.uint8)  # a writable copy: torch.from_numpy warns on read-only
    return arr[..., None] if arr.ndim == 2 else arr


def _convert(img: Image.Image, channels: int) -> Image.Image:
    if img.mode.startswith("I;16"):
        # 16-bit grayscale: keep the high byte (PIL's convert("L") would clip everything above 255).
        img = Image.fromarray((np.asarray(img, dtype=np.uint16) >> 8).astype(np.uint8))
    if img.mode in ("RGBA", "LA", "La", "RGBa", "PA") or (img.mode == "P" and "transparency" in img.info):
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, img.convert("RGBA"))
    return img.convert("L" if channels == 1 else "RGB")


class FolderImages(torch.utils.data.Dataset):
    """Decodes one file per item for a DataLoader: ``(uint8 HWC tensor, error, index)``.

    A bad file gives zeros and the reason in ``error`` ("" when fine) instead
    of raising, so that the main process decides (error or skip) and names
    the file, rather than a worker's traceback ending the run.
    """

    def __init__(self, files: list[Path], plan: FolderPlan):
        self.files = files
        self.shape = (*plan.size, plan.channels)
        self.channels = plan.channels
        self.resize_to = plan.resize_to

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int):
        error = ""
        try:
            arr = decode(self.files[i], self.channels, self.resize_to)
            if arr.shape != self.shape:  # only possible without resizing: a size the header did not show
                error = f"decoded to {arr.shape[1]}x{arr.shape[0]}, expected {self.shape[1]}x{self.shape[0]}"
        except Exception as e:  # any failure to decode makes this one file bad; the caller reports it
            error = _reason(e, self.files[i])
        if error:
            arr = np.zeros(self.shape, dtype=np.uint8)
        return torch.from_numpy(np.ascontiguousarray(arr)), error, i


def default_workers(n_files: int) -> int:
    # Worker start-up costs about a second; only worth it for more than a few hundred files.
    return 0 if n_files < 500 else min(8, os.cpu_count() or 1)


def report_bad(bad: list[tuple[Path, str]], root: Path, skip_bad: bool) -> None:
    """Raise for unreadable files, or warn with their count when skipping them."""
    if not bad:
        return
    shown = "; ".join(f"{p.relative_to(root) if p.is_relative_to(root) else p} ({why})"
                      for p, why in bad[:_SHOW_BAD])
    more = f" and {len(bad) - _SHOW_BAD} more" if len(bad) > _SHOW_BAD else ""
    if not skip_bad:
        raise WganError(f"{len(bad)} unreadable image file(s) in {root}: {shown}{more}; "
                        f"fix or remove them, or pass --skip-bad (data.skip_bad) to skip them")
    warnings.warn(f"skipped {len(bad)} unreadable image file(s) in {root} (data.skip_bad): {shown}{more}",
                  stacklevel=2)


def open_folder(root: Path, image_size: int | None = None, channels: int | None = None,
                classes: list[int] | None = None) -> tuple[FolderIndex, FolderPlan]:
    """Scan ``root``, keep ``classes``, and plan size and channels (no pixels decoded yet)."""
    index = scan_folder(root)
    if classes:
        index = index.subset(select_classes(index.labels, index.class_names, classes, str(root)))
    return index, plan_folder(index, image_size, channels)


def load_folder(root: Path, image_size: int | None = None, channels: int | None = None,
                classes: list[int] | None = None, skip_bad: bool = False,
                num_workers: int | None = None) -> ImageArrays:
    """Decode a whole image folder into memory."""
    index, plan = open_folder(root, image_size, channels, classes)
    return decode_folder(index, plan, skip_bad, num_workers)


def drop_unreadable(index: FolderIndex, plan: FolderPlan, skip_bad: bool) -> FolderIndex:
    """Report the files whose header failed (error, or warning with skip_bad) and leave them out."""
    report_bad(plan.bad, index.root, skip_bad)
    unreadable = {p for p, _ in plan.bad}
    index = index.subset(np.asarray([f not in unreadable for f in index.files], dtype=bool))
    if not index.files:
        raise WganError(f"no readable images in {index.root}")
    return index


def decode_folder(index: FolderIndex, plan: FolderPlan, skip_bad: bool = False,
                  num_workers: int | None = None) -> ImageArrays:
    """Decode the planned files into one uint8 array, on DataLoader workers for large folders."""
    root = index.root
    if not skip_bad:
        report_bad(plan.bad, index.root, skip_bad)  # fail before the slow part when we can
    unreadable = {p for p, _ in plan.bad}
    index = index.subset(np.asarray([f not in unreadable for f in index.files], dtype=bool))
    check_fits(len(index.files), *plan.size, plan.channels, str(root))
    images = np.empty((len(index.files), *plan.size, plan.channels), dtype=np.uint8)
    ok = np.zeros(len(index.files), dtype=bool)
    workers = default_workers(len(index.files)) if num_workers is None else num_workers
    loader = torch.utils.data.DataLoader(FolderImages(index.files, plan), batch_size=256, num_workers=workers)
    failed = []
    for x, errors, i in loader:
        images[i.numpy()] = x.numpy()
        for j, error in zip(i.tolist(), errors):
            ok[j] = not error
            if error:
                failed.append((index.files[j], error))
    report_bad(plan.bad + failed, index.root, skip_bad)
    if not ok.any():
        raise WganError(f"no readable images in {root}")
    labels = None if index.labels is None else index.labels[ok]
    return ImageArrays(images if ok.all() else images[ok], labels, index.class_names, str(root))


def peek_folder(path: Path, image_size: int | None) -> tuple[int, int | None] | None:
    """``(channels, side)`` the folder's images will be trained at, from their headers."""
    try:
        _, plan = open_folder(path, image_size)
    except WganError:  # mixed sizes without --image-size: loading will say so
        return None
    return plan.channels, plan.size[0] if plan.size[0] == plan.size[1] else None


# The folder reader subsets, converts and resizes while decoding, one file at a time.
SOURCES.register("folder", Source("an image folder (class subfolders become labels)",
                                  lambda path, cfg: load_folder(path, cfg.image_size, cfg.channels, cfg.classes,
                                                                cfg.skip_bad),
                                  recognises=Path.is_dir, peek=peek_folder, has_split=False, catch_all=True))
