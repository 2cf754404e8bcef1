"""Pickles of numpy arrays (AIST++'s annotations), read without running code.

The unpickler builds numpy arrays, scalars and plain containers, and refuses every other global,
so a crafted file cannot run code.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np

from mudar.errors import InputError

__all__ = ["safe_unpickle"]

_SAFE_GLOBALS = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"),
    ("_codecs", "encode"),
    ("collections", "OrderedDict"),
}


class _ArrayUnpickler(pickle.Unpickler):
    """Builds numpy arrays, scalars and plain containers; refuses every other global."""

    def find_class(self, module: str, name: str):
        if (module, name) not in _SAFE_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        if module.startswith("numpy.core.") and int(np.__version__.split(".")[0]) >= 2:
            module = "numpy._core." + module[len("numpy.core.") :]  # numpy 1 pickles on numpy 2
        return super().find_class(module, name)


def safe_unpickle(path: Path):
    """The object pickled in ``path``, built by an unpickler that makes numpy arrays, scalars
    and plain containers only (a crafted file cannot run code).

    Raises
    ------
    InputError
        The file cannot be read, or holds anything else.
    """
    try:
        raw = path.read_bytes()
        return _ArrayUnpickler(io.BytesIO(raw), encoding="latin1").load()
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror or e})") from e
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as e:
        raise InputError(f"{path}: not an AIST++ pickle of numpy arrays ({e})") from e
