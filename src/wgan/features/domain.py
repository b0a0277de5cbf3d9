"""Domain features: the penultimate layer of a classifier trained on the data set itself.

Inception-v3 features are the standard for FID but need weights that cannot
be downloaded here, and they judge 28x28 digits through a network trained
on 299x299 photographs. A small CNN trained on the data's own labels gives
features that separate exactly what matters for that data (stroke shapes,
garment types), so FID, KID and precision/recall computed on them are sound
and comparable between runs on the same data set -- though not with numbers
published on Inception.

Rules that keep the numbers honest:

- The classifier trains on the train split only; the test split (the
  default evaluation reference) is used once, to measure its accuracy.
  Sources without a split (``.npz``, image folders) hold out the last 20% of
  each class the same way :func:`~wgan.data.sources.arrays.holdout_split`
  does for the built-in sets, and ``split_scheme`` says so.
- It trains on *all* classes of the data set even when the run keeps a
  subset (``--classes 7``): a one-class classifier learns nothing, and a
  shared classifier makes runs on different subsets comparable. ``predict``
  still answers in the run's numbering (0..K-1 over the kept classes).
- Unlabelled data (an image folder) gets a classifier of the four rotations
  of its own images instead (0, 90, 180 and 270 degrees; the self-supervised
  task of Gidaris et al. 2018): no labels and no downloads, and its features
  still separate what the images look like. It knows no classes of the data,
  so it gives no class metrics and no Inception-style score; its FID is
  comparable only between runs on the same folder. ``split_scheme`` is then
  "rotation", and the last 20% of the images (with their rotations) are held out.
- The cache entry is named by a fingerprint of the exact pixels and labels
  (after resizing/channel conversion) plus the architecture and recipe
  version, so changed data, a different ``--image-size`` or a new recipe
  retrains automatically, and identical data reuses the entry wherever it
  lives.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ..errors import WganError
from ._images import as_nchw, resolve_device
from .cache import cache_dir, load_entry, save_entry
from .classifier import ARCH_VERSION, FEATURE_DIM, DomainClassifier, accuracy, run_batched, train_classifier

REQUIRED_META = {"in_channels", "n_classes", "class_names", "image_shape", "test_accuracy"}
INCEPTION_HINT = ("use --features inception with Inception-v3 weights "
                  "(set WGAN_INCEPTION_WEIGHTS to weights-inception-2015-12-05-6726825d.pth)")


@dataclass
class DomainFeatures:
    """A trained domain classifier, ready to embed and classify images of its data set."""

    model: DomainClassifier
    device: torch.device
    fingerprint: str
    test_accuracy: float
    image_shape: tuple[int, int, int]  # (C, H, W) the classifier takes
    class_names: list[str]  # the run's classes, in the run's numbering
    kept: list[int] | None = None  # classifier class of each run class, when the run keeps a subset
    info: dict = field(default_factory=dict)  # the cached metadata (data description, split scheme, ...)
    batch_size: int = 500

    name = "domain"
    summary = "a classifier trained on the data's own train split (cached; no download)"
    feature_dim = FEATURE_DIM

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def __post_init__(self) -> None:
        if self.split_scheme == "rotation":  # a classifier of rotations knows no class of the data's
            self.predict = None

    @property
    def gives_logits(self) -> bool:
        """Whether the space classifies images into the data's classes (a classifier of rotations does not)."""
        return self.predict is not None

    @property
    def split_scheme(self) -> str:
        """"source" (the data's own train/test split), "holdout" (last 20% of each class held out) or
        "rotation" (unlabelled data: a classifier of rotations, the last 20% of the images held out)."""
        return self.info.get("split_scheme", "source")

    @classmethod
    def for_data(cls, cfg, device=None, cache_dir: str | Path | None = None,
                 log: Callable[[str], None] | None = None) -> "DomainFeatures":
        """The classifier for the data ``cfg`` (a DataConfig) describes: from the cache, else trained now.

        ``log`` receives a line before a (re)training starts, so a command can
        explain a pause of seconds to minutes.
        """
        device = resolve_device(device)
        train, test, scheme = _splits(cfg)
        fp = fingerprint(train, test, scheme)
        folder, stem = _cache_location(cache_dir), f"domain-{fp[:16]}"
        cached = _from_entry(load_entry(folder, stem), fp)
        if cached is not None:
            model, meta = cached
        else:
            model, meta = _train(train, test, scheme, fp, device, log)
            save_entry(folder, stem, model.state_dict(), meta)
        kept = _kept_classes(cfg, meta["class_names"])
        names = meta["class_names"] if kept is None else [meta["class_names"][k] for k in kept]
        if meta.get("split_scheme") == "rotation":
            names = []  # the run has no classes; the classifier's are rotations
        acc = float("nan") if meta["test_accuracy"] is None else float(meta["test_accuracy"])
        return cls(model.to(device).eval(), device, fp, acc, tuple(meta["image_shape"]), names, kept, meta)

    def _input(self, images) -> torch.Tensor:
        c, h, w = self.image_shape
        return as_nchw(images, channels=c, size=(h, w))

    def features(self, images) -> np.ndarray:
        """(N, 128) float32 penultimate-layer features of float [-1, 1] NCHW (or uint8 NHWC) images."""
        x = self._input(images)
        if not len(x):
            return np.empty((0, FEATURE_DIM), np.float32)
        return run_batched(self.model.embed, x, self.device, self.batch_size).numpy()

    def logits(self, images) -> np.ndarray:
        """(N, classes) float32 logits over the run's classes (the kept ones for a subset)."""
        x = self._input(images)
        if not len(x):
            return np.empty((0, self.n_classes), np.float32)
        logits = run_batched(self.model, x, self.device, self.batch_size)
        return (logits if self.kept is None else logits[:, self.kept]).numpy()

    def predict(self, images) -> np.ndarray:
        """int64 class of each image in the run's numbering (restricted to the kept classes for a subset)."""
        return self.logits(images).argmax(axis=1).astype(np.int64)

    def embed(self, images, features: bool = True, logits: bool = False):
        """(features or None, logits or None) of the images; no logits from a classifier of rotations."""
        logits = logits and self.predict is not None
        return (self.features(images) if features else None), (self.logits(images) if logits else None)


