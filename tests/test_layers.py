"""The layering of the package, read from the source: who may import whom.

The data flows one way (file -> clip -> features -> model -> tasks -> report), so the imports
do too. Every import counts, at the top of a file or inside a function: a late import hides a
dependency from the reader but does not remove it.
"""

from __future__ import annotations

import ast
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
