"""Saving and loading model weights with the config that built them, for every model family;
the shipped default.

A checkpoint is a plain ``torch.save`` dict, loaded with ``weights_only=True`` (no pickled
code)::

    {"format": <the family's tag>, "version": 1, "config": <the config as a dict>,
     "state_dict": ..., "meta": {...}, **extra}

The format tag says the family (:data:`FORMATS`): ``"mudar-checkpoint"`` (MuDaR and the
baselines; ``extra`` has ``method``, and a checkpoint without it, written before the baselines,
is MuDaR's), ``"mudar-motionbeat"`` (MotionBeat) and ``"mudar-classifier"`` (the two-stream
classifier of :mod:`mudar.tasks.classify`; ``extra`` has its mode, labels, embedding model and
training info). The Lightning ``.ckpt`` files of ``mudar train`` (either recipe) load too.

:func:`save_checkpoint` and :func:`load_checkpoint` read and write the dicts; the per-family
functions (:func:`save_model` / :func:`load_model`, :func:`save_motionbeat` /
:func:`load_motionbeat`) build the models from them. torch is imported only when a file is read
or written, so :func:`default_checkpoint_path` costs nothing.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from mudar.errors import InputError, ParameterError

__all__ = [
    "DEFAULT_CHECKPOINT",
    "DEFAULT_TIMING",
    "default_timing_path",
    "load_timing",
    "save_timing",
    "FORMATS",
    "checkpoint_doc",
    "default_checkpoint_path",
    "load_checkpoint",
    "load_model",
    "load_motionbeat",
    "load_weights",
    "model_from_doc",
    "save_checkpoint",
    "save_model",
    "save_motionbeat",
    "state_of",
]

FORMATS = {
    "mudar": "mudar-checkpoint",
    "motionbeat": "mudar-motionbeat",
    "classifier": "mudar-classifier",
    "timing": "mudar-timing",
}
"""The format tag of each model family's checkpoints."""

VERSION = 1
"""The checkpoint format version this mudar writes and reads."""

DEFAULT_CHECKPOINT = "mudar-cpu.pt"
DEFAULT_TIMING = "timing-cpu.pt"
"""The timing model shipped beside the model (``benchmarks/bench_timing.py --save``; its
figures in MODEL_CARD.md)."""
DEFAULT_CLASSIFIER = "genre-cpu.cls"
"""The genre classifier shipped beside the model (``mudar classify train`` on the dwm dances)."""

_NOUN = {  # how the messages name a file of each family
    None: "mudar checkpoint",
    "mudar": "mudar checkpoint",
    "motionbeat": "MotionBeat checkpoint",
    "classifier": "mudar classifier",
    "timing": "mudar timing model",
}
_NOT_A_HINT = {"classifier": " (make one with mudar classify train)"}
_FILE = {"classifier": "classifier"}  # "no such classifier file", "cannot read classifier"
_LIGHTNING_NOT_OF = {
    "mudar": "a Lightning checkpoint, but not of `mudar train`",
    "motionbeat": "a Lightning checkpoint, but not of a MotionBeat run",
}


def default_checkpoint_path() -> Path:
    """The model shipped inside the package (trained with the ``cpu`` preset on dwm)."""
    return Path(str(resources.files("mudar") / "checkpoints" / DEFAULT_CHECKPOINT))


def default_classifier_path() -> Path:
    """The genre classifier shipped inside the package (frozen two-stream head on the shipped
    model's embeddings of the 35 dwm dances; MODEL_CARD.md)."""
    return Path(str(resources.files("mudar") / "checkpoints" / DEFAULT_CLASSIFIER))


def _check_family(family: str | None, *, optional: bool = False) -> None:
    if (family is None and optional) or family in FORMATS:
        return
    raise ParameterError(f"unknown model family {family!r}; known: {', '.join(sorted(FORMATS))}")


def state_of(model, *, copy: bool = False) -> dict:
    """``model``'s weights, detached and on the CPU (copied with ``copy``, so that training
    the model further leaves them as they are)."""
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return {k: v.clone() for k, v in state.items()} if copy else state


def checkpoint_doc(
    *, family: str, config: dict, state_dict: dict, meta: dict | None = None, **extra
) -> dict:
    """The dict a checkpoint of ``family`` holds (see the module's docstring).

    Parameters
    ----------
    family : {"mudar", "motionbeat", "classifier"}
    config : dict
        The model's config, ``config.to_dict()``.
    state_dict : dict of str to torch.Tensor
        Its weights (:func:`state_of`).
    meta : dict, optional
        Anything about the run (preset, held-out videos, threshold...).
    **extra
        More fields of the family (``method`` of MuDaR and the baselines, ...).

    Raises
    ------
    ParameterError
        If ``family`` is unknown.
    """
    _check_family(family)
    return {
        "format": FORMATS[family],
        "version": VERSION,
        **extra,
        "config": config,
        "state_dict": state_dict,
        "meta": dict(meta or {}),
    }


