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
import zlib
from pathlib import Path

import numpy as np

from ...errors import WganError
from ...memory import check_memory
from .arrays import ImageArrays
from .kinds import SOURCES, Source

_CIFAR10 = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"], "meta": "batches.meta"}
_CIFAR100 = {"train": ["train"], "test": ["test"], "meta": "meta"}
_SUBFOLDERS = ("cifar-10-batches-py", "cifar-100-python")
# No file of either set is larger than CIFAR-100's train batch (50,000 images of 3,073 bytes and their
# pickle: 155 MB); a member or file said to be larger is not CIFAR, and is refused before it is read.
_MAX_FILE = 200 * 2**20
_MAX_MEMBERS = 1000  # the archives hold under ten; a re-packed copy may add a few


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
        self.sizes: dict[str, int] = {}  # short name -> bytes, as the folder or the archive's headers say
        self.tar = None
        if path.is_file():
            try:
                self.tar = tarfile.open(path)
            except (tarfile.TarError, OSError) as e:
                raise WganError(f"cannot open CIFAR archive {path}: {e}") from None
            # Members one by one (not getmembers()): the list of a crafted archive could be endless.
            for i, m in enumerate(_members(self.tar, path)):
                if i >= _MAX_MEMBERS:
                    raise WganError(f"{path} holds more than {_MAX_MEMBERS} files: not a CIFAR archive")
                if m.isfile():
                    self.names.setdefault(Path(m.name).name, m.name)
                    self.sizes.setdefault(Path(m.name).name, m.size)
        else:
            folder = next((path / s for s in _SUBFOLDERS if (path / s).is_dir()), path)
            self.names = {p.name: str(p) for p in folder.iterdir() if p.is_file()}
            self.sizes = {name: Path(where).stat().st_size for name, where in self.names.items()}

    def check_sizes(self, names: list[str]) -> None:
        """Refuse, before reading, files larger than any CIFAR file or together larger than memory."""
        for name in names:
            if self.sizes[name] > _MAX_FILE:
                raise WganError(f"CIFAR file {self.names[name]} is {self.sizes[name] / 2**20:.0f} MiB, larger than "
                                f"any CIFAR batch ({_MAX_FILE // 2**20} MiB at most): not a CIFAR file")
        # Each file's bytes, then its images: twice its size at most.
        check_memory(2 * sum(self.sizes[n] for n in names), f"the CIFAR files of {self.path}", "free some memory")

    def read(self, name: str) -> bytes:
        where = self.names[name]
        try:
            if self.tar is not None:
                return self.tar.extractfile(where).read(self.sizes[name])
            with open(where, "rb") as f:
                return f.read(self.sizes[name])
        except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
            raise WganError(f"cannot read CIFAR file {where}: {e}") from None


def _members(tar: tarfile.TarFile, path: Path):
    try:
        yield from tar
    except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
        raise WganError(f"cannot read CIFAR archive {path}: {e}") from None


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
    files.check_sizes([name for part in parts for name in layout[part]] +
                      [layout["meta"]] * (layout["meta"] in files.names))
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


SOURCES.register("cifar", Source("a CIFAR-10/100 python batches folder (or its .tar.gz)",
                                 lambda path, cfg: load_cifar(path, cfg.split), recognises=is_cifar,
                                 peek=lambda path, image_size: (3, image_size or 32)))
