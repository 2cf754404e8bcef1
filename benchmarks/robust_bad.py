"""Section ``bad`` of bench_robust.py: every command on every case of mudar.synthetic.bad.

Each command runs in this process through its real entry point (``mudar.cli.main.main``), as
`mudar ...` would; a case that is a result is a good input made odd, an error is one line. Per
case and command: what was expected, what happened (``ok`` when the promise holds), the exit
status, the lines on stderr, whether a traceback escaped, whether an output was left half
written, and the seconds. ``api``: the Python functions (file_rhythm, load_model, embed_files)
raise a MudarError, never another exception. Not --quick: the long case is a 1-hour video.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from cli_harness import api_call, case_argv, good_inputs, judge, run_cli
from mudar.errors import MudarError
from mudar.synthetic.bad import CASES, COMMANDS, corrupt_cache, make_long


def cases(*, quick: bool):
    """The catalogue; the long case is 1 hour unless ``quick`` (then the catalogue's 30 s)."""
    if quick:
        return CASES
    hour = dataclasses.replace(
        next(c for c in CASES if c.name == "long"),
        make=lambda folder: make_long(folder, duration_s=3600.0),
        what="64x64 at 5 fps, 1 hour, 120 BPM clicks",
    )
    return tuple(hour if c.name == "long" else c for c in CASES)


def run(work: Path, *, quick: bool) -> str:
    inputs = good_inputs(work / "inputs")
    rows = []
    matrix: dict[str, dict[str, str]] = {}
    for case in cases(quick=quick):
        if case.skip_reason():
            rows.append(f"| {case.name} | all | | skipped: {case.skip_reason()} | | | | | |")
            continue
        t0 = time.perf_counter()
        path = case.make(work / "cases" / case.name)
        made_s = time.perf_counter() - t0
        for cmd in COMMANDS:
            expect = case.outcome(cmd)
            if expect == "n/a":
                continue
            out = work / "runs" / cmd / case.name
            if cmd == "api":
                row = _api_row(case, path, out)
            else:
                row = _cli_row(cmd, case, path, out, inputs)
            rows.append(f"| {case.name} | {cmd} | {expect} | {row}")
            verdict, code = (x.strip() for x in row.split("|")[:2])
            matrix.setdefault(case.name, {})[cmd] = [verdict, code, expect]
        if made_s > 1:
            rows.append(f"| {case.name} | (made in {made_s:.1f} s) | | | | | | | |")
    head = (
        "### Bad inputs: every command on every case (`robust_bad`)\n\n"
        "| case | command | expected | outcome | exit | stderr lines | traceback "
        "| half-written | s |\n|---|---|---|---|---|---|---|---|---|\n"
    )
    return head + "\n".join(rows) + "\n\n" + _matrix(matrix) + "\n\n" + _catalogue(quick)


def _cli_row(cmd, case, path, out, inputs) -> str:
    argv, outputs = case_argv(cmd, case, path, out, inputs)
    if case.kind == "cache":
        first = run_cli(argv, outputs, work=out)
        if first.code != 0:
            return f"first run failed (exit {first.code}) | | | | | |"
        corrupt_cache(out / ("features" if cmd == "prepare" else "cache"))
    r = run_cli(argv, outputs, work=out)
    wrong = judge(r, case, cmd, path)
    verdict = "ok" if not wrong else "WRONG: " + "; ".join(wrong).replace("|", "/")[:160]
    n_err = len(r.err.strip().splitlines())
    return (
        f"{verdict} | {r.code} | {n_err} | {'yes' if r.traceback else 'no'} | "
        f"{'yes' if r.half_written else 'no'} | {r.seconds:.1f}"
    )


def _api_row(case, path, out) -> str:
    t0 = time.perf_counter()
    try:
        api_call(case, path, out)
        got, raw = "result", False
    except MudarError as e:
        named = path.name in str(e) and case.phrase("api").lower() in str(e).lower()
        got, raw = f"error: {type(e).__name__}" + ("" if named else " (message?)"), False
    except Exception as e:  # a raw exception is what the API must never raise
        got, raw = f"RAW {type(e).__name__}: {e}"[:120], True
    ok = got.startswith(case.outcome("api").split(":")[0]) and "message?" not in got
    verdict = "ok" if ok and not raw else f"WRONG: {got}"
    return f"{verdict} | | | {'yes' if raw else 'no'} | no | {time.perf_counter() - t0:.1f}"


def _matrix(matrix: dict[str, dict[str, list[str]]]) -> str:
    """Case x command: the exit status, and a cross where the promise does not hold."""
    cols = list(COMMANDS)
    lines = [
        "| case | " + " | ".join(cols) + " |",
        "|---|" + "---|" * len(cols),
    ]
    for name, by_cmd in matrix.items():
        cells = []
        for c in cols:
            if c not in by_cmd:
                cells.append("")
                continue
            verdict, code, expect = by_cmd[c]
            mark = "" if verdict == "ok" else " ✗"
            shown = code or ("MudarError" if expect.startswith("error") else "result")
            cells.append(shown + mark)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return (
        "Exit status per case and command (api: what the Python function did; ✗: the "
        "promise does not hold):\n\n" + "\n".join(lines)
    )


def _catalogue(quick: bool) -> str:
    lines = ["| case | what |", "|---|---|"]
    lines += [f"| {c.name} | {c.what} |" for c in cases(quick=quick)]
    return "The cases (`mudar.synthetic.bad`):\n\n" + "\n".join(lines)
