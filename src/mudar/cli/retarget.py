"""``mudar retarget VIDEO MUSIC -o OUT.mp4``: re-time a dance video onto other music (sec. 4.4).

The files are read and written here; the planning and the frame resampling are the pure
functions of :mod:`mudar.tasks.retarget`.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from mudar.cli.options import add_analysis_options
from mudar.methods import DANCE_RHYTHM


def add_parser(sub) -> None:
    p = sub.add_parser(
        "retarget",
        help="re-time a dance video so that its rhythm follows other music",
        description=(
            "Detect the dance rhythm of VIDEO and the music rhythm of MUSIC, warp VIDEO's time "
            "so that its rhythm points fall on the music's (shift: best window at 1x; accel: "
            "each dance interval stretched onto a music interval; dtw: dynamic time warping, "
            "the default), and write the re-timed video with MUSIC as its sound track, at "
            "VIDEO's frame rate and MUSIC's length (VIDEO loops if it is too short). The "
            "alignment after is measured on the written file, its rhythm detected again."
        ),
    )
    p.add_argument("video", metavar="VIDEO", help="the dance video (its own sound is ignored)")
    p.add_argument("music", metavar="MUSIC", help="the new music: an audio file or a video")
    p.add_argument("-o", "--out", required=True, metavar="OUT.mp4", help="output video")
    p.add_argument("--method", choices=("shift", "accel", "dtw"), default="dtw", help="default dtw")
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--blend",
        dest="resample",
        action="store_const",
        const="blend",
        help="blend the two source frames around each output time (default)",
    )
    g.add_argument(
        "--nearest",
        dest="resample",
        action="store_const",
        const="nearest",
        help="take the nearest source frame",
    )
    p.set_defaults(resample="blend")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.add_argument(
        "--dance-method",
        "--method-rhythm",
        dest="dance_method",
        default="hoof-flux",
        help="dance rhythm of VIDEO and of the output: hoof-flux (learning-free, the default), "
        "mudar (the learned model, run without the music, as mudar-noaudio), mudar-noaudio. "
        "The shipped model finds the rate of a dance's rhythm but not its timing without the "
        "music (see its MODEL_CARD), so retiming follows hoof-flux unless asked",
    )
    p.add_argument(
        "--music-rhythm",
        choices=("onsets", "beats"),
        default="onsets",
        help="music rhythm points: onset maxima (default) or tracked beats",
    )
    p.add_argument("--checkpoint", help="model for the mudar methods (default: the shipped one)")
    p.add_argument("--min-speed", type=float, default=0.5, help="slowest speed (default 0.5)")
    p.add_argument("--max-speed", type=float, default=2.0, help="fastest speed (default 2.0)")
    p.add_argument(
        "--sigma",
        type=float,
        default=None,
        metavar="SECONDS",
        help="Beat Alignment Score kernel width (default 0.1 s)",
    )
    p.add_argument(
        "--max-side",
        type=int,
        default=0,
        metavar="PX",
        help="scale the output down so that its longer side is at most PX (default: as VIDEO)",
    )
    p.add_argument("--crf", type=int, default=20, help="H.264 quality, lower is better (20)")
    add_analysis_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mudar.errors import InputError, ParameterError
    from mudar.eval.bas import DEFAULT_SIGMA_S
    from mudar.io import probe
    from mudar.io.media import check_path
    from mudar.io.write import CONTAINERS

    video, music, out = Path(args.video), Path(args.music), Path(args.out)
    sigma = DEFAULT_SIGMA_S if args.sigma is None else args.sigma
    if not sigma > 0:
        raise ParameterError(f"--sigma must be positive, got {sigma}")
    if args.max_side < 0 or (args.max_side and args.max_side < 16):
        raise ParameterError(f"--max-side must be at least 16 pixels, got {args.max_side}")
    # everything that can be checked before decoding is checked here
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

    method = args.dance_method
    if method not in DANCE_RHYTHM:
        raise ParameterError(f"unknown --dance-method {method!r}; known: {', '.join(DANCE_RHYTHM)}")
    if method == "mudar":
        method = "mudar-noaudio"  # V's motion alone: its own music (or A's) must not leak in
    report = retarget_files(
        video,
        music,
        out,
        method=args.method,
        dance_method=method,
        music_rhythm=args.music_rhythm,
        resample=args.resample,
        min_speed=args.min_speed,
        max_speed=args.max_speed,
        sigma_s=sigma,
        max_side=args.max_side,
        crf=args.crf,
        args=args,
    )
    print(json.dumps(report) if args.json else _text(report), flush=True)
    return 0


def retarget_files(
    video: Path,
    music: Path,
    out: Path,
    *,
    method: str,
    dance_method: str,
    music_rhythm: str,
    resample: str,
    min_speed: float,
    max_speed: float,
    sigma_s: float,
    max_side: int = 0,
    crf: int = 20,
    args: argparse.Namespace | None = None,
    checkpoint: str | None = None,
    progress: bool | None = None,
    keep_rhythms: bool = False,
) -> dict:
    """Retarget ``video`` onto ``music`` into ``out``, then measure the written file.

    The output has the video's frame rate (25 fps if the file does not say) and picture
    (scaled to ``max_side`` if given, cropped to even sizes), and the music as its mono AAC
    sound track, at the music's length. Frames are decoded, resampled and encoded as a stream
    (two source frames held); ``out`` appears only once complete.

    Parameters
    ----------
    video, music, out : Path
        Inputs (checked by :func:`run`) and the output video (``.mp4``, ``.mov``, ``.mkv``).
    method : {"shift", "accel", "dtw"}
    dance_method : str
        A :data:`mudar.methods.DANCE_RHYTHM` entry, used for ``video`` and for ``out``.
    music_rhythm : {"onsets", "beats"}
    resample : {"blend", "nearest"}
    min_speed, max_speed : float
        Speed bounds of ``accel`` and ``dtw``.
    sigma_s : float
        BAS kernel width, seconds (also the width of the DTW pulses).
    max_side : int
        Longest output side, pixels (0: the video's).
    crf : int
        H.264 quality.
    args : argparse.Namespace, optional
        The analysis options (``--fps`` ...); the defaults without it.
    checkpoint : str, optional
        Model for the ``mudar`` methods when ``args`` has none.
    progress : bool, optional
        Progress bar on stderr; None: only on a terminal.
    keep_rhythms : bool
        Also return the rhythm points themselves (``"rhythm_times"``: ``dance``, ``music``,
        ``dance_after``, ``music_after`` in seconds), e.g. to plot them.

    Returns
    -------
    dict
        :func:`mudar.tasks.retarget.retarget_report` with ``video``, ``music``, ``out``,
        ``dance_method``, ``music_rhythm`` and ``resample``.

    Raises
    ------
    InputError, DecodeError, ParameterError
    """
    from mudar.errors import DecodeError, InputError
    from mudar.io import load_audio, probe
    from mudar.io.write import AAC_RATES, write_video
    from mudar.tasks.retarget import plan_retarget, resample_frames, retarget_report

    config, model = analysis_setup(dance_method, args=args, checkpoint=checkpoint)

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
        method=method,
        dance_duration_s=n_src / fps,
        music_duration_s=len(y) / sr,
        fps=fps,
        min_speed=min_speed,
        max_speed=max_speed,
        width_s=sigma_s,
    )

    side, crop = _frame_geometry(v_info.width, v_info.height, max_side)
    source = _looped_frames(video, fps=fps, n_frames=n_src, side=side, crop=crop)
    frames = resample_frames(source, plan.source_times, fps=fps, mode=resample)
    from tqdm import tqdm

    bar = tqdm(
        frames,
        total=plan.n_frames,
        desc="retarget",
        unit="frame",
        disable=None if progress is None else not progress,
        leave=False,
    )
    try:
        write_video(out, bar, fps=fps, audio=y, sr=sr, crf=crf, preset="fast")
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
        sigma_s=sigma_s,
    )
    result = {
        "video": str(video),
        "music": str(music),
        "out": str(out),
        **report,
        "dance_method": dance_method,
        "music_rhythm": music_rhythm,
        "resample": resample,
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


def analysis_setup(dance_method: str, *, args=None, checkpoint: str | None = None):
    """The analysis config (and, for the ``mudar`` methods, the model) of a dance method.

    ``args`` carries the analysis options of the command line; without it the defaults (or
    the model's frame clock) are used. Returns ``(AnalysisConfig, model or None)``.
    """
    from mudar.errors import ParameterError
    from mudar.features.extract import AnalysisConfig

    model, extra = None, {}
    if dance_method.startswith("mudar"):
        from mudar.models.checkpoint import load_model

        model = load_model(getattr(args, "checkpoint", None) or checkpoint)
        if args is not None and args.fps != model.config.fps:
            raise ParameterError(f"--fps must be the model's {model.config.fps:g} for mudar")
        extra = {"frame_size": model.config.frame_size}
    if args is not None:
        from mudar.cli.options import analysis_config

        return analysis_config(args, **extra), model
    if model is not None:
        return model.config.analysis_config(), model
    return AnalysisConfig(), None


def _dance_points(analysis, *, method: str, model=None) -> np.ndarray:
    from mudar.tasks.rhythm import dance_rhythm

    frames, _ = dance_rhythm(analysis, method=method, model=model)
    return np.asarray(frames, dtype=np.float64) / analysis.clock.fps


def _music_points(analysis, *, kind: str) -> np.ndarray:
    from mudar.errors import InputError
    from mudar.tasks.retarget import music_rhythm_seconds

    if analysis.music is None:
        raise InputError(f"{analysis.path}: no audio could be decoded")
    return music_rhythm_seconds(analysis, kind=kind)


def dance_seconds(path, *, config, method: str, model=None) -> np.ndarray:
    """Dance rhythm points of a video's motion (its sound is not decoded), seconds."""
    from mudar.features.extract import analyze

    return _dance_points(analyze(path, config, music=False), method=method, model=model)


def music_seconds(path, *, config, kind: str) -> np.ndarray:
    """Music rhythm points (``onsets`` or ``beats``) of a file's sound, seconds."""
    from mudar.features.extract import analyze

    return _music_points(analyze(path, config, dance=False), kind=kind)


def rhythms_of(path, *, config, method: str, model=None, kind: str):
    """(dance points, music points) of a video with sound, seconds, from one decoding."""
    from mudar.features.extract import analyze

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
    from mudar.errors import DecodeError
    from mudar.io import iter_frames

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


def _text(r: dict) -> str:
    def f(x, fmt):
        return "n/a" if x is None else format(x, fmt)

    n = r["rhythm_points"]
    lines = [
        f"{r['out']}  ({r['duration_s']:.2f} s at {r['fps']:g} fps, method {r['method']}, "
        f"dance rhythm {r['dance_method']}, music {r['music_rhythm']})",
        f"  rhythm points: {n['dance']} dance, {n['music']} music "
        f"(in the output: {n['dance_after']} dance, {n['music_after']} music)",
        f"  mean offset to the nearest music rhythm point: {f(r['offset_before_s'], '.3f')} s "
        f"before -> {f(r['offset_after_s'], '.3f')} s after",
        f"  BAS (sigma {r['sigma_s']:g} s): {f(r['bas_before'], '.3f')} before -> "
        f"{f(r['bas_after'], '.3f')} after (planned {f(r['bas_plan'], '.3f')})",
        f"  speed {f(r['min_speed'], '.2f')}x .. {f(r['max_speed'], '.2f')}x"
        + (f", VIDEO played {r['n_loops']} times" if r["n_loops"] > 1 else ""),
    ]
    lines += [f"  note: {note}" for note in r["notes"]]
    return "\n".join(lines)
