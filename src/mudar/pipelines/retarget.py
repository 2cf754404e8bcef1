"""Re-time a dance video onto other music, as a file (sec. 4.4, ``mudar retarget``).

The files are read and written here: the rhythm points of both inputs are detected, the time
map is planned and the frames resampled by the pure functions of :mod:`mudar.tasks.retarget`,
the output is encoded as a stream, and its rhythms are detected again to measure the alignment
it reached.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
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


def check_retarget_paths(
    video: Path, music: Path, out: Path, *, options: RetargetOptions | None = None
) -> None:
    """Everything about the files that can be checked before decoding them.

    Parameters
    ----------
    video, music, out : Path
        The dance video, the new music (an audio file or a video), the output video.
    options : RetargetOptions, optional
        When given, its song window is checked against the music's length.

    Raises
    ------
    InputError
        A missing or empty input, a video without pictures, music without sound, an output
        folder that is missing or not writable, an output that is a folder.
    DecodeError
        An input FFmpeg cannot read.
    ParameterError
        An output that is no video container, or that would overwrite an input; a song start
        at or past the song's end.
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
    if options is not None and a_info.duration_s > 0:
        song_window(options, a_info.duration_s, where=music)


def song_window(options: RetargetOptions, duration_s: float, *, where: object = "the song"):
    """``(start, end)`` of the song that a retargeting runs on, seconds: the options' window,
    its end at most the song's length.

    Raises
    ------
    ParameterError
        The window starts at or past the song's end.
    """
    if options.song_start >= duration_s:
        raise ParameterError(
            f"{where}: the song start ({options.song_start:g} s) is at or past its end "
            f"({duration_s:.2f} s)"
        )
    end = duration_s if options.song_end is None else min(options.song_end, duration_s)
    return options.song_start, end


def method_paths(out: Path, methods: list[str]) -> dict[str, Path]:
    """Where each method's video goes: ``out`` itself for one method, else ``out`` with the
    method's name inserted before its extension (``out-shift.mp4``, ``out-dtw.mp4``)."""
    if len(methods) == 1:
        return {methods[0]: out}
    return {m: out.with_name(f"{out.stem}-{m}{out.suffix}") for m in methods}


@dataclass(frozen=True)
class _Inputs:
    """What every method of one retargeting shares: the rhythms and the song's samples."""

    fps: float
    n_src: int
    width: int
    height: int
    y: np.ndarray = field(repr=False)
    sr: int
    dance: np.ndarray = field(repr=False)
    music: np.ndarray = field(repr=False)
    own_music: np.ndarray | None = field(repr=False)
    song_start_s: float


