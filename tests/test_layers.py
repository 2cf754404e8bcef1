"""The layering of the package, read from the source: who may import whom.

The data flows one way (file -> clip -> features -> model -> tasks -> report), so the imports
do too. Every import counts, at the top of a file or inside a function: a late import hides a
dependency from the reader but does not remove it.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    return {_module_name(p): p for p in sorted((SRC / "mudar").rglob("*.py"))}


@cache
def imports() -> dict[str, frozenset[str]]:
    """The modules of mudar each module imports (``from mudar.x import y`` counts as
    ``mudar.x.y`` when ``y`` is a module, else as ``mudar.x``), and the external top-level
    packages it imports, as ``ext:<name>``."""
    known = modules()
    out = {}
    for name, path in known.items():
        deps: set[str] = set()
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
                subs: list[str] = []
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative import
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [base]
                subs = [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            for t in targets:
                if t == "mudar" or t.startswith("mudar."):
                    hit = [s for s in subs if s in known]
                    deps.update(hit or [t])
                elif t and t != "__future__":
                    deps.add("ext:" + t.split(".")[0])
        deps.discard(name)
        out[name] = frozenset(deps)
    return out


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _offenders(importers: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{m} imports {d}"
        for m, deps in imports().items()
        if _in(m, importers)
        for d in deps
        if any(_in(d, f) for f in forbidden)
    )


def test_the_reader_finds_the_modules():
    names = modules()
    assert {"mudar.cli.main", "mudar.tasks.retarget", "mudar.models.mudar"} <= set(names)
    assert "mudar.clock" in imports()["mudar.features.music"]


@pytest.mark.parametrize("layer", ["mudar.tasks", "mudar.models"])
def test_tasks_and_models_touch_no_files_and_no_command_line(layer):
    assert _offenders(layer, ("mudar.cli", "mudar.io", "mudar.pipelines")) == []


def test_tasks_never_decode_media():
    """Decoding (``analyze``, dataset preparation) is the pipelines' job."""
    assert _offenders("mudar.tasks", ("mudar.features.extract", "mudar.data.store.prepare")) == []


def test_models_know_nothing_of_files_data_or_what_uses_them():
    """A model takes tensors: it reads no dataset and decodes nothing (it may use a pure
    feature function, such as peak picking)."""
    forbidden = (
        "mudar.data",
        "mudar.features.extract",
        "mudar.tasks",
        "mudar.training",
        "mudar.pipelines.bench",
        "mudar.report",
    )
    assert _offenders("mudar.models", forbidden) == []


def test_features_never_import_eval():
    """Features measure; scoring them is eval's job, downstream."""
    assert _offenders("mudar.features", ("mudar.eval",)) == []


def test_report_draws_what_it_is_given():
    """The report is the last layer: it plots and writes results, it computes none."""
    forbidden = (
        "mudar.pipelines",
        "mudar.tasks",
        "mudar.training",
        "mudar.synthetic",
        "mudar.data",
    )
    assert _offenders("mudar.report", forbidden) == []


CLI_MAY_IMPORT = ("mudar.cli", "mudar.pipelines", "mudar.methods", "mudar.errors")


def test_the_command_line_parses_calls_and_prints():
    """The CLI goes through the pipelines: it imports no task, model or feature itself."""
    bad = [
        f"{m} imports {d}"
        for m, deps in imports().items()
        if _in(m, "mudar.cli")
        for d in deps
        if not d.startswith("ext:") and d != "mudar" and not any(_in(d, a) for a in CLI_MAY_IMPORT)
    ]
    assert bad == []


def test_the_command_line_takes_only_the_version_from_the_package():
    """``from mudar import __version__`` reads ``mudar/__init__``, nothing else of it."""
    for name in ("mudar.cli.main", *[m for m in modules() if _in(m, "mudar.cli")]):
        tree = ast.parse(modules()[name].read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "mudar" and not node.level:
                assert [a.name for a in node.names] == ["__version__"], name


def test_only_the_command_line_imports_the_command_line():
    bad = [
        f"{m} imports {d}"
        for m, deps in imports().items()
        if not (_in(m, "mudar.cli") or m == "mudar.__main__")
        for d in deps
        if _in(d, "mudar.cli")
    ]
    assert bad == []


@pytest.mark.parametrize("layer", ["mudar.io", "mudar.features", "mudar.eval", "mudar.clock"])
def test_analysis_layers_run_without_torch(layer):
    """``mudar rhythm --method hoof-flux`` needs neither torch nor the model."""
    bad = [m for m, deps in imports().items() if _in(m, layer) and "ext:torch" in deps]
    assert bad == []


def test_no_import_cycle():
    graph = {m: {d for d in deps if d in imports()} for m, deps in imports().items()}
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph[m]):
            # a package imports its own modules (its __init__), which import it back: not a cycle
            if _in(m, d) or _in(d, m):
                continue
            if state.get(d) == 1:
                cycles.append(stack[stack.index(d) :] + [d])
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert cycles == []


MAX_LINES = 600


def test_no_source_file_is_over_600_lines():
    """A file that answers one question fits in a reader's head; past 600 lines, split it by
    question (as features.dsp, features.tempo, synthetic.warp were)."""
    lengths = {
        str(p.relative_to(SRC)): len(p.read_text(encoding="utf-8").splitlines())
        for p in modules().values()
    }
    assert {f: n for f, n in lengths.items() if n > MAX_LINES} == {}


HEAVY = ("torch", "lightning", "faiss", "fastapi")

_PROBE = """
import json, runpy, sys
sys.argv = ["mudar", *json.loads(sys.argv[1])]
try:
    runpy.run_module("mudar", run_name="__main__")
except SystemExit as e:
    code = e.code
print(json.dumps({"code": code, "heavy": [m for m in %r if m in sys.modules]}))
"""


def _heavy_imports(argv: list[str]) -> dict:
    """Run ``mudar ARGV`` in a fresh interpreter; its exit status and the heavy modules it
    imported."""
    src = str(SRC)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    p = subprocess.run(
        [sys.executable, "-c", _PROBE % (HEAVY,), json.dumps(argv)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("argv", [["--help"], ["rhythm", "--help"]])
def test_help_imports_no_learning_library(argv):
    assert _heavy_imports(argv) == {"code": 0, "heavy": []}


def test_learning_free_rhythm_imports_no_learning_library(short_video):
    """``mudar rhythm VIDEO --method hoof-flux`` decodes and measures; it never loads torch."""
    argv = ["rhythm", str(short_video), "--method", "hoof-flux", "--json"]
    assert _heavy_imports(argv) == {"code": 0, "heavy": []}
