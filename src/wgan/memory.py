"""How much memory this machine can still give, and the one check every size a user or a file names
goes through before the work that needs it starts (a count on the command line, the header of a
compressed file, the shape in an ``.npz``)."""

from __future__ import annotations

import os

from .errors import WganError

SHARE = 0.8  # of the available memory one request may take: the rest is for everything else running


def available_memory() -> int:
    """Bytes of memory this machine can still give (MemAvailable on Linux, else all physical memory)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 2**63


def check_memory(need: int, what: str, advice: str) -> None:
    """Refuse, before allocating, ``need`` bytes for ``what`` when they would not fit; ``advice`` says
    what to change (``"use a smaller --n"``)."""
    have = available_memory()
    if need > SHARE * have:
        raise WganError(f"{what} would need {_gib(need)} of memory and {_gib(have)} are available; {advice}")


def _gib(n: int) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**28 else f"{n / 2**20:.0f} MiB"
