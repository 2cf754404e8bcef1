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
