"""Atomic writes and the sweep of what killed writers left behind."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mudar.atomic import _HOST, atomic_path, sweep_partials


def test_a_failed_write_leaves_nothing(tmp_path):
    dest = tmp_path / "a.txt"
    with pytest.raises(RuntimeError), atomic_path(dest) as tmp:
        tmp.write_text("half")
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []


def test_sweep_removes_only_the_files_of_writers_that_are_gone(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    killed = tmp_path / f".x.npz.{_HOST}-{dead}-0a1b2c3d.part"
    live = tmp_path / f".y.npz.{_HOST}-{os.getpid()}-0a1b2c3d.part"
    other_host = tmp_path / f".z.npz.elsewhere-{dead}-0a1b2c3d.part"
    old = tmp_path / ".w.npz.0a1b2c3d.part"  # an unnamed writer, a day old
    entry = tmp_path / "x.npz"
    for p in (killed, live, other_host, old, entry):
        p.write_bytes(b"x")
    os.utime(old, (0, 0))
    assert sweep_partials(tmp_path) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (live, other_host, entry)
    )
    assert sweep_partials(tmp_path / "missing") == 0


def test_a_writer_names_itself(tmp_path):
    with atomic_path(tmp_path / "a.txt") as tmp:
        assert tmp.name.startswith(f".a.txt.{_HOST}-{os.getpid()}-") and tmp.suffix == ".part"
        tmp.write_text("done")
    assert (tmp_path / "a.txt").read_text() == "done"
