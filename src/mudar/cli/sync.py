"""``mudar sync VIDEO...``: the audio delay of each dance video, and the repaired file."""

from __future__ import annotations

import argparse
import math

from mudar.cli.batch import BATCH_NOTE, add_files, print_result, run_each
from mudar.methods import DEFAULT_MAX_OFFSET_S, DEFAULT_SR, SYNC, SYNC_FPS

LOW_CONFIDENCE = 0.1
"""Below this the text output warns: synthetic dances locked to their music score about 0.25,
a dance on another tempo 0.03, the real ballroom dances of dwm 0.01 (bench_sync.py). Below the
method's calibrated level (``SYNC_MIN_CONFIDENCE``, in the report as ``min_confidence``) the
text says it cannot tell."""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "sync",
        help="check (and repair) the audio-video sync of dance videos",
        description=(
            "Estimate the audio delay of each VIDEO: the shift of the music that best lines its "
            "onsets up with the dance rhythm (--method), searched within "
            "+-MAX_OFFSET seconds. A positive offset means the audio is late. The confidence "
            "(0..1) says how much the best delay beats every other delay: a dance on a steady "
            "beat fixes the delay only modulo one beat and gets a low confidence. Below the "
            "method's calibrated level (min_confidence in the JSON: under it fewer than 90 % of "
            "estimates are within 0.08 s) the delay is reported as one it cannot tell "
            "(reliable: false). With --fix, write a copy whose audio is moved by the offset "
            "(video stream copied untouched) and measure the copy's offset again; an unreliable "
            "delay is not applied unless --force. With --fix --offset SECONDS the audio moves by "
            "the offset you give instead (none is estimated, nothing is refused). "
            f"{BATCH_NOTE}"
        ),
    )
    add_files(p, metavar="VIDEO", help="videos with sound")
    p.add_argument(
        "--max-offset",
        type=float,
        default=DEFAULT_MAX_OFFSET_S,
        metavar="SECONDS",
        help=f"search the delay within +-SECONDS (default {DEFAULT_MAX_OFFSET_S:g})",
    )
    p.add_argument(
        "--method",
        choices=SYNC,
        default="motion-energy",
        help="the dance curve lined up with the music's onsets: motion-energy (pulses at the "
        "dancer's stops, timed between the video's own frames; the default), pose (pulses at the "
        "motion beats of the dancer's body: pip install 'mudar[pose]'), hoof-flux (the HOOF "
        "flux) or timing (pulses at the learned timing model's accents, from the motion energy "
        "and the pose track: pip install 'mudar[pose]'; it finds more delays on beat-locked "
        "dances, at the pose track's speed)",
    )
    p.add_argument(
        "--fix",
        action="store_true",
        help="write the repaired video to -o (audio shifted, video stream copied)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="with --fix: move the audio even when the delay is below the calibrated confidence",
    )
    p.add_argument(
        "--offset",
        type=float,
        metavar="SECONDS",
        help="with --fix: move the audio by SECONDS (positive: the audio is late and moves "
        "earlier), the offset you chose, instead of the estimate: nothing is estimated first "
        "and nothing refused; the copy is measured again",
    )
    p.add_argument(
        "-o",
        "--out",
        metavar="OUT",
        help="with --fix: the output video (.mp4, .mov, .mkv); a folder for several videos",
    )
    g = p.add_argument_group("analysis")
    g.add_argument(
        "--fps",
        type=float,
        help="analysis frame rate (default: the highest of "
        f"{', '.join(f'{f:g}' for f in SYNC_FPS)} not above the video's own)",
    )
    g.add_argument(
        "--sr", type=int, default=DEFAULT_SR, help=f"audio analysis rate, Hz (default {DEFAULT_SR})"
    )
    g.add_argument(
        "--size", type=int, default=256, help="frame side for optical flow (default 256)"
    )
    g.add_argument("--flow", default="dis", help="optical-flow backend (default dis)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mudar.errors import MudarError, ParameterError
    from mudar.pipelines.sync import fixed_paths, sync_file

    if args.out and not args.fix:
        raise ParameterError("-o is for --fix: add --fix to write the repaired video")
    if args.force and not args.fix:
        raise ParameterError("--force is for --fix: add --fix to write the repaired video")
    if args.offset is not None and not args.fix:
        raise ParameterError("--offset is for --fix: add --fix to write the repaired video")
    if args.offset is not None and not math.isfinite(args.offset):
        raise ParameterError(f"--offset must be a finite number of seconds, got {args.offset}")
    if args.fix and not args.out:
        raise ParameterError("--fix needs -o OUT (a video file, or a folder for several videos)")
    if not args.max_offset > 0:
        raise ParameterError(f"--max-offset must be positive, got {args.max_offset}")
    outputs = fixed_paths(args.files, args.out) if args.fix else {}
    return run_each(
        args.files,
        lambda path: sync_file(
            path,
            sr=args.sr,
            fps=args.fps,
            size=args.size,
            flow=args.flow,
            max_offset_s=args.max_offset,
            method=args.method,
            fixed=outputs.get(path),
            force=args.force,
            offset_s=args.offset,
        ),
        lambda report: print_result(report, _text, as_json=args.json),
        errors=(MudarError, OSError),
    )


def _text(r: dict) -> str:
    off = r["offset_s"]
    if r.get("manual"):  # an offset the user gave: no estimate of the original
        return f"{r['file']}: audio moved by {off:+.3f} s (the offset given)" + _fixed(r)
    if not r["reliable"]:
        what = f"cannot tell (best guess {off:+.3f} s"
    elif off > 0:
        what = f"audio {off:.3f} s late (offset {off:+.3f} s"
    elif off < 0:
        what = f"audio {-off:.3f} s early (offset {off:+.3f} s"
    else:
        what = "in sync (offset +0.000 s"
    line = f"{r['file']}: {what}, confidence {r['confidence']:.2f})"
    if not r["reliable"]:
        line += (
            f" - below {r['min_confidence']:g}, where estimates are right less than 90 % of the "
            "time: the dance does not pin the delay down"
        )
    elif r["confidence"] < LOW_CONFIDENCE:
        line += " - low confidence"
    return line + _fixed(r)


def _fixed(r: dict) -> str:
    """`` -> OUT; measured again: ...`` of a report with a repaired copy, else empty."""
    if "fixed" not in r:
        return ""
    line = f" -> {r['fixed']}" + (" (forced)" if r.get("forced") else "")
    if "after" in r:
        a = r["after"]
        line += (
            f"; measured again: offset {a['offset_s']:+.3f} s (confidence {a['confidence']:.2f})"
            + ("" if a["reliable"] else ", cannot tell")
        )
    return line
