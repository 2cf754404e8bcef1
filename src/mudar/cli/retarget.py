"""``mudar retarget VIDEO MUSIC -o OUT.mp4``: re-time a dance video onto other music (sec. 4.4).

The files are read and written by :mod:`mudar.pipelines.retarget`; the planning and the frame
resampling are the pure functions of :mod:`mudar.tasks.retarget`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mudar.cli.batch import print_result
from mudar.cli.options import (
    add_analysis_options,
    add_checkpoint,
    add_json,
    add_sigma,
    analysis_options,
)
from mudar.methods import DANCE_RHYTHM, MUSIC_RHYTHMS, RETARGET, RETARGET_ENDS
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
            "VIDEO's frame rate and picture size and MUSIC's length (--song-start/--song-end "
            "pick a part of it; when the song outlasts the dance, --end loop plays the dance "
            "again, --end stop ends with it). The report says how often the dance looped or "
            "how much of it was cut, the fit before (VIDEO with its own music, and as it is on "
            "MUSIC) and after (measured on the written file, its rhythm detected again), and "
            "flags a method that made the fit worse. Several methods (--method shift,accel,dtw) "
            "write one video each, OUT with the method's name inserted, and a comparison."
        ),
    )
    p.add_argument("video", metavar="VIDEO", help="the dance video (its own sound is ignored)")
    p.add_argument("music", metavar="MUSIC", help="the new music: an audio file or a video")
    p.add_argument("-o", "--out", required=True, metavar="OUT.mp4", help="output video")
    p.add_argument(
        "--method",
        default=DEFAULTS.method,
        metavar="METHOD[,METHOD...]",
        help=f"{', '.join(RETARGET)}, or several separated by commas: one video each, OUT with "
        f"the method's name inserted (OUT-shift.mp4, ...), compared side by side (default "
        f"{DEFAULTS.method})",
    )
    p.add_argument(
        "--end",
        choices=RETARGET_ENDS,
        default=DEFAULTS.end,
        help="when the song outlasts the dance: loop (play the dance again, so that the video "
        "lasts as long as the song; the default) or stop (end the video, and the song, with the "
        "dance)",
    )
    p.add_argument(
        "--song-start",
        type=float,
        default=DEFAULTS.song_start,
        metavar="S",
        help="start the retarget at S seconds into the song (default 0)",
    )
    p.add_argument(
        "--song-end",
        type=float,
        default=DEFAULTS.song_end,
        metavar="S",
        help="end it at S seconds into the song (default: the song's end)",
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
        help="dance rhythm of VIDEO and of the output: motion-energy (the dancer's stops, "
        "learning-free, the default: it times a dance best at the speed of an analysis), "
        "pose and timing (the pose extra), hoof-flux, directogram, mudar (the learned model, "
        "run without the music, as mudar-noaudio), mudar-noaudio",
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
        help="scale the output down so that its longer side is at most PX (default: VIDEO's own "
        "size, never scaled)",
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
    from mudar.pipelines.retarget import (
        check_retarget_paths,
        method_paths,
        retarget_files,
        retarget_methods,
    )

    video, music, out = Path(args.video), Path(args.music), Path(args.out)
    methods = [m.strip() for m in args.method.split(",") if m.strip()]
    unknown = [m for m in methods if m not in RETARGET]
    if not methods or unknown:
        raise ParameterError(
            f"unknown --method {','.join(unknown) or repr(args.method)}; known: "
            f"{', '.join(RETARGET)} (several separated by commas)"
        )
    if len(set(methods)) < len(methods):
        raise ParameterError(f"--method {args.method}: a method is named twice")
    if not args.sigma > 0:
        raise ParameterError(f"--sigma must be positive, got {args.sigma}")
    if args.max_side < 0 or (args.max_side and args.max_side < 16):
        raise ParameterError(f"--max-side must be at least 16 pixels, got {args.max_side}")
    method = args.dance_method
    if method not in DANCE_RHYTHM:
        raise ParameterError(f"unknown --dance-method {method!r}; known: {', '.join(DANCE_RHYTHM)}")
    options = RetargetOptions(
        method=methods[0],
        dance_method=without_music(method),  # V's motion alone: no music may leak in
        music_rhythm=args.music_rhythm,
        resample=args.resample,
        min_speed=args.min_speed,
        max_speed=args.max_speed,
        sigma_s=args.sigma,
        max_side=args.max_side,
        crf=args.crf,
        end=args.end,
        song_start=args.song_start,
        song_end=args.song_end,
    )
    # everything that can be checked before decoding, for every output
    for path in method_paths(out, methods).values():
        check_retarget_paths(video, music, path, options=options)

    config, model = analysis_setup(
        options.dance_method, checkpoint=args.checkpoint, **analysis_options(args)
    )
    if len(methods) == 1:
        report = retarget_files(video, music, out, options=options, config=config, model=model)
        print_result(report, _text, as_json=args.json)
        return 0
    reports = retarget_methods(
        video, music, out, methods=methods, options=options, config=config, model=model
    )
    if args.json:
        print(json.dumps(reports))
    else:
        print(_comparison(reports))
    return 0


def _f(x, fmt: str) -> str:
    return "n/a" if x is None else format(x, fmt)


def _text(r: dict) -> str:
    n = r["rhythm_points"]
    lines = [
        f"{r['out']}  ({r['width']}x{r['height']}, {r['duration_s']:.2f} s at {r['fps']:g} fps, "
        f"method {r['method']}, dance rhythm {r['dance_method']}, music {r['music_rhythm']})",
        f"  rhythm points: {n['dance']} dance, {n['music']} music "
        f"(in the output: {n['dance_after']} dance, {n['music_after']} music)",
        f"  mean offset to the nearest music rhythm point: {_f(r['offset_before_s'], '.3f')} s "
        f"before (own music), {_f(r['offset_before_new_song_s'], '.3f')} s on the new song as it "
        f"is -> {_f(r['offset_after_s'], '.3f')} s after",
        f"  BAS (sigma {r['sigma_s']:g} s): {_f(r['bas_before'], '.3f')} before (own music), "
        f"{_f(r['bas_before_new_song'], '.3f')} on the new song as it is -> "
        f"{_f(r['bas_after'], '.3f')} after (planned {_f(r['bas_plan'], '.3f')})"
        + ("  WORSE" if r["worse"] else ""),
        f"  speed {_f(r['min_speed'], '.2f')}x .. {_f(r['max_speed'], '.2f')}x",
    ]
    lines += [f"  note: {note}" for note in r["notes"]]
    return "\n".join(lines)


def _comparison(reports: list[dict]) -> str:
    """The methods side by side: one row each, best fit after first marked, then the notes."""
    best = max(reports, key=lambda r: -1 if r["bas_after"] is None else r["bas_after"])
    r0 = reports[0]
    lines = [
        f"{r0['video']} on {r0['music']}: BAS (sigma {r0['sigma_s']:g} s) before "
        f"{_f(r0['bas_before'], '.3f')} (own music), {_f(r0['bas_before_new_song'], '.3f')} on "
        "the new song as it is",
        "| method | BAS after | planned | offset after (s) | speed | played | worse | out |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in reports:
        mark = " (best)" if r is best and len(reports) > 1 else ""
        lines.append(
            f"| {r['method']}{mark} | {_f(r['bas_after'], '.3f')} | {_f(r['bas_plan'], '.3f')} "
            f"| {_f(r['offset_after_s'], '.3f')} | {_f(r['min_speed'], '.2f')}x-"
            f"{_f(r['max_speed'], '.2f')}x | {r['dance_use']['played_times']:.2f}x "
            f"| {'yes' if r['worse'] else 'no'} | {r['out']} |"
        )
    for r in reports:
        lines += [f"{r['method']}: {note}" for note in r["notes"]]
    return "\n".join(lines)
