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
  a tie; in a folder of over 5,000 files resized with ``image_size``, the majority of 1,000 headers
  spread over it). Transparency is composited on white (see ``composite_on_white``).
- Size: with ``image_size`` every image is resized (shorter side) and
  centre-cropped to it; without, all images must share one size.
- Unreadable or truncated files are an error naming the first few, unless
  ``skip_bad`` (``--skip-bad``), which skips them with a warning giving the count.

Headers are read first (cheap: PIL reads only the header on open) to settle
size and channels; decoding then runs through a torch DataLoader so large
folders decode on several worker processes, with a progress bar (files per
second, time left, files skipped) and a line of summary. A JPEG that is
resized down is decoded at the largest reduced scale libjpeg offers that still
covers the target (PIL's ``draft``, as its thumbnails do): 1.7x faster on
CelebA-sized files, within half a grey level on average of a full decode. The
same per-file decoder serves the streaming dataset for folders too large for
memory, and zip archives (:mod:`.archive`), whose members are opened where they
are (:mod:`.entries`).
"""

from __future__ import annotations

import hashlib
import math
import os
import time
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ...errors import WganError
from ...files import path_signature
from .. import progress
from . import prepared
from .arrays import ImageArrays, check_fits, select_classes
from .entries import IMG_EXTENSIONS, Entry, FolderIndex, by_class, is_archive, open_entry, scan_archive, shown, visible
from .kinds import SOURCES, Source

_SHOW_BAD = 3  # how many bad files an error names
# What decides the pixels besides the files and the settings: bump when decode() changes (kept
# decoded pixels are keyed by it, see wgan.data.prepared).
DECODER_VERSION = 2  # 2: JPEGs resized down are decoded at a reduced scale (draft)
_GRAY_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "F"}


@dataclass
class FolderPlan:
    size: tuple[int, int]  # (height, width) of every decoded image
    channels: int
    resize_to: int | None  # resize + centre-crop to this, or None to keep native sizes
    bad: list[tuple[Path, str]]  # files whose header could not be read, with the reason


# folder -> (the modification time of every folder walked, the image files found): a process lists a
# large folder once (choosing the recipe, then loading, both list it). A file added, removed or renamed
# changes its folder's modification time, which makes the listing be walked again.
_listed: dict[str, tuple[dict[str, int], list[Path]]] = {}


def _unchanged(folders: dict[str, int]) -> bool:
    try:
        return all(os.stat(folder).st_mtime_ns == mtime for folder, mtime in folders.items())
    except OSError:
        return False


def _image_files(folder: Path) -> list[Path]:
    key = str(folder)
    if key in _listed and _unchanged(_listed[key][0]):
        return list(_listed[key][1])
    found, folders = [], {}
    for here, dirs, files in os.walk(folder, followlinks=True):
        folders[here] = os.stat(here).st_mtime_ns
        dirs[:] = sorted(d for d in dirs if visible(d))
        base = Path(here)
        found += [base / f for f in sorted(files) if visible(f) and f.lower().endswith(IMG_EXTENSIONS)]
    _listed[key] = (folders, found)
    return list(found)


def scan_folder(root: Path) -> FolderIndex:
    """List the images under ``root`` and their class labels (if laid out one subfolder per class)."""
    root = Path(root)
    entries = sorted(p for p in root.iterdir() if visible(p.name))
    subdirs = [p for p in entries if p.is_dir()]
    loose = [p for p in entries if p.is_file() and p.name.lower().endswith(IMG_EXTENSIONS)]
    if len(subdirs) >= 2 and not loose:
        index = by_class(root, {d.name: _image_files(d) for d in subdirs})
    else:
        index = FolderIndex(root, _image_files(root), None, None)
    if not index.files:
        exts = ", ".join(e.lstrip(".") for e in IMG_EXTENSIONS)
        raise WganError(f"no images in {root} (looked recursively for {exts}); accepted data paths: an image "
                        f"folder, a folder of MNIST-format IDX files, a CIFAR-10/100 python batches folder, or an .npz")
    return index


def _channels_of(mode: str) -> int:
    return 1 if mode in _GRAY_MODES else 3


def _header(entry: Entry) -> tuple[tuple[int, int], str] | str:
    """((height, width), mode) from the file header, or the reason it cannot be read."""
    try:
        with open_entry(entry) as f, Image.open(f) as img:
            return (img.height, img.width), img.mode
    except Exception as e:  # PIL raises many types for a bad file; each is a bad file here, nothing more
        return _reason(e, entry)


def _reason(e: Exception, entry: Entry) -> str:
    # The file is named beside the reason already; PIL's messages repeat the full path.
    message = str(e).replace(f" '{entry}'", "").replace(str(entry), "").replace("\n", " ")
    return f"{type(e).__name__}: {message}"[:160]


def read_headers(files: list[Entry]) -> list[tuple[tuple[int, int], str] | str]:
    """Every file's header (or the reason it cannot be read), with a progress bar."""
    with progress.bar(len(files), "reading headers") as bar:
        if len(files) <= 256:
            return [_header(f) for f in files]
        headers = []
        # Reading headers waits on the disk, so threads help (a zip's handle is per process, and its
        # reads are serialised by zipfile itself). A block at a time: the pool is never handed 200,000
        # tasks at once, and the bar moves from the first block.
        with ThreadPoolExecutor(max_workers=8) as pool:
            for start in range(0, len(files), 1024):
                headers += pool.map(_header, files[start:start + 1024])
                bar.update(len(files[start:start + 1024]))
        return headers


# A folder of more files than this, resized (``--image-size``), settles its channels from the headers of
# CHANNEL_SAMPLE files spread over it: 200,000 headers take 50 s from a cold disk on this project's machine.
ALL_HEADERS_UP_TO = 5_000
CHANNEL_SAMPLE = 1_000


def plan_folder(index: FolderIndex, image_size: int | None, channels: int | None,
                sample: int | None = None) -> FolderPlan:
    """Settle one size and one channel count for the whole folder from the files' headers.

    With both ``image_size`` and ``channels`` given there is nothing to settle, and no header is read;
    with ``image_size`` alone, a large folder's channels are the majority of a sample's. Unreadable
    files among those not read are found while decoding. ``sample``: read only that many headers,
    evenly spread (a quick guess, for :func:`peek_folder`).
    """
    files = index.files
    if image_size is not None and channels is not None and sample is None:
        return FolderPlan((image_size, image_size), channels, image_size, [])
    if image_size is not None and sample is None and len(files) > ALL_HEADERS_UP_TO:
        sample = CHANNEL_SAMPLE  # only the channels are left to settle: a sample's majority
    if sample is not None and len(files) > sample:
        files = [files[i] for i in np.linspace(0, len(files) - 1, sample).astype(int)]
    headers = read_headers(files)
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
                        f"{shown(fa, index.root)}, {b[1]}x{b[0]} {shown(fb, index.root)}); pass --image-size N to "
                        "resize and centre-crop them all")
    (size,) = sizes
    return FolderPlan(size, channels, None, bad)


