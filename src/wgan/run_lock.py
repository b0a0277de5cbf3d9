"""The lock a trainer holds on a run folder, and the checks made while holding it (no links, no
temporary files of a killed write). Where a run keeps what, and how run folders are named, is
:mod:`wgan.run_folder`'s."""

from __future__ import annotations

import errno
import json
import os
import socket
import time
import warnings
from pathlib import Path

from .errors import WganError
from .files import NOFOLLOW, linked_error, remove_stray_temporaries
from .run_folder import RunFolder


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but someone else's
        return True
    return True


class RunLock:
    """An advisory lock on a run folder, held while a process trains in it.

    ``fcntl.flock`` on ``RUN/.lock``: the operating system releases it when the
    holder exits, even after ``kill -9``, so a lock is never left stuck. The file
    says who holds it (process, host, since when); a second trainer is refused
    with that, and one that finds the record of a holder that died takes over
    with a warning. Re-entrant within a process. A no-op where ``fcntl`` is
    missing (Windows).
    """

    _held: dict[Path, "RunLock"] = {}

    def __init__(self, run_dir: Path):
        self.path = RunFolder(Path(run_dir).resolve()).lock
        self._fd: int | None = None
        self._depth = 0

    def __enter__(self) -> "RunLock":
        held = RunLock._held.get(self.path)
        if held is not None:
            held._depth += 1
            return held
        self._acquire()
        RunLock._held[self.path] = self
        self._depth = 1
        return self

    def __exit__(self, *exc) -> None:
        held = RunLock._held.get(self.path, self)
        held._depth -= 1
        if held._depth <= 0:
            held._release()
            RunLock._held.pop(self.path, None)

    def _acquire(self) -> None:
        try:
            import fcntl
        except ImportError:
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | NOFOLLOW, 0o666)
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise linked_error(self.path) from None
            raise WganError(f"cannot lock the run folder {self.path.parent} ({e.strerror or e})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_holder(fd)
            os.close(fd)
            who = (f"process {holder.get('pid')} on {holder.get('host')} has been training in it since "
                   f"{holder.get('since')}") if holder else "another process is training in it"
            raise WganError(f"{self.path.parent} is in use: {who}; wait for it to finish or stop it "
                            "(a run folder takes one trainer at a time)") from None
        previous = _read_holder(fd)
        if previous and previous.get("pid") != os.getpid():
            same_host = previous.get("host") == socket.gethostname()
            if not same_host or not _process_alive(int(previous.get("pid", 0))):
                warnings.warn(f"took over the lock of {self.path.parent} from process {previous.get('pid')} on "
                              f"{previous.get('host')} (since {previous.get('since')}), which is no longer "
                              "running", stacklevel=3)
        record = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%d %H:%M:%S")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(record) + "\n").encode(), 0)
        self._fd = fd
        try:
            refuse_links(self.path.parent)
        except WganError:
            self._release()
            raise
        # Holding the lock, no other process is mid-write here: a temporary file is a killed write's.
        remove_stray_temporaries(self.path.parent)

    def _release(self) -> None:
        if self._fd is None:
            return
        import fcntl

        try:
            os.ftruncate(self._fd, 0)  # released cleanly: no record for the next holder to warn about
        except OSError:
            pass
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


def refuse_links(run_dir: Path) -> None:
    """A one-line error when a folder or file the trainer writes in ``run_dir`` is a link: writes
    through it would land outside the run (a shared run folder can carry such links)."""
    for path in RunFolder(run_dir).written_by_training():
        if path.is_symlink():
            raise linked_error(path)


def _read_holder(fd: int) -> dict:
    try:
        text = os.pread(fd, 4096, 0).decode(errors="replace").strip()
        record = json.loads(text) if text else {}
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}
