"""One program for one file and for a batch: each file is worked on alone, and a file that fails
is skipped. One file that fails is one line ``mudar: error: FILE: what`` (exit status 2); in a
batch the files that failed are listed at the end, ``mudar: skipped FILE: what`` each, then
``mudar: N of M file(s) skipped``, and the exit status is 2 only if none succeeded."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from mudar.cli.options import add_json
from mudar.errors import MudarError, with_path

BATCH_NOTE = (
    "Files that fail are skipped and listed on stderr at the end; the exit status is 2 only if "
    "none succeeded."
)
"""What a batch command's description says about bad files."""


def add_files(p: argparse.ArgumentParser, *, metavar: str, help: str) -> None:
    """The FILE... arguments of a batch command, and ``--json`` (one object per line)."""
    p.add_argument("files", nargs="+", metavar=metavar, help=help)
    add_json(p, "one JSON object per line")


def print_result(result: dict, text: Callable[[dict], str], *, as_json: bool) -> None:
    """One result on stdout: a JSON line, or ``text(result)``; flushed, so a batch streams."""
    print(json.dumps(result) if as_json else text(result), flush=True)


def report_skipped(skipped: Sequence[tuple[str, str]], total: int, *, what: str) -> int:
    """List the files a batch of ``total`` skipped on stderr; the exit status.

    One file given and it failed: ``mudar: error: FILE: REASON``. Several: ``mudar: skipped
    FILE: REASON`` for each, then ``mudar: N of M file(s) skipped``, and when none succeeded
    ``mudar: error: no file could be WHAT``.

    Returns
    -------
    int
        2 if every file failed, else 0.
    """
    if total == 1 and len(skipped) == 1:
        path, reason = skipped[0]
        print(f"mudar: error: {with_path(path, reason)}", file=sys.stderr)
        return 2
    for path, reason in skipped:
        print(f"mudar: skipped {with_path(path, reason)}", file=sys.stderr)
    if skipped:
        print(f"mudar: {len(skipped)} of {total} file(s) skipped", file=sys.stderr)
    if total and len(skipped) >= total:
        print(f"mudar: error: no file could be {what}", file=sys.stderr)
        return 2
    return 0


def run_each(
    files: Sequence[str],
    work: Callable[[str], dict],
    show: Callable[[dict], None],
    *,
    errors: tuple[type[Exception], ...] = (MudarError,),
    what: str = "analysed",
) -> int:
    """Run ``work`` on each file and ``show`` its result as it comes; a file that fails is
    skipped, and listed at the end (:func:`report_skipped`).

    Parameters
    ----------
    files : sequence of str
    work : callable
        ``work(file) -> result``.
    show : callable
        ``show(result)``: prints it.
    errors : tuple of exception types
        The failures that skip a file; any other propagates.
    what : str
        Past participle for ``no file could be WHAT``.

    Returns
    -------
    int
        The exit status: 2 if every file failed, else 0.
    """
    skipped = []
    for path in files:
        try:
            result = work(path)
        except errors as e:
            skipped.append((path, _message(e, path)))
            continue
        show(result)
    return report_skipped(skipped, len(files), what=what)


def _message(e: Exception, path: str) -> str:
    if isinstance(e, OSError):  # e.g. an output folder that cannot be written
        return f"{e.filename or path}: {e.strerror or e}"
    return str(e)
