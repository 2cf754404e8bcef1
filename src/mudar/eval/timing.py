"""Does a rhythm know *when*, not only how often? Timing gain and a 70 ms F-measure in seconds.

At 8 fps with onsets in a fifth to a third of the frames, one-to-one matching within +-1 frame
(+-125 ms) lets any rhythm at the right rate score well: a random guess at the true rate reaches
F1 0.69 on some sets. Two figures see timing:

- **timing gain**: a score minus the same score of the method's rhythm rolled by half the video
  (its shifted control, :mod:`mudar.eval.visual_rhythm`). Rolling keeps the rate and the spacing
  and breaks the lock to the music, so only timing earns a positive gain.
- **F-measure at 70 ms** (``mir_eval.onset.f_measure``'s window is 50 ms; 70 ms is the MIREX
  beat window, as the issue asks) of rhythm *times* against the music's onset times (superflux
  maxima at the hop's resolution, 16 ms at 16 kHz / 250), the rhythm frames refined below the
  frame by a parabola through the per-frame curve around each peak
  (:func:`mudar.features.dance.refine_times`). Its
  own shifted control gives its timing gain. Against a steady reference (the music's beats)
  the control is the reference shifted by half a beat (``control="half-beat"``,
  :func:`half_beat_shifted`): a steady pulse at the right rate scores the same in both and
  gains nothing whatever its phase, where a roll by half the video would land it at a
  random phase of the beat.

The test of "found timing" is :func:`gain_interval`: the gain over seeds (or dances) with a 95 %
interval that leaves out 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from mudar.errors import ParameterError
from mudar.eval.rhythm import count_matches, prf

TIMING_WINDOW_S = 0.07
"""Tolerance of the timing F-measure, seconds."""


def shifted(times_s: np.ndarray, duration_s: float) -> np.ndarray:
    """The control: times rolled by half the duration (modulo it), sorted."""
    if duration_s <= 0:
        raise ParameterError(f"duration_s must be positive, got {duration_s}")
    return np.sort((np.asarray(times_s, np.float64) + duration_s / 2) % duration_s)


def half_beat_shifted(beats: np.ndarray) -> np.ndarray:
    """Beats moved by half of their local interval: the mid-points between consecutive beats,
    and one half-interval past the last (fewer than two beats are returned as they are)."""
    beats = np.sort(np.asarray(beats, np.float64))
    if len(beats) < 2:
        return beats
    return np.append((beats[1:] + beats[:-1]) / 2, beats[-1] + (beats[-1] - beats[-2]) / 2)


CONTROLS = ("roll", "half-beat")
"""Shifted controls of :func:`score_timing`: the method's times rolled by half the video, or
the reference shifted by half of its own interval (for a steady reference: beats)."""


def score_timing(
    videos: Iterable[tuple[np.ndarray, float, Mapping[str, np.ndarray]]],
    *,
    window_s: float = TIMING_WINDOW_S,
    seed: int = 0,
    control: str = "roll",
) -> dict[str, dict[str, float]]:
    """The 70 ms F-measure of every method pooled over videos, its shifted control and gain.

    Parameters
    ----------
    videos : iterable of (onset_times, duration_s, times)
        Per video: the music's onset times (seconds, shape (m,)), the video's length in seconds
        and, per method, its rhythm times in seconds. A ``chance`` floor is added: uniform
        random times at the video's onset rate.
    window_s : float
        Tolerance, seconds.
    seed : int
        Of the chance floor.
    control : {"roll", "half-beat"}
        The shifted control (:data:`CONTROLS`): the times rolled by half the video, or the same
        times against the reference shifted by half a beat (:func:`half_beat_shifted`).

    Returns
    -------
    dict
        method -> ``{"precision", "recall", "f1", "f1_shifted", "timing_gain"}`` (gain = f1 -
        f1_shifted), counts pooled over videos (micro average).
    """
    if not np.isfinite(window_s) or window_s <= 0:
        raise ParameterError(f"window_s must be positive, got {window_s}")
    if control not in CONTROLS:
        raise ParameterError(f"unknown control {control!r}; known: {', '.join(CONTROLS)}")
    rng = np.random.default_rng(seed)
    counts: dict[str, np.ndarray] = {}
    for onsets, duration_s, times in videos:
        ref = np.sort(np.asarray(onsets, np.float64))
        half = half_beat_shifted(ref) if control == "half-beat" else None
        preds = {k: np.sort(np.asarray(v, np.float64)) for k, v in times.items()}
        preds["chance"] = np.sort(rng.uniform(0.0, duration_s, len(ref)))
        for name, est in preds.items():
            pairs = ((ref, est), (ref, shifted(est, duration_s)) if half is None else (half, est))
            for key, (r, e) in zip((name, f"{name}-shifted"), pairs, strict=True):
                c = np.array([count_matches(r, e, window_s=window_s), len(r), len(e)])
                counts[key] = counts.get(key, np.zeros(3, int)) + c
    out = {}
    for name in [k for k in counts if not k.endswith("-shifted")]:
        p, r, f = prf(*(int(x) for x in counts[name]))
        fs = prf(*(int(x) for x in counts[f"{name}-shifted"]))[2]
        out[name] = {
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(f, 4),
            "f1_shifted": round(fs, 4),
            "timing_gain": round(f - fs, 4),
        }
    return out


def gain_interval(gains: Iterable[float], *, level: float = 0.95) -> dict[str, float]:
    """Mean gain and its Student-t interval over seeds or dances; ``found`` when it leaves out
    0 on the positive side.

    With three seeds a normal interval (1.96 standard errors) would be less than half as wide
    as the t interval (4.30): the t interval is the honest one for so few values.

    Parameters
    ----------
    gains : iterable of float
    level : float
        Confidence level, in (0, 1).

    Returns
    -------
    dict
        ``{"mean", "low", "high", "n", "found"}``; one value gives a zero-width interval and
        ``found`` False (one seed says nothing about the spread).
    """
    from scipy.stats import t as student_t

    g = np.asarray(list(gains), np.float64)
    if g.ndim != 1 or len(g) == 0 or not np.isfinite(g).all():
        raise ParameterError("gains must be a non-empty list of finite numbers")
    if not 0 < level < 1:
        raise ParameterError(f"level must be in (0, 1), got {level}")
    mean = float(g.mean())
    n = len(g)
    half = 0.0
    if n > 1:
        q = float(student_t.ppf(0.5 + level / 2, n - 1))
        half = q * float(g.std(ddof=1)) / float(np.sqrt(n))
    return {  # Python numbers only: the dict and what is read from it go into JSON
        "mean": round(mean, 4),
        "low": round(mean - half, 4),
        "high": round(mean + half, 4),
        "n": n,
        "found": bool(n > 1 and mean - half > 0),
    }
