"""Negative sampling of MuDaR (paper sec. 3.3, Eq. 16-17), seeded from (seed, epoch, index).

The implicit pathway learns from triplets: a dance clip (anchor), its own music (positive) and a
music clip that does not go with it (negative). Two kinds of negative, in a curriculum:

* **AVC** (audio-visual correspondence): music from *another* video. Two songs can share a
  rhythm, and then the "negative" is not really one; a candidate is accepted only when its
  rhythm agrees little enough with the anchor's music. Two rules (:data:`AVC_RULES`):
  ``"paper"``, Eq. 16 as written (:func:`rhythm_score`: the Hamming distance of the two onset
  sequences minus ``alpha * T``, the candidate kept when it is positive), and ``"iou"``, the
  first shipped model's (:func:`rhythm_similarity`: onset IoU below a threshold).
* **AVTS** (audio-visual temporal synchronisation): the anchor's own music, shifted in time by
  ``f_sft`` frames. A shift by a whole number of eighth notes puts the music's metrical grid
  back onto itself, and the shifted music would still fit the dance: Eq. 17 refuses those
  shifts. AVTS negatives are harder, so they come later (:func:`negative_kind`).

Every draw takes a generator from :func:`rng_for`, so a pair is the same whatever the worker,
the batch order or the number of epochs run before (audiocraft's habit).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mudar.errors import ParameterError

AVC = "avc"
AVTS = "avts"
NEGATIVE_KINDS = (AVC, AVTS)

MAX_SIMILARITY = 0.3
"""Default threshold of the AVC rule: a candidate is a negative when its rhythm similarity
score with the anchor is below this. On the dwm music (8 fps, 8 s clips) the score between
clips of two different songs has median 0.13 and a 95th percentile of 0.31, and a song against
itself shifted by a whole number of eighth notes (what Eq. 17 refuses) scores about 0.2-0.5:
0.3 rejects the 7 % of cross-song candidates that coincide with the anchor's onsets as much as
the anchor's own music does a beat later."""

SHIFT_TOLERANCE = 0.5
"""Frames; how close to a multiple of an eighth note a shift may come before Eq. 17 refuses it
(see :func:`avts_shift_allowed`)."""

AVC_RULES = ("iou", "paper")
"""The AVC acceptance rules: ``iou`` (onset IoU < ``max_similarity``, the default) and
``paper`` (Eq. 16: ``s_rhy = sum_t |O_pos^t - O_neg^t| - alpha T > 0``)."""

DEFAULT_ALPHA = 0.15
"""``alpha`` of Eq. 16: a candidate is kept when its onsets differ from the anchor's on more
than this share of the frames. Measured on the 35 dwm songs (8 fps, 8 s clips every 4 s,
onsets on 24 % of the frames; 4000 random cross-song pairs, ``benchmarks/bench_avc_alpha.py``):
the share of differing frames has median 0.36 (5th-95th percentile
0.16-0.56); 0.15 keeps 95.9 % of cross-song candidates, as the IoU rule (< 0.3) keeps 96.1 %,
and the two rules agree on 92.3 % of the pairs."""

MAX_TRIES = 10
"""AVC candidates drawn before falling back to the least similar one seen."""


def rng_for(seed: int, epoch: int, index: int) -> np.random.Generator:
    """The generator of one draw: a function of ``(seed, epoch, index)`` only.

    Parameters
    ----------
    seed : int
        Run seed (``TrainConfig.seed``), ``>= 0``.
    epoch : int
        Epoch, ``>= 0``; a new epoch gives new negatives for the same clip.
    index : int
        Clip index in the dataset, ``>= 0``.

    Returns
    -------
    np.random.Generator
        PCG64 seeded with ``SeedSequence([seed, epoch, index])``: different triples give
        independent streams, the same triple the same stream in any process.

    Raises
    ------
    ParameterError
        If any argument is negative or not an integer.
    """
    for name, v in (("seed", seed), ("epoch", epoch), ("index", index)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise ParameterError(f"{name} must be an integer >= 0, got {v!r}")
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(epoch), int(index)]))


