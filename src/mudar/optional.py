"""Optional dependencies: imported where they are needed, with one clear error where they are not
installed.

A user who only wants rhythms installs ``mudar`` alone; training needs ``mudar[train]``
(Lightning), retrieval ``mudar[retrieve]`` (FAISS), plots ``mudar[plots]`` (matplotlib), the web
page ``mudar[serve]`` (FastAPI, uvicorn), feature extraction on Ray and WebDataset shards
``mudar[cluster]``, the dancer's pose track ``mudar[pose]`` (MediaPipe); ``mudar[all]`` has
everything.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from mudar.errors import MudarError

EXTRAS = {
    "lightning": "train",
    "tensorboard": "train",
    "faiss": "retrieve",
    "matplotlib": "plots",
    "ray": "cluster",
    "webdataset": "cluster",
    "fastapi": "serve",
    "uvicorn": "serve",
    "mediapipe": "pose",
}
"""Which extra of the package installs each optional module."""


class MissingDependency(MudarError):
    """An optional dependency that the asked-for work needs is not installed."""


def require(module: str, *, purpose: str) -> ModuleType:
    """Import ``module`` (an entry of :data:`EXTRAS`, or one of its submodules).

    Parameters
    ----------
    module : str
        Dotted module name, e.g. ``"faiss"`` or ``"matplotlib.pyplot"``.
    purpose : str
        What needs it, for the message (``"retrieval"``).

    Raises
    ------
    MissingDependency
        When it is not installed; the message names the extra that installs it.
    """
    top = module.split(".")[0]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name is None or e.name.split(".")[0] != top:
            raise  # the module is there but something it imports is broken: a real bug
        extra = EXTRAS.get(top, "all")
        raise MissingDependency(
            f"{purpose} needs {top}, which is not installed: pip install 'mudar[{extra}]'"
        ) from None


def installed(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it (a light check for what a page
    or a default offers; :func:`require` is the import itself)."""
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent that is no package, or a broken entry
        return False
