"""Speed: how fast each method analyses a video, trains and answers a query.

- ``analysis_x_realtime``: seconds of video per second of compute, from the file to the
  method's output for one whole test video: decoding and features (:func:`analysis_seconds`),
  plus for a learned method its model over every clip (embeddings, and MuDaR's rhythm), plus
  for the directogram its own impacts;
- ``train_s``: wall seconds of the training run (0 for the learning-free methods);
- ``query_ms``: median latency of one music-to-dance query over the test clips (top 10; a
  learned method searches its index, :meth:`mudar.tasks.index.Index.search`, a
  learning-free one scores the rhythm similarity with every clip).

Timings are wall clock on the machine the bench runs on, shared or not; the bench records the
load average beside them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np

from mudar.features.extract import analyze
from mudar.tasks.embed import embed_analysis
from mudar.tasks.index import Index
from mudar.tasks.retrieve import rhythm_similarity_matrix
from mudar.tasks.rhythm import dance_rhythm

METRICS = ("analysis_x_realtime", "train_s", "query_ms")
"""Columns of the speed table."""

LOWER_IS_BETTER = frozenset({"train_s", "query_ms"})
"""Speed metrics where less is better (every other metric of the bench: more is better)."""


def timed(fn: Callable, *args, **kwargs) -> tuple[float, object]:
    """``(seconds, result)`` of one call."""
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t, out


def analysis_seconds(path: str | os.PathLike, config) -> tuple[float, object]:
    """Wall seconds of :func:`mudar.features.extract.analyze` of one file, and its result."""

    return timed(analyze, path, config)


def model_seconds(model, analysis) -> float:
    """Wall seconds of a model over every clip of a whole video (``mudar embed``'s pass)."""

    return timed(embed_analysis, model, analysis)[0]


def directogram_seconds(analysis) -> float:
    """Wall seconds of the directogram's impacts of a whole analysed video."""

    return timed(dance_rhythm, analysis, method="directogram")[0]


def index_query_ms(emb, *, queries: int = 20, lambda3: float = 0.5) -> float | None:
    """Median milliseconds of one music-to-dance search of the clips of ``emb`` (top 10)."""

    index = Index.from_embeddings(emb)
    rows = np.flatnonzero(emb.has_audio)[:queries]
    times = []
    for i in rows:
        t = time.perf_counter()
        index.search(emb.audio[i], emb.onsets[i], top_k=10, lambda3=lambda3)
        times.append(time.perf_counter() - t)
    return 1e3 * float(np.median(times)) if times else None


def rhythm_query_ms(onsets, visual_rhythm, lengths, *, queries: int = 20) -> float | None:
    """Median milliseconds of one rhythm-only query: S_r with every dance clip, then the top
    10."""

    onsets, lengths = np.asarray(onsets), np.asarray(lengths)
    times = []
    for i in range(min(queries, len(onsets))):
        t = time.perf_counter()
        s = rhythm_similarity_matrix(
            onsets[i : i + 1], visual_rhythm, onsets_len=lengths[i : i + 1], visual_len=lengths
        )[0]
        np.argsort(-s, kind="stable")[:10]
        times.append(time.perf_counter() - t)
    return 1e3 * float(np.median(times)) if times else None


def load_average() -> float | None:
    """The 1-minute load average, where the system tells it."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None
