"""Image datasets for training: in memory on the device, or streamed from a folder.

In memory (everything that fits, see ``load_image_dataset``): the pixels stay
uint8 NCHW on the training device -- a quarter of float32's size -- and each
batch is gathered with random indices drawn on the device from the trainer's
generator, then scaled to [-1, 1] as float32. No Python work per sample and
no host synchronisation, so the GPU is never kept waiting.

Streamed (image folders too large for memory): a torch DataLoader with
worker processes decodes files ahead of time into pinned host memory, and
batches are copied to the device asynchronously.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..errors import WganError
from .sources import BUILTIN, ImageArrays, check_unsplit, finish, load_images, path_kind
from .sources.arrays import SPLITS, renumber
from .sources.folder import (FolderImages, FolderIndex, FolderPlan, decode_folder, default_workers,
                             drop_unreadable, open_folder, report_bad)

MEMORY_LIMIT = 4 * 2**30  # bytes of uint8 pixels above which a folder is streamed instead of loaded


def _normalise(x: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float32 [-1, 1]."""
    return x.float().div_(127.5).sub_(1.0)


def _to_data(x: torch.Tensor) -> torch.Tensor:
    return (x.float().clamp(-1.0, 1.0) + 1.0) * 127.5


def _reference_indices(n: int, size: int, seed: int) -> torch.Tensor:
    """Reproducible indices: without replacement when the data set is large enough."""
    g = torch.Generator().manual_seed(seed)
    if n <= size:
        return torch.randperm(size, generator=g)[:n]
    return torch.randint(size, (n,), generator=g)


def _labels_and_names(labels: np.ndarray | None, names: list[str] | None):
    labels, names = renumber(labels, names)
    return (torch.from_numpy(labels) if labels is not None else None), names


