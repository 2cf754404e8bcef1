"""Music features of MuDaR (sec 3.1.1): log-mel, SuperFlux onsets, tempo, beats and tempogram.

All analysis runs on the fine audio grid of the :class:`~mudar.clock.FrameClock`
(``hop_length = clock.hop``: 250 samples, 64 frames/s with the default clock) and is then pooled
onto the video frames. Every setting that is a duration is given here in seconds and turned into
frames with the clock's rate, so that the features mean the same thing whatever ``sr`` and
``hop_length`` are.

The signal processing is librosa's (0.11), redone in numpy by :mod:`mudar.features.dsp`
to the same numbers: importing librosa's onset and beat modules costs seconds per process,
several times the analysis of a minute of music. librosa stays the reference in the tests.

Here: the log-mel, the onset envelope and onsets, and :func:`music_features`, which puts them
and the tempo, beats and tempogram (:mod:`mudar.features.tempo`) on the video frames.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np

from mudar.clock import FrameClock
from mudar.errors import ParameterError
from mudar.features import dsp
from mudar.features.checks import all_finite, check_audio, check_envelope, check_rate
from mudar.features.tempo import (
    TEMPOGRAM_WIN_S,
    beat_tempo,
    estimate_tempo,
    tempo_alternatives,
    track_beats,
)
from mudar.methods import STFT_WINDOWS

N_FFT = 1024
"""STFT window, samples: 64 ms at 16 kHz, between SuperFlux's 46 ms and librosa's 93 ms."""
N_MELS = 128
"""Mel bands, fmin..sr/2; at 16 kHz with ``N_FFT`` no band falls between two FFT bins."""
FMIN = 27.5
"""Lowest mel frequency, Hz (A0, as in SuperFlux)."""
TOP_DB = 80.0
"""Dynamic range of the log-mel below the clip's loudest bin, dB."""

# Peak picking (Böck et al. 2012), as durations: librosa's onset_detect defaults, in seconds.
PRE_MAX_S = 0.03
POST_MAX_S = 0.0
PRE_AVG_S = 0.10
POST_AVG_S = 0.10
WAIT_S = 0.03
DELTA = 0.07
"""Threshold above the local mean of the [0, 1]-normalised envelope."""


