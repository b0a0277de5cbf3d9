"""Image datasets for training: in memory on the device, or streamed from a folder.

In memory (everything that fits, see ``load_image_dataset``): the pixels stay
uint8 NCHW on the training device -- a quarter of float32's size -- and each
batch is gathered with random indices drawn on the device from the training
step's random numbers (:class:`~wgan.rng.SharedRandom`), then scaled to
[-1, 1] as float32. No Python work per sample and no host synchronisation,
so the GPU is never kept waiting.

Streamed (image folders too large for memory): a torch DataLoader with
worker processes decodes files ahead of time into pinned host memory, and
batches are copied to the device asynchronously. The order of the files is a
seeded shuffle per pass; each global batch is the next slice of it and each
process of a data-parallel run decodes only its own part (:class:`ShardedBatches`).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from ..errors import WganError
from ..rng import seeded, stream_seed
from .sources import ImageArrays, builtin_names, check_unsplit, finish, load_images, path_kind
from .sources.arrays import SPLITS, renumber
from .sources.entries import FolderIndex
from .sources.folder import (
    FolderImages,
    FolderPlan,
    decode_and_keep,
    default_workers,
    drop_unreadable,
    find_kept,
    list_images,
    plan_folder,
    preparation,
    report_bad,
)
from .space import DataSpace

MEMORY_LIMIT = 4 * 2**30  # bytes of uint8 pixels above which a folder is streamed instead of loaded


def _normalise(x: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float32 [-1, 1]."""
    return x.float().div_(127.5).sub_(1.0)


class _ImageSpace:
    """What both image datasets share: their :class:`DataSpace` and the mapping back to pixels."""

    @property
    def space(self) -> DataSpace:
        return DataSpace("image", tuple(self.shape), self.name, class_names=tuple(self.class_names or ()))

    @property
    def size(self) -> int:
        return len(self)

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass

    def to_data(self, x: torch.Tensor) -> torch.Tensor:
        return self.space.to_data(x)


def mean_colour(data, n: int = 1000) -> torch.Tensor:
    """The mean of each channel over ``n`` of an image data set's images, in the networks' [-1, 1]."""
    if data.kind != "image":
        raise WganError(f"a mean colour needs images; {data.name} is 2-D points")
    x, _ = data.reference(min(n, data.size), seed=0)
    return _normalise(x.mean(dim=(0, 2, 3)))


def _reference_indices(n: int, size: int, seed: int) -> torch.Tensor:
    """Reproducible indices: without replacement when the data set is large enough."""
    g = torch.Generator().manual_seed(seed)
    if n <= size:
        return torch.randperm(size, generator=g)[:n]
    return torch.randint(size, (n,), generator=g)


def _labels_and_names(labels: np.ndarray | None, names: list[str] | None):
    labels, names = renumber(labels, names)
    return (torch.from_numpy(labels) if labels is not None else None), names


