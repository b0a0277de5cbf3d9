"""CIFAR-10 and CIFAR-100 "python version" batches, by path.

CIFAR-10: ``data_batch_1`` .. ``data_batch_5``, ``test_batch``, ``batches.meta``
(``label_names``). CIFAR-100: ``train``, ``test``, ``meta``
(``fine_label_names``); the fine labels are used. Each batch is a pickled dict
with ``data`` (N, 3072) uint8 in channel-major order and the labels. The path
may be the batches folder itself, a folder holding ``cifar-10-batches-py`` or
``cifar-100-python``, or the downloaded ``.tar.gz`` (read without unpacking).

Why not ``torchvision.datasets.CIFAR10(root, download=False)``: it insists on
the fixed folder name under ``root``, re-hashes every file against the
official md5 on each start (refusing a re-packed but valid copy), and calls
plain ``pickle.load`` -- and a pickle can run any code it names. Data sets
are often fetched from mirrors, so we read the batches ourselves through an
unpickler that can only build the numpy arrays these files contain.
"""

from __future__ import annotations

import io
import pickle
import tarfile
from pathlib import Path

import numpy as np

from ...errors import WganError
from .arrays import ImageArrays

_CIFAR10 = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"], "meta": "batches.meta"}
_CIFAR100 = {"train": ["train"], "test": ["test"], "meta": "meta"}
_SUBFOLDERS = ("cifar-10-batches-py", "cifar-100-python")


def _numpy_core():
    # numpy 2 moved numpy.core to numpy._core; the files name the old module.
    return getattr(np, "_core", None) or np.core


class _Refused(pickle.UnpicklingError):
    pass


class _ArraysOnly(pickle.Unpickler):
    """Unpickles plain containers and numpy arrays; any other global is refused.

    The allowed names are exactly what an array's pickle refers to: its
    reconstructor, ndarray, dtype, and ``_codecs.encode`` (how Python 3 writes
    bytes under protocol 2). None of them can run arbitrary code.
    """

    def find_class(self, module: str, name: str):
        core = _numpy_core()
        allowed = {
            ("numpy.core.multiarray", "_reconstruct"): core.multiarray._reconstruct,
            ("numpy._core.multiarray", "_reconstruct"): core.multiarray._reconstruct,
            ("numpy.core.numeric", "_frombuffer"): getattr(core.numeric, "_frombuffer", None),
            ("numpy._core.numeric", "_frombuffer"): getattr(core.numeric, "_frombuffer", None),
            ("numpy", "ndarray"): np.ndarray,
            ("numpy", "dtype"): np.dtype,
            ("_codecs", "encode"): __import__("codecs").encode,
        }
        found = allowed.get((module, name))
        if found is None:
            raise _Refused(f"refusing to load {module}.{name}")
        return found


def _unpickle(data: bytes, name: str) -> dict:
    try:
        # latin1: the batches were pickled by Python 2; this keeps byte strings intact.
        obj = _ArraysOnly(io.BytesIO(data), encoding="latin1").load()
    except _Refused as e:
        raise WganError(f"CIFAR file {name} is not a plain CIFAR batch ({e})") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as e:
        raise WganError(f"CIFAR file {name} is damaged or truncated ({type(e).__name__}: {e})") from None
    if not isinstance(obj, dict):
        raise WganError(f"CIFAR file {name} does not hold a batch dict")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in obj.items()}


class _Files:
    """File name -> bytes, from a folder or from inside a .tar.gz archive."""

    def __init__(self, path: Path):
        self.path = path
        self.names: dict[str, str] = {}  # short name -> location
        self.tar = None
        if path.is_file():
            try:
                self.tar = tarfile.open(path)
            except (tarfile.TarError, OSError) as e:
                raise WganError(f"cannot open CIFAR archive {path}: {e}") from None
            for m in self.tar.getmembers():
                if m.isfile():
                    self.names.setdefault(Path(m.name).name, m.name)
        else:
            folder = next((path / s for s in _SUBFOLDERS if (path / s).is_dir()), path)
            self.names = {p.name: str(p) for p in folder.iterdir() if p.is_file()}

    def read(self, name: str) -> bytes:
        where = self.names[name]
        try:
            if self.tar is not None:
                return self.tar.extractfile(where).read()
            return Path(where).read_bytes()
        except (tarfile.TarError, OSError, EOFError) as e:
            raise WganError(f"cannot read CIFAR file {where}: {e}") from None


def _layout(names) -> dict | None:
    if all(n in names for n in _CIFAR10["train"] + _CIFAR10["test"]):
        return _CIFAR10
    if all(n in names for n in _CIFAR100["train"] + _CIFAR100["test"]):
        return _CIFAR100
    return None


def is_cifar(path: Path) -> bool:
    """Whether ``path`` looks like a CIFAR batches folder (or a folder holding one) or its archive."""
    if path.is_file():
        return path.name.endswith((".tar.gz", ".tgz")) and "cifar" in path.name.lower()
    if any((path / s).is_dir() for s in _SUBFOLDERS):
        return True
    return (path / "data_batch_1").is_file() or ((path / "meta").is_file() and (path / "train").is_file())


def load_cifar(path: Path, split: str = "train") -> ImageArrays:
    """Images (N, 32, 32, 3) and labels of ``split`` (train | test | all) from CIFAR-10/100 batches."""
    files = _Files(Path(path))
    layout = _layout(files.names)
    if layout is None:
        raise WganError(f"{path} is not a complete CIFAR python batches folder: CIFAR-10 needs "
                        f"data_batch_1..5 and test_batch, CIFAR-100 needs train and test")
    parts = ("train", "test") if split == "all" else (split,)
    images, labels = [], []
    for part in parts:
        for name in layout[part]:
            batch = _unpickle(files.read(name), files.names[name])
            data = np.asarray(batch.get("data"))
            y = batch.get("labels", batch.get("fine_labels"))
            if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072 or y is None or len(y) != len(data):
                raise WganError(f"CIFAR file {files.names[name]} has unexpected contents: "
                                f"need 'data' (N, 3072) uint8 and N labels")
            images.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
            labels.append(np.asarray(y, dtype=np.int64))
    return ImageArrays(np.ascontiguousarray(np.concatenate(images)), np.concatenate(labels),
                       _class_names(files, layout), str(path))


def _class_names(files: _Files, layout: dict) -> list[str] | None:
    if layout["meta"] not in files.names:
        return None  # names are a nicety; labels still work
    meta = _unpickle(files.read(layout["meta"]), files.names[layout["meta"]])
    names = meta.get("label_names", meta.get("fine_label_names"))
    return [n.decode() if isinstance(n, bytes) else str(n) for n in names] if names is not None else None
