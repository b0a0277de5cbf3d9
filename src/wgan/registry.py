"""One way to register a choice: a table of names, each to the thing it names.

Every list of choices in the toolkit is a :class:`Registry`: networks, Lipschitz methods, objectives,
metrics, feature spaces, evaluation protocols, augmentations, presets, 2-D data sets and data
sources. The component registers itself where it is defined; help texts, ``click.Choice`` lists,
config validation and error messages read the registry, so a new choice is offered everywhere at
once and no list of names is written out twice. (stylegan3's ``metric_main.register_metric`` is the
model.) A config field that names a choice declares which registry holds its names
(``config.registered``), by the registry's ``what``; :func:`registry_called` finds it.
"""

from __future__ import annotations

import contextlib
from typing import Callable, Generic, Iterator, TypeVar

from .errors import WganError, choice_error

T = TypeVar("T")

_ALL: dict[str, "Registry"] = {}  # every registry made, by its ``what``


def registry_called(what: str) -> "Registry":
    """The registry whose ``what`` is ``what`` (its module must have been imported)."""
    if what not in _ALL:
        raise WganError(f"no registry of {what!r} is loaded; loaded: {', '.join(_ALL)}")
    return _ALL[what]


class Registry(Generic[T]):
    """Names of one kind of choice (``what``, as messages say it), each to its thing, in the order registered."""

    def __init__(self, what: str):
        if what in _ALL:
            raise WganError(f"a registry of {what!r} already exists")
        self.what = what
        self._things: dict[str, T] = {}
        _ALL[what] = self

    def register(self, name: str, thing: T | None = None):
        """Add ``thing`` as ``name``; a name already taken is refused in one line. Without ``thing``, a
        decorator: ``@GENERATORS.register("dcgan")`` over a builder or a class."""
        if thing is None:
            return lambda decorated: self.register(name, decorated)
        if name in self._things:
            raise WganError(f"{self.what} {name!r} is already registered")
        self._things[name] = thing
        return thing

    def get(self, name: str) -> T:
        """The thing called ``name``, or the one-line error that lists the accepted names."""
        if name not in self._things:
            raise choice_error(self.what, name, self._things)
        return self._things[name]

    def check(self, name: str) -> str:
        """``name``, when it is registered (else :meth:`get`'s error)."""
        self.get(name)
        return name

    def names(self) -> list[str]:
        return list(self._things)

    def help(self, describe: Callable[[T], str] | None = None) -> str:
        """The names for a help text, comma-separated (``name (description)`` with ``describe``)."""
        if describe is None:
            return ", ".join(self._things)
        return "; ".join(f"{name} ({describe(thing)})" for name, thing in self._things.items())

    def items(self):
        return self._things.items()

    def values(self):
        return self._things.values()

    @contextlib.contextmanager
    def override(self, name: str, thing: T):
        """``thing`` as ``name`` (registered or not) within a ``with`` block, then as before: for tests."""
        saved = self.snapshot()
        self._things[name] = thing
        try:
            yield thing
        finally:
            self.restore(saved)

    def snapshot(self) -> dict[str, T]:
        """The registrations as they are now, for :meth:`restore` (tests that register their own)."""
        return dict(self._things)

    def restore(self, snapshot: dict[str, T]) -> None:
        self._things = dict(snapshot)

    def __contains__(self, name: object) -> bool:
        return name in self._things

    def __iter__(self) -> Iterator[str]:
        return iter(self._things)

    def __len__(self) -> int:
        return len(self._things)

    def __getitem__(self, name: str) -> T:
        return self.get(name)

    def __repr__(self) -> str:
        return f"Registry({self.what!r}: {', '.join(self._things)})"