def save_checkpoint(
    path: str | os.PathLike,
    *,
    family: str,
    config: dict,
    state_dict: dict,
    meta: dict | None = None,
    **extra,
) -> Path:
    """Write a checkpoint of ``family`` atomically (:func:`checkpoint_doc` has the fields);
    returns ``path``."""
    import torch

    from mudar.atomic import atomic_path

    doc = checkpoint_doc(family=family, config=config, state_dict=state_dict, meta=meta, **extra)
    with atomic_path(path) as tmp:
        torch.save(doc, tmp)
    return Path(path)


def _from_lightning(doc: dict, family: str | None, p: Path) -> dict:
    """The checkpoint dict of a Lightning ``.ckpt`` of ``mudar train``."""
    hp = doc["hyper_parameters"]
    found = "motionbeat" if hp.get("recipe") == "motionbeat" else "mudar"
    want = family or found
    if want not in _LIGHTNING_NOT_OF or "model_config" not in hp or found != want:
        raise ParameterError(f"{p}: {_LIGHTNING_NOT_OF.get(want, 'not a ' + _NOUN[want])}")
    state = {
        k.removeprefix("model."): v for k, v in doc["state_dict"].items() if k.startswith("model.")
    }
    extra = {"method": hp.get("method", "mudar")} if want == "mudar" else {}
    return checkpoint_doc(
        family=want,
        config=hp["model_config"],
        state_dict=state,
        meta={"lightning_epoch": doc.get("epoch")},
        **extra,
    )


def load_checkpoint(
    path: str | os.PathLike, *, family: str | None = None, device: str = "cpu"
) -> dict:
    """Read a checkpoint written by :func:`save_checkpoint`, or a Lightning ``.ckpt`` of
    ``mudar train``.

    Parameters
    ----------
    path : path-like
    family : {"mudar", "motionbeat", "classifier"}, optional
        The family the file must be of; any, by default.
    device : str
        Where the tensors are loaded.

    Returns
    -------
    dict
        The checkpoint's fields (see the module's docstring), with ``meta`` always present and
        ``"family"`` added. A Lightning file gives the same fields (its ``meta`` holds
        ``lightning_epoch``).

    Raises
    ------
    InputError
        Missing or unreadable file.
    ParameterError
        Not a checkpoint of ``family`` (of any family, when None), of another format version,
        or an unknown family.
    """
    import torch

    _check_family(family, optional=True)
    p = Path(path)
    what = _FILE.get(family, "checkpoint")
    if not p.is_file():
        raise InputError(f"{p}: no such {what}{' file' if family == 'classifier' else ''}")
    try:
        doc = torch.load(p, map_location=device, weights_only=True)
    except Exception as e:  # torch raises many types for a bad file
        raise InputError(f"{p}: cannot read {what} ({type(e).__name__})") from None
    not_a = ParameterError(f"{p}: not a {_NOUN[family]}{_NOT_A_HINT.get(family, '')}")
    if not isinstance(doc, dict):
        raise not_a
    tags = {tag: fam for fam, tag in FORMATS.items()}
    if doc.get("format") in tags:
        found = tags[doc["format"]]
        if family is not None and found != family:
            raise not_a
        if doc.get("version", VERSION) != VERSION:
            raise ParameterError(
                f"{p}: a {_NOUN[found]} of format version {doc['version']!r}, written by another "
                f"mudar; this one reads version {VERSION}"
            )
        doc = {**doc, "meta": doc.get("meta") or {}}
    elif "hyper_parameters" in doc and "state_dict" in doc and family != "classifier":
        doc = _from_lightning(doc, family, p)
        found = family or ("motionbeat" if doc["format"] == FORMATS["motionbeat"] else "mudar")
    else:
        raise not_a
    doc["family"] = found
    return doc


def load_weights(model, state_dict: dict, message: str) -> None:
    """``model.load_state_dict``; weights that do not fit are one line, ``message (why)``.

    Raises
    ------
    ParameterError
        If the weights do not fit the model.
    """
    try:
        model.load_state_dict(state_dict)
    except RuntimeError as e:
        first = str(e).splitlines()[0]
        raise ParameterError(f"{message} ({first})") from None


