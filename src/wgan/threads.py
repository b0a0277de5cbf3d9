"""How many threads PyTorch's CPU kernels use (``train.threads``).

PyTorch starts one thread per core it sees. In a container with a CPU quota
(``docker run --cpus 2``, a Kubernetes CPU limit) it sees the host's cores, not
the two it may use, and threads that outnumber the usable CPUs wait on each
other: on this project's 2-CPU machine the dcgan28 benchmark trains at 0.69
generator it/s with 8 threads against 1.26 with 2. ``auto`` therefore lowers
the count to the CPUs the process may use (its affinity mask and its cgroup's
quota) and never raises it; an explicit number is taken as it is, and so is
``OMP_NUM_THREADS`` when it is set.
"""

from __future__ import annotations

import math
import os
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
