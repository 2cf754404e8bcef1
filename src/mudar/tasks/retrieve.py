"""Music-dance retrieval (paper sec. 4.3): find the dances that fit a piece of music, and the
music that fits a dance, with the hybrid similarity of Eq. 21,

``S_hyb = lambda3 * S_e + (1 - lambda3) * S_r``.

- ``S_e``, the **embedding similarity**: the cosine of the audio embedding of one side and the
  visual embedding of the other (the implicit pathway, trained to bring the two together).
- ``S_r``, the **rhythm similarity**: how well a clip's music onsets line up with a clip's
  visual rhythm (the explicit pathway), :func:`rhythm_similarity_matrix`: the Pearson
  correlation of the onset sequence, smoothed by a Gaussian of one frame, with the visual rhythm
  probability, maximised over shifts of up to +-2 frames (+-0.25 s at 8 fps). We use a
  correlation rather than the onset IoU of Eq. 16
  (:func:`mudar.data.clips.sampling.rhythm_similarity`)
  because the visual side is a probability, not onsets: the correlation uses all of it, needs
  no threshold, and does not care about its scale or offset (the learned rhythm of a dance can
  vary little around its mean). The small shift forgives a constant lag between the two
  detectors; the smoothing gives credit to a rhythm one frame off.
- ``S_t``, the **timed rhythm similarity** (:func:`timed_similarity_matrix`, not in the
  paper): the F-measure of the coincidences, within 70 ms, of a music clip's beat times and a
  dance clip's rhythm *times* measured below the frame. The frame-level ``S_r`` cannot tell the
  clip of the same moment from another of the same tempo: its +-2 frame shift spans half a beat,
  and at 8 fps a dancer's accents are locked to the music only below the frame (on the
  beat-locked set the rhythms of every method gain nothing over their shifted control at +-1
  frame, the dancer's own accents +0.03). The paper's ``s_rhy`` of AVC negatives (Eq. 16) is
  also a coincidence of rhythm positions; the music side is its beats here because a dancer's
  accents fall on beats, not on every onset.
- ``lambda3`` (:data:`DEFAULT_LAMBDA3` = 0.5) weighs them. Both terms are already on one scale,
  ``[-1, 1]`` (a cosine and a correlation), so they are added as they are, not normalised: the
  score of a pair then does not depend on which other clips are in the database or among the
  candidates. (Standardising each term per query was tried on the real dances: it blows a term
  that carries nothing, such as the embeddings of a collapsed model, up to the weight of one
  that does, and scored worse.) Where one term varies much less than the other, ``lambda3``
  is the knob.

A **direction** says which side of the index is searched. ``music2dance``: the music of the
query (audio embedding and onsets) against the *dance* side of the index (the visual
embeddings and visual rhythms of the clips with pictures): never against the indexed videos' own
soundtracks, which would be audio-to-audio matching, so an index of silent videos serves it.
``dance2music``: the query's pictures (visual embedding and visual rhythm) against the *music*
side (audio embeddings and onsets of the clips with music).

The searchable, storable set of clips (FAISS, two-stage search) is :mod:`mudar.tasks.index`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mudar.errors import InputError, ParameterError
from mudar.methods import DEFAULT_LAMBDA3, DIRECTIONS

SIDES = ("dance", "music")
SEARCHED_SIDE = {"music2dance": "dance", "dance2music": "music"}
DEFAULT_MAX_SHIFT = 2
"""Largest shift between onsets and visual rhythm in :func:`rhythm_similarity_matrix`, frames."""
DEFAULT_SIGMA = 1.0
"""Width of the Gaussian that smooths the onsets, frames (truncated at ``ceil(sigma)``)."""


# --- similarities ---------------------------------------------------------------------------


def embedding_similarity(a, b) -> np.ndarray:
    """``S_e``: cosine similarity of every row of ``a`` with every row of ``b``.

    Parameters
    ----------
    a : array-like, shape (Q, E)
    b : array-like, shape (D, E)

    Returns
    -------
    np.ndarray, float32, shape (Q, D)
        In ``[-1, 1]``; 0 for a zero vector.

    Raises
    ------
    ParameterError
        Not 2-D, different ``E``, or non-finite values.
    """
    a = as_matrix(a, "a", np.float32)
    b = as_matrix(b, "b", np.float32)
    if a.shape[1] != b.shape[1]:
        raise ParameterError(f"embeddings of size {a.shape[1]} and {b.shape[1]}")
    return (unit_rows(a) @ unit_rows(b).T).astype(np.float32)


def rhythm_similarity_matrix(
    onsets,
    visual_rhythm,
    *,
    onsets_len=None,
    visual_len=None,
    max_shift: int = DEFAULT_MAX_SHIFT,
    sigma: float = DEFAULT_SIGMA,
) -> np.ndarray:
    """``S_r``: rhythm similarity of every music clip with every dance clip.

    ``S_r(o, v) = max_{|d| <= max_shift} corr_t(g * o[t], v[t + d])``: the Pearson correlation,
    over the frames both clips hold, of the music onsets ``o`` smoothed by a Gaussian ``g`` and
    the visual rhythm ``v`` shifted by ``d`` frames (``d > 0``: the dance follows the music).
    A sequence that does not vary over the frames compared (no onset at all, say) correlates 0
    with everything; fewer than 3 frames in common give 0.

    Parameters
    ----------
    onsets : array-like, shape (M, T)
        Music onset frames (0/1) of M clips, :attr:`EmbeddingSet.onsets`.
    visual_rhythm : array-like, shape (V, T)
        Visual rhythm of V clips, e.g. the per-frame probability
        :attr:`EmbeddingSet.visual_rhythm` (any real values: the correlation ignores scale).
    onsets_len, visual_len : array-like of int, shape (M,) and (V,), optional
        Frames of each clip that hold data (the first ones); default all T.
    max_shift : int
        Frames, >= 0.
    sigma : float
        Frames, >= 0; 0 leaves the onsets as they are.

    Returns
    -------
    np.ndarray, float32, shape (M, V)
        In ``[-1, 1]``.

    Raises
    ------
    ParameterError
        Shapes that do not fit, non-finite values, lengths outside ``[0, T]``, negative
        ``max_shift`` or ``sigma``.
    """
    o = as_matrix(onsets, "onsets", np.float64)
    v = as_matrix(visual_rhythm, "visual_rhythm", np.float64)
    if o.shape[1] != v.shape[1]:
        raise ParameterError(f"rhythms of {o.shape[1]} and {v.shape[1]} frames")
    T = o.shape[1]
    lo_ = clip_lengths(onsets_len, len(o), T, "onsets_len")
    lv = clip_lengths(visual_len, len(v), T, "visual_len")
    if isinstance(max_shift, bool) or not isinstance(max_shift, (int, np.integer)):
        raise ParameterError(f"max_shift must be an integer, got {max_shift!r}")
    if max_shift < 0:
        raise ParameterError(f"max_shift must be >= 0 frames, got {max_shift}")
    if not np.isfinite(sigma) or sigma < 0:
        raise ParameterError(f"sigma must be >= 0 frames, got {sigma}")
    o = _smooth(o, lo_, sigma)
    best = np.full((len(o), len(v)), -np.inf)
    # clips hold their first frames, so the frames a pair has in common at shift d are
    # t in [t0, min(lo, lv - d)): group the clips by length and correlate with matrix products
    for d in range(-max_shift, max_shift + 1):
        t0, t1 = max(0, -d), T - max(0, d)
        for lm in np.unique(lo_):
            rows = np.flatnonzero(lo_ == lm)
            for ld in np.unique(lv):
                cols = np.flatnonzero(lv == ld)
                stop = min(t1, int(lm), int(ld) - d)
                corr = np.zeros((len(rows), len(cols)))
                if stop - t0 >= 3:
                    a = _centred_unit(o[rows, t0:stop])
                    b = _centred_unit(v[cols, t0 + d : stop + d])
                    corr = a @ b.T
                best[np.ix_(rows, cols)] = np.maximum(best[np.ix_(rows, cols)], corr)
    return np.clip(best, -1.0, 1.0).astype(np.float32)


def timed_similarity_matrix(music_times, dance_times, *, window_s: float = 0.07) -> np.ndarray:
    """``S_t``: how many of a music clip's beats coincide with a dance clip's rhythm times.

    ``S_t(m, v) = 2 c / (|m| + |v|)``, with ``c`` the size of the largest one-to-one matching of
    the two clips' times within ``window_s`` (mir_eval's rule), each time measured from the start
    of its own clip: the F-measure of the dance's times against the music's.

    Parameters
    ----------
    music_times : sequence of array-like
        Per music clip, its beat times (s) from the clip's start.
    dance_times : sequence of array-like
        Per dance clip, its rhythm times (s) from the clip's start, below the frame.
    window_s : float
        Tolerance, seconds.

    Returns
    -------
    np.ndarray, float32, shape (len(music_times), len(dance_times))
        In ``[0, 1]``; 0 where either clip has no time.

    Raises
    ------
    ParameterError
        A non-positive window, or times that are not 1-D and finite.
    """
    from mudar.eval.rhythm import count_matches, event_times, prf

    if not np.isfinite(window_s) or window_s <= 0:
        raise ParameterError(f"window_s must be positive, got {window_s}")
    music = [event_times(t, "music_times") for t in music_times]
    dance = [event_times(t, "dance_times") for t in dance_times]
    out = np.zeros((len(music), len(dance)), np.float32)
    for i, m in enumerate(music):
        for j, v in enumerate(dance):
            if len(m) and len(v):
                out[i, j] = prf(count_matches(m, v, window_s=window_s), len(m), len(v))[2]
    return out


def hybrid_similarity(embedding_sim, rhythm_sim, *, lambda3: float = DEFAULT_LAMBDA3):
    """``S_hyb = lambda3 * S_e + (1 - lambda3) * S_r`` (Eq. 21).

    Parameters
    ----------
    embedding_sim, rhythm_sim : array-like, same shape
        ``S_e`` (:func:`embedding_similarity`) and ``S_r`` (:func:`rhythm_similarity_matrix`).
    lambda3 : float
        In ``[0, 1]``: 1 is embedding only, 0 rhythm only.

    Returns
    -------
    np.ndarray, float32, the shape of the inputs

    Raises
    ------
    ParameterError
        ``lambda3`` outside ``[0, 1]``, shapes that differ, non-finite values.
    """
    check_lambda3(lambda3)
    se = np.asarray(embedding_sim, dtype=np.float32)
    sr = np.asarray(rhythm_sim, dtype=np.float32)
    if se.shape != sr.shape:
        raise ParameterError(f"S_e has shape {se.shape}, S_r {sr.shape}")
    if not (np.isfinite(se).all() and np.isfinite(sr).all()):
        raise ParameterError("similarities hold non-finite values")
    return (lambda3 * se + (1.0 - lambda3) * sr).astype(np.float32)


# --- the two sides of a set of clips ---------------------------------------------------------


@dataclass
class Side:
    """The clips of one side: ``dance`` (pictures) or ``music``.

    Attributes
    ----------
    clips : np.ndarray, int64, shape (n,)
        Row of each clip in the index's (or the embedding set's) clip table.
    embeddings : np.ndarray, float32, shape (n, E)
        Visual (dance) or audio (music) embeddings, L2-normalised.
    rhythm : np.ndarray, shape (n, T)
        Visual rhythm probability (dance, float32) or onset frames (music, uint8).
    length : np.ndarray, int64, shape (n,)
        Frames of each clip that hold data.
    """

    clips: np.ndarray
    embeddings: np.ndarray
    rhythm: np.ndarray
    length: np.ndarray

    def __len__(self) -> int:
        return len(self.clips)


def side_of(emb, side: str) -> Side:
    """The clips of an :class:`~mudar.tasks.embed.EmbeddingSet` that have ``side``.

    ``dance``: clips with pictures (visual embedding, visual rhythm); ``music``: clips with music
    (audio embedding, onsets). The side may be empty.

    Raises
    ------
    ParameterError
        Unknown side.
    """
    if side not in SIDES:
        raise ParameterError(f"side must be one of {SIDES}, got {side!r}")
    if side == "dance":
        rows = np.flatnonzero(emb.has_video)
        e, r = emb.visual[rows], emb.visual_rhythm[rows]
    else:
        rows = np.flatnonzero(emb.has_audio)
        e, r = emb.audio[rows], emb.onsets[rows]
    return Side(
        clips=rows.astype(np.int64),
        embeddings=np.ascontiguousarray(e, dtype=np.float32),
        rhythm=np.ascontiguousarray(r),
        length=np.asarray(emb.clip_len[rows], dtype=np.int64),
    )


def query_side(emb, *, direction: str) -> Side:
    """What a query file brings to a search: its music for ``music2dance``, its pictures for
    ``dance2music``.

    Raises
    ------
    InputError
        The query has no music (``music2dance``) or no pictures (``dance2music``).
    ParameterError
        Unknown direction.
    """
    check_direction(direction)
    side = "music" if direction == "music2dance" else "dance"
    q = side_of(emb, side)
    if len(q) == 0:
        what = "music" if side == "music" else "pictures"
        name = emb.files[0] if len(emb.files) == 1 else "the query"
        raise InputError(f"{name}: {direction} needs a query with {what}, and it has none")
    return q


# --- checks and helpers (shared with the index) ------------------------------------------------


def as_matrix(x, name: str, dtype) -> np.ndarray:
    """``x`` as a 2-D array of ``dtype``; :class:`ParameterError` naming it if it is not 2-D or
    holds non-finite values."""
    a = np.asarray(x, dtype=dtype)
    if a.ndim != 2:
        raise ParameterError(f"{name} must be 2-D, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ParameterError(f"{name} holds non-finite values")
    return a


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to L2 norm 1 (so inner product = cosine); zero rows stay zero."""
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norm, out=np.zeros_like(x), where=norm > 0)