def negative_kind(epoch: int, avts_from_epoch: int) -> str:
    """The curriculum: AVC negatives before ``avts_from_epoch``, AVTS from then on.

    Easy negatives (another song) first, hard ones (the same song, off the beat) once the
    embedding separates songs (sec. 4.1; ``TrainConfig.avts_from_epoch``). A value of
    ``avts_from_epoch`` at or beyond the last epoch means AVC throughout.

    Parameters
    ----------
    epoch : int
        Current epoch, ``>= 0``.
    avts_from_epoch : int
        First epoch of AVTS negatives, ``>= 0``.

    Returns
    -------
    {"avc", "avts"}

    Raises
    ------
    ParameterError
        If either argument is negative.
    """
    if epoch < 0 or avts_from_epoch < 0:
        raise ParameterError(
            f"epoch and avts_from_epoch must be >= 0, got {epoch}, {avts_from_epoch}"
        )
    return AVTS if epoch >= avts_from_epoch else AVC


def rhythm_similarity(onsets_a: np.ndarray, onsets_b: np.ndarray, *, tolerance: int = 0) -> float:
    """Onset IoU of two music clips: the AVC rule ``iou`` (the default; Eq. 16 as written is
    :func:`rhythm_score`).

    The onsets of each clip form a binary sequence over its ``T`` video frames (1 where a frame
    holds an onset maximum, :attr:`MusicFeatures.onsets`), and the score is the share of onset
    frames the two clips have in common: the intersection over the union (Jaccard index) of
    their onset frames,

    ``s(a, b) = sum_t a_t * b_t / sum_t max(a_t, b_t)``,

    in ``[0, 1]``: 1 for the same rhythm, 0 when no onset of one falls on an onset of the other.
    The union (not ``T``) is the denominator so that the many frames where neither clip has an
    onset do not count as agreement, and it is symmetric, unlike a hit rate of one against the
    other (Eq. 16's Hamming distance counts the frames where neither clip has an onset, most
    of them, as agreement). Two clips without any onset have the same (empty) rhythm: 1. One
    with onsets against one without: 0.

    Parameters
    ----------
    onsets_a, onsets_b : np.ndarray, shape (T,)
        Binary per-frame onset sequences of two clips of the same length; nonzero means onset.
    tolerance : int
        Frames; with ``tolerance > 0`` an onset counts as shared when the other clip has one
        within that many frames: the intersection becomes the mean of the two counts of onsets
        with a partner on the other side, ``m``, and the union ``|a| + |b| - m`` (which is the
        formula above when ``tolerance = 0``). Default 0: onsets must fall on the same frame,
        the frame grid being the precision of the paper's onset sequences.

    Returns
    -------
    float
        The score, in ``[0, 1]``.

    Raises
    ------
    ParameterError
        If the sequences are not 1-D of the same length, or ``tolerance < 0``.
    """
    a = np.asarray(onsets_a)
    b = np.asarray(onsets_b)
    if a.ndim != 1 or a.shape != b.shape:
        raise ParameterError(
            f"onset sequences must be 1-D of the same length, got {a.shape} and {b.shape}"
        )
    if tolerance < 0:
        raise ParameterError(f"tolerance must be >= 0 frames, got {tolerance}")
    a = a != 0
    b = b != 0
    na, nb = np.count_nonzero(a), np.count_nonzero(b)
    if na + nb == 0:
        return 1.0
    if tolerance == 0:
        shared = float(np.count_nonzero(a & b))
    else:  # onsets of each side with a partner on the other, averaged: stays symmetric
        shared = (
            np.count_nonzero(a & _dilate(b, tolerance))
            + np.count_nonzero(b & _dilate(a, tolerance))
        ) / 2
    return float(shared / (na + nb - shared))