def model_from_doc(doc: dict, *, where: str = "checkpoint"):
    """The model of a ``"mudar"`` or ``"motionbeat"`` checkpoint dict, in eval mode, with the
    dict's ``meta`` as its attribute ``meta``.

    Parameters
    ----------
    doc : dict
        From :func:`load_checkpoint` or :func:`checkpoint_doc` (a dict without ``family`` is
        read by its format tag; one without ``method`` is MuDaR's).
    where : str
        Names the checkpoint in the errors (its path).

    Raises
    ------
    ParameterError
        An unknown method or a bad config, or weights that do not fit the config.
    """
    from mudar.models.baselines import build_model
    from mudar.models.config import MudarConfig
    from mudar.models.motionbeat import MotionBeat, MotionBeatConfig

    family = doc.get("family") or {t: f for f, t in FORMATS.items()}.get(doc.get("format"))
    try:
        if family == "motionbeat":
            model = MotionBeat(MotionBeatConfig.from_dict(doc["config"]))
        elif family == "mudar":
            model = build_model(doc.get("method", "mudar"), MudarConfig.from_dict(doc["config"]))
        else:
            raise ParameterError(f"a {family!r} checkpoint holds no MuDaR or MotionBeat model")
    except ParameterError as e:
        raise ParameterError(f"{where}: {e}") from None
    load_weights(model, doc["state_dict"], f"{where}: weights do not fit the stored config")
    model.meta = dict(doc.get("meta") or {})
    return model.eval()


def save_model(model, path: str | os.PathLike, *, meta: dict | None = None) -> Path:
    """Write ``model`` (a :class:`~mudar.models.mudar.MuDaR` or a baseline of
    :mod:`mudar.models.baselines`), its method and its config, atomically."""
    return save_checkpoint(
        path,
        family="mudar",
        method=getattr(model, "method", "mudar"),
        config=model.config.to_dict(),
        state_dict=state_of(model),
        meta=meta,
    )


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
    p = Path(path) if path is not None else default_checkpoint_path()
    if path is None and not p.is_file():
        raise InputError(
            f"{p}: no such checkpoint (the shipped model is missing from this install)"
        )
    doc = load_checkpoint(p, family="mudar", device=device)
    return model_from_doc(doc, where=str(p)).to(device).eval()


def save_motionbeat(model, path: str | os.PathLike, *, meta: dict | None = None) -> Path:
    """Write ``model`` (a :class:`~mudar.models.motionbeat.MotionBeat`) and its config,
    atomically; returns ``path``."""
    return save_checkpoint(
        path,
        family="motionbeat",
        config=model.config.to_dict(),
        state_dict=state_of(model),
        meta=meta,
    )


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
    doc = load_checkpoint(path, family="motionbeat", device=device)
    return model_from_doc(doc, where=str(Path(path))).to(device).eval()


def default_timing_path() -> Path:
    """The shipped timing model's file (:data:`DEFAULT_TIMING`, beside the MuDaR model)."""
    return default_checkpoint_path().with_name(DEFAULT_TIMING)


def save_timing(model, path: str | os.PathLike, *, meta: dict | None = None) -> Path:
    """Write ``model`` (a :class:`~mudar.models.timing.TimingModel`, or a
    :class:`~mudar.models.timing.TimingEnsemble`) with its config (and so its threshold and its
    number of members), atomically; returns ``path``."""
    import dataclasses
    import json

    # plain JSON values only (a numpy string would not load with weights_only)
    meta = json.loads(json.dumps(meta or {}, default=str))
    return save_checkpoint(
        path,
        family="timing",
        config=dataclasses.asdict(model.config),
        state_dict=state_of(model),
        meta=meta,
    )


def load_timing(path: str | os.PathLike | None = None, *, device: str = "cpu"):
    """Load a timing model in eval mode, with its ``meta`` dict as an attribute; default the
    shipped one.

    Raises
    ------
    InputError
        Missing or unreadable file.
    ParameterError
        Not a timing checkpoint, or weights that do not fit the stored config.
    """
    from mudar.models.timing import TimingConfig, TimingEnsemble, TimingModel

    p = Path(path) if path is not None else default_timing_path()
    doc = load_checkpoint(p, family="timing", device=device)
    try:
        cfg = dict(doc["config"])
        cfg["dilations"] = tuple(cfg.get("dilations", ()))
        config = TimingConfig(**cfg)
        members = [TimingModel(config) for _ in range(config.members)]
        model = members[0] if config.members == 1 else TimingEnsemble(members, config)
    except (TypeError, KeyError, ParameterError) as e:
        raise ParameterError(f"{p}: not a timing model config ({e})") from None
    load_weights(model, doc["state_dict"], f"{p}: weights do not fit the stored config")
    model.meta = dict(doc.get("meta") or {})
    return model.to(device).eval()
