"""Re-time a dance video onto other music, as a file (sec. 4.4, ``mudar retarget``).

The files are read and written here: the rhythm points of both inputs are detected, the time
map is planned and the frames resampled by the pure functions of :mod:`mudar.tasks.retarget`,
the output is encoded as a stream, and its rhythms are detected again to measure the alignment
it reached.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from tqdm import tqdm

from mudar.errors import DecodeError, InputError, ParameterError
from mudar.features.analysis import AnalysisConfig
from mudar.features.extract import analyze
from mudar.io import iter_frames, load_audio, probe
from mudar.io.media import check_path
from mudar.io.write import AAC_RATES, CONTAINERS, write_video
from mudar.pipelines.method import analysis_setup
from mudar.pipelines.retarget_options import RetargetOptions
from mudar.tasks.retarget import (
    music_rhythm_seconds,
    plan_retarget,
    resample_frames,
    retarget_report,
)
from mudar.tasks.rhythm import dance_rhythm


def check_retarget_paths(video: Path, music: Path, out: Path) -> None:
    """Everything about the files that can be checked before decoding them.

    Parameters
    ----------
    video, music, out : Path
        The dance video, the new music (an audio file or a video), the output video.

    Raises
    ------
    InputError
        A missing or empty input, a video without pictures, music without sound, an output
        folder that is missing or not writable, an output that is a folder.
    DecodeError
        An input FFmpeg cannot read.
    ParameterError
        An output that is no video container, or that would overwrite an input.
    """
    check_path(video)
    check_path(music)
    if out.suffix.lower() not in CONTAINERS:
        raise ParameterError(
            f"{out}: unknown video extension {out.suffix!r}, expected one of {sorted(CONTAINERS)}"
        )
    if out.is_dir():
        raise InputError(f"{out}: is a directory, expected a file name")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{folder}: no such directory")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{folder}: not writable")
    for src in (video, music):
        if out.resolve() == src.resolve():
            raise ParameterError(f"{out}: the output would overwrite an input")
    v_info, a_info = probe(video), probe(music)
    if not v_info.has_video:
        raise InputError(f"{video}: has no video stream (an audio file?); VIDEO must be a video")
    if not a_info.has_audio:
        raise InputError(f"{music}: has no audio stream; MUSIC must have sound")


def retarget_files(
    video: Path,
    music: Path,
    out: Path,
    *,
    options: RetargetOptions | None = None,
    config: AnalysisConfig | None = None,
    model=None,
    checkpoint: str | None = None,
    progress: bool | None = None,
    keep_rhythms: bool = False,
    on_progress: Callable[[float], None] | None = None,
) -> dict:
    """Retarget ``video`` onto ``music`` into ``out``, then measure the written file.

    The output has the video's frame rate (25 fps if the file does not say) and picture
    (scaled to the options' ``max_side`` if given, cropped to even sizes), and the music as its
    mono AAC sound track, at the music's length. Frames are decoded, resampled and encoded as a
    stream (two source frames held); ``out`` appears only once complete.

    Parameters
    ----------
    video, music, out : Path
        Inputs (see :func:`check_retarget_paths`) and the output video (``.mp4``, ``.mov``,
        ``.mkv``).
    options : RetargetOptions, optional
        The planner, the dance rhythm method (used for ``video`` and for ``out``), the music
        rhythm, the resampling, the speed bounds, the BAS width (also the width of the DTW
        pulses), the output's longest side and H.264 quality; None: the defaults.
    config, model : optional
        The analysis and the model of the options' ``dance_method``
        (:func:`~mudar.pipelines.method.analysis_setup`); made here when ``config`` is None.
    checkpoint : str, optional
        Model for the ``mudar`` methods when ``config`` is None.
    progress : bool, optional
        Progress bar on stderr; None: only on a terminal.
    keep_rhythms : bool
        Also return the rhythm points themselves (``"rhythm_times"``: ``dance``, ``music``,
        ``dance_after``, ``music_after`` in seconds), e.g. to plot them.
    on_progress : callable, optional
        Called with the share of the output frames encoded (0 to 1), every few frames; an
        exception it raises stops the work, and ``out`` is not written (the web page's cancel).

    Returns
    -------
    dict
        :func:`mudar.tasks.retarget.retarget_report` with ``video``, ``music``, ``out``,
        ``dance_method``, ``music_rhythm`` and ``resample``.

    Raises
    ------
    InputError, DecodeError, ParameterError
    """
    o = RetargetOptions() if options is None else options
    dance_method, music_rhythm = o.dance_method, o.music_rhythm
    if config is None:
        config, model = analysis_setup(dance_method, checkpoint=checkpoint)

    v_info = probe(video)
    fps = v_info.native_fps if 1.0 <= v_info.native_fps <= 240.0 else 25.0
    n_src = round(v_info.duration_s * fps)
    if n_src < 1 or v_info.width < 2 or v_info.height < 2:
        raise DecodeError(f"{video}: no usable video frames")
    a_info = probe(music)
    sr = a_info.sample_rate if a_info.sample_rate in AAC_RATES else 44100
    y = load_audio(music, sr=sr)
    if y is None or len(y) < sr / fps:
        raise InputError(f"{music}: no audio (or less than one frame of it)")

    d = dance_seconds(video, config=config, method=dance_method, model=model)
    m = music_seconds(music, config=config, kind=music_rhythm)
    plan = plan_retarget(
        d,
        m,
        method=o.method,
        dance_duration_s=n_src / fps,
        music_duration_s=len(y) / sr,
        fps=fps,
        min_speed=o.min_speed,
        max_speed=o.max_speed,
        width_s=o.sigma_s,
    )

    side, crop = _frame_geometry(v_info.width, v_info.height, o.max_side)
    source = _looped_frames(video, fps=fps, n_frames=n_src, side=side, crop=crop)
    frames = resample_frames(source, plan.source_times, fps=fps, mode=o.resample)
    if on_progress is not None:
        frames = _reporting(frames, total=plan.n_frames, on_progress=on_progress)
    bar = tqdm(
        frames,
        total=plan.n_frames,
        desc="retarget",
        unit="frame",
        disable=None if progress is None else not progress,
        leave=False,
    )
    try:
        write_video(out, bar, fps=fps, audio=y, sr=sr, crf=o.crf, preset="fast")
    finally:
        bar.close()
        source.close()

    # the alignment after, measured on the file as written (decoded once for both rhythms)
    d_after, m_after = rhythms_of(
        out, config=config, method=dance_method, model=model, kind=music_rhythm
    )
    report = retarget_report(
        plan,
        dance_times=d,
        music_times=m,
        dance_after=d_after,
        music_after=m_after,
        sigma_s=o.sigma_s,
    )
    result = {
        "video": str(video),
        "music": str(music),
        "out": str(out),
        **report,
        "dance_method": dance_method,
        "music_rhythm": music_rhythm,
        "resample": o.resample,
    }
    if keep_rhythms:
        result["rhythm_times"] = {
            name: np.asarray(t, dtype=np.float64).tolist()
            for name, t in (
                ("dance", d),
                ("music", m),
                ("dance_after", d_after),
                ("music_after", m_after),
            )
        }
    return result


def _reporting(frames: Iterator, *, total: int, on_progress: Callable[[float], None]) -> Iterator:
    """``frames``, calling ``on_progress(k / total)`` every 8 frames and at the end."""
    k = 0
    for k, frame in enumerate(frames):
        if k % 8 == 0:
            on_progress(k / max(total, 1))
        yield frame
    on_progress((k + 1) / max(total, 1))


def _dance_points(analysis, *, method: str, model=None) -> np.ndarray:
    frames, _ = dance_rhythm(analysis, method=method, model=model)
    return np.asarray(frames, dtype=np.float64) / analysis.clock.fps


def _music_points(analysis, *, kind: str) -> np.ndarray:
    if analysis.music is None:
        raise InputError(f"{analysis.path}: no audio could be decoded")
    return music_rhythm_seconds(analysis, kind=kind)


def dance_seconds(path, *, config, method: str, model=None) -> np.ndarray:
    """Dance rhythm points of a video's motion (its sound is not decoded), seconds."""
    return _dance_points(analyze(path, config, music=False), method=method, model=model)


def music_seconds(path, *, config, kind: str) -> np.ndarray:
    """Music rhythm points (``onsets`` or ``beats``) of a file's sound, seconds."""
    return _music_points(analyze(path, config, dance=False), kind=kind)


def rhythms_of(path, *, config, method: str, model=None, kind: str):
    """(dance points, music points) of a video with sound, seconds, from one decoding."""
    analysis = analyze(path, config)
    return _dance_points(analysis, method=method, model=model), _music_points(analysis, kind=kind)


def _frame_geometry(width: int, height: int, max_side: int) -> tuple[int, tuple[slice, slice]]:
    """Side of the padded square :func:`mudar.io.iter_frames` returns, and the crop that
    recovers the picture from it (even sizes, for 4:2:0 H.264).

    At ``size = max(width, height)`` the pad mode leaves the picture unscaled and centred.
    """
    side = max(width, height)
    if max_side and side > max_side:
        side = max_side
    scale = side / max(width, height)
    w, h = max(2, round(width * scale)), max(2, round(height * scale))
    x0, y0 = (side - w) // 2, (side - h) // 2
    return side, (slice(y0, y0 + h - h % 2), slice(x0, x0 + w - w % 2))


def _looped_frames(
    path: Path, *, fps: float, n_frames: int, side: int, crop: tuple[slice, slice]
) -> Iterator[np.ndarray]:
    """VIDEO's frames at ``fps``, pass after pass, each pass exactly ``n_frames`` long."""
    while True:
        k, last = 0, None
        for img in iter_frames(path, fps=fps, size=side, aspect="pad", max_frames=n_frames):
            last = np.array(img[crop])  # an own copy: held across decoding and encoding
            yield last
            k += 1
        if last is None:
            raise DecodeError(f"{path}: no decodable video frame")
        for _ in range(k, n_frames):  # a file shorter than it said: hold its last frame
            yield last
