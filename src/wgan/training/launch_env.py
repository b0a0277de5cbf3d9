"""torchrun's launch variables, read without importing torch (the command line reads them first)."""

from __future__ import annotations

import os


def launch_rank(env=None) -> int | None:
    """This process's RANK under torchrun, or None when not launched by it."""
    env = os.environ if env is None else env
    try:
        return int(env["RANK"]) if "RANK" in env and int(env.get("WORLD_SIZE", "1")) > 1 else None
    except ValueError:
        return None
