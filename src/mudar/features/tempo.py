"""The music's tempo and beats: the autocorrelation tempogram, a tempo estimate under a
log-normal prior, and beats by dynamic programming (librosa's, redone by
:mod:`mudar.features.dsp`). :func:`mudar.features.music.music_features` puts them on the video
frames."""

from __future__ import annotations

import numpy as np

from mudar.errors import ParameterError
from mudar.features import dsp
from mudar.features.checks import check_envelope, check_rate

TEMPOGRAM_WIN_S = 8.0
"""Autocorrelation window of the tempogram, seconds (librosa's ``ac_size`` for tempo)."""
START_BPM = 120.0
STD_BPM = 2.0
"""Width of the log-normal tempo prior, octaves (see :func:`estimate_tempo`)."""
MAX_BPM = 320.0
TEMPO_SPLIT = 0.8
"""The half or double of a tempo is an alternative when the mean tempogram at its period is at
least this share of that at the tempo's (see :func:`tempo_alternatives`)."""
ALTERNATIVE_RANGE_BPM = (50.0, 220.0)
"""Where a half or double tempo is worth naming: a dancer's count (a steady pulse always
autocorrelates well at twice its period, so 40 BPM would be named for every 80 BPM song)."""
MUSIC_FLOOR = 0.1
"""Leading and trailing beats whose music (the onset envelope's mean over a beat around it) is
weaker than this share of the median beat's lie outside the music (see :func:`track_beats`)."""


def tempogram(
    envelope: np.ndarray,
    *,
    sr: int,
    hop_length: int,
    win_length: int,
) -> np.ndarray:
    """Autocorrelation tempogram of the onset envelope (librosa, Hann window, centred).

    Parameters
    ----------
    envelope : np.ndarray, shape (m,)
        Onset envelope.
    sr : int
        Sample rate, Hz.
    hop_length : int
        Hop of the envelope, samples.
    win_length : int
        Autocorrelation window, frames; row ``l`` is lag ``l`` frames, i.e.
        ``60 * sr / (hop_length * l)`` BPM.

    Returns
    -------
    np.ndarray, float32, shape (win_length, m)
        Each column scaled so that lag 0 is 1 (all zeros where the envelope is).

    Raises
    ------
    ParameterError
        If ``envelope`` is not 1-D or ``win_length < 1``.
    """
    envelope = check_envelope(envelope)
    check_rate(sr=sr, hop_length=hop_length)
    if win_length < 1:
        raise ParameterError(f"win_length must be >= 1, got {win_length}")
    if envelope.size == 0:
        return np.zeros((win_length, 0), dtype=np.float32)
    if not np.all(np.isfinite(envelope)):
        raise ParameterError("envelope holds non-finite values")
    tg = dsp.autocorrelation_tempogram(envelope, win_length=win_length)
    return tg.astype(np.float32)