def decode(entry: Entry, channels: int, resize_to: int | None) -> np.ndarray:
    """One file -> uint8 (H, W, channels); raises whatever PIL raises for a bad file."""
    from torchvision.transforms.v2 import functional as F

    with open_entry(entry) as f, Image.open(f) as img:
        if resize_to is not None:  # JPEG only: decode at the smallest scale still covering resize_to
            img.draft(img.mode, (resize_to, resize_to))
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

    def __init__(self, files: list[Entry], plan: FolderPlan):
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


def report_bad(bad: list[tuple[Entry, str]], root: Path, skip_bad: bool) -> None:
    """Raise for unreadable files, or warn with their count when skipping them."""
    if not bad:
        return
    named = "; ".join(f"{shown(p, root)} ({why})" for p, why in bad[:_SHOW_BAD])
    more = f" and {len(bad) - _SHOW_BAD} more" if len(bad) > _SHOW_BAD else ""
    if not skip_bad:
        raise WganError(f"{len(bad)} unreadable image file(s) in {root}: {named}{more}; "
                        f"fix or remove them, or pass --skip-bad (data.skip_bad) to skip them")
    warnings.warn(f"skipped {len(bad)} unreadable image file(s) in {root} (data.skip_bad): {named}{more}",
                  stacklevel=2)


