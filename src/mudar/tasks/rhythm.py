"""The music and dance rhythm of a file, as the ``mudar rhythm`` JSON reports it."""

from __future__ import annotations

import numpy as np

from mudar.errors import ParameterError
from mudar.features.dance import rhythm_times
from mudar.features.extract import Analysis

DANCE_METHODS = ("hoof-flux",)


def _times(x: np.ndarray) -> list[float]:
    return [round(float(t), 3) for t in x]


def rhythm_report(analysis: Analysis, *, method: str = "hoof-flux") -> dict:
    """The rhythm of an analysed file.

    Parameters
    ----------
    analysis : Analysis
    method : str
        Dance rhythm method, one of :data:`DANCE_METHODS`.

    Returns
    -------
    dict
        ``{"file", "duration_s", "fps", "music": {...} | None, "dance": {...} | None}``, times in
        seconds from the start of the file.
    """
    if method not in DANCE_METHODS:
        raise ParameterError(
            f"unknown dance rhythm method {method!r}; known: {', '.join(DANCE_METHODS)}"
        )
    fps = analysis.clock.fps
    music = None
    if analysis.music is not None:
        m = analysis.music
        music = {
            "tempo_bpm": round(float(m.tempo_bpm), 2),
            "beat_times": _times(m.beat_times + analysis.start_s),
            "onset_times": _times(m.onset_times + analysis.start_s),
        }
    dance = None
    if analysis.dance is not None:
        d = analysis.dance
        dance = {
            "method": method,
            "rhythm_times": _times(rhythm_times(d.rhythm_frames, fps=fps) + analysis.start_s),
            "rhythm_strength": [round(float(s), 4) for s in d.strength],
        }
    return {
        "file": analysis.path,
        # a whole file reports its own length; a clip, the frames it spans
        "duration_s": round(float(analysis.info.get("duration_s", analysis.duration_s)), 3)
        if analysis.start_s == 0
        else round(analysis.duration_s, 3),
        "fps": float(fps),
        "music": music,
        "dance": dance,
    }
