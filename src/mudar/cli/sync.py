"""``mudar sync VIDEO...``: the audio delay of each dance video, and the repaired file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mudar.clock import DEFAULT_SR
from mudar.tasks.sync import DEFAULT_MAX_OFFSET_S, SYNC_FPS

LOW_CONFIDENCE = 0.1
"""Below this the text output warns: synthetic dances locked to their music score about 0.25,
a dance on another tempo 0.03, the real ballroom dances of dwm 0.01 (bench_sync.py)."""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "sync",
        help="check (and repair) the audio-video sync of dance videos",
        description=(
            "Estimate the audio delay of each VIDEO: the shift of the music that best lines its "
            "onsets up with the dance rhythm (learning-free HOOF flux), searched within "
            "+-MAX_OFFSET seconds. A positive offset means the audio is late. The confidence "
            "(0..1) says how much the best delay beats every other delay: a dance on a steady "
            "beat fixes the delay only modulo one beat and gets a low confidence. With --fix, "
            "write a copy whose audio is moved by the offset (video stream copied untouched). "
            "Files that fail are reported on stderr and skipped; the exit status is 2 only if "
            "none succeeded."
        ),
    )
    p.add_argument("files", nargs="+", metavar="VIDEO", help="videos with sound")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument(
        "--max-offset",
        type=float,
        default=DEFAULT_MAX_OFFSET_S,
        metavar="SECONDS",
        help=f"search the delay within +-SECONDS (default {DEFAULT_MAX_OFFSET_S:g})",
    )
    p.add_argument(
        "--fix",
        action="store_true",
        help="write the repaired video to -o (audio shifted, video stream copied)",
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

    if args.out and not args.fix:
        raise ParameterError("-o is for --fix: add --fix to write the repaired video")
    if args.fix and not args.out:
        raise ParameterError("--fix needs -o OUT (a video file, or a folder for several videos)")
    if not args.max_offset > 0:
        raise ParameterError(f"--max-offset must be positive, got {args.max_offset}")
    outputs = _outputs(args.files, args.out) if args.fix else {}
    failed = 0
    for path in args.files:
        try:
            report = _sync_one(path, args, outputs.get(path))
        except (MudarError, OSError) as e:
            failed += 1
            print(f"mudar: error: {_message(e, path)}", file=sys.stderr)
            continue
        print(json.dumps(report) if args.json else _text(report), flush=True)
    if failed and len(args.files) > 1:
        print(f"mudar: {failed} of {len(args.files)} file(s) skipped", file=sys.stderr)
    return 2 if failed == len(args.files) else 0


def _sync_one(path: str, args: argparse.Namespace, out: Path | None) -> dict:
    from mudar.errors import InputError
    from mudar.features.extract import AnalysisConfig, analyze
    from mudar.io import probe
    from mudar.tasks.sync import sync_clock, sync_offset, sync_report

    info = probe(path)
    if not info.has_video:
        raise InputError(f"{path}: no video track, nothing to sync")
    if not info.has_audio:
        raise InputError(f"{path}: no audio track, nothing to sync")
    clock = sync_clock(info.native_fps, sr=args.sr, fps=args.fps)
    config = AnalysisConfig(clock=clock, size=args.size, flow=args.flow)
    estimate = sync_offset(analyze(path, config), max_offset_s=args.max_offset)
    report = sync_report(path, estimate)
    if out is not None:
        report["fixed"] = str(_fix(path, out, estimate.offset_s))
    return report


def _fix(path: str, out: Path, offset_s: float) -> Path:
    from mudar.errors import DecodeError
    from mudar.io.audio import load_audio_track
    from mudar.io.remux import remux_with_audio
    from mudar.io.write import AAC_RATES
    from mudar.tasks.sync import shift_audio

    track = load_audio_track(path)
    if track is None:
        raise DecodeError(f"{path}: no audio track to shift")
    y, sr = track
    if sr not in AAC_RATES:
        y, sr = load_audio_track(path, sr=48000)
    return remux_with_audio(path, out, shift_audio(y, offset_s=offset_s, sr=sr), sr=sr)


def _outputs(files: list[str], out: str) -> dict[str, Path]:
    """Where each repaired video goes: ``out`` itself for one file, else inside folder ``out``."""
    from mudar.errors import InputError, ParameterError
    from mudar.io.write import CONTAINERS

    dest = Path(out)
    if len(files) == 1 and not dest.is_dir():
        # checked before the analysis, so that a typo does not cost a minute of work
        if dest.suffix.lower() not in CONTAINERS:
            raise ParameterError(
                f"-o {out}: expected a video file name, one of {sorted(CONTAINERS)}"
            )
        if not dest.parent.is_dir():
            raise InputError(f"{dest.parent}: no such directory")
        if dest.exists() and Path(files[0]).exists() and dest.samefile(files[0]):
            raise InputError(f"{dest}: is the input file; write the repaired video elsewhere")
        return {files[0]: dest}
    if len(files) > 1 and dest.suffix.lower() in CONTAINERS and not dest.is_dir():
        raise ParameterError(
            f"-o {out}: with {len(files)} videos, -o must be a folder (one repaired file each)"
        )
    if dest.exists() and not dest.is_dir():
        raise ParameterError(f"-o {out}: exists and is not a folder")
    dest.mkdir(parents=True, exist_ok=True)
    names = [_out_name(Path(f)) for f in files]
    clash = {n for n in names if names.count(n) > 1}
    # videos of the same name in different folders (dataset layouts): prefix the folder
    names = [
        f"{Path(f).parent.name}-{n}" if n in clash else n for f, n in zip(files, names, strict=True)
    ]
    if len(set(names)) < len(names):
        raise ParameterError(f"-o {out}: several videos would get the same output name")
    return {f: dest / n for f, n in zip(files, names, strict=True)}


def _out_name(path: Path) -> str:
    """The input's name, as .mkv when its container cannot be written (mkv holds any codec)."""
    from mudar.io.write import CONTAINERS

    return path.name if path.suffix.lower() in CONTAINERS else f"{path.stem}.mkv"


def _message(e: Exception, path: str) -> str:
    if isinstance(e, OSError):  # e.g. an output folder that cannot be written
        return f"{e.filename or path}: {e.strerror or e}"
    return str(e)


def _text(r: dict) -> str:
    off = r["offset_s"]
    if off > 0:
        what = f"audio {off:.3f} s late"
    elif off < 0:
        what = f"audio {-off:.3f} s early"
    else:
        what = "in sync"
    line = f"{r['file']}: {what} (offset {off:+.3f} s, confidence {r['confidence']:.2f})"
    if r["confidence"] < LOW_CONFIDENCE:
        line += " - low confidence: the dance does not pin the delay down"
    if "fixed" in r:
        line += f" -> {r['fixed']}"
    return line
