"""The options of a retargeting of files, with their defaults: one place for the command line
(``mudar retarget``, whose argparse defaults are read from here), the web page, the demo and
:func:`mudar.pipelines.retarget.retarget_files`."""

from __future__ import annotations

from dataclasses import dataclass

from mudar.errors import ParameterError
from mudar.methods import DEFAULT_SIGMA_S, RETARGET_ENDS

__all__ = ["RetargetOptions"]


@dataclass(frozen=True)
class RetargetOptions:
    """How a dance video is re-timed onto music, and how the output is written.

    Attributes
    ----------
    method : str
        The planner, a key of :data:`~mudar.tasks.retarget.planners.PLANNERS` (default
        ``dtw``).
    dance_method : str
        A :data:`mudar.methods.DANCE_RHYTHM` entry, for the video and for the output. The
        default is ``motion-energy`` (the dancer's stops): of the methods that run at the speed
        of an analysis it times a dance best (docs/results.md: +0.10 over the half-beat shifted
        beats on held-out locked dances, hoof-flux -0.03; the shipped model finds a dance's rate,
        not its timing).
    music_rhythm : {"onsets", "beats"}
        Music rhythm points (:data:`mudar.methods.MUSIC_RHYTHMS`).
    resample : {"blend", "nearest"}
        How an output frame is made (:data:`mudar.methods.RESAMPLE_MODES`).
    min_speed, max_speed : float
        Bounds of the local speed of ``accel``, ``dtw`` and ``dtw-points``.
    sigma_s : float
        BAS kernel width, seconds (also the width of the DTW pulses).
    max_side : int
        Longest side of the output picture, pixels (0, the default: the video's own, never
        scaled down unless asked).
    crf : int
        H.264 quality of the output, lower is better.
    end : {"loop", "stop"}
        When the song outlasts the dance (:data:`mudar.methods.RETARGET_ENDS`): ``loop`` (the
        default, so that the video lasts as long as the song) plays the dance again, ``stop``
        ends the video (and cuts the song) where the dance ends at 1x. The report says which
        happened, and how much of the dance was looped or cut.
    song_start, song_end : float, float or None
        The part of the song the retargeting runs on, seconds (``song_end`` None: to its end).

    Raises
    ------
    ParameterError
        An unknown ``end``, a negative ``song_start`` or a ``song_end`` not after it.
    """

    method: str = "dtw"
    dance_method: str = "motion-energy"
    music_rhythm: str = "onsets"
    resample: str = "blend"
    min_speed: float = 0.5
    max_speed: float = 2.0
    sigma_s: float = DEFAULT_SIGMA_S
    max_side: int = 0
    crf: int = 20
    end: str = "loop"
    song_start: float = 0.0
    song_end: float | None = None

    def __post_init__(self) -> None:
        if self.end not in RETARGET_ENDS:
            raise ParameterError(f"unknown end {self.end!r}; known: {', '.join(RETARGET_ENDS)}")
        if not self.song_start >= 0:
            raise ParameterError(f"the song start must be >= 0 s, got {self.song_start}")
        if self.song_end is not None and not self.song_end > self.song_start:
            raise ParameterError(
                f"the song end ({self.song_end} s) must be after its start ({self.song_start} s)"
            )
