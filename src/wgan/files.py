"""Writing files so that a crash, a kill or a full disk never leaves a damaged one.

Every file the toolkit rewrites (config.yaml, checkpoints, eval results,
best.json, plots, grids, cache entries) goes through :func:`atomic_write`: the
content goes to a temporary file in the same folder, is flushed to disk, and
is renamed over the target, so the target is either the old file or the new
one, never half of either. A write that fails for want of space removes its
temporary file and becomes one clear :class:`~wgan.errors.WganError`.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from .errors import WganError

_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


CACHE_ENV = "WGAN_CACHE"
DEFAULT_CACHE = Path("~/.cache/wgan")


def cache_dir(override: str | os.PathLike | None = None) -> Path:
    """The toolkit's cache folder (trained domain classifiers, reference features, kept decoded images):
    ``override``, else ``$WGAN_CACHE``, else ``~/.cache/wgan``."""
    chosen = override if override is not None else os.environ.get(CACHE_ENV) or DEFAULT_CACHE
    return Path(chosen).expanduser()


def free_mb(folder: Path) -> float:
    """Megabytes free on the file system of ``folder`` (or of its nearest existing parent)."""
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free / 2**20
    except OSError:
        return float("nan")


def write_error(path: Path, error: OSError, needs_bytes: int | None = None) -> WganError:
    """The one-line message for a failed write of ``path``."""
    path = Path(path)
    if error.errno in _NO_SPACE:
        need = f", {describe_need(path)} needs about {needs_bytes / 2**20:.1f} MB" if needs_bytes else ""
        return WganError(f"no space left on device writing {path}; {free_mb(path.parent):.1f} MB free{need}. "
                         "The previous files are intact: free some space and run again")
    return WganError(f"cannot write {path}: {error.strerror or error}")


def describe_need(path: Path) -> str:
    return "a checkpoint" if path.suffix == ".pt" else "the file"


def atomic_write(path: str | os.PathLike, write: Callable[[str], None], needs_bytes: int | None = None,
                 keep_suffix: bool = False) -> Path:
    """Call ``write(tmp_path)`` to fill a temporary file, then rename it over ``path``.

    On any failure the temporary file is removed and ``path`` is untouched; an
    OSError (a full disk, a read-only folder) becomes a :class:`WganError`.
    ``keep_suffix`` ends the temporary name with ``path``'s suffix too, for writers
    that choose the format by it.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        suffix = TEMP_MARK + (path.suffix if keep_suffix else "")
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    except OSError as e:
        raise write_error(path, e, needs_bytes) from None
    os.close(fd)
    failure = None
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, file_mode())  # mkstemp makes it private; give it the mode the umask gives new files
        os.replace(tmp, path)  # replaces a link at ``path`` itself, never what it points to
        fsync_folder(path.parent)  # the rename survives a power cut too
    except Exception as e:
        failure = os_error_in(e)
        if failure is None:
            raise
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if failure is not None:  # raised once the temporary file is gone, so the free space is right
        raise write_error(path, failure, needs_bytes) from None
    return path


def os_error_in(error: BaseException) -> OSError | None:
    """The OSError behind ``error``: itself, or one it was raised from or while handling
    (torch's writer turns a full disk into a RuntimeError raised while handling the OSError)."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, OSError):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def write_text(path: str | os.PathLike, text: str) -> Path:
    """``path`` replaced by ``text``, atomically."""
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def write_npz(path: str | os.PathLike, arrays: dict, compressed: bool = False) -> Path:
    """``arrays`` as an ``.npz`` at ``path``, atomically (deflated members with ``compressed``)."""
    import numpy as np

    save = np.savez_compressed if compressed else np.savez

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:  # a file object: np.savez would add ".npz" to a temporary name
            save(f, **arrays)

    return atomic_write(path, write)


def file_sha256(path: str | os.PathLike, block: int = 1 << 20) -> str:
    """The SHA-256 of a file's bytes, read a block at a time."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


def path_signature(path: str | os.PathLike) -> str:
    """A digest of what a file or folder holds as its listing shows it: each file's path (relative to
    ``path``), size and modification time, without reading a byte of them. Any file added, removed,
    replaced or rewritten changes it."""
    root = Path(path).expanduser()
    h = hashlib.sha256()
    if root.is_file():
        st = root.stat()
        h.update(f"{root.resolve()}:{st.st_size}:{st.st_mtime_ns}".encode())
        return h.hexdigest()
    h.update(f"{root.resolve()}/".encode())
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            file = Path(folder) / name
            try:
                st = file.stat()
            except OSError:  # vanished while listed: its absence is the signature
                continue
            h.update(f"{file.relative_to(root)}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()


def write_safetensors(path: str | os.PathLike, tensors: dict, metadata: dict[str, str] | None = None) -> Path:
    """``tensors`` as a safetensors file at ``path``, atomically. The bytes are made in memory and
    written by :func:`atomic_write` (safetensors' own ``save_file`` makes a temporary file of its
    own, which a kill would leave behind under a name of its choosing)."""
    from safetensors.torch import save

    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    needs = sum(t.numel() * t.element_size() for t in tensors.values())
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(save(tensors, metadata=metadata)), needs_bytes=needs)


def append_line(path: str | os.PathLike, line: str) -> None:
    """Append one line (metrics.jsonl). A failed append may leave a partial last line, which readers skip.

    A link at ``path`` is refused (O_NOFOLLOW): a run folder from someone else could otherwise make
    the log grow a file outside it, or create one where a dangling link points.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | NOFOLLOW, 0o666)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise linked_error(Path(path)) from None
        raise write_error(Path(path), e) from None
    try:
        with os.fdopen(fd, "a") as f:
            f.write(line + "\n")
    except OSError as e:
        raise write_error(Path(path), e) from None


NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def linked_error(path: Path) -> WganError:
    return WganError(f"{path} is a link (to {os.path.realpath(path)}): a run folder's files and folders must be "
                     "its own, so nothing is written through it; replace the link with a plain file or folder")


def file_mode() -> int:
    """The mode a new file gets under the current umask (0644 under the usual 022, 0600 under 077)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename into it) to disk, where the platform can open a folder."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# What every temporary name of :func:`atomic_write` holds: ``.<name>.<random>.wgan-tmp[.<suffix>]``.
TEMP_MARK = ".wgan-tmp"
# Temporary names a killed write can leave in a run folder: this toolkit's (and those of its
# versions before TEMP_MARK, ``.<name>.<random>.tmp``), and safetensors' own ``.tmpXXXXXX``, which
# its save_file made before the toolkit wrote safetensors' bytes itself (write_safetensors).
STRAY_PATTERNS = (f".*{TEMP_MARK}*", ".*.tmp*", ".tmp??????")


def stray_temporaries(folder: Path) -> list[Path]:
    """Temporary files that a write leaves only when its process was killed mid-write."""
    found = {p for pattern in STRAY_PATTERNS for p in Path(folder).rglob(pattern)}
    return sorted(p for p in found if p.is_file() and not p.is_symlink())


def remove_stray_temporaries(folder: Path) -> list[Path]:
    """Delete what :func:`stray_temporaries` finds (call it holding the folder's lock); returns them."""
    found = stray_temporaries(folder)
    for path in found:
        path.unlink(missing_ok=True)
    return found
