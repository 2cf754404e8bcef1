"""Optional extras: a missing one is one clear error naming the extra that installs it."""

import sys

import pytest

from mudar.errors import MudarError
from mudar.optional import MissingDependency, require


@pytest.mark.parametrize(
    ("module", "extra"),
    [("faiss", "retrieve"), ("matplotlib.pyplot", "plots"), ("lightning", "train")],
)
def test_a_missing_extra_names_the_pip_command(monkeypatch, module, extra):
    for name in (module.split(".")[0], module):  # as if not installed, even once imported
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(MissingDependency, match=rf"pip install 'mudar\[{extra}\]'") as e:
        require(module, purpose="this")
    assert isinstance(e.value, MudarError)  # the CLI prints it as one line


def test_an_installed_module_is_returned():
    assert require("numpy", purpose="this").__name__ == "numpy"


def test_the_index_without_faiss_is_a_clear_error(monkeypatch):
    import numpy as np

    from mudar.tasks.index import build_faiss

    monkeypatch.setitem(sys.modules, "faiss", None)
    with pytest.raises(MissingDependency, match="retrieval index needs faiss"):
        build_faiss(np.zeros((4, 8), np.float32))
