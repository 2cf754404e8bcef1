"""One exception hierarchy for everything mudar raises on purpose.

The CLI turns any :class:`MudarError` into one line ``mudar: error: ...`` and exit status 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class MudarError(Exception):
    """Base class of every error mudar raises deliberately."""


class InputError(MudarError):
    """A path that is missing, is a directory, or holds nothing mudar can use."""


class DecodeError(MudarError):
    """A file that exists but cannot be decoded (not media, truncated, unsupported codec)."""


class ParameterError(MudarError):
    """An argument out of range or inconsistent with another."""


class UnreliableError(MudarError):
    """A result below the confidence at which it is right, that the caller asked to act on
    (``mudar sync --fix`` without ``--force``)."""


def with_path(path: object, reason: str) -> str:
    """``PATH: REASON``, without naming the path twice (most reasons start with it)."""
    return reason if reason.startswith(str(path)) else f"{path}: {reason}"


class BatchError(InputError):
    """A batch in which no file succeeded; :attr:`skipped` lists ``(file, reason)`` of each
    (the CLI prints them above the error line)."""

    def __init__(self, skipped: list[tuple[str, str]], total: int, *, what: str) -> None:
        self.skipped = list(skipped)
        super().__init__(f"no file could be {what} ({len(self.skipped)} of {total} failed)")


def nothing_done(skipped: list[tuple[str, str]], total: int, *, what: str) -> InputError:
    """The error of a batch in which no file succeeded: the one file's own error when one was
    given, else a :class:`BatchError`."""
    if total == 1 and len(skipped) == 1:
        return InputError(with_path(*skipped[0]))
    return BatchError(skipped, total, what=what)
