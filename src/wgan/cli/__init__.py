"""The ``wgan`` command: flag parsing over the library, nothing more.

:mod:`.group` holds the group and how it ends; each command is a module of its own beside it, which
adds itself to the group (``@main.command()``) when imported.
"""

from __future__ import annotations

from . import data, evaluate, media, plot, presets, report, sample, train, weights  # noqa: F401  (they register)
from .group import main

__all__ = ["main"]


if __name__ == "__main__":
    main()