def estimate_tempo(
    envelope: np.ndarray,
    *,
    sr: int,
    hop_length: int,
    win_length: int | None = None,
    start_bpm: float = START_BPM,
    std_bpm: float = STD_BPM,
    max_bpm: float = MAX_BPM,
    tg: np.ndarray | None = None,
    tg_mean: np.ndarray | None = None,
) -> float:
    """Global tempo: the strongest periodicity of the onset envelope under a broad prior.

    The time-averaged tempogram is weighted by a log-normal prior centred on ``start_bpm`` and
    its highest peak is refined to a fraction of a frame by parabolic interpolation (whole-frame
    lags are 1-2% apart at 150-200 BPM and 64 frames/s).

    Why ``std_bpm = 2`` octaves, not librosa's 1: an isochronous pulse autocorrelates almost as
    strongly at twice its period, so the prior alone picks the metrical level. With 1 octave,
    120 BPM pulls a 180 BPM pulse down to 90; with 2 octaves the prior varies by at most 12%
    within an octave of 120 BPM, so the data decide over the range of dance music, while tempi
    beyond 30 or 480 BPM remain improbable.

    Parameters
    ----------
    envelope : np.ndarray, shape (m,)
        Onset envelope.
    sr : int
        Sample rate, Hz.
    hop_length : int
        Hop of the envelope, samples.
    win_length : int, optional
        Autocorrelation window, frames; default ``TEMPOGRAM_WIN_S`` seconds. Ignored if ``tg``.
    start_bpm : float
        Centre of the prior, BPM.
    std_bpm : float
        Width of the prior, octaves.
    max_bpm : float
        Fastest tempo considered, BPM.
    tg : np.ndarray, shape (win_length, m), optional
        Tempogram of ``envelope`` from :func:`tempogram`, to avoid computing it twice.
    tg_mean : np.ndarray, shape (win_length,), optional
        Its mean over frames instead (what a long file keeps); wins over ``tg``.

    Returns
    -------
    float
        Tempo, BPM; 0.0 when it cannot be estimated: silence, or a clip too short to hold two
        periods of any tempo below ``max_bpm``.

    Raises
    ------
    ParameterError
        If ``envelope`` is not 1-D or a setting is not positive.
    """
    envelope = check_envelope(envelope)
    check_rate(sr=sr, hop_length=hop_length)
    if not (start_bpm > 0 and std_bpm > 0 and max_bpm > 0):
        raise ParameterError(
            f"start_bpm, std_bpm and max_bpm must be positive, got {start_bpm}, {std_bpm}, "
            f"{max_bpm}"
        )
    if not np.any(envelope > 0):
        return 0.0
    if tg_mean is None:
        if tg is None:
            if win_length is None:
                win_length = max(1, round(TEMPOGRAM_WIN_S * sr / hop_length))
            tg = tempogram(envelope, sr=sr, hop_length=hop_length, win_length=win_length)
        elif tg.ndim != 2 or tg.shape[1] != envelope.size:
            raise ParameterError(
                f"tg must have shape (win_length, {envelope.size}), got {tg.shape}"
            )
        tg_mean = tg.mean(axis=1, dtype=np.float64)
    ac = np.asarray(tg_mean, dtype=np.float64)
    lags = np.arange(len(ac), dtype=np.float64)
    with np.errstate(divide="ignore"):
        bpm = 60.0 * sr / (hop_length * lags)
    logprior = -0.5 * ((np.log2(bpm) - np.log2(start_bpm)) / std_bpm) ** 2
    # a period is only measured where the clip holds two of it; longer lags see only padding
    valid = (lags >= 1) & (bpm < max_bpm) & (lags <= envelope.size // 2)
    score = np.where(valid, ac * np.exp(logprior), 0.0)
    # interior local maxima (a peak at the window's edge cannot be refined, nor trusted)
    a, b, c = score[:-2], score[1:-1], score[2:]
    peaks = np.flatnonzero((b > 0) & (b >= a) & (b > c)) + 1
    if peaks.size == 0:
        return 0.0
    a, b, c = score[peaks - 1], score[peaks], score[peaks + 1]
    curv = a - 2 * b + c
    shift = np.where(curv < 0, 0.5 * (a - c) / np.where(curv < 0, curv, -1.0), 0.0)
    height = b - 0.25 * (a - c) * shift
    best = int(np.argmax(height))
    return float(60.0 * sr / (hop_length * (peaks[best] + shift[best])))


def track_beats(
    envelope: np.ndarray,
    *,
    sr: int,
    hop_length: int,
    tempo_bpm: float,
    tightness: float = 100.0,
) -> np.ndarray:
    """Beats by dynamic programming at a given tempo (Ellis 2007, ``librosa.beat.beat_track``),
    from the first beat of the music to its last.

    librosa's ``trim`` drops every leading and trailing beat whose smoothed score is below the
    RMS of the beat scores: where a song grows quieter it cut whole stretches (28 s of a 75 s
    dwm song). Here the path is kept untrimmed and only the beats outside the music are dropped:
    those at either end whose music, the envelope's mean over one beat centred on them, is
    below ``MUSIC_FLOOR`` of the median beat's (silence, a fade). The path's ends are fitted to
    the music (``dsp.beat_track(fit_ends=True)``): it may begin on the first onset however soon
    the music starts (librosa's put a 120 BPM song's first beat at 0.81 s, its first kick at
    0.30 s) and ends on the best beat of its last period, not on an off-beat sound there.

    Parameters
    ----------
    envelope : np.ndarray, shape (m,)
        Onset envelope.
    sr : int
        Sample rate, Hz.
    hop_length : int
        Hop of the envelope, samples.
    tempo_bpm : float
        Tempo, BPM, e.g. from :func:`estimate_tempo`; 0 gives no beats.
    tightness : float
        How strictly beats keep to the tempo.

    Returns
    -------
    np.ndarray, float64, shape (b,)
        Beat times, seconds, increasing; empty for silence, an envelope of fewer than 2 frames,
        or ``tempo_bpm == 0``.

    Raises
    ------
    ParameterError
        If ``envelope`` is not 1-D or not finite, ``tempo_bpm`` is negative, not finite or
        faster than two beats per frame, or ``tightness`` is not positive.
    """
    envelope = check_envelope(envelope)
    check_rate(sr=sr, hop_length=hop_length)
    if not (np.isfinite(tempo_bpm) and tempo_bpm >= 0):
        raise ParameterError(f"tempo_bpm must be finite and >= 0, got {tempo_bpm}")
    if tempo_bpm == 0 or not np.any(envelope > 0):
        return np.zeros(0, dtype=np.float64)
    env = envelope.astype(np.float64)
    rate = float(sr) / hop_length
    kw = dict(frame_rate=rate, bpm=float(tempo_bpm), tightness=tightness, fit_ends=True)
    beats = dsp.beat_track(env, trim=False, **kw)
    kept = _inside_music(env, beats, period=max(1, round(60.0 * rate / tempo_bpm)))
    # never fewer than librosa's trim keeps (the same path, so a contiguous run of it)
    trimmed = dsp.beat_track(env, trim=True, **kw)
    if trimmed.size:
        kept = beats[
            (beats >= min(trimmed[0], *kept[:1])) & (beats <= max(trimmed[-1], *kept[-1:]))
        ]
    return kept.astype(np.float64) * hop_length / sr


def _inside_music(env: np.ndarray, beats: np.ndarray, *, period: int) -> np.ndarray:
    """``beats`` (frames) without the leading and trailing ones outside the music: those whose
    music (the envelope's mean over a beat around them) or onset (its maximum within 2 frames)
    is under ``MUSIC_FLOOR`` of the median beat's. The second catches the beat the path puts
    on a clip's last frame, after the music's last onset, where the tail of a sound still
    rings."""
    if beats.size == 0:
        return beats
    csum = np.concatenate([[0.0], np.cumsum(env)])
    lo = np.clip(beats - period // 2, 0, env.size)
    hi = np.clip(beats + period - period // 2, 1, env.size)
    level = (csum[hi] - csum[lo]) / np.maximum(hi - lo, 1)
    near = np.lib.stride_tricks.sliding_window_view(np.pad(env, 2), 5)[beats].max(axis=1)
    strong = (level >= MUSIC_FLOOR * np.median(level)) & (near >= MUSIC_FLOOR * np.median(near))
    if not strong.any():
        return beats[:0]
    first, last = np.argmax(strong), strong.size - np.argmax(strong[::-1])
    return beats[first:last]


def beat_tempo(beat_times: np.ndarray, *, span: int = 8) -> float:
    """The tempo the beats imply, BPM: 60 over their median interval, each interval measured
    over ``span`` beats (the beats lie on whole envelope frames, 15.6 ms at 64 frames/s; one
    interval alone would read 100 BPM as 101.05). 0.0 for fewer than 2 beats.

    Parameters
    ----------
    beat_times : np.ndarray, shape (b,)
        Beat times, seconds, increasing.
    span : int
        Beats per measured interval (fewer when there are fewer beats), >= 1.

    Returns
    -------
    float
    """
    b = np.asarray(beat_times, dtype=np.float64)
    if b.ndim != 1:
        raise ParameterError(f"beat_times must have shape (b,), got {b.shape}")
    if span < 1:
        raise ParameterError(f"span must be >= 1, got {span}")
    if b.size < 2:
        return 0.0
    k = min(span, b.size - 1)
    ibi = float(np.median((b[k:] - b[:-k]) / k))
    return 60.0 / ibi if ibi > 0 else 0.0


def tempo_alternatives(
    tg_mean: np.ndarray,
    *,
    sr: int,
    hop_length: int,
    tempo_bpm: float,
    split: float = TEMPO_SPLIT,
    bpm_range: tuple[float, float] = ALTERNATIVE_RANGE_BPM,
) -> list[float]:
    """The half and double of ``tempo_bpm`` that the music supports nearly as well.

    A pulse on every beat with another on each off-beat (a kick and hi-hats) autocorrelates
    about as strongly at the half period as at the period, so 80 BPM can read as 160 and the
    reverse; the metrical level is then a matter of taste. An alternative is listed when the
    mean tempogram at its period (the best within 3 % of it) is at least ``split`` times that at
    the tempo's, and its period fits the tempogram window and lies
    within ``bpm_range``.

    Parameters
    ----------
    tg_mean : np.ndarray, shape (win_length,)
        The tempogram's mean over frames; row ``l`` is lag ``l`` frames.
    sr, hop_length : int
        Of the envelope the tempogram was made from.
    tempo_bpm : float
        The tempo, BPM (0: no alternatives).
    split : float
        In (0, 1].
    bpm_range : (float, float)
        Only alternatives within it, BPM.

    Returns
    -------
    list of float
        BPM, half before double, each rounded to 0.01; empty when neither qualifies.

    Raises
    ------
    ParameterError
        ``tg_mean`` not 1-D, ``split`` outside (0, 1], a negative tempo.
    """
    ac = np.asarray(tg_mean, dtype=np.float64)
    check_rate(sr=sr, hop_length=hop_length)
    if ac.ndim != 1:
        raise ParameterError(f"tg_mean must have shape (win_length,), got {ac.shape}")
    if not 0 < split <= 1:
        raise ParameterError(f"split must be in (0, 1], got {split}")
    if not (np.isfinite(tempo_bpm) and tempo_bpm >= 0):
        raise ParameterError(f"tempo_bpm must be finite and >= 0, got {tempo_bpm}")
    if tempo_bpm == 0:
        return []
    frames_per_min = 60.0 * sr / hop_length

    def strength(bpm: float) -> float:
        lag = frames_per_min / bpm
        lo, hi = int(np.floor(lag / 1.03)), int(np.ceil(lag * 1.03))
        if lo < 1 or hi >= ac.size:
            return -np.inf
        return float(ac[lo : hi + 1].max())

    own = strength(tempo_bpm)
    if not own > 0:
        return []
    return [
        round(bpm, 2)
        for bpm in (tempo_bpm / 2, tempo_bpm * 2)
        if bpm_range[0] <= bpm <= bpm_range[1] and strength(bpm) >= split * own
    ]
