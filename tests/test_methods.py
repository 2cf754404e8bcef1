"""``mudar.methods`` holds the names the command line offers; the tables that do the work are
keyed by the same names, and the module stays light."""

from __future__ import annotations

import ast
from pathlib import Path

from mudar import methods


def test_the_names_are_the_tables_keys():
    from mudar.features.dsp import WINDOWS
    from mudar.pipelines.bench.plan import ABLATIONS
    from mudar.synthetic.skeleton import LOOKS
    from mudar.tasks.classify import SCHEDULES

    assert methods.STFT_WINDOWS == tuple(WINDOWS)
    assert methods.LOOK_NAMES == tuple(LOOKS)
    assert methods.BENCH_ABLATIONS == tuple(ABLATIONS)
    assert methods.CLASSIFY_SCHEDULES == tuple(SCHEDULES)
    assert methods.DEFAULT_LOOK in methods.LOOK_NAMES
    assert set(methods.DEFAULT_LOOKS) <= set(methods.LOOK_NAMES)


def test_methods_imports_nothing():
    """Read by ``mudar --help``: no numpy, no torch, not even another mudar module."""
    tree = ast.parse(Path(methods.__file__).read_text(encoding="utf-8"))
    found = [
        ast.unparse(node)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        and getattr(node, "module", "") != "__future__"
    ]
    assert found == []
