"""Writers for the small data files the loader tests build in tmp_path."""

from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx(path: Path, array: np.ndarray, gz: bool = False) -> Path:
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def write_idx_set(folder: Path, n_train=12, n_test=6, gz=False, prefix="", size=28, seed=0,
                  names=("train", "t10k")) -> dict[str, np.ndarray]:
    """A complete MNIST-style set; returns the arrays written."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    ext = ".gz" if gz else ""
    for split, name, n in (("train", names[0], n_train), ("test", names[1], n_test)):
        x = rng.integers(0, 256, (n, size, size), dtype=np.uint8)
        y = (np.arange(n) % 10).astype(np.uint8)
        write_idx(folder / f"{prefix}{name}-images-idx3-ubyte{ext}", x, gz)
        write_idx(folder / f"{prefix}{name}-labels-idx1-ubyte{ext}", y, gz)
        out[f"x_{split}"], out[f"y_{split}"] = x, y
    return out


def write_cifar10(folder: Path, per_batch=4, n_test=3, protocol=2) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True, exist_ok=True)
    xs, ys = [], []
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        n = n_test if name == "test_batch" else per_batch
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, n)]
        with open(folder / name, "wb") as f:
            pickle.dump({b"batch_label": b"x", b"data": data, b"labels": labels}, f, protocol=protocol)
        xs.append(data)
        ys.append(labels)
    meta = {b"label_names": [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog", b"frog",
                             b"horse", b"ship", b"truck"], b"num_vis": 3072}
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump(meta, f, protocol=protocol)
    return {"x_train": np.concatenate(xs[:5]), "y_train": np.concatenate(ys[:5]),
            "x_test": xs[5], "y_test": np.asarray(ys[5])}


def write_image(path: Path, mode: str, size=(8, 8), value=None, fmt=None) -> Path:
    """An image of ``mode`` (L, RGB, RGBA, ...) and size (width, height): a horizontal grey ramp
    (opaque), or every pixel ``value`` (a tuple with one entry per band of ``mode``)."""
    w, h = size
    if value is None:
        ramp = np.tile(np.linspace(0, 255, w).round().astype(np.uint8), (h, 1))
        img = Image.fromarray(ramp).convert(mode)
    else:
        img = Image.new(mode, (w, h), value)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format=fmt)
    return path


@pytest.fixture
def make():
    """The writers above, as a fixture: test modules need no import path to reach them."""
    return SimpleNamespace(idx=write_idx, idx_bytes=idx_bytes, idx_set=write_idx_set, cifar10=write_cifar10,
                           image=write_image)