def list_images(root: Path, classes: list[int] | None = None) -> FolderIndex:
    """The images of a folder or a zip archive (and their labels), ``classes`` kept; nothing read yet."""
    started = time.perf_counter()
    index = scan_archive(root) if is_archive(root) else scan_folder(root)
    progress.say(f"found {len(index.files):,} images in {root} ({time.perf_counter() - started:.1f} s)",
                 len(index.files))
    if classes:
        index = index.subset(select_classes(index.labels, index.class_names, classes, str(root)))
    return index


def open_folder(root: Path, image_size: int | None = None, channels: int | None = None,
                classes: list[int] | None = None) -> tuple[FolderIndex, FolderPlan]:
    """List ``root`` (a folder or a zip archive), keep ``classes``, and plan size and channels (no
    pixels decoded yet)."""
    index = list_images(root, classes)
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
    return _decode(index, plan, skip_bad, num_workers)[0]


def _decode(index: FolderIndex, plan: FolderPlan, skip_bad: bool = False,
            num_workers: int | None = None) -> tuple[ImageArrays, list[tuple[Entry, str]]]:
    """:func:`decode_folder`, and the files it skipped with their reasons."""
    root = index.root
    if not skip_bad:
        report_bad(plan.bad, index.root, skip_bad)  # fail before the slow part when we can
    unreadable = {p for p, _ in plan.bad}
    index = index.subset(np.asarray([f not in unreadable for f in index.files], dtype=bool))
    check_fits(len(index.files), *plan.size, plan.channels, str(root))
    images = np.empty((len(index.files), *plan.size, plan.channels), dtype=np.uint8)
    ok = np.zeros(len(index.files), dtype=bool)
    workers = default_workers(len(index.files)) if num_workers is None else num_workers
    # Small batches keep the bar moving (a batch is one worker's share at a time).
    loader = torch.utils.data.DataLoader(FolderImages(index.files, plan), batch_size=64, num_workers=workers)
    failed = []
    started = time.perf_counter()
    with progress.bar(len(index.files), "decoding") as bar:
        for x, errors, i in loader:
            images[i.numpy()] = x.numpy()
            for j, error in zip(i.tolist(), errors):
                ok[j] = not error
                if error:
                    failed.append((index.files[j], error))
            bar.update(len(i))
            if failed:
                bar.set_postfix(skipped=len(plan.bad) + len(failed), refresh=False)
    took = time.perf_counter() - started
    progress.say(f"decoded {len(index.files):,} images of {root} at {plan.size[1]}x{plan.size[0]} in {took:.0f} s "
                 f"({len(index.files) / max(took, 1e-9):,.0f} files/s; {len(plan.bad) + len(failed)} skipped)",
                 len(index.files))
    report_bad(plan.bad + failed, index.root, skip_bad)
    if not ok.any():
        raise WganError(f"no readable images in {root}")
    labels = None if index.labels is None else index.labels[ok]
    return ImageArrays(images if ok.all() else images[ok], labels, index.class_names, str(root)), plan.bad + failed


# ---- decoded once, kept ------------------------------------------------------------------------
def listing_signature(index: FolderIndex) -> str:
    """What the listing says of the files ``index`` holds: each one's name, size and modification time
    (an archive's own), without reading them; a changed, added or removed image changes it."""
    if not index.root.is_dir():  # an archive: the file itself
        return path_signature(index.root)
    h = hashlib.sha256()
    cut = len(str(index.root)) + 1  # names relative to the folder, as strings (Path.relative_to is slow)
    with progress.bar(len(index.files), "checking the files") as bar:
        for i, file in enumerate(index.files):
            name = str(file)
            st = os.stat(name)
            h.update(f"{name[cut:]}:{st.st_size}:{st.st_mtime_ns};".encode())
            if i % 4096 == 4095:
                bar.update(4096)
    return h.hexdigest()


def preparation(index: FolderIndex, image_size: int | None, channels: int | None,
                classes: list[int] | None) -> dict:
    """Everything that decides the decoded pixels of ``index``: the key of the kept file."""
    from importlib.metadata import version  # the versions, without importing torchvision (seconds)

    return {"source": str(index.root.resolve()), "listing": listing_signature(index), "count": len(index.files),
            "image_size": image_size, "channels": channels, "classes": classes,
            "crop": "shorter side resized (antialiased), centre crop" if image_size else "none",
            "decoder": DECODER_VERSION, "pillow": version("pillow"), "torchvision": version("torchvision")}


