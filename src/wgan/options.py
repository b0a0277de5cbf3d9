"""Settings a component owns: each declares the config keys it reads, with type, default, meaning and range.

A Lipschitz method declares its coefficients (the gradient penalty its weight ``loss.gp_lambda``,
weight clipping ``loss.clip_value`` and ``loss.clip_when``), a network family its own options (the
MLP its ``model.depth`` and ``model.feature_dim``), as mimicry's ``__init__(..., gp_scale=10.0)`` or
stylegan3's keyword arguments do. The config keeps such values in its section's ``options`` (the
YAML shows them beside the section's own keys, as before); :mod:`wgan.validation` checks them
against the declarations of the registered components and fills in the defaults of the chosen ones.
So a new penalty with a coefficient of its own is one file: its class and its declaration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .errors import WganError


@dataclass(frozen=True)
class Option:
    """One setting of a component: ``key`` in its config section (``loss``, ``model``)."""

    key: str
    type: type  # float, int, str or bool
    default: Any
    help: str
    choices: tuple[str, ...] | None = None
    minimum: float | None = None  # inclusive
    maximum: float | None = None  # inclusive
    positive: bool = False  # above 0

    def value(self, given: Any, where: str) -> Any:
        """``given`` as this option's type, in its range; ``where`` (``loss.gp_lambda``) names it in errors."""
        kind = self.type
        if kind is bool:
            if not isinstance(given, bool):
                raise WganError(f"{where} expects true or false, got {given!r}")
            return given
        if kind in (int, float):
            if isinstance(given, str):  # "nan", "1e-3" as YAML leaves them
                try:
                    given = float(given)
                except ValueError:
                    pass
            if isinstance(given, bool) or not isinstance(given, (int, float)) or (
                    kind is int and isinstance(given, float) and not given.is_integer()):
                raise WganError(f"{where} expects {'an integer' if kind is int else 'a number'}, got {given!r}")
            given = kind(given)
            check_range(where, given, positive=self.positive, minimum=self.minimum, maximum=self.maximum)
            return given
        given = str(given)
        if self.choices is not None and given not in self.choices:
            raise WganError(f"unknown {where} {given!r}; accepted: {', '.join(self.choices)}")
        return given

    def read(self, section) -> Any:
        """This option's value in a config section (its default where the section does not set it)."""
        return section.options.get(self.key, self.default)


def check_range(where: str, value: float, positive: bool = False, minimum: float | None = None,
                maximum: float | None = None, below: float | None = None) -> None:
    """``value`` within its bounds (``minimum``/``maximum`` inclusive, ``below`` exclusive), or the
    one-line error naming ``where``: the one range check of components' options and the config's own
    fields."""
    if not math.isfinite(value):
        bound = " positive" if positive else ""
        at_least = f" >= {minimum:g}" if minimum is not None and not positive else ""
        raise WganError(f"{where} must be a finite{bound} number{at_least}, got {value}")
    if positive and value <= 0:
        raise WganError(f"{where} must be positive, got {value:g}")
    if below is not None and not (minimum or 0) <= value < below:
        raise WganError(f"{where} must be in [{minimum or 0:g}, {below:g}), got {value:g}")
    if minimum is not None and value < minimum:
        raise WganError(f"{where} must be >= {minimum:g}, got {value:g}")
    if maximum is not None and value > maximum:
        raise WganError(f"{where} must be at most {maximum:g}, got {value:g}")


def declares(*options: Option):
    """Decorator for a component written as a function (a network builder): the options it reads.
    A class declares them as its ``options`` attribute."""
    def mark(component):
        component.options = tuple(options)
        return component

    return mark


def options_of(component) -> tuple[Option, ...]:
    """What ``component`` declares (none when it declares nothing)."""
    return tuple(getattr(component, "options", ()))
