"""Every command on every bad input (:mod:`mudar.synthetic.bad`): one line and exit status 2, or
the right result; never a traceback, never a half-written output. And batches with bad files in
them: the good ones done, the bad ones listed at the end, the exit status of the README."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from mudar.errors import MudarError
from mudar.synthetic.bad import BY_NAME, CASES, COMMANDS, corrupt_cache, make_good

# the harness lives beside the benchmarks that share it (it runs the command line, so it is no
# part of the package)
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from cli_harness import api_call, case_argv, good_inputs, judge, run_cli  # noqa: E402

CLI = [c for c in COMMANDS if c != "api"]
PAIRS = [
    pytest.param(cmd, case.name, id=f"{cmd}-{case.name}")
    for cmd in CLI
    for case in CASES
    if case.outcome(cmd) != "n/a"
]


@pytest.fixture(scope="session")
def robust_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("robust")


@pytest.fixture(scope="session")
def inputs(robust_root):
    return good_inputs(robust_root / "inputs")


@pytest.fixture(scope="session")
def made(robust_root):
    """``made(name)``: the path of a case, made on first use."""
    paths: dict[str, Path] = {}

    def make(name: str) -> Path:
        if name not in paths:
            paths[name] = BY_NAME[name].make(robust_root / "cases" / name)
        return paths[name]

    yield make
    for p in paths.values():  # let pytest clean the folder up
        if p.is_file():
            p.chmod(0o644)


def _skip_if_root(case) -> None:
    if case.skip_reason():
        pytest.skip(f"{case.skip_reason()} (test_unreadable_as_another_user covers it)")


def _run(cmd, case, path, work, inputs, *, learned=False):
    argv, outputs = case_argv(cmd, case, path, work, inputs, learned=learned)
    if case.kind == "cache":  # fill the cache, spoil it, run again
        first = run_cli(argv, outputs, work=work)
        assert first.code == 0, first.err
        spoilt = corrupt_cache(work / ("features" if cmd == "prepare" else "cache"))
        assert spoilt
    return run_cli(argv, outputs, work=work)


@pytest.mark.parametrize("cmd, name", PAIRS)
def test_each_command_on_each_bad_input(cmd, name, made, inputs, tmp_path):
    case = BY_NAME[name]
    _skip_if_root(case)
    path = made(name)
    run = _run(cmd, case, path, tmp_path / "work", inputs)
    assert judge(run, case, cmd, path) == [], run.err
    if case.outcome(cmd) == "result" and cmd in ("rhythm", "bas", "classify"):
        first = json.loads(run.out.splitlines()[0])
        assert Path(first["file"]).name == (inputs.good if case.kind == "checkpoint" else path).name
    if case.kind == "cache":  # the spoilt entries were recomputed and written again
        from mudar.data.store.cache import FeatureCache
        from mudar.features.analysis import Analysis

        entries = sorted((tmp_path / "work").rglob("items/*.npz"))
        assert entries and all(FeatureCache(e.parent).load(e) is not None for e in entries)
        assert all(isinstance(FeatureCache(e.parent).load(e), Analysis) for e in entries)


@pytest.mark.parametrize("cmd", ["rhythm", "bas", "retarget"])
@pytest.mark.parametrize("name", ["text-as-mp4", "vfr", "rotated", "checkpoint-v2"])
def test_the_learned_model_path(cmd, name, made, inputs, tmp_path):
    """rhythm, bas and retarget run learning-free above; here with the shipped model."""
    case = BY_NAME[name]
    path = made(name)
    run = _run(cmd, case, path, tmp_path / "work", inputs, learned=True)
    assert judge(run, case, cmd, path) == [], run.err
    if case.outcome(cmd) == "result":
        method = "dance_method" if cmd == "retarget" else None
        if method:
            assert json.loads(run.out)[method] == "mudar-noaudio"


@pytest.mark.parametrize("name", [c.name for c in CASES if c.outcome("api") != "n/a"])
def test_the_python_api_raises_only_mudar_errors(name, made, tmp_path):
    case = BY_NAME[name]
    _skip_if_root(case)
    path = made(name)
    if case.outcome("api") == "result":
        assert api_call(case, path, tmp_path) is not None
        return
    with pytest.raises(MudarError) as e:
        api_call(case, path, tmp_path)
    assert path.name in str(e.value) and case.phrase("api").lower() in str(e.value).lower()


def _as_nobody() -> list[str] | None:
    """A command prefix that drops root to 'nobody', or None where that is not possible."""
    setpriv = shutil.which("setpriv")
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or setpriv is None:
        return None
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture
def open_tmp():
    """A folder every user may enter (pytest's own are root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="mudar-robust-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("cmd", ["prepare"])  # rhythm opens it through the same check_path
def test_unreadable_as_another_user(cmd, inputs, open_tmp):
    """Mode 000 stops everyone but root; as root, the command is run as 'nobody'."""
    case = BY_NAME["unreadable"]
    if not case.skip_reason():
        pytest.skip("not root: test_each_command_on_each_bad_input runs this case")
    prefix = _as_nobody()
    if prefix is None:
        pytest.skip("running as root without setpriv: cannot drop to a user that mode 000 stops")
    path = case.make(open_tmp / "case")
    (open_tmp / "case").chmod(0o755)
    work = open_tmp / "work"
    argv, _ = case_argv(cmd, case, path, work, inputs)
    work.chmod(0o777)
    env = {**os.environ, "HOME": str(work), "PYTHONPATH": os.pathsep.join(sys.path)}
    p = subprocess.run(
        [*prefix, sys.executable, "-m", "mudar", *argv], capture_output=True, text=True, env=env
    )
    if "Permission denied" in p.stderr and "python" in p.stderr.lower() and p.returncode != 2:
        pytest.skip(f"'nobody' cannot run this Python: {p.stderr.strip()[-200:]}")
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    assert len(lines) == 1 and lines[0].startswith("mudar: error: ")
    assert path.name in lines[0] and "permission denied" in lines[0]


# --- batches ----------------------------------------------------------------------------------

N_GOOD, BAD = 16, ["zero-byte", "text-as-mp4", "truncated", "directory"]


@pytest.fixture(scope="session")
def batch(robust_root, made):
    """20 files: 16 small good dances (64x64, 8 s, 4 copies of 4 videos) and 4 bad ones, in
    one folder, sorted so that the bad ones fall among the good."""
    folder = robust_root / "batch"
    folder.mkdir()
    for k in range(4):
        make_good(folder / "src", f"d{k}", size=(64, 64), seed=k)
    files = []
    for i in range(N_GOOD):
        dest = folder / f"{i:02d}_good.mp4"
        shutil.copyfile(folder / "src" / f"d{i % 4}.mp4", dest)
        files.append(dest)
    shutil.rmtree(folder / "src")
    for j, name in enumerate(BAD):
        src = made(name)
        dest = folder / f"{4 * j + 1:02d}_{src.name}"
        if src.is_dir():
            dest.mkdir()
        else:
            shutil.copyfile(src, dest)
        files.append(dest)
    return folder, sorted(files)


def _listed(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("mudar: skipped ")]


def _check_listing(err: str, bad: list[Path], total: int) -> None:
    lines = err.strip().splitlines()
    listed = _listed(err)
    assert len(listed) == len(bad) and "Traceback" not in err
    assert all(any(f"{p}: " in line for line in listed) for p in bad)
    assert lines[-1] == f"mudar: {len(bad)} of {total} file(s) skipped"
    assert lines[-1 - len(bad) : -1] == listed  # at the end, after everything else
    assert "mudar: error:" not in err


def test_rhythm_batch_with_bad_files(batch):
    folder, files = batch
    bad = [f for f in files if "good" not in f.name and not f.is_dir()]
    run = run_cli(["rhythm", *map(str, files), "--json", "--method", "hoof-flux"])
    assert run.code == 0
    done = [json.loads(line)["file"] for line in run.out.splitlines()]
    assert done == [str(f) for f in files if "good" in f.name]
    _check_listing(run.err, [f for f in files if "good" not in f.name], len(files))
    assert bad


def test_prepare_folder_with_bad_files(batch, tmp_path):
    folder, files = batch
    out = tmp_path / "features"
    run = run_cli(["prepare", str(folder), "--out", str(out), "--jobs", "2", "--no-progress"])
    assert run.code == 0
    assert f"{N_GOOD} file(s) ready" in run.err
    bad = [f for f in files if "good" not in f.name and f.is_file()]  # a folder is no video
    _check_listing(run.err, bad, N_GOOD + len(bad))
    assert len(list((out / "items").glob("*.npz"))) == 4  # 4 distinct contents
    assert not list(out.rglob("*.part"))


def test_index_folder_with_bad_files(batch, tmp_path):
    folder, files = batch
    out = tmp_path / "dances.idx"
    cache = ["--cache", str(tmp_path / "cache"), "--jobs", "2", "--quiet"]
    run = run_cli(["index", "build", str(folder), "--out", str(out), *cache])
    assert run.code == 0, run.err
    assert run.out.startswith(f"{out}: {N_GOOD} file(s)")
    bad = [f for f in files if "good" not in f.name and f.is_file()]
    _check_listing(run.err, bad, N_GOOD + len(bad))


def test_a_batch_of_only_bad_files_is_exit_status_2(made):
    files = [str(made(name)) for name in BAD]
    run = run_cli(["rhythm", *files, "--method", "hoof-flux"])
    assert run.code == 2 and len(_listed(run.err)) == len(files)
    assert run.err.strip().splitlines()[-1] == "mudar: error: no file could be analysed"