def _centred_unit(x: np.ndarray) -> np.ndarray:
    """Rows minus their mean, scaled to norm 1; rows that do not vary become 0."""
    c = x - x.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(c, axis=1, keepdims=True)
    scale = np.abs(x).max(axis=1, keepdims=True)
    return np.divide(c, norm, out=np.zeros_like(c), where=norm > 1e-9 * np.maximum(scale, 1e-30))


def _smooth(x: np.ndarray, lengths: np.ndarray, sigma: float) -> np.ndarray:
    """Each row convolved with a Gaussian truncated at ``ceil(sigma)``, within its length."""
    if sigma == 0:
        return x
    radius = int(np.ceil(sigma))
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    valid = np.arange(x.shape[1])[None, :] < lengths[:, None]
    x = np.where(valid, x, 0.0)
    padded = np.pad(x, ((0, 0), (radius, radius)))
    out = sum(
        w * padded[:, radius + k : radius + k + x.shape[1]]
        for k, w in zip(offsets, kernel, strict=True)
    )
    return np.where(valid, out, 0.0)


def clip_lengths(lengths, n: int, T: int, name: str) -> np.ndarray:
    """Frames that hold data of each of ``n`` clips of ``T`` frames, int64 (n,); default all T.

    Raises
    ------
    ParameterError
        Not ``n`` integers in ``[0, T]``.
    """
    if lengths is None:
        return np.full(n, T, dtype=np.int64)
    a = np.asarray(lengths)
    if a.shape != (n,) or not np.issubdtype(a.dtype, np.integer):
        raise ParameterError(f"{name} must be {n} integers, got {a.dtype} {a.shape}")
    if (a < 0).any() or (a > T).any():
        raise ParameterError(f"{name} must be in [0, {T}]")
    return a.astype(np.int64)


def check_direction(direction: str) -> None:
    """:class:`ParameterError` unless ``direction`` is one of :data:`DIRECTIONS`."""
    if direction not in DIRECTIONS:
        raise ParameterError(f"direction must be one of {DIRECTIONS}, got {direction!r}")


def check_lambda3(lambda3: float) -> None:
    """:class:`ParameterError` unless ``lambda3`` (Eq. 21) is a number in ``[0, 1]``."""
    if not (isinstance(lambda3, (int, float, np.floating)) and 0.0 <= lambda3 <= 1.0):
        raise ParameterError(f"lambda3 must be in [0, 1], got {lambda3!r}")
