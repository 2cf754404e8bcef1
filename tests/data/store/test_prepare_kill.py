"""`mudar prepare` SIGKILLed mid-way leaves no corrupt entry and resumes to the result of an
uninterrupted run; two runs writing one folder at once leave a valid cache."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mudar.cli.main import main
from mudar.data.store.cache import FeatureCache
from mudar.data.store.prepare import load_manifest
from mudar.synthetic.video import make_dataset

SRC = str(Path(__file__).resolve().parents[3] / "src")


def _prepare(videos: Path, out: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": SRC, "OMP_NUM_THREADS": "1"}
    argv = [sys.executable, "-m", "mudar", "prepare", str(videos), "--out", str(out)]
    return subprocess.Popen(
        [*argv, "--no-progress", *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _entries(folder: Path) -> list[Path]:
    return sorted((folder / "items").glob("*.npz"))


def _assert_every_entry_loads(folder: Path) -> None:
    cache = FeatureCache(folder)
    for e in _entries(folder):
        with np.load(e, allow_pickle=False) as z:
            for k in z.files:
                z[k]  # noqa: B018 - every array read: a truncated file fails here
        assert cache.load(e) is not None, e


def _assert_same_entries(a: Path, b: Path) -> None:
    assert [e.name for e in _entries(a)] == [e.name for e in _entries(b)]
    for e in _entries(a):
        with np.load(e) as za, np.load(b / "items" / e.name) as zb:
            assert za.files == zb.files
            for k in za.files:
                np.testing.assert_array_equal(za[k], zb[k], err_msg=f"{e.name}/{k}")


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp("videos")
    make_dataset(root, n=8, seed=2, duration_s=4.0)
    return root


@pytest.fixture(scope="module")
def reference(videos, tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    assert main(["prepare", str(videos), "--out", str(out), "--no-progress"]) == 0
    assert len(_entries(out)) == 8
    return out


def test_killed_prepare_leaves_no_corrupt_entry_and_resumes(videos, reference, tmp_path):
    out = tmp_path / "features"
    proc = _prepare(videos, out, "--jobs", "2")
    end = time.monotonic() + 120
    while len(_entries(out)) < 2 and proc.poll() is None and time.monotonic() < end:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    n = len(_entries(out))
    if proc.returncode != -signal.SIGKILL or n == 8:
        pytest.skip(f"prepare finished before it could be killed ({n} entries)")
    assert not (out / "manifests").exists()  # written at the end only
    _assert_every_entry_loads(out)

    assert main(["prepare", str(videos), "--out", str(out), "--no-progress"]) == 0
    _assert_every_entry_loads(out)
    _assert_same_entries(reference, out)
    assert not list(out.rglob(".*.part"))  # what the killed run was writing is swept
    assert [it["entry"] for it in load_manifest(out)] == [
        it["entry"] for it in load_manifest(reference)
    ]


def test_two_prepares_on_one_folder_at_once_leave_a_valid_cache(videos, reference, tmp_path):
    out = tmp_path / "features"
    procs = [_prepare(videos, out) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
    _assert_every_entry_loads(out)
    _assert_same_entries(reference, out)
    assert not list(out.rglob(".*.part"))
    manifest = json.loads((out / "manifests" / "shard-0-of-1.json").read_text())
    assert len(manifest["items"]) == 8 and not manifest["skipped"]
