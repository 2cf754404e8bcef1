"""Search an index with a media file (``mudar retrieve``): the query is embedded with the index's
own model, then ranked by :meth:`mudar.tasks.index.Index.query`, leaving out the clips of the
query file itself where the index holds it (:func:`query_files_in`)."""

from __future__ import annotations

import os
from pathlib import Path

from mudar.data.store.cache import content_hash
from mudar.errors import InputError, ParameterError
from mudar.pipelines.embed import embed_files
from mudar.pipelines.index import model_record
from mudar.tasks.embed import EmbeddingSet
from mudar.tasks.index import Index


def query_checkpoint(index: Index, checkpoint: str | None) -> str:
    """The model that embeds the query: ``checkpoint``, else the one the index records; its
    content must be the index's (same hash).

    Raises
    ------
    InputError
        The model file is missing.
    ParameterError
        No model recorded and none given, or a model that is not the index's.
    """
    recorded = index.meta.get("checkpoint")
    if checkpoint is None:
        if recorded is None:
            raise ParameterError(
                "the index does not record its model (built from an EMB.npz): give --checkpoint"
            )
        if not Path(recorded).is_file():
            raise InputError(f"{recorded}: the index's model is gone; give --checkpoint")
        checkpoint = recorded
    given = model_record(checkpoint)
    if index.meta.get("checkpoint_hash") not in (None, given["checkpoint_hash"]):
        raise ParameterError(
            f"{checkpoint} is not the model the index was built with ({recorded}, since "
            "changed or another file): the query would be embedded in another space"
        )
    return given["checkpoint"]


def query_files_in(files: list[str], query: str | os.PathLike) -> list[str]:
    """The files among ``files`` (an index's, as it names them; relative ones from the working
    folder) that are the file ``query`` itself: the same file, or one of the same bytes (a
    copy, such as an upload of it). Files that are gone are not it.

    Raises
    ------
    InputError
        ``query`` is no file.
    """
    q = Path(query)
    if not q.is_file():
        raise InputError(f"{query}: no such file")
    size, digest, same = q.stat().st_size, None, []
    for name in files:
        p = Path(name)
        try:
            if not p.is_file():
                continue
            if p.samefile(q):
                same.append(name)
            elif p.stat().st_size == size:  # the bytes only where the size already matches
                digest = digest or content_hash(q)
                if content_hash(p) == digest:
                    same.append(name)
        except OSError:  # unreadable: not the query, as far as can be told
            continue
    return same


def retrieve_file(
    index_dir: str | os.PathLike,
    query: str,
    *,
    direction: str,
    top_k: int,
    lambda3: float,
    candidates: int | None = None,
    checkpoint: str | None = None,
    cache_dir: str | os.PathLike | None = None,
) -> tuple[list, EmbeddingSet, list[str]]:
    """The clips of the index in ``index_dir`` that fit the file ``query`` best, none of the
    query file itself (it would find itself first).

    Parameters
    ----------
    index_dir : path-like
        A folder of :func:`mudar.pipelines.index.write_index`.
    query : str
        A video or a song; cut into clips when longer than one.
    direction : {"music2dance", "dance2music"}
    top_k, lambda3, candidates
        As for :meth:`mudar.tasks.index.Index.query`.
    checkpoint : str, optional
        See :func:`query_checkpoint`.
    cache_dir : path-like, optional
        Feature cache.

    Returns
    -------
    (list of hits, EmbeddingSet, list of str)
        The ranked hits, the query's embeddings, and the files of the index whose clips were
        left out as the query's own (:func:`query_files_in`; usually none or one).

    Raises
    ------
    InputError, ParameterError
    """
    index = Index.load(index_dir)
    if not Path(query).is_file():
        raise InputError(f"{query}: no such file")
    emb = embed_files(
        [query],
        checkpoint=query_checkpoint(index, checkpoint),
        cache_dir=cache_dir,
        jobs=1,
        progress=False,
    )
    own = query_files_in(index.files, query)
    hits = index.query(
        emb,
        direction=direction,
        top_k=top_k,
        lambda3=lambda3,
        candidates=candidates,
        exclude_files=own,
    )
    return hits, emb, own
