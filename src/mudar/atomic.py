"""Atomic writes: nothing half-written is ever seen under the final name.

Beside :mod:`mudar.clock` and :mod:`mudar.errors` at the top of the package because every layer
that saves something (the feature cache, checkpoints, reports, media) writes through it.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path

_HOST = re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname())[:32] or "host"


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside ``dest``, renamed to ``dest`` on success, removed on failure.

    The folder of ``dest`` is created if missing. Same folder, so the rename is atomic.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    # the writer in the name: a later run can tell the leftovers of a killed one (sweep_partials)
    tmp = dest.with_name(f".{dest.name}.{_HOST}-{os.getpid()}-{secrets.token_hex(4)}.part")
    try:
        yield tmp
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def write_text(dest: str | os.PathLike, text: str) -> None:
    """Write a UTF-8 text file atomically."""
    with atomic_path(dest) as tmp:
        tmp.write_text(text, encoding="utf-8")


def sweep_partials(folder: str | os.PathLike, *, older_than_s: float = 86400.0) -> int:
    """Remove the temporary files that killed writers left in ``folder`` (not recursive).

    A ``.NAME.HOST-PID-TOKEN.part`` file is removed when its writer is gone: a process of this
    host that no longer runs, or any writer once the file is older than ``older_than_s``
    seconds (a writer on another machine of a shared folder cannot be asked). A live writer's
    file is never touched. Returns how many were removed.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    removed = 0
    now = time.time()
    for tmp in folder.glob(".*.part"):
        writer = tmp.name[: -len(".part")].rsplit(".", 1)[-1].rsplit("-", 2)
        gone = len(writer) == 3 and writer[0] == _HOST and not _alive(writer[1])
        try:
            if gone or now - tmp.stat().st_mtime > older_than_s:
                tmp.unlink()
                removed += 1
        except FileNotFoundError:  # renamed or removed meanwhile
            pass
    return removed


def _alive(pid: str) -> bool:
    if not pid.isdigit():
        return True  # not ours to judge
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
