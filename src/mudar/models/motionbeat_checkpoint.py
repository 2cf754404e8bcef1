"""Saving and loading MotionBeat weights with the config that built them.

A checkpoint is a plain ``torch.save`` dict: ``{"format": "mudar-motionbeat", "version": 1,
"config": MotionBeatConfig as dict, "state_dict": ..., "meta": {...}}``, loaded with
``weights_only=True`` (no pickled code). The Lightning ``.ckpt`` files of a
``mudar train --recipe motionbeat`` run load too.
"""

from __future__ import annotations

import os
from pathlib import Path

from mudar.errors import InputError, ParameterError

FORMAT = "mudar-motionbeat"


def save_motionbeat(model, path: str | os.PathLike, *, meta: dict | None = None) -> Path:
    """Write ``model`` (a :class:`~mudar.models.motionbeat.MotionBeat`) and its config,
    atomically; returns ``path``."""
    import torch

    from mudar.atomic import atomic_path

    doc = {
        "format": FORMAT,
        "version": 1,
        "config": model.config.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "meta": meta or {},
    }
    with atomic_path(path) as tmp:
        torch.save(doc, tmp)
    return Path(path)


def load_motionbeat(path: str | os.PathLike, *, device: str = "cpu"):
    """Load a MotionBeat model in eval mode, with its ``meta`` dict as an attribute.

    Parameters
    ----------
    path : path-like
        A checkpoint of :func:`save_motionbeat` (``model.pt`` of a run) or a Lightning
        ``.ckpt`` of the run.
    device : str

    Returns
    -------
    MotionBeat

    Raises
    ------
    InputError
        Missing or unreadable file.
    ParameterError
        Not a MotionBeat checkpoint, or weights that do not fit the stored config.
    """
    import torch

    from mudar.models.motionbeat import MotionBeat, MotionBeatConfig

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such checkpoint")
    try:
        doc = torch.load(p, map_location=device, weights_only=True)
    except Exception as e:  # torch raises many types for a bad file
        raise InputError(f"{p}: cannot read checkpoint ({type(e).__name__})") from None
    if not isinstance(doc, dict):
        raise ParameterError(f"{p}: not a MotionBeat checkpoint")
    if doc.get("format") == FORMAT:
        config, state, meta = doc["config"], doc["state_dict"], doc.get("meta", {})
    elif "hyper_parameters" in doc and "state_dict" in doc:
        hp = doc["hyper_parameters"]
        if hp.get("recipe") != "motionbeat" or "model_config" not in hp:
            raise ParameterError(f"{p}: a Lightning checkpoint, but not of a MotionBeat run")
        config = hp["model_config"]
        state = {
            k.removeprefix("model."): v
            for k, v in doc["state_dict"].items()
            if k.startswith("model.")
        }
        meta = {"lightning_epoch": doc.get("epoch")}
    else:
        raise ParameterError(f"{p}: not a MotionBeat checkpoint")
    model = MotionBeat(MotionBeatConfig.from_dict(config))
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        first = str(e).splitlines()[0]
        raise ParameterError(f"{p}: weights do not fit the stored config ({first})") from None
    model.meta = meta
    return model.to(device).eval()
