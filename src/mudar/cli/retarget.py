"""``mudar retarget VIDEO MUSIC -o OUT.mp4``: re-time a dance video onto other music (sec. 4.4).

The files are read and written by :mod:`mudar.pipelines.retarget`; the planning and the frame
resampling are the pure functions of :mod:`mudar.tasks.retarget`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mudar.cli.batch import print_result
from mudar.cli.options import (
    add_analysis_options,
    add_checkpoint,
    add_json,
    add_sigma,
    analysis_options,
)
from mudar.methods import DANCE_RHYTHM, MUSIC_RHYTHMS, RETARGET
from mudar.pipelines.retarget_options import RetargetOptions

DEFAULTS = RetargetOptions()
"""The argparse defaults: :class:`RetargetOptions`' own, so they are stated once."""


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
    p.add_argument(
        "--method", choices=RETARGET, default=DEFAULTS.method, help=f"default {DEFAULTS.method}"
    )
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
    p.set_defaults(resample=DEFAULTS.resample)
    add_json(p, "print the report as one JSON object")
    p.add_argument(
        "--dance-method",
        "--method-rhythm",
        dest="dance_method",
        default=DEFAULTS.dance_method,
        help="dance rhythm of VIDEO and of the output: hoof-flux (learning-free, the default), "
        "mudar (the learned model, run without the music, as mudar-noaudio), mudar-noaudio, "
        "directogram, motion-energy (the dancer's stops). "
        "The shipped model finds the rate of a dance's rhythm but not its timing without the "
        "music (see its MODEL_CARD), so retiming follows hoof-flux unless asked",
    )
    p.add_argument(
        "--music-rhythm",
        choices=MUSIC_RHYTHMS,
        default=DEFAULTS.music_rhythm,
        help="music rhythm points: onset maxima (default) or tracked beats",
    )
    add_checkpoint(p)
    p.add_argument(
        "--min-speed",
        type=float,
        default=DEFAULTS.min_speed,
        help=f"slowest speed (default {DEFAULTS.min_speed})",
    )
    p.add_argument(
        "--max-speed",
        type=float,
        default=DEFAULTS.max_speed,
        help=f"fastest speed (default {DEFAULTS.max_speed})",
    )
    add_sigma(p, help=f"Beat Alignment Score kernel width (default {DEFAULTS.sigma_s:g} s)")
    p.set_defaults(sigma=DEFAULTS.sigma_s)
    p.add_argument(
        "--max-side",
        type=int,
        default=DEFAULTS.max_side,
        metavar="PX",
        help="scale the output down so that its longer side is at most PX (default: as VIDEO)",
    )
    p.add_argument(
        "--crf",
        type=int,
        default=DEFAULTS.crf,
        help=f"H.264 quality, lower is better ({DEFAULTS.crf})",
    )
    add_analysis_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mudar.errors import ParameterError
    from mudar.pipelines.method import analysis_setup, without_music
    from mudar.pipelines.retarget import check_retarget_paths, retarget_files

    video, music, out = Path(args.video), Path(args.music), Path(args.out)
    if not args.sigma > 0:
        raise ParameterError(f"--sigma must be positive, got {args.sigma}")
    if args.max_side < 0 or (args.max_side and args.max_side < 16):
        raise ParameterError(f"--max-side must be at least 16 pixels, got {args.max_side}")
    check_retarget_paths(video, music, out)  # everything that can be checked before decoding

    method = args.dance_method
    if method not in DANCE_RHYTHM:
        raise ParameterError(f"unknown --dance-method {method!r}; known: {', '.join(DANCE_RHYTHM)}")
    method = without_music(method)  # V's motion alone: its own music (or A's) must not leak in
    config, model = analysis_setup(method, checkpoint=args.checkpoint, **analysis_options(args))
    report = retarget_files(
        video,
        music,
        out,
        options=RetargetOptions(
            method=args.method,
            dance_method=method,
            music_rhythm=args.music_rhythm,
            resample=args.resample,
            min_speed=args.min_speed,
            max_speed=args.max_speed,
            sigma_s=args.sigma,
            max_side=args.max_side,
            crf=args.crf,
        ),
        config=config,
        model=model,
    )
    print_result(report, _text, as_json=args.json)
    return 0


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