def _cache_location(override) -> Path:
    return cache_dir(override) / "features"


def _from_entry(entry, fp: str) -> tuple[DomainClassifier, dict] | None:
    """The cached classifier when ``entry`` is complete and made for exactly this data; None means train anew."""
    if entry is None:
        return None
    tensors, meta = entry
    if meta.get("fingerprint") != fp or meta.get("arch") != ARCH_VERSION or not REQUIRED_META <= meta.keys():
        return None
    try:
        model = DomainClassifier(int(meta["in_channels"]), int(meta["n_classes"]))
        model.load_state_dict(tensors)  # strict: a missing or misshapen tensor is a damaged entry
    except (TypeError, ValueError, RuntimeError):
        return None
    return model, meta


def _splits(cfg):
    """(train, test, scheme): the data set's labelled images with all classes, as the run sees them."""
    from ..data.sources import SOURCES, builtin_names, load_images, path_kind
    from ..data.sources.arrays import holdout_split, holdout_tail

    base = replace(cfg, classes=None)
    name = str(cfg.name)
    has_split = name.lower() in builtin_names() or SOURCES.get(path_kind(Path(name))).has_split
    if has_split:
        train = load_images(replace(base, split="train"))
        _require_labels(train)
        test = _align_labels(load_images(replace(base, split="test")), train.class_names)
        return train, test, "source"
    every = load_images(replace(base, split="all"))
    if every.labels is None:
        return (_rotations(every.subset(holdout_tail(len(every), "train"))),
                _rotations(every.subset(holdout_tail(len(every), "test"))), "rotation")
    _require_labels(every)
    # Same rule as the built-in sets without a split: the last 20% of each class, in file order.
    return every.subset(holdout_split(every.labels, "train")), every.subset(holdout_split(every.labels, "test")), \
        "holdout"


ROTATIONS = ("0", "90", "180", "270")  # degrees counter-clockwise: the rotation task's classes