def rhythm_score(onsets_pos: np.ndarray, onsets_neg: np.ndarray, *, alpha: float) -> float:
    """Eq. 16 as written: ``s_rhy = sum_t |O_pos^t - O_neg^t| - alpha * T``.

    With binary onset sequences the sum is their Hamming distance, the frames where one clip
    has an onset and the other not. The paper keeps a negative "only when the score is
    positive": when the two rhythms differ on more than ``alpha * T`` frames. (The paper calls
    it a similarity score; it grows with the difference.)

    Parameters
    ----------
    onsets_pos, onsets_neg : np.ndarray, shape (T,)
        Per-frame onsets of the anchor's music and of the candidate; nonzero means onset
        (values are read as binary, as :attr:`MusicFeatures.onsets`).
    alpha : float
        The threshold hyperparameter, in ``[0, 1]``.

    Returns
    -------
    float
        ``s_rhy``, in frames: in ``[-alpha T, (1 - alpha) T]``.

    Raises
    ------
    ParameterError
        If the sequences are not 1-D of the same length or ``alpha`` is outside ``[0, 1]``.
    """
    a = np.asarray(onsets_pos)
    b = np.asarray(onsets_neg)
    if a.ndim != 1 or a.shape != b.shape:
        raise ParameterError(
            f"onset sequences must be 1-D of the same length, got {a.shape} and {b.shape}"
        )
    if not 0 <= alpha <= 1:
        raise ParameterError(f"alpha must be in [0, 1], got {alpha}")
    hamming = np.count_nonzero((a != 0) != (b != 0))
    return float(hamming - alpha * len(a))


def _dilate(x: np.ndarray, k: int) -> np.ndarray:
    out = x.copy()
    for d in range(1, k + 1):
        out[d:] |= x[:-d]
        out[:-d] |= x[d:]
    return out


def eighth_note_frames(*, fps: float, tempo_bpm: float) -> float:
    """Length of an eighth note in video frames: ``k_fps * 60 / k_bpm / 2`` (Eq. 17).

    At 8 fps: 2 frames at 120 BPM, 2.667 at 90 BPM.

    Raises
    ------
    ParameterError
        If ``fps`` or ``tempo_bpm`` is not positive (a tempo of 0 means unknown).
    """
    if not (fps > 0 and tempo_bpm > 0):
        raise ParameterError(f"fps and tempo_bpm must be positive, got {fps}, {tempo_bpm}")
    return fps * 60.0 / tempo_bpm / 2.0


def avts_shift_allowed(
    shift_frames: int, *, fps: float, tempo_bpm: float, tolerance: float = SHIFT_TOLERANCE
) -> bool:
    """Whether a time shift makes an AVTS negative (Eq. 17).

    Eq. 17 keeps a shift ``f_sft`` only if ``f_sft mod (k_fps * 60 / k_bpm / 2) != 0``: the
    shift must not be a whole number of eighth notes, else the shifted music's metrical grid
    lands back on the original's and the pair would still be in sync.

    Our reading for an eighth note of ``L`` frames that is not a whole number (90 BPM at 8 fps:
    ``L = 2.667``): a whole-frame shift is "a multiple of ``L``" when it lies within
    ``tolerance`` frames of one, i.e. the shift is refused when

    ``d = |f - L * round(f / L)| < tolerance``.

    Why half a frame by default: onsets live on the frame grid, so an onset at a uniformly
    random position within its frame, shifted by ``f`` whole frames, falls on the same frame as
    the eighth-note grid point ``k L`` later with probability ``1 - d`` (for ``d < 1``). The
    default refuses exactly the shifts that land on the grid more often than not. With an
    integer ``L`` this is the exact rule (``d`` is 0 or at least 1). At 8 fps and 120 BPM
    (``L = 2``) shifts 2, 4, 6 are refused and 1, 3, 5 allowed; at 90 BPM (``L = 2.667``)
    1, 2, 4, 6, 7 are allowed and 3, 5, 8 refused. A shift of 0 is never allowed; the sign of the
    shift does not matter. When ``L`` is below ``2 * tolerance`` frames (tempi over 240 BPM at
    8 fps) every shift is near a multiple and none is allowed.

    Parameters
    ----------
    shift_frames : int
        ``f_sft``, video frames (either sign).
    fps : float
        ``k_fps``, video frames per second.
    tempo_bpm : float
        ``k_bpm``, the music's tempo, beats per minute.
    tolerance : float
        Frames, in ``[0, 0.5]``: 0 refuses only exact multiples of ``L`` (so with a
        non-integer ``L`` almost every shift passes).

    Returns
    -------
    bool

    Raises
    ------
    ParameterError
        If ``fps`` or ``tempo_bpm`` is not positive, ``tolerance`` is outside ``[0, 0.5]`` or
        ``shift_frames`` is not a whole number.
    """
    eighth = eighth_note_frames(fps=fps, tempo_bpm=tempo_bpm)
    if not 0 <= tolerance <= 0.5:
        raise ParameterError(f"tolerance must be in [0, 0.5] frames, got {tolerance}")
    if isinstance(shift_frames, float) and not float(shift_frames).is_integer():
        raise ParameterError(f"shift_frames must be whole frames, got {shift_frames}")
    f = abs(int(shift_frames))
    if f == 0:
        return False
    d = abs(f - eighth * round(f / eighth))
    if tolerance == 0:
        return d > 1e-9
    return d >= tolerance


