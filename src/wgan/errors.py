"""The one exception type the toolkit raises for problems a user can fix.

Library code raises :class:`WganError` with a one-line message that names the
problem and what is accepted; the CLI prints it and exits with status 2.
Anything else escaping is a bug and keeps its traceback.
"""


class WganError(ValueError):
    """A user-facing error: bad input, a missing file, an unknown name."""


def choice_error(what: str, value, accepted) -> WganError:
    """The standard message for a name that is not one of the accepted ones."""
    names = ", ".join(sorted(str(a) for a in accepted))
    return WganError(f"unknown {what} {value!r}; accepted: {names}")


class CollectiveError(WganError):
    """An error every process of a data-parallel run reaches alike (divergence, a bad total of
    steps): only the main process reports it."""