def melspectrogram(
    y: np.ndarray,
    *,
    sr: int,
    hop_length: int,
    n_fft: int = N_FFT,
    n_mels: int = N_MELS,
    fmin: float = FMIN,
    fmax: float | None = None,
    window: str = "hann",
) -> np.ndarray:
    """Log-mel spectrogram in dB relative to the loudest bin, floored at ``-TOP_DB``.

    The mel products run on one BLAS thread (see ``_one_blas_thread``): the same numbers
    whatever the caller's thread setting.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,)
        Mono audio.
    sr : int
        Sample rate, Hz.
    hop_length : int
        Hop between frames, samples. Frame ``j`` is centred at ``j * hop_length`` (``center=True``);
        the edges are padded by reflection, so that a clip cut out of a song does not begin with
        a jump from silence that would read as an onset.
    n_fft : int
        STFT window length, samples.
    n_mels : int
        Number of mel bands.
    fmin, fmax : float
        Band edges of the mel filterbank, Hz; ``fmax=None`` means ``sr / 2``.
    window : {"hann", "hamming"}
        STFT window (:data:`STFT_WINDOWS`): periodic Hann (default, librosa's) or Hamming
        (MuDaR's Eq. 1).

    Returns
    -------
    np.ndarray, float32, shape (n_mels, 1 + n_samples // hop_length)
        Values in ``[-TOP_DB, 0]`` dB; all zeros for silence.

    Raises
    ------
    ParameterError
        If ``y`` is not 1-D, the settings are not positive or the window is unknown.
    """
    y = check_audio(y)
    check_rate(sr=sr, hop_length=hop_length)
    if n_fft <= 0 or n_mels <= 0:
        raise ParameterError(f"n_fft and n_mels must be positive, got {n_fft}, {n_mels}")
    _check_window(window)
    if y.size == 0:
        raise ParameterError("audio is empty")
    fb = dsp.mel_filterbank(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
    # block by block: the mel power of an hour is 128 rows, its STFT power would be 513
    mel = None
    blocks = dsp.stft_power_blocks(
        y, n_fft=n_fft, hop_length=hop_length, window=window, pad_mode="reflect"
    )
    with _one_blas_thread():
        for start, power in blocks:
            block = fb @ power
            if mel is None:
                mel = np.empty((n_mels, 1 + len(y) // hop_length), dtype=block.dtype)
            mel[:, start : start + block.shape[1]] = block
    # dsp.power_to_db(mel, ref=np.max, top_db=TOP_DB) in place, a block at a time (the same
    # numbers: each step is elementwise, and the floor is the maximum of the whole)
    ref = np.max(mel)
    for s, e in dsp.even_blocks(mel.shape[1], 8192):
        mel[:, s:e] = dsp.power_to_db(mel[:, s:e], ref=ref, top_db=None)
    np.maximum(mel, mel.max() - TOP_DB, out=mel)
    return mel.astype(np.float32, copy=False)


_BLAS = None  # threadpoolctl's controller of numpy's BLAS, made at the first log-mel


def _one_blas_thread():
    """A context in which numpy's BLAS computes on one thread.

    The log-mel's products (128 x 513 by 513 x 1024) are small: a second thread saves little on
    idle cores and, on cores shared with other jobs, is waited for (the music features took 3x
    as long on 2 cores at a load of 5). One thread also makes the sums, so the log-mel to the
    bit, the same whatever thread setting the caller has (as in ``mudar prepare``'s workers).
    """
    global _BLAS
    from threadpoolctl import ThreadpoolController

    if _BLAS is None:
        _BLAS = ThreadpoolController()
    return _BLAS.limit(limits=1, user_api="blas")


def superflux_envelope(
    S_db: np.ndarray,
    *,
    sr: int,
    hop_length: int,
    n_fft: int = N_FFT,
    lag: int = 2,
    max_size: int = 3,
) -> np.ndarray:
    """SuperFlux onset envelope (Böck & Widmer 2013; MuDaR Eq. 2).

    The positive difference between each log-mel frame and the frame ``lag`` before it, after a
    maximum filter of ``max_size`` bands over frequency (which suppresses vibrato), averaged over
    bands.

    Parameters
    ----------
    S_db : np.ndarray, shape (n_mels, m)
        Log-mel spectrogram from :func:`melspectrogram`.
    sr : int
        Sample rate, Hz.
    hop_length : int
        Hop of ``S_db``, samples.
    n_fft : int
        STFT window of ``S_db``, samples. It must match: frames are shifted back by half a window
        to line the envelope up with the onsets (librosa's ``center=True``).
    lag : int
        Difference lag, frames.
    max_size : int
        Size of the maximum filter over frequency, bands.

    Returns
    -------
    np.ndarray, float32, shape (m,)
        Onset strength, ``>= 0``; frame ``j`` at ``j * hop_length / sr`` seconds.

    Raises
    ------
    ParameterError
        If ``S_db`` is not 2-D or a setting is not positive.
    """
    S_db = np.asarray(S_db)
    if S_db.ndim != 2:
        raise ParameterError(f"S_db must have shape (n_mels, m), got {S_db.shape}")
    check_rate(sr=sr, hop_length=hop_length)
    if lag < 1 or max_size < 1 or n_fft < 1:
        raise ParameterError(
            f"lag, max_size and n_fft must be >= 1, got {lag}, {max_size}, {n_fft}"
        )
    if S_db.shape[1] == 0:
        return np.zeros(0, dtype=np.float32)
    env = dsp.onset_strength(
        S_db, n_fft=n_fft, hop_length=hop_length, lag=lag, max_size=max_size, center=True
    )
    return env.astype(np.float32)


def onset_times(
    envelope: np.ndarray,
    *,
    sr: int,
    hop_length: int,
    pre_max_s: float = PRE_MAX_S,
    post_max_s: float = POST_MAX_S,
    pre_avg_s: float = PRE_AVG_S,
    post_avg_s: float = POST_AVG_S,
    wait_s: float = WAIT_S,
    delta: float = DELTA,
) -> np.ndarray:
    """Onsets by peak picking the onset envelope.

    A frame is an onset where it is the maximum of ``[t - pre_max_s, t + post_max_s]``, exceeds
    the mean of ``[t - pre_avg_s, t + post_avg_s]`` by ``delta`` (envelope scaled to [0, 1]) and
    comes at least ``wait_s`` after the previous onset. Windows are durations, so the picking
    behaves the same at any frame rate.

    Parameters
    ----------
    envelope : np.ndarray, shape (m,)
        Onset envelope, frame ``j`` at ``j * hop_length / sr`` seconds.
    sr : int
        Sample rate, Hz.
    hop_length : int
        Hop of the envelope, samples.
    pre_max_s, post_max_s, pre_avg_s, post_avg_s, wait_s : float
        Peak-picking windows, seconds.
    delta : float
        Threshold above the local mean.

    Returns
    -------
    np.ndarray, float64, shape (k,)
        Onset times, seconds, increasing; empty when there are none.

    Raises
    ------
    ParameterError
        If ``envelope`` is not 1-D, a window is negative or ``delta`` is negative.
    """
    envelope = check_envelope(envelope)
    check_rate(sr=sr, hop_length=hop_length)
    windows = (pre_max_s, post_max_s, pre_avg_s, post_avg_s, wait_s, delta)
    if min(windows) < 0:
        raise ParameterError(f"peak-picking windows and delta must be >= 0, got {windows}")
    if not np.any(envelope > 0):
        return np.zeros(0, dtype=np.float64)
    # scaled to [0, 1] as librosa.onset.onset_detect(normalize=True), in float32
    x = envelope - envelope.min()
    x /= x.max() + np.finfo(np.float32).tiny
    if not x.any() or not np.all(np.isfinite(x)):
        return np.zeros(0, dtype=np.float64)
    rate = sr / hop_length
    frames = dsp.peak_pick(
        x,
        pre_max=round(pre_max_s * rate),
        post_max=round(post_max_s * rate) + 1,
        pre_avg=round(pre_avg_s * rate),
        post_avg=round(post_avg_s * rate) + 1,
        wait=round(wait_s * rate),
        delta=delta,
    )
    return frames.astype(np.float64) * hop_length / sr


@dataclass
class MusicFeatures:
    """Music features of one clip of ``n`` video frames (``sub`` fine frames each).

    Attributes
    ----------
    mel : np.ndarray, float32, shape (n_mels, n * sub)
        Log-mel spectrogram, dB (fine rate).
    onset_envelope : np.ndarray, float32, shape (n * sub,)
        SuperFlux onset envelope (fine rate).
    onset_times : np.ndarray, float64, shape (k,)
        Onsets, seconds from the start of the clip.
    beat_times : np.ndarray, float64, shape (b,)
        Beats, seconds.
    tempo_bpm : float
        Global tempo, BPM: the one the beats imply (60 over their median interval,
        :func:`~mudar.features.tempo.beat_tempo`), else the tempogram's estimate; 0.0 if
        unknown.
    tempogram : np.ndarray, float32, shape (win_length, n)
        Autocorrelation tempogram, mean-pooled onto the video frames.
    onset_strength : np.ndarray, float32, shape (n,)
        Onset envelope max-pooled onto the video frames, scaled to [0, 1].
    onsets : np.ndarray, float32, shape (n,)
        1 at the video frame nearest each onset ("onset maxima"), else 0.
    beats : np.ndarray, float32, shape (n,)
        1 at the video frame nearest each beat, else 0.
    """

    mel: np.ndarray
    onset_envelope: np.ndarray
    onset_times: np.ndarray
    beat_times: np.ndarray
    tempo_bpm: float
    tempogram: np.ndarray
    onset_strength: np.ndarray
    onsets: np.ndarray
    beats: np.ndarray

    @property
    def n_frames(self) -> int:
        """Number of video frames."""
        return int(self.onsets.shape[0])

    def slice(self, start: int, stop: int, *, clock: FrameClock) -> MusicFeatures:
        """The features of video frames ``start:stop``; times re-based on frame ``start``.

        The tempo stays the whole input's (more reliable than a short window's).
        """
        sub, fps = clock.sub, clock.fps
        t0, t1 = start / fps, stop / fps

        def within(t: np.ndarray) -> np.ndarray:
            return t[(t >= t0 - 0.5 / fps) & (t < t1 - 0.5 / fps)] - t0

        return MusicFeatures(
            mel=self.mel[:, start * sub : stop * sub],
            onset_envelope=self.onset_envelope[start * sub : stop * sub],
            onset_times=within(self.onset_times),
            beat_times=within(self.beat_times),
            tempo_bpm=self.tempo_bpm,
            tempogram=self.tempogram[:, start:stop],
            onset_strength=self.onset_strength[start:stop],
            onsets=self.onsets[start:stop],
            beats=self.beats[start:stop],
        )

    def to_arrays(self) -> dict[str, np.ndarray]:
        """All fields as arrays (``tempo_bpm`` 0-d), e.g. for ``np.savez``."""
        return {f.name: np.asarray(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_arrays(cls, d: Mapping[str, np.ndarray]) -> MusicFeatures:
        """Inverse of :meth:`to_arrays`; ``d`` may be an open ``.npz`` file.

        Raises
        ------
        ParameterError
            If a field is missing.
        """
        names = [f.name for f in fields(cls)]
        missing = [k for k in names if k not in d]
        if missing:
            raise ParameterError(f"music features lack {', '.join(missing)}")
        values = {k: np.asarray(d[k]) for k in names}
        values["tempo_bpm"] = float(values["tempo_bpm"])
        return cls(**values)


def music_features(
    y: np.ndarray, *, clock: FrameClock, n_frames: int | None = None, window: str = "hann"
) -> MusicFeatures:
    """All music features of a clip, on the clip's video frames.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,)
        Mono audio at ``clock.sr`` Hz.
    clock : FrameClock
        Frame rates; the fine analysis hop is ``clock.hop``.
    n_frames : int, optional
        Number of video frames; ``y`` is trimmed or zero-padded to fit. Default: the whole video
        frames in ``y``.
    window : {"hann", "hamming"}
        STFT window of the mel spectrogram (:func:`melspectrogram`), and so of everything
        computed from it.

    Returns
    -------
    MusicFeatures
        Per-frame arrays of ``n_frames`` entries, fine arrays of ``n_frames * clock.sub``.

    Raises
    ------
    ParameterError
        If ``y`` is not 1-D, holds non-finite values, ``n_frames < 0`` or the window is unknown.
    """
    y = check_audio(y)
    _check_window(window)
    sr, hop = clock.sr, clock.hop
    n = clock.n_frames(len(y) / sr) if n_frames is None else int(n_frames)
    if n < 0:
        raise ParameterError(f"n_frames must be >= 0, got {n_frames}")
    m = n * clock.sub
    win = max(1, round(TEMPOGRAM_WIN_S * clock.fine_rate))
    y = clock.fit_audio(y, n)
    if m == 0:
        mel = np.zeros((N_MELS, 0), dtype=np.float32)
    else:
        mel = melspectrogram(y, sr=sr, hop_length=hop, window=window)[:, :m]
    # lag spans the distance from the window's centre to where it falls to half (madmom's
    # SuperFlux diff_ratio=0.5): N_FFT/4 = 1 hop here, 2 frames of 5 ms in the SuperFlux paper
    lag = max(1, round(N_FFT / 4 / hop))
    env = superflux_envelope(mel, sr=sr, hop_length=hop, n_fft=N_FFT, lag=lag, max_size=3)
    onsets_s = onset_times(env, sr=sr, hop_length=hop)
    tg, tg_mean = _pooled_tempogram(env, clock=clock, n=n, win_length=win)
    tempo_bpm = estimate_tempo(env, sr=sr, hop_length=hop, tg_mean=tg_mean)
    beats_s = track_beats(env, sr=sr, hop_length=hop, tempo_bpm=tempo_bpm)
    # the tempo shown is the one the beats keep (their median interval)
    tempo_bpm = beat_tempo(beats_s) or tempo_bpm
    strength = clock.pool(env, n, reduce="max")
    top = float(strength.max(initial=0.0))
    if top > 0:
        strength = strength / top
    return MusicFeatures(
        mel=mel,
        onset_envelope=env,
        onset_times=onsets_s,
        beat_times=beats_s,
        tempo_bpm=tempo_bpm,
        tempogram=tg,
        onset_strength=strength.astype(np.float32),
        onsets=clock.events_to_frames(onsets_s, n),
        beats=clock.events_to_frames(beats_s, n),
    )


def music_tempo_alternatives(music: MusicFeatures, *, clock: FrameClock) -> list[float]:
    """The half and double of ``music.tempo_bpm`` that the music supports nearly as well as it
    (80 BPM kicks with loud off-beat hats read 160, and 80 is named), from its tempogram
    (:func:`~mudar.features.tempo.tempo_alternatives`).

    Parameters
    ----------
    music : MusicFeatures
    clock : FrameClock
        The clock ``music`` was made on.

    Returns
    -------
    list of float
        BPM, half before double; empty when neither is supported or the tempo is unknown.
    """
    return tempo_alternatives(
        music.tempogram.mean(axis=1),
        sr=clock.sr,
        hop_length=clock.hop,
        tempo_bpm=float(music.tempo_bpm),
    )


def _pooled_tempogram(
    env: np.ndarray, *, clock: FrameClock, n: int, win_length: int
) -> tuple[np.ndarray, np.ndarray]:
    """The tempogram of ``env`` mean-pooled onto ``n`` video frames, and its mean over the fine
    frames, made a block of fine frames at a time: the numbers of
    ``clock.pool(tempogram(env, ...), n, reduce="mean")`` (and of its ``mean(axis=1)`` up to
    the order of the sum) without the whole fine tempogram, 512 rows at 64 frames/s (an hour of
    it is 470 MB in float32).

    Returns
    -------
    pooled : np.ndarray, float32, shape (win_length, n)
    mean : np.ndarray, float64, shape (win_length,)
    """
    m, sub, half = env.size, clock.sub, clock.sub // 2
    assert m == n * sub, (m, n, sub)  # music_features trims the audio to whole video frames
    if not all_finite(env):
        raise ParameterError("envelope holds non-finite values")
    pooled = np.zeros((win_length, n), dtype=np.float32)
    total = np.zeros(win_length, dtype=np.float64)
    # video frame k pools fine frames k*sub - half .. k*sub + half - 1, the first repeated
    # before the start (clock.pool): a stream of fine columns, shifted by half a video frame
    pending = np.zeros((win_length, 0), dtype=np.float32)
    k = 0
    # blocks start where tempogram()'s FFT batches do, so every column is computed alike
    for a in range(0, m, TEMPOGRAM_BLOCK):
        tg = dsp.autocorrelation_tempogram(
            env, win_length=win_length, start=a, stop=min(a + TEMPOGRAM_BLOCK, m)
        ).astype(np.float32)
        total += tg.sum(axis=1, dtype=np.float64)
        parts = [pending, tg] if a else [np.repeat(tg[:, :1], half, axis=1), tg]
        pending = np.concatenate(parts, axis=1)
        del tg, parts  # before the next block is computed
        full = min(pending.shape[1] // sub, n - k)
        pooled[:, k : k + full] = pending[:, : full * sub].reshape(win_length, full, sub).mean(-1)
        pending = pending[:, full * sub :]
        k += full
    return pooled, total / max(m, 1)


TEMPOGRAM_BLOCK = 4096
"""Fine frames per block of :func:`_pooled_tempogram` (a multiple of the FFT batch)."""


def _check_window(window: str) -> None:
    if window not in STFT_WINDOWS:
        raise ParameterError(f"window must be one of {STFT_WINDOWS}, got {window!r}")