class InMemoryImageDataset:
    """A labelled or unlabelled image set held as uint8 NCHW on one device."""

    kind = "image"
    streaming = False

    def __init__(self, arrays: ImageArrays, name: str | None = None):
        self.name = name or arrays.source
        self.images = torch.from_numpy(np.ascontiguousarray(arrays.images.transpose(0, 3, 1, 2)))
        self.labels, self.class_names = _labels_and_names(arrays.labels, arrays.class_names)
        self.labels_available = self.labels is not None
        self.num_classes = len(self.class_names) if self.labels_available else 0
        self.shape = tuple(self.images.shape[1:])

    def __len__(self) -> int:
        return len(self.images)

    @property
    def device(self) -> torch.device:
        return self.images.device

    def to(self, device) -> "InMemoryImageDataset":
        self.images = self.images.to(device)
        if self.labels is not None:
            self.labels = self.labels.to(device)
        return self

    def sample(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor | None]:
        # ``generator`` must live on the data set's device (the trainer's generator does).
        idx = torch.randint(len(self.images), (n,), generator=generator, device=self.images.device)
        x = _normalise(self.images.index_select(0, idx))
        y = self.labels.index_select(0, idx) if self.labels is not None else None
        return x, y

    def reference(self, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        idx = _reference_indices(n, len(self.images), seed).to(self.images.device)
        x = self.images.index_select(0, idx).cpu().float()
        y = self.labels.index_select(0, idx).cpu() if self.labels is not None else None
        return x, y

    def to_data(self, x: torch.Tensor) -> torch.Tensor:
        return _to_data(x)


class StreamingImageDataset:
    """An image folder decoded on the fly by DataLoader workers (same protocol as in memory).

    Order: each pass over the folder is a fresh shuffle from a DataLoader
    generator seeded once from the trainer's generator (at the first
    ``sample``), so a run is reproducible from its seed; unlike the in-memory
    set, resuming mid-run does not replay the same batches.
    """

    kind = "image"
    streaming = True

    def __init__(self, index: FolderIndex, plan: FolderPlan, name: str | None = None, skip_bad: bool = False,
                 num_workers: int | None = None):
        self.name = name or str(index.root)
        self.root = index.root
        self.files = FolderImages(index.files, plan)
        self.labels, self.class_names = _labels_and_names(index.labels, index.class_names)
        self.labels_available = self.labels is not None
        self.num_classes = len(self.class_names) if self.labels_available else 0
        self.shape = (plan.channels, *plan.size)
        self.skip_bad = skip_bad
        self.num_workers = default_workers(len(index.files)) if num_workers is None else num_workers
        self.device = torch.device("cpu")
        self._batches = None  # endless iterator over DataLoader batches, made at the first sample
        self._buffer: list[tuple[torch.Tensor, torch.Tensor | None]] = []
        self._bad: set[int] = set()

    def __len__(self) -> int:
        return len(self.files)

    def to(self, device) -> "StreamingImageDataset":
        self.device = torch.device(device)
        self._batches, self._buffer = None, []  # pinned memory only pays off for a CUDA target
        return self

    def _loader(self, n: int, generator: torch.Generator):
        seed = int(torch.randint(2**62, (1,), generator=generator, device=generator.device))
        workers = self.num_workers
        loader = torch.utils.data.DataLoader(
            self.files, batch_size=n, shuffle=True, drop_last=len(self.files) >= n,
            generator=torch.Generator().manual_seed(seed), num_workers=workers,
            pin_memory=self.device.type == "cuda", persistent_workers=workers > 0,
            prefetch_factor=4 if workers > 0 else None)
        while True:  # a new shuffle each pass
            yield from loader

    def _next_batch(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        x, errors, i = next(self._batches)
        bad = [k for k, e in enumerate(errors) if e]
        if bad:
            found = [(self.files.files[int(i[k])], errors[k]) for k in bad if int(i[k]) not in self._bad]
            self._bad.update(int(i[k]) for k in bad)
            if found:
                report_bad(found, self.root, self.skip_bad)  # raises unless skipping
            keep = torch.tensor([not e for e in errors])
            x, i = x[keep], i[keep]
        y = self.labels[i] if self.labels is not None else None
        return x, y

    def sample(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self._batches is None:
            self._batches = self._loader(n, generator)
        have = sum(len(x) for x, _ in self._buffer)
        while have < n:
            if len(self._bad) >= len(self.files):
                raise WganError(f"no readable images in {self.root}")
            self._buffer.append(self._next_batch())
            have += len(self._buffer[-1][0])
        if len(self._buffer) == 1 and have == n:  # the usual case: one full, pinned batch
            x, y = self._buffer.pop()
        else:
            x = torch.cat([b[0] for b in self._buffer])
            y = torch.cat([b[1] for b in self._buffer]) if self.labels is not None else None
            self._buffer = [(x[n:], y[n:] if y is not None else None)] if have > n else []
            x, y = x[:n], (y[:n] if y is not None else None)
        non_blocking = x.is_pinned()
        x = _normalise(x.to(self.device, non_blocking=non_blocking).permute(0, 3, 1, 2).contiguous())
        y = y.to(self.device, non_blocking=non_blocking) if y is not None else None
        return x, y

    def reference(self, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Files in the order of a seeded permutation (decoded on the workers); unreadable ones are passed over."""
        order = _reference_indices(max(n, len(self.files)), len(self.files), seed)
        loader = torch.utils.data.DataLoader(torch.utils.data.Subset(self.files, order.tolist()), batch_size=256,
                                             num_workers=self.num_workers)
        xs, index = [], []
        for x, errors, i in loader:
            keep = torch.tensor([not e for e in errors])
            xs.append(x[keep])
            index.append(i[keep])
            if sum(len(b) for b in xs) >= n:
                break
        x, i = torch.cat(xs)[:n], torch.cat(index)[:n]
        if len(x) < n:
            raise WganError(f"only {len(x)} readable images in {self.root}, {n} requested")
        y = self.labels[i] if self.labels is not None else None
        return x.permute(0, 3, 1, 2).float(), y

    def to_data(self, x: torch.Tensor) -> torch.Tensor:
        return _to_data(x)


def load_image_dataset(cfg, memory_limit: int = MEMORY_LIMIT, num_workers: int | None = None):
    """The dataset ``cfg`` (a :class:`~wgan.config.DataConfig`) names: in memory, or streamed when
    an image folder's pixels (N x H x W x C bytes after resizing) would exceed ``memory_limit``."""
    name = str(cfg.name)
    if name.lower() in BUILTIN:
        return InMemoryImageDataset(load_images(cfg), name=name.lower())
    path = Path(name).expanduser()
    if cfg.split not in SPLITS or path_kind(path) != "folder":  # load_images reports a bad split
        return InMemoryImageDataset(load_images(cfg), name=name)
    check_unsplit(cfg.split, path)
    index, plan = open_folder(path, cfg.image_size, cfg.channels, cfg.classes)
    pixels = len(index.files) * plan.size[0] * plan.size[1] * plan.channels
    if pixels <= memory_limit:
        return InMemoryImageDataset(finish(decode_folder(index, plan, cfg.skip_bad, num_workers), cfg), name=name)
    index = drop_unreadable(index, plan, cfg.skip_bad)
    return StreamingImageDataset(index, plan, name=name, skip_bad=cfg.skip_bad, num_workers=num_workers)
