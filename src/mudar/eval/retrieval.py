"""Ranking metrics of cross-modal retrieval: R@K, P@K, mAP and the median rank (paper sec. 4.3).

Every function takes a similarity matrix ``(Q, D)`` (higher = more similar; Q queries, D
database items) and a boolean relevance matrix of the same shape, and ranks each query's
database by decreasing similarity.

**Ties** are broken *pessimistically* by default: among items with the same score, the
irrelevant ones rank first, so a scorer that gives everything the same score ranks every
relevant item last and gains nothing from the order of the database. ``ties="order"`` breaks
ties by database position instead (the first item first), as a stable sort does.

**Excluded items** (``exclude``, optional) are taken out of a query's database before ranking,
e.g. the other clips of the query's own video in genre retrieval.

Every query needs at least one relevant item that is not excluded: R@K, mAP and the rank of the
first relevant item are undefined otherwise, so such queries raise :class:`ParameterError`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mudar.errors import ParameterError

TIES = ("pessimistic", "order")
"""How equal scores are ordered: relevant items last, or by database position."""


def relevance_from_labels(query_labels: Sequence, database_labels: Sequence) -> np.ndarray:
    """Relevance of every (query, item) pair: the same label.

    Parameters
    ----------
    query_labels : sequence, length Q
    database_labels : sequence, length D

    Returns
    -------
    np.ndarray, bool, shape (Q, D)
    """
    q = np.asarray(query_labels)
    d = np.asarray(database_labels)
    if q.ndim != 1 or d.ndim != 1:
        raise ParameterError(f"labels must be 1-D, got shapes {q.shape} and {d.shape}")
    return q[:, None] == d[None, :]


def rank_relevance(
    similarity,
    relevance,
    *,
    exclude=None,
    ties: str = "pessimistic",
) -> tuple[np.ndarray, np.ndarray]:
    """Relevance of each query's ranked database, best first.

    Parameters
    ----------
    similarity : array-like, float, shape (Q, D)
        Finite scores; higher ranks first.
    relevance : array-like, bool, shape (Q, D)
    exclude : array-like, bool, shape (Q, D), optional
        Items taken out of a query's database.
    ties : {"pessimistic", "order"}
        See the module docstring.

    Returns
    -------
    ranked : np.ndarray, bool, shape (Q, D)
        ``ranked[q, r]``: the item at rank ``r + 1`` is relevant (False past the end of a
        query's database when items are excluded).
    n_items : np.ndarray, int64, shape (Q,)
        Items ranked per query (D minus the excluded ones).

    Raises
    ------
    ParameterError
        Shapes that differ or are not 2-D, an empty matrix, non-finite scores, an unknown
        ``ties``, or a query with no relevant item left.
    """
    sim, rel, exc = _check(similarity, relevance, exclude)
    if ties not in TIES:
        raise ParameterError(f"ties must be one of {TIES}, got {ties!r}")
    position = np.broadcast_to(np.arange(sim.shape[1]), sim.shape)
    tie_key = rel if ties == "pessimistic" else np.zeros_like(rel)
    # np.lexsort: the last key is the primary one
    order = np.lexsort((position, tie_key, -sim, exc), axis=-1)
    ranked = np.take_along_axis(rel & ~exc, order, axis=-1)
    return ranked, (~exc).sum(axis=1).astype(np.int64)


def first_relevant_rank(similarity, relevance, *, exclude=None, ties="pessimistic") -> np.ndarray:
    """Rank of each query's first relevant item, 1-based.

    Parameters and Raises as :func:`rank_relevance`.

    Returns
    -------
    np.ndarray, int64, shape (Q,)
    """
    ranked, _ = rank_relevance(similarity, relevance, exclude=exclude, ties=ties)
    return np.argmax(ranked, axis=1).astype(np.int64) + 1


def recall_at_k(similarity, relevance, *, k: int, exclude=None, ties="pessimistic") -> float:
    """R@K: the share of queries with at least one relevant item among their first ``k``.

    Parameters and Raises as :func:`rank_relevance`; also ``k`` >= 1 (a ``k`` beyond a
    query's database counts its whole database).

    Returns
    -------
    float, in [0, 1]
    """
    _check_k(k)
    ranks = first_relevant_rank(similarity, relevance, exclude=exclude, ties=ties)
    return float(np.mean(ranks <= k))


def precision_at_k(similarity, relevance, *, k: int, exclude=None, ties="pessimistic") -> float:
    """P@K: the share of relevant items among each query's first ``k``, averaged over queries.

    The denominator is always ``k``, so ``k`` may not exceed any query's database.

    Raises
    ------
    ParameterError
        As :func:`rank_relevance`; ``k < 1``; ``k`` larger than a query's database.
    """
    _check_k(k)
    ranked, n_items = rank_relevance(similarity, relevance, exclude=exclude, ties=ties)
    if k > n_items.min():
        raise ParameterError(f"P@{k} needs at least {k} items per query, got {n_items.min()}")
    return float(np.mean(ranked[:, :k].sum(axis=1) / k))


def average_precision(similarity, relevance, *, exclude=None, ties="pessimistic") -> np.ndarray:
    """Average precision of each query: the mean of the precision at the rank of each relevant
    item, ``AP = (1 / R) sum_{r: relevant} hits(r) / r``.

    Parameters and Raises as :func:`rank_relevance`.

    Returns
    -------
    np.ndarray, float64, shape (Q,)
    """
    ranked, _ = rank_relevance(similarity, relevance, exclude=exclude, ties=ties)
    hits = np.cumsum(ranked, axis=1)
    ranks = np.arange(1, ranked.shape[1] + 1)
    return (np.where(ranked, hits / ranks, 0.0)).sum(axis=1) / ranked.sum(axis=1)


def mean_average_precision(similarity, relevance, *, exclude=None, ties="pessimistic") -> float:
    """mAP: :func:`average_precision` averaged over the queries."""
    return float(np.mean(average_precision(similarity, relevance, exclude=exclude, ties=ties)))


def median_rank(similarity, relevance, *, exclude=None, ties="pessimistic") -> float:
    """Median over the queries of the rank of the first relevant item (1 is best)."""
    return float(np.median(first_relevant_rank(similarity, relevance, exclude=exclude, ties=ties)))


def retrieval_scores(
    similarity,
    relevance,
    *,
    exclude=None,
    recall_ks: Sequence[int] = (1, 5),
    precision_ks: Sequence[int] = (10,),
    ties: str = "pessimistic",
) -> dict[str, float]:
    """All the scores of one ranking, as reported in the paper's retrieval tables.

    Returns
    -------
    dict
        ``{"R@1": ..., "R@5": ..., "P@10": ..., "mAP": ..., "median_rank": ..., "queries": Q}``
        (keys follow ``recall_ks`` and ``precision_ks``).

    Raises
    ------
    ParameterError
        As :func:`rank_relevance`, :func:`recall_at_k` and :func:`precision_at_k`.
    """
    ranked, n_items = rank_relevance(similarity, relevance, exclude=exclude, ties=ties)
    first = np.argmax(ranked, axis=1) + 1
    out: dict[str, float] = {}
    for k in recall_ks:
        _check_k(k)
        out[f"R@{k}"] = float(np.mean(first <= k))
    for k in precision_ks:
        _check_k(k)
        if k > n_items.min():
            raise ParameterError(f"P@{k} needs at least {k} items per query, got {n_items.min()}")
        out[f"P@{k}"] = float(np.mean(ranked[:, :k].sum(axis=1) / k))
    hits = np.cumsum(ranked, axis=1)
    ap = np.where(ranked, hits / np.arange(1, ranked.shape[1] + 1), 0.0).sum(1) / ranked.sum(1)
    out["mAP"] = float(np.mean(ap))
    out["median_rank"] = float(np.median(first))
    out["queries"] = int(len(first))
    return out


def chance_retrieval(n_candidates: np.ndarray, *, ks: Sequence[int] = (1, 5)) -> dict[str, float]:
    """Expected R@K and mAP of a random ranking with one relevant item among ``D_q`` each:
    ``R@K = min(K, D) / D`` and ``AP = E[1 / rank] = H_D / D``."""
    d = np.asarray(n_candidates, np.float64)
    out = {f"R@{k}": float(np.mean(np.minimum(k, d) / d)) for k in ks}
    harmonic = np.array([np.sum(1.0 / np.arange(1, int(n) + 1)) for n in d])
    out["mAP"] = float(np.mean(harmonic / d))
    return out


def _check_k(k) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ParameterError(f"k must be an integer >= 1, got {k!r}")


def _check(similarity, relevance, exclude) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sim = np.asarray(similarity, dtype=np.float64)
    rel = np.asarray(relevance)
    if sim.ndim != 2 or sim.size == 0:
        raise ParameterError(f"similarity must be a non-empty (Q, D) matrix, got {sim.shape}")
    if rel.shape != sim.shape:
        raise ParameterError(f"relevance has shape {rel.shape}, similarity {sim.shape}")
    if rel.dtype != bool:
        raise ParameterError(f"relevance must be boolean, got {rel.dtype}")
    if not np.isfinite(sim).all():
        raise ParameterError("similarity holds non-finite values")
    if exclude is None:
        exc = np.zeros(sim.shape, dtype=bool)
    else:
        exc = np.asarray(exclude)
        if exc.shape != sim.shape or exc.dtype != bool:
            raise ParameterError(
                f"exclude must be boolean of shape {sim.shape}, got {exc.dtype} {exc.shape}"
            )
    missing = ~(rel & ~exc).any(axis=1)
    if missing.any():
        raise ParameterError(
            f"{int(missing.sum())} of {len(sim)} queries have no relevant item "
            f"(first: query {int(np.flatnonzero(missing)[0])})"
        )
    return sim, rel, exc