def find_kept(index: FolderIndex, cfg, description: dict, max_bytes: float = math.inf) -> ImageArrays | None:
    """The decoded pixels kept for ``description`` (:func:`preparation`), when there are and they are
    at most ``max_bytes``; the files they skipped are reported as a fresh decoding would (an error
    unless ``cfg.skip_bad``)."""
    folder = prepared.cache_folder(cfg.cache)
    if folder is None:
        return None
    path = prepared.kept_file(folder, index.root, cfg.image_size, description)
    found = prepared.read_prepared(path) if path.is_file() else None
    if found is None:
        return None
    arrays, kept = found
    if arrays.images.nbytes > max_bytes:
        return None
    skipped = [(index.root / name if index.root.is_dir() else name, why) for name, why in kept.get("skipped", [])]
    report_bad(skipped, index.root, cfg.skip_bad)
    progress.say(f"read {len(arrays):,} decoded images of {index.root} from {path}", len(arrays))
    return ImageArrays(arrays.images, arrays.labels, arrays.class_names, str(index.root))


def decode_and_keep(index: FolderIndex, plan: FolderPlan, cfg, description: dict,
                    num_workers: int | None = None) -> ImageArrays:
    """Decode the planned files and keep the pixels in the cache (``cfg.cache``) for the next start."""
    arrays, skipped = _decode(index, plan, cfg.skip_bad, num_workers)
    folder = prepared.cache_folder(cfg.cache)
    if folder is not None:
        path = prepared.kept_file(folder, index.root, cfg.image_size, description)
        named = [[shown(entry, index.root), why] for entry, why in skipped]
        if prepared.keep(path, arrays, {**description, "skipped": named}) is not None:
            progress.say(f"kept the decoded images in {path} (wgan data list; data.cache)", len(arrays))
    return arrays


def prepare_file(root: Path, out: Path, cfg, num_workers: int | None = None) -> tuple[Path, ImageArrays]:
    """Decode a folder or archive as ``cfg`` (a DataConfig) asks and write the pixels to ``out``, a
    prepared file (:mod:`.prepared`) that ``--data`` takes anywhere: ``wgan data prepare``."""
    if Path(out).suffix.lower() != ".npz":
        raise WganError(f"--out {out}: a prepared file ends in .npz (it is one, uncompressed)")
    index = list_images(root, cfg.classes)
    description = preparation(index, cfg.image_size, cfg.channels, cfg.classes)
    arrays, skipped = _decode(index, plan_folder(index, cfg.image_size, cfg.channels), cfg.skip_bad, num_workers)
    named = [[shown(entry, index.root), why] for entry, why in skipped]
    return prepared.write_prepared(Path(out), arrays, {**description, "skipped": named}), arrays


def load_folder_kept(root: Path, cfg, num_workers: int | None = None) -> ImageArrays:
    """The images of a folder or archive as ``cfg`` (a DataConfig) asks: read back when decoded before
    with the same files and settings, else decoded and kept."""
    index = list_images(root, cfg.classes)
    description = preparation(index, cfg.image_size, cfg.channels, cfg.classes)
    kept = find_kept(index, cfg, description)
    if kept is not None:
        return kept
    return decode_and_keep(index, plan_folder(index, cfg.image_size, cfg.channels), cfg, description, num_workers)


PEEK_SAMPLE = 256  # headers read to tell a folder's channels and size before loading it


def peek_folder(path: Path, image_size: int | None) -> tuple[int, int | None] | None:
    """``(channels, side)`` the folder's images will be trained at, from the headers of a sample of
    them (the recipe is chosen by this before anything is loaded)."""
    try:
        plan = plan_folder(list_images(path), image_size, None, sample=PEEK_SAMPLE)
    except WganError:  # mixed sizes without --image-size: loading will say so
        return None
    return plan.channels, plan.size[0] if plan.size[0] == plan.size[1] else None


# The folder reader subsets, converts and resizes while decoding, one file at a time.
SOURCES.register("folder", Source("an image folder (class subfolders become labels)", load_folder_kept,
                                  recognises=Path.is_dir, peek=peek_folder, has_split=False, catch_all=True))
