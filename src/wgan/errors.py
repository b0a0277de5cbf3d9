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


def first_line(error: BaseException, limit: int = 200) -> str:
    """The first line of ``error``'s message (at most ``limit`` characters), or its type's name when it
    has none: what a one-line message quotes of a library's error."""
    text = str(error).strip()
    return text.splitlines()[0][:limit] if text else type(error).__name__


class CollectiveError(WganError):
    """An error every process of a data-parallel run reaches alike (divergence, a bad total of
    steps): only the main process reports it."""


class ProcessExit(Exception):
    """This process ends with exit status ``code``, saying ``message`` (None: nothing, another process
    reports the cause). The one way the library's data-parallel code ends a process on purpose: a stop
    signal every process obeyed (rank 0 alone says so), another process's failure, lost contact with
    the others (every process says so, naming its rank: ``every_rank``)."""

    def __init__(self, code: int, message: str | None = None, every_rank: bool = False):
        super().__init__(message or f"exit {code}")
        self.code, self.message, self.every_rank = code, message, every_rank