def draw_avts_shift(
    rng: np.random.Generator,
    *,
    n_frames: int,
    fps: float,
    tempo_bpm: float,
    max_shift: int,
    start: int = 0,
    clip_frames: int = 0,
    tolerance: float = SHIFT_TOLERANCE,
) -> int | None:
    """A random AVTS shift: uniform over the shifts Eq. 17 allows that keep the clip in the music.

    The shifted window ``start + f .. start + f + clip_frames`` must lie inside the
    ``n_frames`` of the whole music (real music, never wrapped round or padded), with
    ``1 <= |f| <= max_shift``.

    Parameters
    ----------
    rng : np.random.Generator
        From :func:`rng_for`.
    n_frames : int
        Video frames of the whole music the clip is cut from.
    fps : float
        Video frames per second.
    tempo_bpm : float
        The music's tempo, BPM; 0 (unknown) allows no shift.
    max_shift : int
        Largest ``|f|``, frames.
    start : int
        First frame of the anchor clip.
    clip_frames : int
        Frames of the clip (0: the window is a point, only ``0 <= start + f <= n_frames``).
    tolerance : float
        See :func:`avts_shift_allowed`.

    Returns
    -------
    int or None
        The shift ``f`` in frames (either sign), or None when no shift is allowed (tempo
        unknown, or the music is too short around the clip): the caller falls back to another
        kind of negative and counts it.

    Raises
    ------
    ParameterError
        If the window does not fit in ``n_frames`` or ``max_shift < 0``.
    """
    if max_shift < 0 or clip_frames < 0 or not 0 <= start <= n_frames - clip_frames:
        raise ParameterError(
            f"clip {start}:{start + clip_frames} must lie in 0:{n_frames} and max_shift >= 0, "
            f"got max_shift={max_shift}"
        )
    if not tempo_bpm > 0:
        return None
    lo = max(-max_shift, -start)
    hi = min(max_shift, n_frames - clip_frames - start)
    shifts = [
        f
        for f in range(lo, hi + 1)
        if f != 0 and avts_shift_allowed(f, fps=fps, tempo_bpm=tempo_bpm, tolerance=tolerance)
    ]
    if not shifts:
        return None
    return int(shifts[rng.integers(len(shifts))])


@dataclass(frozen=True)
class AvcDraw:
    """The outcome of :func:`draw_avc_negative`.

    Attributes
    ----------
    index : int
        The chosen candidate.
    similarity : float
        Its score with the anchor: the onset IoU (rule ``iou``) or ``s_rhy`` of Eq. 16 (rule
        ``paper``, frames).
    tries : int
        Candidates drawn.
    fallback : bool
        True when no candidate passed the rule within the tries: ``index`` is then the least
        similar candidate seen (lowest IoU, highest ``s_rhy``).
    """

    index: int
    similarity: float
    tries: int
    fallback: bool


