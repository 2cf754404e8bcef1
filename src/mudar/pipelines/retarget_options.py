"""The options of a retargeting of files, with their defaults: one place for the command line
(``mudar retarget``, whose argparse defaults are read from here), the web page, the demo and
:func:`mudar.pipelines.retarget.retarget_files`."""

from __future__ import annotations

from dataclasses import dataclass

from mudar.methods import DEFAULT_SIGMA_S

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
        default is ``hoof-flux``: the shipped model finds the rate of a dance's rhythm but not
        its timing without the music (see its MODEL_CARD).
    music_rhythm : {"onsets", "beats"}
        Music rhythm points (:data:`mudar.methods.MUSIC_RHYTHMS`).
    resample : {"blend", "nearest"}
        How an output frame is made (:data:`mudar.methods.RESAMPLE_MODES`).
    min_speed, max_speed : float
        Bounds of the local speed of ``accel``, ``dtw`` and ``dtw-points``.
    sigma_s : float
        BAS kernel width, seconds (also the width of the DTW pulses).
    max_side : int
        Longest side of the output picture, pixels (0: the video's).
    crf : int
        H.264 quality of the output, lower is better.
    """

    method: str = "dtw"
    dance_method: str = "hoof-flux"
    music_rhythm: str = "onsets"
    resample: str = "blend"
    min_speed: float = 0.5
    max_speed: float = 2.0
    sigma_s: float = DEFAULT_SIGMA_S
    max_side: int = 0
    crf: int = 20
