"""One program for one file and for a batch: each file is worked on alone, a file that fails is
one line on stderr and is skipped, and the exit status is 2 only if none succeeded."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from mudar.cli.options import add_json
from mudar.errors import MudarError

BATCH_NOTE = (
    "Files that fail are reported on stderr and skipped; the exit status is 2 only if none "
    "succeeded."
)
"""What a batch command's description says about bad files."""


def add_files(p: argparse.ArgumentParser, *, metavar: str, help: str) -> None:
    """The FILE... arguments of a batch command, and ``--json`` (one object per line)."""
    p.add_argument("files", nargs="+", metavar=metavar, help=help)
    add_json(p, "one JSON object per line")


def print_result(result: dict, text: Callable[[dict], str], *, as_json: bool) -> None:
    """One result on stdout: a JSON line, or ``text(result)``; flushed, so a batch streams."""
    print(json.dumps(result) if as_json else text(result), flush=True)


def print_skipped(skipped: list[tuple[str, str]]) -> None:
    """``mudar: skipped FILE: REASON`` on stderr for each file a batch left out."""
    for path, reason in skipped:
        print(f"mudar: skipped {path}: {reason}", file=sys.stderr)


def run_each(
    files: Sequence[str],
    work: Callable[[str], dict],
    show: Callable[[dict], None],
    *,
    errors: tuple[type[Exception], ...] = (MudarError,),
) -> int:
    """Run ``work`` on each file and ``show`` its result; a file that fails is skipped.

    Parameters
    ----------
    files : sequence of str
    work : callable
        ``work(file) -> result``.
    show : callable
        ``show(result)``: prints it.
    errors : tuple of exception types
        The failures that skip a file (``mudar: error: ...`` on stderr); any other propagates.

    Returns
    -------
    int
        The exit status: 2 if every file failed, else 0. With several files and some failed,
        ``mudar: N of M file(s) skipped`` is printed on stderr.
    """
    failed = 0
    for path in files:
        try:
            result = work(path)
        except errors as e:
            failed += 1
            print(f"mudar: error: {_message(e, path)}", file=sys.stderr)
            continue
        show(result)
    if failed and len(files) > 1:
        print(f"mudar: {failed} of {len(files)} file(s) skipped", file=sys.stderr)
    return 2 if failed == len(files) else 0


def _message(e: Exception, path: str) -> str:
    if isinstance(e, OSError):  # e.g. an output folder that cannot be written
        return f"{e.filename or path}: {e.strerror or e}"
    return str(e)
