"""Hard negatives of MotionBeat's ECL: a clip's own music, a little off in tempo or in phase.

MotionBeat (arXiv 2510.13244) adds two kinds of negatives to InfoNCE, both made from the
positive's own music so that only the rhythm is wrong:

- **tempo-aware**: the music time-stretched by a factor (default 0.8 and 1.25): same sounds,
  another tempo;
- **beat-jitter**: each beat-synchronous segment displaced by a fraction of a beat (default a
  quarter, either way at random): same sounds and tempo, the accents off the dance's beats.

Here both are made **at the feature level**, on the stacked audio input of
:func:`mudar.data.clips.inputs.audio_input` (R rows by ``T * sub`` fine frames: log-mel, onset
envelope, beats, tempogram), not by re-synthesising audio: stretching the log-mel along time
keeps every band where it was (as a phase vocoder keeps the pitch), and no feature is
recomputed. The rows that carry time explicitly are transformed to stay consistent:

- the **beats** row is re-rendered from the moved beat times (each beat on its nearest video
  frame, repeated over the frame's ``sub`` fine frames, as :func:`audio_input` does);
- the **tempogram** rows index lags: stretching by ``f`` moves a periodicity of lag ``l`` to
  ``l / f``, so the lag axis is rescaled too (new row at lag ``l`` reads the old one at
  ``l * f``);
- the per-video-frame rows (beats, tempogram) are made constant over each frame's ``sub`` fine
  frames again, and the clip-level normalisations of :func:`audio_input` are redone on the
  result (:func:`normalise_rows`), so that a negative differs from a positive in its rhythm
  only, not in its statistics.

Transforms read a *source*: the rows of the whole music (or any window that holds the clip
with some context around it), so that a stretched or displaced clip takes real music from
beyond its edges rather than padding; only where the source ends are zeros read (zero is the
clip mean of the standardised log-mel).

Random draws take a generator from :func:`mudar.data.clips.sampling.rng_for` ``(seed, epoch,
index)``, so the negatives of a clip are a function of those three numbers only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mudar.errors import ParameterError
from mudar.features.music import TEMPOGRAM_WIN_S

STRETCH_FACTORS = (0.8, 1.25)
"""Default tempo-aware factors: > 1 is faster (a period ``p`` becomes ``p / f``)."""

JITTER_FRACTION = 0.25
"""Default beat-jitter displacement, beats."""

FALLBACK_BPM = 120.0
"""Beat period used by :func:`beat_jitter` when the source has fewer than two beats and no
tempo is given."""


@dataclass(frozen=True)
class RowLayout:
    """Where each feature sits in the stacked audio input (see :func:`audio_input`).

    Attributes
    ----------
    n_mels : int
        Log-mel rows ``0 .. n_mels - 1``.
    tempogram_rows : int
        Tempogram rows, after the onset envelope (row ``n_mels``) and the beats (``n_mels+1``).
    sub : int
        Fine frames per video frame.
    tempogram_lags : int
        Lags the tempogram rows were pooled from (row ``r`` averages lags ``r * g .. (r+1) * g``
        with ``g = tempogram_lags / tempogram_rows``).
    """

    n_mels: int
    tempogram_rows: int
    sub: int
    tempogram_lags: int

    @classmethod
    def from_config(cls, config) -> RowLayout:
        """The layout of a model config with ``n_mels``, ``tempogram_rows``, ``fps``, ``sub``."""
        lags = max(1, round(TEMPOGRAM_WIN_S * config.fps * config.sub))
        return cls(config.n_mels, config.tempogram_rows, config.sub, lags)

    @property
    def rows(self) -> int:
        return self.n_mels + 2 + self.tempogram_rows

    @property
    def env(self) -> int:
        return self.n_mels

    @property
    def beat(self) -> int:
        return self.n_mels + 1

    @property
    def tempogram(self) -> slice:
        return slice(self.n_mels + 2, self.rows)


def _check_rows(audio: np.ndarray, layout: RowLayout) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 2 or audio.shape[0] != layout.rows:
        raise ParameterError(
            f"audio must have shape ({layout.rows}, m), got {audio.shape} (see audio_input)"
        )
    return audio


def beat_frames_from_rows(audio: np.ndarray, *, layout: RowLayout) -> np.ndarray:
    """Video frames that hold a beat, from the beats row.

    Parameters
    ----------
    audio : np.ndarray, shape (R, n * sub)
    layout : RowLayout

    Returns
    -------
    np.ndarray, int64, shape (k,)
        Increasing video frame indices ``k`` (fine frame ``k * sub`` starts the beat's block).
    """
    audio = _check_rows(audio, layout)
    row = audio[layout.beat, :: layout.sub]
    return np.flatnonzero(row > 0.5).astype(np.int64)


def render_beats(frames: np.ndarray, n: int, sub: int) -> np.ndarray:
    """The beats row: 1 over the ``sub`` fine frames of each video frame in ``frames``.

    Frames outside ``0 .. n-1`` are dropped. Returns float32, shape (n * sub,).
    """
    per_frame = np.zeros(n, dtype=np.float32)
    frames = np.asarray(frames, dtype=np.int64)
    per_frame[frames[(frames >= 0) & (frames < n)]] = 1.0
    return np.repeat(per_frame, sub)


def normalise_rows(audio: np.ndarray, *, layout: RowLayout) -> np.ndarray:
    """Redo :func:`audio_input`'s clip-level normalisations on a clip of stacked rows.

    The log-mel is standardised over the clip (zeros if it is flat), the onset envelope
    divided by its maximum (zeros if it is), and the per-video-frame rows (beats, tempogram)
    made constant over each frame's ``sub`` fine frames (their means). Rows cut out of the
    ``audio_input`` of a longer window come out as the ``audio_input`` of the clip itself.

    Parameters
    ----------
    audio : np.ndarray, shape (R, n * sub)
    layout : RowLayout

    Returns
    -------
    np.ndarray, float32, shape (R, n * sub)
        A new array.

    Raises
    ------
    ParameterError
        If the shape does not fit the layout.
    """
    out = _check_rows(audio, layout).copy()
    if out.shape[1] % layout.sub:
        raise ParameterError(f"{out.shape[1]} fine frames is not a multiple of sub={layout.sub}")
    mel = out[: layout.n_mels]
    mean, std = float(mel.mean()), float(mel.std())
    out[: layout.n_mels] = (mel - mean) / std if std > 1e-6 else 0.0
    top = float(out[layout.env].max(initial=0.0))
    out[layout.env] = out[layout.env] / top if top > 0 else 0.0
    frame_rows = np.r_[layout.beat, np.arange(layout.rows)[layout.tempogram]]
    out[frame_rows] = _reblock(out[frame_rows], layout.sub)
    return out


def _reblock(x: np.ndarray, sub: int) -> np.ndarray:
    """Each block of ``sub`` fine frames replaced by its mean, shape kept."""
    k, m = x.shape
    return np.repeat(x.reshape(k, m // sub, sub).mean(-1), sub, axis=1)


def _interp_cols(x: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Columns of ``x`` at fractional positions (linear), zeros outside ``0 .. m-1``."""
    m = x.shape[1]
    lo = np.floor(pos).astype(np.int64)
    frac = (pos - lo).astype(np.float32)
    inside = (pos >= 0) & (pos <= m - 1)
    lo_c = np.clip(lo, 0, m - 1)
    hi_c = np.clip(lo + 1, 0, m - 1)
    out = x[:, lo_c] * (1 - frac) + x[:, hi_c] * frac
    out[:, ~inside] = 0.0
    return out


def _check_window(source: np.ndarray, start: float, length: int, layout: RowLayout) -> None:
    if length < layout.sub or length % layout.sub:
        raise ParameterError(
            f"length must be a positive multiple of sub={layout.sub} fine frames, got {length}"
        )
    if not np.isfinite(start):
        raise ParameterError(f"start must be finite, got {start}")


def time_stretch(
    source: np.ndarray,
    factor: float,
    *,
    layout: RowLayout,
    start: float = 0.0,
    length: int | None = None,
) -> np.ndarray:
    """A tempo-aware negative: the stacked rows time-stretched by ``factor``.

    Output fine frame ``j`` reads the source at ``start + j * factor`` (linear interpolation;
    zeros beyond the source), so a pulse every ``p`` fine frames comes every ``p / factor``:
    ``factor > 1`` is faster music. The beats row is re-rendered from the moved beats (source
    beat at fine frame ``b`` -> output video frame ``round((b - start) / factor / sub)``), the
    tempogram's lag axis is rescaled (output lag ``l`` reads source lag ``l * factor``, linear
    between the pooled rows, zeros beyond the last) and the clip normalisations are redone
    (:func:`normalise_rows`).

    Parameters
    ----------
    source : np.ndarray, shape (R, m)
        Stacked audio rows of the music around the clip (see the module notes).
    factor : float
        Stretch factor, ``> 0``.
    layout : RowLayout
    start : float
        Source fine frame of output frame 0. A clip at source fine frame ``s`` of length ``W``
        stretched about its centre: ``start = s + (1 - factor) * W / 2``.
    length : int, optional
        Output fine frames, a multiple of ``sub``; default ``m``.

    Returns
    -------
    np.ndarray, float32, shape (R, length)

    Raises
    ------
    ParameterError
        If ``factor`` is not positive, or the shapes do not fit.
    """
    source = _check_rows(source, layout)
    length = source.shape[1] if length is None else int(length)
    _check_window(source, start, length, layout)
    if not (np.isfinite(factor) and factor > 0):
        raise ParameterError(f"factor must be positive, got {factor}")
    pos = float(start) + np.arange(length, dtype=np.float64) * float(factor)
    out = _interp_cols(source, pos)
    # beats: moved with the time axis, re-rendered on the video frames
    beats = beat_frames_from_rows(source, layout=layout) * layout.sub
    moved = np.round((beats - float(start)) / float(factor) / layout.sub).astype(np.int64)
    out[layout.beat] = render_beats(moved, length // layout.sub, layout.sub)
    # tempogram: lag l of the output is lag l * factor of the source
    g = layout.tempogram_lags / layout.tempogram_rows
    r = np.arange(layout.tempogram_rows, dtype=np.float64)
    centre = (r + 0.5) * g - 0.5  # lag at the centre of each pooled row
    src_row = (centre * factor + 0.5) / g - 0.5
    tg = out[layout.tempogram]  # (rows, length), already resampled in time
    out[layout.tempogram] = _interp_cols(tg.T, np.clip(src_row, 0, None)).T
    return normalise_rows(out, layout=layout)


@dataclass(frozen=True)
class Jitter:
    """What :func:`beat_jitter` did.

    Attributes
    ----------
    bounds : np.ndarray, float64, shape (k + 1,)
        Source fine frames of the beat-segment boundaries covering the clip (beats, extended
        before the first and after the last one by the median beat period).
    shifts : np.ndarray, int64, shape (k,)
        Displacement of each segment, fine frames (positive: later).
    """

    bounds: np.ndarray
    shifts: np.ndarray


def beat_jitter(
    source: np.ndarray,
    *,
    layout: RowLayout,
    fps: float,
    rng: np.random.Generator,
    start: int = 0,
    length: int | None = None,
    fraction: float = JITTER_FRACTION,
    tempo_bpm: float | None = None,
) -> tuple[np.ndarray, Jitter]:
    """A beat-jitter negative: each beat segment displaced by ``+-fraction`` of its beat.

    The segments run from beat to beat (the beats row of ``source``; before the first beat and
    after the last, a grid at the median beat period). Segment ``k``, of ``L_k`` fine frames,
    is displaced by ``d_k = s_k * round(fraction * L_k)`` fine frames with a random sign
    ``s_k``: output fine frame ``t`` of the segment reads the source at ``t - d_k`` (the
    segment's beat and onsets come ``d_k`` later). Its beat moves with it (re-rendered on the
    video frames); the clip normalisations are redone (:func:`normalise_rows`).

    With fewer than two beats the grid has the period of ``tempo_bpm`` (default
    :data:`FALLBACK_BPM`) from the clip's start.

    Parameters
    ----------
    source : np.ndarray, shape (R, m)
        Stacked audio rows of the music around the clip.
    layout : RowLayout
    fps : float
        Video frames per second (for the fallback period).
    rng : np.random.Generator
        From :func:`rng_for`; draws the signs.
    start : int
        Source fine frame of the clip's first frame, a multiple of ``sub``.
    length : int, optional
        Clip length, fine frames; default ``m - start``.
    fraction : float
        Displacement, beats, in ``(0, 0.5]``.
    tempo_bpm : float, optional
        Tempo for the fallback grid.

    Returns
    -------
    audio : np.ndarray, float32, shape (R, length)
    jitter : Jitter

    Raises
    ------
    ParameterError
        If a setting is out of range or the shapes do not fit.
    """
    source = _check_rows(source, layout)
    start = int(start)
    length = source.shape[1] - start if length is None else int(length)
    _check_window(source, start, length, layout)
    if start % layout.sub:
        raise ParameterError(f"start must be a multiple of sub={layout.sub}, got {start}")
    if not 0 < fraction <= 0.5:
        raise ParameterError(f"fraction must be in (0, 0.5] beats, got {fraction}")
    if not fps > 0:
        raise ParameterError(f"fps must be positive, got {fps}")
    beats = (beat_frames_from_rows(source, layout=layout) * layout.sub).astype(np.float64)
    if len(beats) >= 2:
        period = float(np.median(np.diff(beats)))
        grid = beats
    else:
        bpm = tempo_bpm if tempo_bpm and tempo_bpm > 0 else FALLBACK_BPM
        period = 60.0 / bpm * fps * layout.sub
        grid = np.array([float(start)])
    stop = start + length
    before = grid[0] - period * np.arange(1, int(np.ceil((grid[0] - start) / period)) + 2)
    after = grid[-1] + period * np.arange(1, int(np.ceil((stop - grid[-1]) / period)) + 2)
    bounds = np.concatenate([before[::-1], grid, after])
    keep = (bounds[1:] > start) & (bounds[:-1] < stop)  # segments that meet the clip
    first = int(np.argmax(keep))
    last = len(keep) - int(np.argmax(keep[::-1]))
    bounds = bounds[first : last + 1]
    seg_len = np.diff(bounds)
    signs = rng.choice(np.array([-1, 1]), size=len(seg_len))
    shifts = (signs * np.round(fraction * seg_len)).astype(np.int64)

    t = np.arange(start, stop, dtype=np.float64)
    seg = np.clip(np.searchsorted(bounds, t, side="right") - 1, 0, len(shifts) - 1)
    out = _interp_cols(source, t - shifts[seg])
    # each segment's beat (its left bound) moves with it
    moved = bounds[:-1] + shifts
    is_beat = np.isin(bounds[:-1], beats)
    frames = np.round((moved[is_beat] - start) / layout.sub).astype(np.int64)
    out[layout.beat] = render_beats(frames, length // layout.sub, layout.sub)
    return normalise_rows(out, layout=layout), Jitter(bounds=bounds, shifts=shifts)


def negative_kinds(
    stretch: tuple[float, ...] = STRETCH_FACTORS, n_jitter: int = 1
) -> tuple[str, ...]:
    """Names of the negatives :func:`hard_negatives` makes, in order."""
    return tuple(f"stretch{f:g}" for f in stretch) + ("jitter",) * n_jitter


def hard_negatives(
    source: np.ndarray,
    *,
    layout: RowLayout,
    fps: float,
    start: int,
    length: int,
    rng: np.random.Generator,
    stretch: tuple[float, ...] = STRETCH_FACTORS,
    n_jitter: int = 1,
    fraction: float = JITTER_FRACTION,
    tempo_bpm: float | None = None,
) -> np.ndarray:
    """All hard negatives of one clip: one per stretch factor, then ``n_jitter`` beat-jitters.

    Stretches are about the clip's centre, moved inside the source where the clip is near an
    end of the music (so that they read real music whenever the source is long enough).

    Parameters
    ----------
    source : np.ndarray, shape (R, m)
        Stacked audio rows of the whole music (or a window around the clip).
    layout : RowLayout
    fps : float
        Video frames per second.
    start, length : int
        The clip in ``source``, fine frames (multiples of ``sub``).
    rng : np.random.Generator
        From ``rng_for(seed, epoch, index)``.
    stretch : tuple of float
        Factors of the tempo-aware negatives (default :data:`STRETCH_FACTORS`).
    n_jitter : int
        Beat-jitter negatives, ``>= 0``.
    fraction : float
        Beat-jitter displacement, beats.
    tempo_bpm : float, optional
        The music's tempo (beat-jitter's fallback grid).

    Returns
    -------
    np.ndarray, float32, shape (len(stretch) + n_jitter, R, length)
        In the order of :func:`negative_kinds`.

    Raises
    ------
    ParameterError
        If ``n_jitter < 0`` or no negative is asked for, or a transform's checks fail.
    """
    if n_jitter < 0 or len(stretch) + n_jitter == 0:
        raise ParameterError(f"need n_jitter >= 0 and at least one negative, got {n_jitter}")
    m = np.asarray(source).shape[-1]
    out = []
    for f in stretch:
        need = f * length
        s0 = start + (length - need) / 2  # about the centre
        s0 = min(max(s0, 0.0), max(m - 1 - need, 0.0))
        out.append(time_stretch(source, f, layout=layout, start=s0, length=length))
    for _ in range(n_jitter):
        neg, _ = beat_jitter(
            source,
            layout=layout,
            fps=fps,
            rng=rng,
            start=start,
            length=length,
            fraction=fraction,
            tempo_bpm=tempo_bpm,
        )
        out.append(neg)
    return np.stack(out).astype(np.float32)
