"""The searchable, storable index of music-dance clips: one FAISS index per side, searched by
the hybrid similarity of Eq. 21 (:mod:`mudar.tasks.retrieve`).

The :class:`Index` keeps one FAISS index per side for the embedding part. Search is two-stage:
FAISS returns the ``candidates`` clips of highest ``S_e``, then these are re-ranked exactly by
``S_hyb``. A clip with a high rhythm similarity but an embedding similarity below every candidate
is not found, so by default a side of up to :data:`EXHAUSTIVE_MAX` clips is scored exactly,
every clip (the rhythm term costs little at that size; on the real dances a pre-selection of 100
clips by ``S_e`` kept a third of the exhaustive top 10), and so is every side with
``lambda3 = 0`` (rhythm only); above, FAISS proposes ``max(100, 10 * top_k)`` clips.

A query of several clips (a file longer than one clip) scores each database clip against every
query clip and keeps the best pair: the database clip that fits some part of the query best.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mudar.errors import InputError, ParameterError
from mudar.optional import require
from mudar.tasks.retrieve import (
    DEFAULT_LAMBDA3,
    SEARCHED_SIDE,
    SIDES,
    Side,
    as_matrix,
    check_direction,
    check_lambda3,
    clip_lengths,
    hybrid_similarity,
    query_side,
    rhythm_similarity_matrix,
    side_of,
    unit_rows,
)

FORMAT = "mudar-index-1"

EXHAUSTIVE_MAX = 10_000
"""Up to this many clips a side is re-ranked whole by default, no FAISS pre-selection."""
FLAT_MAX = 50_000
"""Up to this many clips a side is searched exactly (``IndexFlatIP``); above, approximately."""
PQ_K_FACTOR = 10
"""Approximate index: the PQ stage proposes ``PQ_K_FACTOR * k`` clips, re-scored exactly (the
index is asked for ``k >= 100`` candidates, so that is 1000 or more)."""
PQ_TRAIN_MAX = 100_000
"""Approximate index: vectors used to train the product quantiser (a seeded random subset)."""
KINDS = ("auto", "flat", "pq-refine")


@dataclass(frozen=True)
class Hit:
    """One retrieved clip."""

    file: str
    start_s: float
    score: float
    embedding_similarity: float
    rhythm_similarity: float
    query_start_s: float
    label: str
    clip: int
    duration_s: float
    """Length of the clip from ``start_s``, seconds (its frames that hold data)."""

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "start_s": round(self.start_s, 3),
            "duration_s": round(self.duration_s, 3),
            "score": round(self.score, 6),
            "embedding_similarity": round(self.embedding_similarity, 6),
            "rhythm_similarity": round(self.rhythm_similarity, 6),
            "query_start_s": round(self.query_start_s, 3),
            "label": self.label,
        }


class Index:
    """Clips of dances and music, searchable by the hybrid similarity (Eq. 21).

    Build with :meth:`from_embeddings`, search with :meth:`search` (arrays) or :meth:`query`
    (an embedded query file), store with :meth:`save` / :meth:`load`.

    The embedding part of each side is a FAISS inner-product index over the L2-normalised
    embeddings, so inner product = cosine = ``S_e``. Up to :data:`FLAT_MAX` clips it is exact
    (``IndexFlatIP``). Above, it is a product quantiser of 4-bit codes on pairs of dimensions
    scanned with FAISS's SIMD "fast scan" (``IndexPQFastScan``, ``E/2`` codes of 4 bits per
    clip), whose best ``PQ_K_FACTOR * k`` are re-scored with the exact vectors
    (``IndexRefineFlat``). We chose it over HNSW after measuring both on 2 busy cores
    (``benchmarks/bench_retrieval_scale.py``, random 256-d vectors): HNSW (M=32) took 76 s to
    build on 100k vectors and found half of the true top 10 at efSearch 256 (random
    high-dimensional data has no neighbourhoods for a graph to follow); the fast scan of
    compact codes visits every clip, built 1M vectors in 8 s and answered a top-10 query in
    about 4 ms with recall@10 0.99 (``k_factor`` 50).

    Attributes
    ----------
    files, labels : list of str
    fps : float
    n_frames : int
        T, frames per clip.
    dim : int
        E, embedding size.
    clip_file, clip_start_s, clip_len : np.ndarray, shape (N,)
        The clip table (as :class:`~mudar.tasks.embed.EmbeddingSet`).
    sides : dict of str to Side
    meta : dict
        ``checkpoint`` (the model that made the embeddings, or None), ``checkpoint_hash``, and
        anything else JSON-serialisable.
    """

    def __init__(
        self, *, files, labels, fps, clip_file, clip_start_s, clip_len, sides, faiss_idx, meta
    ):
        self.files = list(files)
        self.labels = list(labels)
        self.fps = float(fps)
        self.clip_file = np.asarray(clip_file, dtype=np.int64)
        self.clip_start_s = np.asarray(clip_start_s, dtype=np.float64)
        self.clip_len = np.asarray(clip_len, dtype=np.int64)
        self.sides: dict[str, Side] = sides
        self._faiss = faiss_idx
        self.meta = dict(meta)
        any_side = next(iter(sides.values()))
        self.n_frames = int(any_side.rhythm.shape[1])
        self.dim = int(any_side.embeddings.shape[1])

    def __len__(self) -> int:
        return len(self.clip_file)

    def kind(self, side: str) -> str:
        """``flat`` or ``pq-refine``: the FAISS index of a side."""
        faiss = _faiss()

        return "pq-refine" if isinstance(self._faiss[side], faiss.IndexRefine) else "flat"

    # - building -

    @classmethod
    def from_embeddings(cls, emb, *, kind: str = "auto", meta: dict | None = None) -> Index:
        """Index the clips of an :class:`~mudar.tasks.embed.EmbeddingSet`, both sides.

        Parameters
        ----------
        emb : EmbeddingSet
        kind : {"auto", "flat", "pq-refine"}
            FAISS index per side; ``auto``: ``flat`` up to :data:`FLAT_MAX` clips.
        meta : dict, optional
            Stored with the index (e.g. ``{"checkpoint": path, "checkpoint_hash": hash}``).

        Raises
        ------
        InputError
            No clip with pictures nor with music.
        ParameterError
            Unknown ``kind``, embeddings that are not finite.
        """
        if kind not in KINDS:
            raise ParameterError(f"kind must be one of {KINDS}, got {kind!r}")
        sides = {s: side_of(emb, s) for s in SIDES}
        sides = {s: v for s, v in sides.items() if len(v)}
        if not sides:
            raise InputError("nothing to index: no clip has pictures or music")
        for s, v in sides.items():
            if not np.isfinite(v.embeddings).all():
                raise ParameterError(f"the {s} embeddings hold non-finite values")
        faiss_idx = {s: build_faiss(v.embeddings, kind=kind) for s, v in sides.items()}
        return cls(
            files=emb.files,
            labels=emb.labels,
            fps=emb.fps,
            clip_file=emb.clip_file,
            clip_start_s=emb.clip_start_s,
            clip_len=emb.clip_len,
            sides=sides,
            faiss_idx=faiss_idx,
            meta={"checkpoint": None, "checkpoint_hash": None, **(meta or {})},
        )

    # - searching -

    def search(
        self,
        query_embedding,
        query_rhythm,
        *,
        direction: str = "music2dance",
        top_k: int = 10,
        lambda3: float = DEFAULT_LAMBDA3,
        candidates: int | None = None,
        query_len=None,
        query_start_s=None,
        exclude_files=(),
    ) -> list[Hit]:
        """The ``top_k`` clips of the searched side by ``S_hyb``, best first.

        Parameters
        ----------
        query_embedding : array-like, shape (E,) or (M, E)
            ``music2dance``: audio embedding(s) of the query; ``dance2music``: visual.
        query_rhythm : array-like, shape (T,) or (M, T)
            ``music2dance``: onset frames of the query; ``dance2music``: its visual rhythm.
        direction : {"music2dance", "dance2music"}
            Searches the dance side or the music side.
        top_k : int
            Clips returned (fewer if the side holds fewer).
        lambda3 : float
            Eq. 21, in ``[0, 1]``.
        candidates : int, optional
            Clips proposed by FAISS per query clip and re-ranked exactly. Default: every clip
            of a side of up to :data:`EXHAUSTIVE_MAX` clips or when ``lambda3 == 0``, else
            ``max(100, 10 * top_k)``.
        query_len : array-like of int, shape (M,), optional
            Frames of each query clip that hold data; default T.
        query_start_s : array-like of float, shape (M,), optional
            Start of each query clip in its file (reported in :class:`Hit`); default 0.
        exclude_files : iterable of str
            Files of the index (as :attr:`files` names them) whose clips are never returned:
            the query's own file, which would otherwise find itself.

        Returns
        -------
        list of Hit
            Sorted by decreasing score; equal scores by clip order in the index. Fewer than
            ``top_k`` when the side holds fewer clips outside ``exclude_files``.

        Raises
        ------
        InputError
            The index has no clips of the side searched.
        ParameterError
            Unknown direction, ``top_k`` or ``candidates`` < 1, ``lambda3`` outside
            ``[0, 1]``, or a query whose shapes do not fit the index.
        """
        check_direction(direction)
        check_lambda3(lambda3)
        _check_positive(top_k, "top_k")
        side_name = SEARCHED_SIDE[direction]
        if side_name not in self.sides:
            raise InputError(
                f"the index has no {side_name} side ({direction} searches the "
                f"{'clips with pictures' if side_name == 'dance' else 'clips with music'})"
            )
        side = self.sides[side_name]
        q = as_matrix(np.atleast_2d(query_embedding), "query_embedding", np.float32)
        r = as_matrix(np.atleast_2d(query_rhythm), "query_rhythm", np.float64)
        if q.shape[1] != self.dim:
            raise ParameterError(
                f"query embedding of size {q.shape[1]}, the index holds size {self.dim} "
                "(another model?)"
            )
        if r.shape != (len(q), self.n_frames):
            raise ParameterError(
                f"query rhythm of shape {r.shape}, expected ({len(q)}, {self.n_frames})"
            )
        qlen = clip_lengths(query_len, len(q), self.n_frames, "query_len")
        qstart = np.zeros(len(q)) if query_start_s is None else np.asarray(query_start_s, float)
        if qstart.shape != (len(q),):
            raise ParameterError(f"query_start_s must have shape ({len(q)},)")
        q = unit_rows(q)
        n = len(side)
        if candidates is None:
            exhaustive = lambda3 == 0 or n <= EXHAUSTIVE_MAX
            candidates = n if exhaustive else max(100, 10 * top_k)
        _check_positive(candidates, "candidates")
        allowed = self._outside(side, exclude_files)
        left_out = n - int(allowed.sum())
        if candidates + left_out >= n:
            ids = np.flatnonzero(allowed)
        else:  # asked for as many more as are left out, so that `candidates` remain
            _, found = self._faiss[side_name].search(q, int(candidates + left_out))
            ids = np.unique(found[found >= 0])
            ids = ids[allowed[ids]]
        if len(ids) == 0:
            return []
        # exact re-ranking of the candidates by S_hyb
        se = q @ side.embeddings[ids].T
        music, dance = (r, side.rhythm[ids]) if side_name == "dance" else (side.rhythm[ids], r)
        mlen, dlen = (qlen, side.length[ids]) if side_name == "dance" else (side.length[ids], qlen)
        sr = rhythm_similarity_matrix(music, dance, onsets_len=mlen, visual_len=dlen)
        if side_name == "music":
            sr = sr.T
        s = hybrid_similarity(se, sr, lambda3=lambda3)  # (M, U)
        best_q = np.argmax(s, axis=0)
        cols = np.arange(len(ids))
        score = s[best_q, cols]
        order = np.lexsort((ids, -score))[:top_k]
        hits = []
        for j in order:
            clip = int(side.clips[ids[j]])
            f = int(self.clip_file[clip])
            hits.append(
                Hit(
                    file=self.files[f],
                    start_s=float(self.clip_start_s[clip]),
                    score=float(score[j]),
                    embedding_similarity=float(se[best_q[j], j]),
                    rhythm_similarity=float(sr[best_q[j], j]),
                    query_start_s=float(qstart[best_q[j]]),
                    label=self.labels[f],
                    clip=clip,
                    duration_s=float(self.clip_len[clip]) / self.fps,
                )
            )
        return hits

    def _outside(self, side: Side, exclude_files) -> np.ndarray:
        """bool (len(side),): the clips of ``side`` that are of no file in ``exclude_files``.

        Raises
        ------
        ParameterError
            ``exclude_files`` is a single string (a name, not a list of names).
        """
        if isinstance(exclude_files, str):
            raise ParameterError(f"exclude_files must be a list of names, got {exclude_files!r}")
        names = set(exclude_files)
        gone = [i for i, f in enumerate(self.files) if f in names]
        return ~np.isin(self.clip_file[side.clips], gone)

    def query(self, emb, *, direction: str = "music2dance", **kwargs) -> list[Hit]:
        """:meth:`search` with the clips of an embedded query file (all of its clips).

        Parameters
        ----------
        emb : EmbeddingSet
            The query, embedded by the model of the index.
        direction, **kwargs
            As :meth:`search`.

        Raises
        ------
        InputError
            The query lacks the side the direction needs (see :func:`query_side`).
        ParameterError
            As :meth:`search`; a query at another frame rate.
        """
        if abs(float(emb.fps) - self.fps) > 1e-9:
            raise ParameterError(f"query at {emb.fps} fps, the index at {self.fps} fps")
        q = query_side(emb, direction=direction)
        return self.search(
            q.embeddings,
            q.rhythm,
            direction=direction,
            query_len=q.length,
            query_start_s=emb.clip_start_s[q.clips],
            **kwargs,
        )

    # - storing -

    def save(self, path: str | os.PathLike) -> Path:
        """Write the index to a folder: ``index.json`` (metadata), ``clips.npz`` (clip table and
        rhythms) and one ``<side>.faiss`` per side (which holds the embeddings). No pickles.

        The folder is written beside ``path`` and renamed into place, so ``path`` never holds a
        half-written index. An existing ``path`` is replaced only if it is a mudar index (or an
        empty folder).

        Raises
        ------
        InputError
            ``path`` exists and is not a mudar index.
        """
        faiss = _faiss()

        dest = Path(path)
        if dest.exists() and not (
            (dest.is_dir() and not any(dest.iterdir())) or (dest / "index.json").is_file()
        ):
            raise InputError(f"{dest}: exists and is not a mudar index; not overwriting it")
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.part")
        try:
            tmp.mkdir()
            arrays = {
                "files": np.array(self.files, dtype=str),
                "labels": np.array(self.labels, dtype=str),
                "clip_file": self.clip_file,
                "clip_start_s": self.clip_start_s,
                "clip_len": self.clip_len,
            }
            for s, v in self.sides.items():
                arrays.update(
                    {
                        f"{s}_clips": v.clips,
                        f"{s}_rhythm": v.rhythm,
                        f"{s}_length": v.length,
                    }
                )
                faiss.write_index(self._faiss[s], str(tmp / f"{s}.faiss"))
            with open(tmp / "clips.npz", "wb") as f:
                np.savez_compressed(f, **arrays)
            doc = {
                "format": FORMAT,
                "fps": self.fps,
                "n_frames": self.n_frames,
                "dim": self.dim,
                "sides": {
                    s: {"clips": len(v), "faiss": self.kind(s)} for s, v in self.sides.items()
                },
                "files": len(self.files),
                "meta": self.meta,
            }
            (tmp / "index.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
            old = None
            if dest.exists():
                old = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.old")
                os.replace(dest, old)
            try:
                os.replace(tmp, dest)
            except OSError:
                if old is not None:  # put the previous index back
                    os.replace(old, dest)
                raise
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            with contextlib.suppress(OSError):
                shutil.rmtree(tmp)
            raise
        return dest

    @classmethod
    def load(cls, path: str | os.PathLike) -> Index:
        """Read a folder written by :meth:`save`.

        Raises
        ------
        InputError
            Missing folder, or not a (readable) mudar index.
        """
        faiss = _faiss()

        p = Path(path)
        if not p.is_dir():
            raise InputError(f"{p}: no such index (make one with mudar index build)")
        try:
            doc = json.loads((p / "index.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise InputError(f"{p}: not a mudar index (no readable index.json)") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise InputError(f"{p}: not a mudar index (format {doc.get('format')!r})")
        try:
            faiss_idx = {s: faiss.read_index(str(p / f"{s}.faiss")) for s in doc["sides"]}
            with np.load(p / "clips.npz", allow_pickle=False) as z:
                sides = {
                    s: Side(
                        clips=z[f"{s}_clips"],
                        # the exact vectors: the flat index, or the refinement stage of pq-refine
                        embeddings=idx.reconstruct_n(0, idx.ntotal),
                        rhythm=z[f"{s}_rhythm"],
                        length=z[f"{s}_length"],
                    )
                    for s, idx in faiss_idx.items()
                }
                table = {k: z[k] for k in ("clip_file", "clip_start_s", "clip_len")}
                files = [str(s) for s in z["files"]]
                labels = [str(s) for s in z["labels"]]
        except (OSError, ValueError, KeyError, RuntimeError) as e:
            raise InputError(f"{p}: cannot read the index ({type(e).__name__})") from None
        for s, idx in faiss_idx.items():
            if idx.ntotal != len(sides[s].clips):
                raise InputError(f"{p}: the {s} index and its clip table disagree")
            if isinstance(idx, faiss.IndexRefine):
                idx.k_factor = PQ_K_FACTOR
        return cls(
            files=files,
            labels=labels,
            fps=doc["fps"],
            sides=sides,
            faiss_idx=faiss_idx,
            meta=doc.get("meta", {}),
            **table,
        )


def build_faiss(embeddings: np.ndarray, *, kind: str = "auto", seed: int = 0):
    """A FAISS inner-product index over ``embeddings`` (see :class:`Index` for the choice).

    Parameters
    ----------
    embeddings : np.ndarray, float32, shape (n, E)
        L2-normalised rows.
    kind : {"auto", "flat", "pq-refine"}
        ``auto``: ``flat`` up to :data:`FLAT_MAX` rows (or for an odd E), ``pq-refine`` above.
    seed : int
        Seeds the choice of the training subset of ``pq-refine``.

    Returns
    -------
    faiss.Index
        ``IndexFlatIP``, or ``IndexRefineFlat(IndexPQFastScan(E, E/2, 4))`` with
        ``k_factor`` = :data:`PQ_K_FACTOR`.

    Raises
    ------
    ParameterError
        Unknown ``kind``; ``pq-refine`` with an odd E or fewer than 256 rows to train on.
    """
    faiss = _faiss()

    x = np.ascontiguousarray(embeddings, dtype=np.float32)
    n, e = x.shape
    if kind not in KINDS:
        raise ParameterError(f"kind must be one of {KINDS}, got {kind!r}")
    if kind == "auto":
        kind = "flat" if n <= FLAT_MAX or e % 2 else "pq-refine"
    if kind == "flat":
        index = faiss.IndexFlatIP(e)
        index.add(x)
        return index
    if e % 2 or n < 256:
        raise ParameterError(
            f"pq-refine needs an even embedding size and >= 256 rows, got {x.shape}"
        )
    base = faiss.IndexPQFastScan(e, e // 2, 4, faiss.METRIC_INNER_PRODUCT)
    index = faiss.IndexRefineFlat(base)
    index.k_factor = PQ_K_FACTOR
    train = x
    if n > PQ_TRAIN_MAX:
        rows = np.random.default_rng(seed).choice(n, PQ_TRAIN_MAX, replace=False)
        train = x[np.sort(rows)]
    index.train(train)
    index.add(x)
    return index


def _faiss():
    """FAISS, the optional ``retrieve`` extra (one clear error when it is not installed)."""
    return require("faiss", purpose="a retrieval index")


def _check_positive(k, name: str) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ParameterError(f"{name} must be an integer >= 1, got {k!r}")
