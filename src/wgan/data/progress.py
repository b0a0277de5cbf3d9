"""Progress bars for the slow parts of reading image data: listing files, reading headers, decoding.

A large folder takes minutes to decode the first time; a bar with files per second and the time
left, and one line of summary at the end, say what is happening. ``wgan train --no-progress``
(``Trainer(progress=False)``) turns both off for the loading it does (:func:`shown`).
"""

from __future__ import annotations

import sys
from contextlib import contextmanager

from tqdm.auto import tqdm

_state = {"on": True}
# Bars appear only for work this large: a small folder loads before a bar would be read.
AT_LEAST = 2_000


@contextmanager
def shown(on: bool):
    """Show (or not) the data-loading bars and summaries inside the block."""
    before = _state["on"]
    _state["on"] = on
    try:
        yield
    finally:
        _state["on"] = before


def bar(total: int | None, what: str, unit: str = "file"):
    """A bar over ``total`` items (a do-nothing one when hidden or the work is small)."""
    hidden = not _state["on"] or (total is not None and total < AT_LEAST)
    return tqdm(total=total, desc=what, unit=unit, unit_scale=True, disable=hidden, file=sys.stderr,
                mininterval=0.5, dynamic_ncols=True, leave=False)


def say(line: str, count: int) -> None:
    """One line on stderr about work on ``count`` files, unless the bars are hidden or it was small."""
    if _state["on"] and count >= AT_LEAST:
        print(line, file=sys.stderr, flush=True)