class InMemoryImageDataset(_ImageSpace):
    """A labelled or unlabelled image set held as uint8 NCHW on one device."""

    kind = "image"
    streaming = False

    def __init__(self, arrays: ImageArrays, name: str | None = None):
        self.name = name or arrays.source
        # NCHW over the NHWC pixels without copying them (channels-last strides): pixels read back
        # from a kept file stay a mapping of it, and each batch is gathered into the usual layout.
        self.images = torch.from_numpy(arrays.images).permute(0, 3, 1, 2)
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

    def sample(self, n: int, random) -> tuple[torch.Tensor, torch.Tensor | None]:
        # ``random`` (a SharedRandom) draws on the data set's device, as the training step's does.
        idx = random.integers(0, len(self.images), n)
        x = _normalise(self.images.index_select(0, idx))
        y = self.labels.index_select(0, idx) if self.labels is not None else None
        return x, y

    def reference(self, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        idx = _reference_indices(n, len(self.images), seed).to(self.images.device)
        x = self.images.index_select(0, idx).cpu().float()
        y = self.labels.index_select(0, idx).cpu() if self.labels is not None else None
        return x, y


class ShardedBatches(torch.utils.data.Sampler):
    """Endless batches of file indices for one process of ``world_size``, from batch ``start`` on.

    Global batch ``k`` is the ``k``-th run of ``local * world_size`` indices through a
    shuffle of all files, seeded per pass from the run's seed; process ``rank`` takes
    its slice. So the order does not depend on the number of processes, and a resumed
    run continues where it stopped. A set smaller than one global batch is drawn with
    replacement instead.
    """

    def __init__(self, n_files: int, local: int, seed: int, rank: int = 0, world_size: int = 1, start: int = 0):
        self.n_files, self.local, self.seed = n_files, local, seed
        self.rank, self.world_size, self.start = rank, world_size, start
        self._pass: tuple[int, torch.Tensor] | None = None

    def global_batch(self, k: int) -> torch.Tensor:
        size = self.local * self.world_size
        if self.n_files < size:
            return torch.randint(self.n_files, (size,), generator=seeded(stream_seed(self.seed, "batch", k)))
        per_pass = self.n_files // size
        number, position = divmod(k, per_pass)
        if self._pass is None or self._pass[0] != number:
            self._pass = (number, torch.randperm(self.n_files, generator=seeded(stream_seed(self.seed, "pass", number))))
        return self._pass[1][position * size:(position + 1) * size]

    def __iter__(self):
        k = self.start
        while True:
            yield self.global_batch(k)[self.rank * self.local:(self.rank + 1) * self.local].tolist()
            k += 1


class StreamingImageDataset(_ImageSpace):
    """An image folder decoded on the fly by DataLoader workers (same protocol as in memory).

    ``position`` counts the batches taken so far; it is part of the training state,
    so a resumed run draws the batches it would have drawn without the stop.
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
        self.position = 0
        self._batches = None  # endless iterator over DataLoader batches, made at the first sample
        self._buffer: list[tuple[torch.Tensor, torch.Tensor | None]] = []
        self._bad: set[int] = set()

    def __len__(self) -> int:
        return len(self.files)

    def to(self, device) -> "StreamingImageDataset":
        self.device = torch.device(device)
        self._batches, self._buffer = None, []  # pinned memory only pays off for a CUDA target
        return self

    def state_dict(self) -> dict:
        return {"position": self.position}

    def load_state_dict(self, state: dict) -> None:
        self.position = int(state.get("position", 0))
        self._batches, self._buffer = None, []

    def _loader(self, n: int, random):
        sampler = ShardedBatches(len(self.files), n, random.seed, random.rank, random.world_size, self.position)
        workers = self.num_workers
        loader = torch.utils.data.DataLoader(
            self.files, batch_sampler=sampler, num_workers=workers, pin_memory=self.device.type == "cuda",
            prefetch_factor=4 if workers > 0 else None)
        return iter(loader)

    def _next_batch(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        x, errors, i = next(self._batches)
        self.position += 1
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

    def sample(self, n: int, random) -> tuple[torch.Tensor, torch.Tensor | None]:
        """This process's ``n`` images of the next global batch (``random``: the step's SharedRandom)."""
        if self._batches is None:
            self._batches = self._loader(n, random)
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


def load_image_dataset(cfg, memory_limit: int = MEMORY_LIMIT, num_workers: int | None = None):
    """The dataset ``cfg`` (a :class:`~wgan.config.DataConfig`) names: in memory, or streamed when
    an image folder's pixels (N x H x W x C bytes after resizing) would exceed ``memory_limit``
    (``data.stream=auto``), always (``on``) or never (``off``)."""
    name = str(cfg.name)
    stream = getattr(cfg, "stream", "auto")
    path = Path(name).expanduser()
    builtin = name.lower() in builtin_names()
    folder = not builtin and cfg.split in SPLITS and path_kind(path) in ("folder", "zip")
    if stream == "on" and not folder:
        raise WganError(f"data.stream=on streams image folders from disk; {name} is loaded into memory "
                        "(use data.stream=auto)")
    if builtin:
        return InMemoryImageDataset(load_images(cfg), name=name.lower())
    if not folder:  # load_images reports a bad split
        return InMemoryImageDataset(load_images(cfg), name=name)
    check_unsplit(cfg.split, path)
    index = list_images(path, cfg.classes)
    if stream != "on":  # decoded before with the same files and settings: read back, no decoding
        description = preparation(index, cfg.image_size, cfg.channels, cfg.classes)
        kept = find_kept(index, cfg, description, math.inf if stream == "off" else memory_limit)
        if kept is not None:
            return InMemoryImageDataset(finish(kept, cfg), name=name)
    plan = plan_folder(index, cfg.image_size, cfg.channels)
    pixels = len(index.files) * plan.size[0] * plan.size[1] * plan.channels
    if stream == "off" or (stream == "auto" and pixels <= memory_limit):
        return InMemoryImageDataset(finish(decode_and_keep(index, plan, cfg, description, num_workers), cfg),
                                    name=name)
    index = drop_unreadable(index, plan, cfg.skip_bad)
    return StreamingImageDataset(index, plan, name=name, skip_bad=cfg.skip_bad, num_workers=num_workers)
