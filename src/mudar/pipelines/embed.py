"""Embeddings and rhythms of media files (``mudar embed``, and the inputs of classify, index and
retrieve): folders expanded, each file analysed once into the feature cache, then embedded.

The embedding itself is :func:`mudar.tasks.embed.embedding_set` on the analyses.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from mudar.data.readers.dataset import find_videos, meta_label
from mudar.data.store.cache import FeatureCache
from mudar.data.store.prepare import analyze_files
from mudar.errors import InputError, ParameterError
from mudar.models.checkpoint import load_model
from mudar.tasks.embed import EmbeddingSet, embedding_set


def default_cache() -> Path:
    """``$MUDAR_CACHE``, else ``$XDG_CACHE_HOME/mudar/features`` (``~/.cache`` by default)."""
    if os.environ.get("MUDAR_CACHE"):
        return Path(os.environ["MUDAR_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mudar" / "features"


def expand_inputs(inputs: list[str]) -> tuple[list[str], list[str | None]]:
    """Files and their labels: folders give their videos (with labels), files themselves.

    Raises
    ------
    InputError
        An input that is neither a file nor a folder.
    """
    paths: list[str] = []
    labels: list[str | None] = []
    for x in inputs:
        p = Path(x)
        if p.is_dir():
            for it in find_videos(p):
                paths.append(str(it.path))
                labels.append(it.label)
        elif p.is_file():
            paths.append(str(p))
            labels.append(meta_label(p))
        else:
            raise InputError(f"{x}: no such file or folder")
    return paths, labels


def embed_files(
    paths: list[str | os.PathLike],
    *,
    model=None,
    checkpoint: str | os.PathLike | None = None,
    labels: list[str | None] | None = None,
    cache_dir: str | os.PathLike | None = None,
    hop_s: float | None = None,
    jobs: int = 2,
    progress: bool = True,
) -> EmbeddingSet:
    """Embed files (videos or songs): analyse each once (cached), then run the model.

    Parameters
    ----------
    paths : list of path-like
    model : MuDaR, optional
        Default: loaded from ``checkpoint`` (default the shipped model).
    labels : list of str or None, optional
        A genre per file.
    cache_dir : path-like, optional
        Feature cache (keyed by file content and analysis settings); default a temporary one.
    hop_s : float, optional
        Seconds between clips; default one clip length.
    jobs : int
        Processes for the analysis.

    Returns
    -------
    EmbeddingSet
        Files that fail are left out and listed in ``skipped``.

    Raises
    ------
    InputError
        If no file could be embedded.
    """
    if not paths:
        raise InputError("no file to embed")
    if model is None:
        model = load_model(checkpoint)
    cfg = model.config
    config = cfg.analysis_config()
    cache = FeatureCache(cache_dir or tempfile.mkdtemp(prefix="mudar-embed-"))
    labels = list(labels) if labels is not None else [None] * len(paths)
    done: dict[str, str] = {}
    skipped: list[tuple[str, str]] = []
    for path, status, payload in analyze_files(
        [str(p) for p in paths], cache, config, jobs=jobs, progress=progress
    ):
        if status == "skip":
            skipped.append((path, payload))
        else:
            done[path] = payload["entry"]
    analysed = [
        (p, label, lambda p=p: cache.load(cache.root / done[p]))
        for p, label in zip(map(str, paths), labels, strict=True)
        if p in done
    ]
    return embedding_set(model, analysed, hop_s=hop_s, skipped=skipped, progress=progress)


def load_or_embed(
    data: str | os.PathLike,
    *,
    checkpoint: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    jobs: int = 2,
    progress: bool = True,
):
    """The EmbeddingSet of ``data`` and the MuDaR model it belongs to.

    An ``.npz`` of ``mudar embed`` is loaded and checked against the model; a folder is searched
    for videos (labels from ``labels.csv`` or ``meta.json``) and embedded with it.

    Parameters
    ----------
    data : path-like
        An ``EMB.npz`` or a folder of videos.
    checkpoint : path-like, optional
        The model (default: the shipped one).
    cache_dir, jobs, progress
        As for :func:`embed_files`.

    Returns
    -------
    (EmbeddingSet, MuDaR)

    Raises
    ------
    InputError
        Missing or unreadable data or model, nothing embedded.
    ParameterError
        Embeddings of another width or frame rate than the model makes.
    """
    data = Path(data)
    encoder = load_model(checkpoint)
    if data.is_file() and data.suffix == ".npz":
        emb = EmbeddingSet.load(data)
        cfg = encoder.config
        if emb.visual_frames.shape[-1] != cfg.dim or abs(emb.fps - cfg.fps) > 1e-9:
            raise ParameterError(
                f"{data}: embeddings of width {emb.visual_frames.shape[-1]} at {emb.fps:g} fps, "
                f"but the model makes {cfg.dim} at {cfg.fps:g} fps (give the --checkpoint that "
                "made them)"
            )
        return emb, encoder
    paths, labels = expand_inputs([str(data)])
    emb = embed_files(
        paths,
        model=encoder,
        labels=labels,
        cache_dir=cache_dir,
        jobs=jobs,
        progress=progress,
    )
    return emb, encoder
