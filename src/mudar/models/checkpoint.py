"""Saving and loading MuDaR weights with the config that built them; the shipped default.

A checkpoint is a plain ``torch.save`` dict: ``{"format": "mudar-checkpoint", "version": 1,
"method": "mudar" or a baseline's name, "config": MudarConfig as dict, "state_dict": ...,
"meta": {...}}``, loaded with ``weights_only=True`` (no pickled code); a checkpoint without
``method`` (written before the baselines) is MuDaR's. Lightning's own ``.ckpt`` files of a
training run are accepted too.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from mudar.errors import InputError, ParameterError

FORMAT = "mudar-checkpoint"
DEFAULT_CHECKPOINT = "mudar-cpu.pt"


def default_checkpoint_path() -> Path:
    """The model shipped inside the package (trained with the ``cpu`` preset on dwm)."""
    return Path(str(resources.files("mudar") / "checkpoints" / DEFAULT_CHECKPOINT))


def save_model(model, path: str | os.PathLike, *, meta: dict | None = None) -> Path:
    """Write ``model`` (a :class:`~mudar.models.mudar.MuDaR` or a baseline of
    :mod:`mudar.models.baselines`), its method and its config, atomically."""
    import torch

    from mudar.atomic import atomic_path

    doc = {
        "format": FORMAT,
        "version": 1,
        "method": getattr(model, "method", "mudar"),
        "config": model.config.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "meta": meta or {},
    }
    with atomic_path(path) as tmp:
        torch.save(doc, tmp)
    return Path(path)


def load_model(path: str | os.PathLike | None = None, *, device: str = "cpu"):
    """Load a MuDaR model (or a baseline: the checkpoint's method) in eval mode; no network,
    ever.

    Parameters
    ----------
    path : path-like, optional
        A checkpoint written by :func:`save_model` or a Lightning ``.ckpt`` of ``mudar train``.
        Default: the model shipped with mudar.

    Raises
    ------
    InputError
        Missing or unreadable file.
    ParameterError
        Not a mudar checkpoint, or weights that do not fit the stored config.
    """
    import torch

    from mudar.models.baselines import build_model
    from mudar.models.config import MudarConfig

    p = Path(path) if path is not None else default_checkpoint_path()
    if not p.is_file():
        hint = "" if path is not None else " (the shipped model is missing from this install)"
        raise InputError(f"{p}: no such checkpoint{hint}")
    try:
        doc = torch.load(p, map_location=device, weights_only=True)
    except Exception as e:  # torch raises many types for a bad file
        raise InputError(f"{p}: cannot read checkpoint ({type(e).__name__})") from None
    if not isinstance(doc, dict):
        raise ParameterError(f"{p}: not a mudar checkpoint")
    if doc.get("format") == FORMAT:
        config, state, meta = doc["config"], doc["state_dict"], doc.get("meta", {})
        method = doc.get("method", "mudar")
    elif "hyper_parameters" in doc and "state_dict" in doc:  # Lightning .ckpt of mudar train
        config = doc["hyper_parameters"].get("model_config")
        method = doc["hyper_parameters"].get("method", "mudar")
        state = {
            k.removeprefix("model."): v
            for k, v in doc["state_dict"].items()
            if k.startswith("model.")
        }
        meta = {"lightning_epoch": doc.get("epoch")}
        if config is None:
            raise ParameterError(f"{p}: a Lightning checkpoint, but not of `mudar train`")
    else:
        raise ParameterError(f"{p}: not a mudar checkpoint")
    try:
        model = build_model(method, MudarConfig.from_dict(config))
    except ParameterError as e:
        raise ParameterError(f"{p}: {e}") from None
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        first = str(e).splitlines()[0]
        raise ParameterError(f"{p}: weights do not fit the stored config ({first})") from None
    model.meta = meta
    return model.to(device).eval()
