"""A retrieval index of media files or of an EMB.npz, written to a folder (``mudar index build``).

The index records the model that made its embeddings (path and content hash), so that the
queries of :mod:`mudar.pipelines.retrieve` are embedded with the same one.
"""

from __future__ import annotations

import os
from pathlib import Path

from mudar.data.store.cache import content_hash
from mudar.errors import InputError, ParameterError
from mudar.models.checkpoint import default_checkpoint_path
from mudar.pipelines.embed import embed_files, expand_inputs
from mudar.tasks.embed import EmbeddingSet
from mudar.tasks.index import Index


def model_record(checkpoint: str | os.PathLike | None) -> dict:
    """What an index stores about its model: the checkpoint's absolute path and content hash.

    Raises
    ------
    InputError
        No such checkpoint file.
    """
    path = Path(checkpoint) if checkpoint is not None else default_checkpoint_path()
    if not path.is_file():
        raise InputError(f"{path}: no such checkpoint")
    return {"checkpoint": str(path.resolve()), "checkpoint_hash": content_hash(path)}


def index_embeddings(
    inputs: list[str],
    *,
    checkpoint: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    hop_s: float | None = None,
    jobs: int = 2,
    progress: bool = True,
) -> tuple[EmbeddingSet, dict]:
    """The clips to index, and what the index records about them.

    Parameters
    ----------
    inputs : list of str
        Media files and folders (embedded with ``checkpoint``), or one ``EMB.npz`` of
        ``mudar embed`` (then ``checkpoint``, when given, is recorded as the model that made it).
    checkpoint : path-like, optional
        Default: the shipped model.
    cache_dir, hop_s, jobs, progress
        As for :func:`mudar.pipelines.embed.embed_files`.

    Returns
    -------
    (EmbeddingSet, dict)
        The embeddings (``skipped``: the files that failed), and the index's meta: the
        :func:`model_record` (empty for an ``.npz`` without ``checkpoint``) and ``source``.

    Raises
    ------
    ParameterError
        An ``.npz`` given with other inputs.
    InputError
        Missing inputs or model, nothing embedded.
    """
    npz = [x for x in inputs if x.endswith(".npz")]
    if npz and len(inputs) > 1:
        raise ParameterError("give one EMB.npz, or media files and folders, not both")
    if npz:
        emb = EmbeddingSet.load(npz[0])
        record = model_record(checkpoint) if checkpoint else {}
        return emb, {**record, "source": f"embeddings {Path(npz[0]).resolve()}"}
    paths, labels = expand_inputs(inputs)
    record = model_record(checkpoint)
    emb = embed_files(
        paths,
        checkpoint=record["checkpoint"],
        labels=labels,
        cache_dir=cache_dir,
        hop_s=hop_s,
        jobs=jobs,
        progress=progress,
    )
    return emb, {**record, "source": "media"}


def write_index(emb: EmbeddingSet, out: str | os.PathLike, *, kind: str, meta: dict) -> Index:
    """Index the clips of ``emb`` (FAISS ``kind``: ``auto``, ``flat``, ``pq-refine``) with
    ``meta`` and save it to the folder ``out``."""
    index = Index.from_embeddings(emb, kind=kind, meta=meta)
    index.save(out)
    return index
