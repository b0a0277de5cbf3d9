"""What a metric is, and the one registry every metric module adds its own to (see :mod:`wgan.metrics`)."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable

from ..errors import choice_error
from ..registry import Registry

INPUT_KINDS = ("stats", "features", "logits", "labels", "points")
DIRECTIONS = ("lower", "higher", None)  # which way an output is better; None: neither (a spread, a count)


@dataclass(frozen=True)
class Metric:
    """A metric as :data:`METRICS` holds it under its name: the function, what it needs, what it reports."""

    fn: Callable
    needs: str  # one of INPUT_KINDS
    outputs: dict[str, str | None]  # each number it reports -> "lower" or "higher" is better, or None
    description: str = ""

    def __post_init__(self) -> None:
        if self.needs not in INPUT_KINDS:
            raise choice_error("metric input kind", self.needs, INPUT_KINDS)
        for output, way in self.outputs.items():
            if way not in DIRECTIONS:
                raise choice_error(f"direction of {output!r}", way, DIRECTIONS)

    @property
    def args(self) -> tuple[str, ...]:
        """Names of the arguments ``fn`` requires (those without defaults), in order."""
        params = inspect.signature(self.fn).parameters.values()
        return tuple(p.name for p in params if p.default is inspect.Parameter.empty)

    def arguments(self, available: dict) -> dict | None:
        """The entries of ``available`` (None values count as absent) that ``fn`` takes by name, or None
        when one it requires is absent (class accuracy of an unconditional run)."""
        params = inspect.signature(self.fn).parameters
        given = {k: v for k, v in available.items() if k in params and v is not None}
        return given if all(name in given for name in self.args) else None


METRICS: Registry[Metric] = Registry("metric")
