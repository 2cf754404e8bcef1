"""Synthetic music with known beats: a drum pattern at a fixed tempo (a kick on every beat,
louder on downbeats, quiet hi-hats on the off-beat eighths) over a soft chord bed, for tests,
the demo and the synthetic dances (:mod:`mudar.synthetic.video`).

Everything is seeded: the same arguments give the same samples.
"""

from __future__ import annotations

import numpy as np

from mudar.errors import ParameterError


def beat_grid(*, tempo_bpm: float, duration_s: float, offset_s: float = 0.1) -> np.ndarray:
    """Beat times ``offset_s + k * 60 / tempo_bpm`` before ``duration_s``, seconds, shape (n,)."""
    if not tempo_bpm > 0 or not duration_s > 0 or offset_s < 0:
        raise ParameterError(
            f"tempo_bpm and duration_s must be positive and offset_s >= 0, got "
            f"{tempo_bpm}, {duration_s}, {offset_s}"
        )
    period = 60.0 / tempo_bpm
    n = max(0, int(np.ceil((duration_s - offset_s) / period - 1e-9)))
    return offset_s + period * np.arange(n, dtype=np.float64)


def synth_music(
    *,
    tempo_bpm: float,
    duration_s: float,
    sr: int = 22050,
    beats_per_bar: int = 4,
    accents: bool = True,
    tonal_bed: bool = True,
    offset_s: float = 0.1,
    seed: int = 0,
    hat_gain: float = 0.12,
) -> tuple[np.ndarray, np.ndarray]:
    """A drum pattern at ``tempo_bpm`` over an optional chord bed.

    A kick (a pitch-swept sine) on every beat, louder on the first beat of each bar when
    ``accents``; a quiet hi-hat (a high-passed noise burst) on each off-beat eighth; a soft
    triad per bar (I-V-vi-IV in a seeded key) when ``tonal_bed``. Peak-normalised to 0.9.

    Parameters
    ----------
    tempo_bpm : float
        Beats per minute.
    duration_s : float
        Length, seconds.
    sr : int
        Sample rate, Hz.
    beats_per_bar : int
        Metre: downbeats are beats ``0, beats_per_bar, 2 * beats_per_bar, ...``.
    accents : bool
        Louder downbeats.
    tonal_bed : bool
        Add the chords.
    offset_s : float
        Time of the first beat, seconds.
    seed : int
    hat_gain : float
        Loudness of the off-beat hi-hats against an unaccented kick's 0.8: quiet by default;
        about 1 makes a breakbeat whose tempo reads double (its half is then the beat).

    Returns
    -------
    y : np.ndarray, float32, shape (round(duration_s * sr),)
    beat_times : np.ndarray, float64, shape (n_beats,)
        Kick onsets, seconds.

    Raises
    ------
    ParameterError
    """
    if sr <= 0 or beats_per_bar <= 0:
        raise ParameterError(f"sr and beats_per_bar must be positive, got {sr}, {beats_per_bar}")
    beats = beat_grid(tempo_bpm=tempo_bpm, duration_s=duration_s, offset_s=offset_s)
    rng = np.random.default_rng(seed)
    period = 60.0 / tempo_bpm
    n = round(duration_s * sr)
    y = np.zeros(n, dtype=np.float64)

    t = np.arange(round(0.3 * sr)) / sr
    freq = 50.0 + 90.0 * np.exp(-t / 0.03)  # pitch drop, Hz
    kick = np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.exp(-t / 0.12)
    kick[: round(0.002 * sr)] += rng.uniform(-0.5, 0.5, round(0.002 * sr))  # beater click
    th = t[: round(0.06 * sr)]
    hat = np.diff(rng.standard_normal(len(th) + 1)) * 0.5 * np.exp(-th / 0.015)

    for i, b in enumerate(beats):
        gain = (1.0 if i % beats_per_bar == 0 else 0.55) if accents else 0.8
        _add(y, kick * gain, round(b * sr))
        _add(y, hat * hat_gain, round((b + period / 2) * sr))

    if tonal_bed:
        y += 0.12 * _chords(n, sr=sr, bar_s=period * beats_per_bar, t0=offset_s, rng=rng)
    y *= 0.9 / max(np.max(np.abs(y)), 1e-9)
    return y.astype(np.float32), beats


def _add(y: np.ndarray, x: np.ndarray, at: int) -> None:
    """Add ``x`` into ``y`` starting at sample ``at`` (clipped to ``y``)."""
    if at >= len(y):
        return
    m = min(len(x), len(y) - at)
    y[at : at + m] += x[:m]


def _chords(n: int, *, sr: int, bar_s: float, t0: float, rng: np.random.Generator) -> np.ndarray:
    """A soft triad per bar, I-V-vi-IV, shape (n,), peak about 1."""
    root = 48 + int(rng.integers(0, 12))  # MIDI note of the key, C3..B3
    progression = ((0, 4, 7), (7, 11, 14), (9, 12, 16), (5, 9, 12))
    t = np.arange(n) / sr
    bar = np.floor((t - t0) / bar_s).astype(int)  # -1 before the first downbeat
    out = np.zeros(n)
    for j in np.unique(bar):
        sel = bar == j
        tt = t[sel] - (t0 + j * bar_s)  # time into the bar
        env = np.clip(tt / 0.08, 0, 1) * np.clip((bar_s - tt) / 0.08, 0, 1)  # no clicks
        for semis in progression[j % len(progression)]:
            f = 440.0 * 2 ** ((root + semis - 69) / 12)
            for h, a in ((1, 1.0), (2, 0.4), (3, 0.15)):
                out[sel] += a * env * np.sin(2 * np.pi * h * f * t[sel])
    return out / 3.0