def _read_inputs(video: Path, music: Path, o: RetargetOptions, *, config, model) -> _Inputs:
    """Probe and analyse both inputs once: V's dance rhythm (and its own music's, when it has
    sound), the song's rhythm and samples cut to the options' window (and to V's length with
    ``end="stop"``)."""
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
    start, end = song_window(o, len(y) / sr, where=music)
    if o.end == "stop":
        end = min(end, start + n_src / fps)
    y = y[round(start * sr) : round(end * sr)]
    if len(y) < sr / fps:
        raise ParameterError(
            f"{music}: the song window {start:g}-{end:g} s is shorter than a frame"
        )

    # the dance from V's motion alone; V's own music (when it has sound) for the fit before
    d = dance_seconds(video, config=config, method=o.dance_method, model=model)
    own = music_seconds(video, config=config, kind=o.music_rhythm) if v_info.has_audio else None
    m = music_seconds(music, config=config, kind=o.music_rhythm)
    m = m[(m >= start) & (m < end)] - start
    return _Inputs(fps, n_src, v_info.width, v_info.height, y, sr, d, m, own, start)


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
    (its own size unless the options' ``max_side`` asks for less; cropped to even sizes), and
    the music (the options' window of it) as its mono AAC sound track, at the window's length
    (or the dance's, with ``end="stop"``). Frames are decoded, resampled and encoded as a
    stream (two source frames held); ``out`` appears only once complete.

    Parameters
    ----------
    video, music, out : Path
        Inputs (see :func:`check_retarget_paths`) and the output video (``.mp4``, ``.mov``,
        ``.mkv``).
    options : RetargetOptions, optional
        The planner, the dance rhythm method (used for ``video`` and for ``out``), the music
        rhythm, the resampling, the speed bounds, the BAS width (also the width of the DTW
        pulses), the output's longest side, H.264 quality, the end and the song window;
        None: the defaults.
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
        ``dance_method``, ``music_rhythm``, ``resample``, ``song_start_s``, ``width`` and
        ``height`` (of the output picture).

    Raises
    ------
    InputError, DecodeError, ParameterError
    """
    o, config, model, inputs = _setup(video, music, options, config, model, checkpoint)
    return _retarget_one(
        video,
        music,
        out,
        inputs,
        o,
        config=config,
        model=model,
        progress=progress,
        keep_rhythms=keep_rhythms,
        on_progress=on_progress,
    )


def _setup(video, music, options, config, model, checkpoint):
    """The options (default :class:`RetargetOptions`), the analysis settings and model of its
    dance method (unless given), and both inputs read once."""
    o = RetargetOptions() if options is None else options
    if config is None:
        config, model = analysis_setup(o.dance_method, checkpoint=checkpoint)
    return o, config, model, _read_inputs(video, music, o, config=config, model=model)


def retarget_methods(
    video: Path,
    music: Path,
    out: Path,
    *,
    methods: list[str],
    options: RetargetOptions | None = None,
    config: AnalysisConfig | None = None,
    model=None,
    checkpoint: str | None = None,
    progress: bool | None = None,
) -> list[dict]:
    """:func:`retarget_files` with each of ``methods`` side by side, the inputs analysed once:
    one video per method (:func:`method_paths`), one report each, in the order given.

    Raises
    ------
    InputError, DecodeError, ParameterError
    """
    o, config, model, inputs = _setup(video, music, options, config, model, checkpoint)
    return [
        _retarget_one(
            video,
            music,
            path,
            inputs,
            replace(o, method=method),
            config=config,
            model=model,
            progress=progress,
        )
        for method, path in method_paths(out, methods).items()
    ]


def _retarget_one(
    video: Path,
    music: Path,
    out: Path,
    inp: _Inputs,
    o: RetargetOptions,
    *,
    config,
    model,
    progress: bool | None = None,
    keep_rhythms: bool = False,
    on_progress: Callable[[float], None] | None = None,
) -> dict:
    """Plan, write and measure one method's retargeting of the read inputs."""
    fps = inp.fps
    plan = plan_retarget(
        inp.dance,
        inp.music,
        method=o.method,
        dance_duration_s=inp.n_src / fps,
        music_duration_s=len(inp.y) / inp.sr,
        fps=fps,
        min_speed=o.min_speed,
        max_speed=o.max_speed,
        width_s=o.sigma_s,
    )

    side, crop = _frame_geometry(inp.width, inp.height, o.max_side)
    source = _looped_frames(video, fps=fps, n_frames=inp.n_src, side=side, crop=crop)
    frames = resample_frames(source, plan.source_times, fps=fps, mode=o.resample)
    if on_progress is not None:
        frames = _reporting(frames, total=plan.n_frames, on_progress=on_progress)
    bar = tqdm(
        frames,
        total=plan.n_frames,
        desc=f"retarget {o.method}",
        unit="frame",
        disable=None if progress is None else not progress,
        leave=False,
    )
    try:
        write_video(out, bar, fps=fps, audio=inp.y, sr=inp.sr, crf=o.crf, preset="fast")
    finally:
        bar.close()
        source.close()

    # the alignment after, measured on the file as written (decoded once for both rhythms)
    d_after, m_after = rhythms_of(
        out, config=config, method=o.dance_method, model=model, kind=o.music_rhythm
    )
    report = retarget_report(
        plan,
        dance_times=inp.dance,
        music_times=inp.music,
        dance_after=d_after,
        music_after=m_after,
        own_music_times=inp.own_music,
        sigma_s=o.sigma_s,
        end=o.end,
    )
    h, w = (sl.stop - sl.start for sl in crop)
    result = {
        "video": str(video),
        "music": str(music),
        "out": str(out),
        **report,
        "song_start_s": round(inp.song_start_s, 3),
        "width": w,
        "height": h,
        "dance_method": o.dance_method,
        "music_rhythm": o.music_rhythm,
        "resample": o.resample,
    }
    if keep_rhythms:
        result["rhythm_times"] = {
            name: np.asarray(t, dtype=np.float64).tolist()
            for name, t in (
                ("dance", inp.dance),
                ("music", inp.music),
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