def _rotations(arrays):
    """Every image of ``arrays`` in its four rotations, labelled by rotation (the self-supervised task)."""
    from ..data.sources.arrays import ImageArrays

    images = arrays.images
    if images.shape[1] != images.shape[2]:
        raise WganError(f"rotation features need square images, got {images.shape[1]}x{images.shape[2]}; "
                        "pass --image-size")
    turned = np.concatenate([np.rot90(images, k, axes=(1, 2)) for k in range(4)])
    labels = np.repeat(np.arange(4, dtype=np.int64), len(images))
    return ImageArrays(np.ascontiguousarray(turned), labels, list(ROTATIONS), arrays.source)


def _require_labels(arrays) -> None:
    if arrays.labels is None:
        raise WganError(f"domain features need a labelled data set, but {arrays.source} has no labels; "
                        f"{INCEPTION_HINT}")
    if len(np.unique(arrays.labels)) < 2:
        raise WganError(f"domain features need at least two classes to train a classifier, but "
                        f"{arrays.source} has one; {INCEPTION_HINT}")


def _align_labels(test, train_names: list[str]):
    """``test`` relabelled into the train split's numbering (by class name); classes train lacks are dropped.

    Each split is numbered 0..K-1 over the classes it holds, so a class
    missing from one split would otherwise shift every later label.
    """
    if test.class_names == train_names:
        return test
    index = {n: i for i, n in enumerate(train_names)}
    mapped = np.array([index.get(test.class_names[y], -1) for y in test.labels], dtype=np.int64)
    keep = mapped >= 0
    test = test.subset(keep)
    test.labels = mapped[keep]
    return test


def _kept_classes(cfg, all_names: list[str]) -> list[int] | None:
    """For a run on a class subset: the classifier's index of each of the run's classes, in the run's order."""
    if not cfg.classes:
        return None
    from ..data.sources import load_images

    # The run's own loading gives the names of its classes 0..K-1; look those up in the full set.
    run_names = load_images(replace(cfg, split="train")).class_names
    index = {n: i for i, n in enumerate(all_names)}
    return [index[n] for n in run_names]


def fingerprint(train, test, scheme: str) -> str:
    """sha256 over the pixels and labels of both splits, the class names, the split scheme and ARCH_VERSION.

    The test split is included because the cached entry records the accuracy
    measured on it.
    """
    h = hashlib.sha256()
    h.update(json.dumps({"arch": ARCH_VERSION, "scheme": scheme, "classes": train.class_names}).encode())
    for part in (train, test):
        images = np.ascontiguousarray(part.images)
        h.update(repr(images.shape).encode())
        h.update(images)  # the buffer itself: no copy of a 50 MB training set
        h.update(np.ascontiguousarray(part.labels, dtype=np.int64).tobytes())
    return h.hexdigest()


def _to_tensors(arrays) -> tuple[torch.Tensor, torch.Tensor]:
    images = torch.from_numpy(np.ascontiguousarray(arrays.images.transpose(0, 3, 1, 2)))
    return images, torch.from_numpy(np.asarray(arrays.labels, dtype=np.int64))


def _train(train, test, scheme: str, fp: str, device: torch.device, log) -> tuple[DomainClassifier, dict]:
    n_classes = len(train.class_names)
    if log is not None:
        task = (f"{len(train) // 4} unlabelled images in 4 rotations, the classes of a self-supervised task"
                if scheme == "rotation" else f"{len(train)} images, {n_classes} classes")
        log(f"training the domain classifier for {train.source} ({task}, {device}); it is cached for later runs")
    x, y = _to_tensors(train)
    start = time.perf_counter()
    model = train_classifier(x, y, n_classes, device)
    seconds = time.perf_counter() - start
    xt, yt = _to_tensors(test)
    acc = accuracy(model, xt, yt, device) if len(xt) else None  # a tiny holdout can be empty
    meta = {
        "arch": ARCH_VERSION,
        "fingerprint": fp,
        "test_accuracy": acc,
        "class_names": list(train.class_names),
        "n_classes": n_classes,
        "in_channels": int(x.shape[1]),
        "image_shape": list(x.shape[1:]),
        "split_scheme": scheme,
        "data": {"source": train.source, "n_train": len(train), "n_test": len(test)},
        "train_seconds": round(seconds, 2),
        "device": str(device),
    }
    return model, meta
