"""Table 3: music-to-dance retrieval among clips, by sync and by genre.

Every 8 s clip's music is a query and every clip's dance a database item.

- **sync**: the relevant item is the dance of the *same* clip (one per query);
- **genre**: relevant = a clip of another dance of the same genre; the other clips of the
  query's own video are left out of its database (they would be found by their shared dancers
  and room, not by the music), and a query whose genre no other dance has is not scored.

Scores (:func:`mudar.eval.retrieval.retrieval_scores`, ties pessimistic): R@1, R@5, P@10, mAP.
A learned method ranks by ``S_hyb`` (Eq. 21, lambda3 = 0.5; a baseline's rhythm is 0, so it
ranks by its embeddings), ``mudar-norhythm`` by the embeddings alone (lambda3 = 1), a
learning-free method by the rhythm similarity of its per-frame strength with the onsets
(lambda3 = 0), and ``chance`` by seeded random scores. The sync table also ranks, in rows
``<method> (timed)``, by the coincidence of the music's beats with each method's rhythm times
below the frame (:func:`mudar.tasks.retrieve.timed_similarity_matrix`): the frame-level
similarities cannot tell the clip of the same moment from another of the same tempo.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from mudar.errors import ParameterError
from mudar.eval.retrieval import relevance_from_labels, retrieval_scores
from mudar.tasks.retrieve import (
    embedding_similarity,
    hybrid_similarity,
    rhythm_similarity_matrix,
    timed_similarity_matrix,
)

METRICS = ("R@1", "R@5", "P@10", "mAP")
"""Columns of the retrieval tables."""

TASKS = ("sync", "genre")


def relevances(
    clip_file: np.ndarray, labels: Sequence[str]
) -> dict[str, tuple[np.ndarray, np.ndarray | None, np.ndarray]]:
    """What is relevant to each query clip, per task.

    Parameters
    ----------
    clip_file : np.ndarray, int, shape (N,)
        File of each clip.
    labels : sequence of str, length N
        Genre of each clip.

    Returns
    -------
    dict
        ``task -> (relevance (N, N) bool, exclude (N, N) bool or None, queries (N,) bool)``.
    """

    files = np.asarray(clip_file)
    labels = np.asarray(labels)
    n = len(files)
    same_file = files[:, None] == files[None, :]
    genre = relevance_from_labels(labels, labels) & ~same_file
    return {
        "sync": (np.eye(n, dtype=bool), None, np.ones(n, bool)),
        "genre": (genre, same_file, genre.any(axis=1)),
    }


def similarity_matrices(emb, lambda3: float = 0.5, *, seed: int = 0) -> dict[str, np.ndarray]:
    """Scores (music clips x dance clips) of the hybrid similarity and its parts.

    Parameters
    ----------
    emb : EmbeddingSet
    lambda3 : float
        Eq. 21.
    seed : int
        Of the random scores.

    Returns
    -------
    dict
        ``hybrid (lambda3=...)``, ``embedding only (lambda3=1, w/o rhy)``,
        ``rhythm only (lambda3=0)`` and ``chance (seeded random scores)``.
    """

    se = embedding_similarity(emb.audio, emb.visual)
    sr = rhythm_similarity(emb.onsets, emb.visual_rhythm, emb.clip_len)
    return {
        f"hybrid (lambda3={lambda3:g})": hybrid_similarity(se, sr, lambda3=lambda3),
        "embedding only (lambda3=1, w/o rhy)": se,
        "rhythm only (lambda3=0)": sr,
        "chance (seeded random scores)": np.random.default_rng(seed).random(se.shape),
    }


def rhythm_similarity(onsets, visual_rhythm, lengths) -> np.ndarray:
    """``S_r`` of every music clip with every dance clip of one set (lengths shared)."""

    return rhythm_similarity_matrix(onsets, visual_rhythm, onsets_len=lengths, visual_len=lengths)


EXPECTED_CHANCE = "chance (expected)"
"""Sync row of the expected scores of a random ranking
(:func:`mudar.eval.retrieval.chance_retrieval`): the floor that ``chance``, one seeded draw of
it, scatters around (R@1 = 1 / N among N test clips)."""


def timed_row(name: str) -> str:
    """Row of a method ranked by :func:`timed_similarity`."""
    return f"{name} (timed)"


def timed_similarity(analyses, windows, times) -> np.ndarray:
    """``S_t`` of every music clip with every dance clip of one set.

    Parameters
    ----------
    analyses : sequence of Analysis
        With music.
    windows : sequence of (file, start, stop)
        Clip frames, :func:`mudar.pipelines.bench.classification.clip_windows`.
    times : sequence of np.ndarray
        Per file, the method's rhythm times (s from the start of the file).

    Returns
    -------
    np.ndarray, float32, shape (N, N)
    """

    def inside(t, f, a, b):
        fps = analyses[f].clock.fps
        t = np.asarray(t, np.float64)
        return t[(t >= a / fps) & (t < b / fps)] - a / fps

    music = [inside(analyses[f].music.beat_times, f, a, b) for f, a, b in windows]
    dance = [inside(times[f], f, a, b) for f, a, b in windows]
    return timed_similarity_matrix(music, dance)


def retrieval_rows(
    similarities: Mapping[str, np.ndarray],
    clip_file: np.ndarray,
    labels: Sequence[str],
    *,
    direction: str = "music2dance",
) -> dict[str, dict[str, dict[str, float | None]]]:
    """Rows of the retrieval tables.

    Parameters
    ----------
    similarities : mapping of row name to np.ndarray, shape (N, N)
        Music clip (row) x dance clip (column) scores.
    clip_file : np.ndarray, int, shape (N,)
    labels : sequence of str, length N
        Genre of each clip.
    direction : {"music2dance", "dance2music"}
        ``dance2music`` ranks the transposed scores.

    Returns
    -------
    dict
        ``task ("sync", "genre") -> row -> {metric: value}``; a metric that cannot be computed
        (P@10 with fewer than 10 items, genre without any scorable query) is None.
    """

    rel = relevances(clip_file, labels)
    out: dict[str, dict[str, dict[str, float | None]]] = {t: {} for t in TASKS}
    for task, (relevance, exclude, q) in rel.items():
        for name, s in similarities.items():
            s = np.asarray(s) if direction == "music2dance" else np.asarray(s).T
            if not q.any():
                out[task][name] = dict.fromkeys(METRICS)
                continue
            exc = None if exclude is None else exclude[q]
            try:
                r = retrieval_scores(s[q], relevance[q], exclude=exc)
            except ParameterError:  # too few items for P@10
                r = retrieval_scores(s[q], relevance[q], exclude=exc, precision_ks=())
            out[task][name] = {m: r.get(m) for m in METRICS}
    return out
