"""How many threads PyTorch's CPU kernels use (``train.threads``).

PyTorch starts one thread per core it sees. In a container with a CPU quota
(``docker run --cpus 2``, a Kubernetes CPU limit) it sees the host's cores, not
the two it may use, and threads that outnumber the usable CPUs wait on each
other: on this project's 2-CPU machine the dcgan28 benchmark trains at 0.69
generator it/s with 8 threads against 1.26 with 2. ``auto`` therefore lowers
the count to the CPUs the process may use (its affinity mask and its cgroup's
quota) and never raises it; an explicit number is taken as it is, and so is
``OMP_NUM_THREADS`` when it is set.

On a machine that other processes share, ``auto`` also follows the cores they
leave free (:class:`BusyMachine`). PyTorch's OpenMP threads meet at a barrier in
every operation, and a thread that shares its core with another process makes
all of them wait: on this 2-core machine the main job fell from 5.1 to 1.6
generator it/s beside one busy process with 2 threads, and ran at 3.6 with 1
(``benchmarks/bench_threads.py``). Float sums then follow the thread count, so
a run that must repeat bit for bit on a shared machine sets ``train.threads=N``.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import torch

CGROUP = Path("/sys/fs/cgroup")


def cgroup_cpu_quota(root: Path = CGROUP) -> float | None:
    """CPUs' worth of time the cgroup may use (2.5 for a quota of 250 ms per 100 ms), None if unlimited."""
    v2 = root / "cpu.max"  # cgroup v2: "QUOTA PERIOD", or "max PERIOD" without a limit
    v1 = (root / "cpu" / "cpu.cfs_quota_us", root / "cpu" / "cpu.cfs_period_us")  # v1: quota -1 = none
    try:
        if v2.is_file():
            quota, period = v2.read_text().split()[:2]
            return None if quota == "max" else int(quota) / int(period)
        if v1[0].is_file() and v1[1].is_file():
            quota, period = (int(p.read_text()) for p in v1)
            return None if quota <= 0 else quota / period
    except (OSError, ValueError, ZeroDivisionError):
        pass  # unreadable or unexpected: no quota known
    return None


def usable_cpus(root: Path = CGROUP) -> int:
    """The CPUs this process may run on, limited by its cgroup's quota (rounded up)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = cgroup_cpu_quota(root)
    return cpus if quota is None else max(1, min(cpus, math.ceil(quota)))


def set_threads(threads: int, root: Path = CGROUP) -> int:
    """Apply ``train.threads`` (0 = auto, see the module's docstring); returns the count in use."""
    if threads > 0:
        torch.set_num_threads(threads)
    elif "OMP_NUM_THREADS" not in os.environ:
        usable = usable_cpus(root)
        if torch.get_num_threads() > usable:
            torch.set_num_threads(usable)
    return torch.get_num_threads()


def _cpu_ticks(cpus: set[int], stat: Path = Path("/proc/stat")) -> int | None:
    """Busy clock ticks (not idle, not waiting for I/O) of ``cpus`` since boot, from /proc/stat."""
    try:
        lines = stat.read_text().splitlines()
    except OSError:
        return None
    busy = 0
    for line in lines:
        name, *fields = line.split()
        if name.startswith("cpu") and name[3:].isdigit() and int(name[3:]) in cpus:
            values = [int(v) for v in fields[:8]]
            busy += sum(values) - values[3] - values[4]  # idle and iowait are the 4th and 5th
    return busy


class BusyMachine:
    """``train.threads=auto`` on a shared machine: as many threads as the cores other processes leave.

    :meth:`adapt` (called at log steps) measures, over the time since the last check, how much
    of this process's CPUs other processes used (busy time of those CPUs in /proc/stat minus this
    process's own CPU time) and sets PyTorch's threads to the cores left, between 1 and the count
    it started with. It checks at most every ``interval`` seconds.
    """

    MARGIN = 0.3  # a core counts as free when at most this much of it is used by others

    def __init__(self, interval: float = 2.0, stat: Path = Path("/proc/stat"), clock=None, own_seconds=None):
        self.cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set(range(os.cpu_count() or 1))
        self.most = torch.get_num_threads()
        self.interval, self.stat = interval, stat
        self.clock = clock or time.monotonic
        self.own_seconds = own_seconds or (lambda: sum(os.times()[:2]))
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self._last = self._sample()

    def _sample(self):
        ticks = _cpu_ticks(self.cpus, self.stat)
        return None if ticks is None else (self.clock(), ticks / self.tick, self.own_seconds())

    def others(self) -> float | None:
        """Cores' worth of this process's CPUs that other processes used since the last sample."""
        now = self._sample()
        if now is None or self._last is None or now[0] - self._last[0] <= 0:
            return None
        (t0, busy0, own0), (t1, busy1, own1) = self._last, now
        self._last = now
        return max(0.0, ((busy1 - busy0) - (own1 - own0)) / (t1 - t0))

    def adapt(self) -> int:
        """Set and return the thread count for the cores free now (unchanged before ``interval``)."""
        if self._last is None or self.clock() - self._last[0] < self.interval:
            return torch.get_num_threads()
        others = self.others()
        if others is None:
            return torch.get_num_threads()
        free = len(self.cpus) - others
        threads = max(1, min(self.most, math.floor(free + self.MARGIN)))
        if threads != torch.get_num_threads():
            torch.set_num_threads(threads)
        return threads


def busy_machine_governor(threads: int, device: torch.device) -> BusyMachine | None:
    """The :class:`BusyMachine` of a CPU run with ``train.threads=auto``, else None (a fixed count)."""
    if threads > 0 or device.type != "cpu" or "OMP_NUM_THREADS" in os.environ or not Path("/proc/stat").is_file():
        return None
    return BusyMachine()