def draw_avc_negative(
    rng: np.random.Generator,
    anchor_index: int,
    videos: Sequence[int] | np.ndarray,
    onsets: Sequence[np.ndarray] | np.ndarray,
    *,
    max_similarity: float = MAX_SIMILARITY,
    max_tries: int = MAX_TRIES,
    tolerance: int = 0,
    rule: str = "iou",
    alpha: float = DEFAULT_ALPHA,
) -> AvcDraw:
    """An AVC negative: a clip of another video whose rhythm really differs from the anchor's.

    Candidates are drawn uniformly among the clips of the *other* videos; one is accepted when
    it passes the rule: rule ``iou``, its onset IoU with the anchor (:func:`rhythm_similarity`)
    is below ``max_similarity``; rule ``paper``, Eq. 16's ``s_rhy`` (:func:`rhythm_score`) is
    positive. After ``max_tries`` refusals the least similar candidate seen is returned with
    ``fallback=True``, so that a draw always ends (the caller counts fallbacks).

    Parameters
    ----------
    rng : np.random.Generator
        From :func:`rng_for`.
    anchor_index : int
        The anchor clip, an index into ``videos`` and ``onsets``.
    videos : sequence of int, shape (N,)
        Video of each clip; candidates are the clips whose video differs from the anchor's.
    onsets : sequence of np.ndarray or np.ndarray, shape (N, T)
        Binary per-frame music onsets of each clip.
    max_similarity : float
        The rule's threshold, in ``(0, 1]``; see :data:`MAX_SIMILARITY`.
    max_tries : int
        Candidates drawn at most, ``>= 1``.
    tolerance : int
        Frames, see :func:`rhythm_similarity` (rule ``iou`` only).
    rule : {"iou", "paper"}
        See :data:`AVC_RULES`.
    alpha : float
        ``alpha`` of Eq. 16 (rule ``paper``), in ``[0, 1]``; see :data:`DEFAULT_ALPHA`.

    Returns
    -------
    AvcDraw

    Raises
    ------
    ParameterError
        If the arguments disagree in length, ``anchor_index`` is out of range, a limit is out
        of range, or no clip comes from another video.
    """
    videos = np.asarray(videos)
    n = len(videos)
    if len(onsets) != n:
        raise ParameterError(f"videos and onsets differ in length: {n} and {len(onsets)}")
    if not 0 <= anchor_index < n:
        raise ParameterError(f"anchor_index {anchor_index} is outside 0:{n}")
    if not 0 < max_similarity <= 1 or max_tries < 1:
        raise ParameterError(
            f"need 0 < max_similarity <= 1 and max_tries >= 1, got {max_similarity}, {max_tries}"
        )
    if rule not in AVC_RULES:
        raise ParameterError(f"rule must be one of {AVC_RULES}, got {rule!r}")
    if not 0 <= alpha <= 1:
        raise ParameterError(f"alpha must be in [0, 1], got {alpha}")
    others = np.flatnonzero(videos != videos[anchor_index])
    if len(others) == 0:
        raise ParameterError("no clip from another video: an AVC negative needs two videos")
    anchor = onsets[anchor_index]
    best, best_s = -1, math.inf
    for tries in range(1, max_tries + 1):
        j = int(others[rng.integers(len(others))])
        if rule == "paper":  # Eq. 16: kept when s_rhy > 0; "similar" is -s_rhy
            s = rhythm_score(anchor, onsets[j], alpha=alpha)
            ok, closeness = s > 0, -s
        else:
            s = rhythm_similarity(anchor, onsets[j], tolerance=tolerance)
            ok, closeness = s < max_similarity, s
        if ok:
            return AvcDraw(index=j, similarity=s, tries=tries, fallback=False)
        if closeness < best_s:
            best, best_s, best_v = j, closeness, s
    return AvcDraw(index=best, similarity=best_v, tries=max_tries, fallback=True)
