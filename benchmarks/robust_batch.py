"""Section ``batch`` of bench_robust.py: 100 files of which 10 are bad, given to `mudar rhythm`
(files on the command line), `mudar prepare` and `mudar index build` (a dataset folder).

The README's rule: the good files are done, the bad ones are listed at the end of stderr
(``mudar: skipped FILE: what`` each, then ``mudar: N of M file(s) skipped``), and the exit
status is 2 only if none succeeded. The good files are distinct small dances (64x64, 8 s, one
seed each, so that no feature-cache entry is shared); the bad ones are zero-byte, text and
truncated files (and, on the command line, missing paths) from mudar.synthetic.bad. --quick: 20
files of which 2 are bad.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from cli_harness import run_cli
from mudar.synthetic.bad import BY_NAME, make_good

FOLDER_BAD = ("zero-byte", "text-as-mp4", "truncated")
LIST_BAD = (*FOLDER_BAD, "missing")


def make_batch(work: Path, *, n: int, n_bad: int, bad_kinds) -> tuple[Path, list[Path], list[Path]]:
    """A folder of ``n - n_bad`` good dances and ``n_bad`` bad files spread among them (sorted
    names); returns (folder, every path in order, the bad paths)."""
    folder = work / "data"
    src = work / "src"
    files, bad = [], []
    every = n // n_bad
    for i in range(n):
        if i % every == every // 2 and len(bad) < n_bad:
            kind = BY_NAME[bad_kinds[len(bad) % len(bad_kinds)]]
            made = kind.make(src / f"{i:03d}")
            dest = folder / f"{i:03d}_{made.name}"
            if made.is_file():
                folder.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(made, dest)
            bad.append(dest)
        else:
            dest = make_good(folder, f"{i:03d}_dance", size=(64, 64), seed=i)
        files.append(dest)
    shutil.rmtree(src, ignore_errors=True)
    return folder, files, bad


def _row(command: str, n: int, bad: list[Path], run, done: int) -> str:
    lines = run.err.strip().splitlines()
    listed = [line for line in lines if line.startswith("mudar: skipped ")]
    at_end = lines[-1 - len(listed) : -1] == listed if listed else False
    named = sum(any(f"{p}: " in line for line in listed) for p in bad)
    counted = lines[-1] if lines else ""
    expect = 0 if done else 2
    ok = done == n - len(bad) and named == len(bad) and at_end and run.code == expect
    return (
        f"| `{command}` | {n} | {len(bad)} | {done} | {len(listed)} ({named} named) | "
        f"{'yes' if at_end else 'no'} | `{counted}` | {run.code} (README: {expect}) | "
        f"{'yes' if run.traceback else 'no'} | {run.seconds:.1f} | {'ok' if ok else 'WRONG'} |"
    )


def run(work: Path, *, quick: bool) -> str:
    n, n_bad = (20, 2) if quick else (100, 10)
    t0 = time.perf_counter()
    folder, files, bad_listed = make_batch(work / "list", n=n, n_bad=n_bad, bad_kinds=LIST_BAD)
    data, dfiles, bad_folder = make_batch(work / "dir", n=n, n_bad=n_bad, bad_kinds=FOLDER_BAD)
    made_s = time.perf_counter() - t0
    rows = []

    r = run_cli(["rhythm", *map(str, files), "--json", "--method", "hoof-flux"])
    done = len([line for line in r.out.splitlines() if json.loads(line)])
    rows.append(_row("rhythm FILE...", n, bad_listed, r, done))

    out = work / "features"
    r = run_cli(
        ["prepare", str(data), "--out", str(out), "--jobs", "2", "--no-progress"], work=work
    )
    manifest = json.loads(next((out / "manifests").glob("*.json")).read_text())
    rows.append(_row("prepare DIR", n, bad_folder, r, len(manifest["items"])))

    idx = work / "dances.idx"
    cache = ["--cache", str(work / "cache"), "--jobs", "2", "--quiet"]
    r = run_cli(["index", "build", str(data), "--out", str(idx), *cache], work=work)
    indexed = int(r.out.split(": ", 1)[1].split(" file(s)")[0]) if r.code == 0 else 0
    rows.append(_row("index build DIR", n, bad_folder, r, indexed))
    return (
        f"### Batches: {n} files of which {n_bad} are bad (`robust_batch`)\n\n"
        "| command | files | bad | done | listed | at the end | last line | exit | traceback "
        "| s | |\n|---|---|---|---|---|---|---|---|---|---|---|\n"
        + "\n".join(rows)
        + f"\n\n(the {2 * n} files made in {made_s:.0f} s; good: 64x64, 8 s, 25 fps, distinct)"
    )
