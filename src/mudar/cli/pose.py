"""``mudar pose VIDEO... -o OUT``: the dancer's pose track of each video, written as ``.npz`` or
as AIST++'s keypoints2d ``.pkl``, and optionally the skeleton drawn over the video."""

from __future__ import annotations

import argparse
from pathlib import Path

from mudar.cli.batch import BATCH_NOTE, add_files, print_result, run_each
from mudar.errors import ParameterError
from mudar.methods import POSE_STRIDE, TRACK_FORMATS


def add_parser(sub) -> None:
    p = sub.add_parser(
        "pose",
        help="the dancer's 2-D pose track of videos (COCO-17), for bas and MotionBeat",
        description=(
            "Track the dancer's body in each VIDEO (MediaPipe Pose, the pose extra: pip install "
            "'mudar[pose]'; it tracks one person, the most prominent) and write the COCO-17 "
            "keypoints: OUT.npz (the track's arrays) or OUT.pkl (AIST++'s keypoints2d layout, "
            "view 0), which `mudar bas` and `mudar train --recipe motionbeat` read. A video "
            f"with nobody in it gives a track of gaps and says so. {BATCH_NOTE}"
        ),
    )
    add_files(p, metavar="VIDEO", help="dance videos")
    p.add_argument(
        "-o",
        "--out",
        required=True,
        metavar="OUT",
        help="OUT.npz or OUT.pkl for one video; a folder (several videos, or any) receives "
        "<video name>.npz (or .pkl with --format pkl)",
    )
    p.add_argument(
        "--format",
        choices=TRACK_FORMATS,
        default="npz",
        help="the file written into a folder -o (default npz)",
    )
    p.add_argument(
        "--pose-stride",
        type=int,
        default=POSE_STRIDE,
        metavar="K",
        help=f"estimate every K-th decoded frame (default {POSE_STRIDE}: all)",
    )
    p.add_argument(
        "--overlay",
        metavar="OUT.mp4",
        help="also write the video with the skeleton drawn over it (its own size, rate and "
        "sound); with several videos a folder receiving <video name>.mp4",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mudar.pipelines.pose import pose_file

    n = len(args.files)
    if args.pose_stride < 1:
        raise ParameterError(f"--pose-stride must be >= 1, got {args.pose_stride}")
    track_file = _is_file_name(args.out, (".npz", ".pkl"))
    if n > 1 and track_file:
        raise ParameterError(f"-o {args.out}: several videos need a folder, not one file")
    overlay_file = args.overlay is not None and _is_file_name(args.overlay, (".mp4", ".mov"))
    if n > 1 and overlay_file:
        raise ParameterError(f"--overlay {args.overlay}: several videos need a folder")

    def out_path(path: str) -> Path:
        if track_file:
            return Path(args.out)
        return Path(args.out) / f"{Path(path).stem}.{args.format}"

    def overlay_path(path: str) -> Path | None:
        if args.overlay is None:
            return None
        return Path(args.overlay) if overlay_file else Path(args.overlay) / f"{Path(path).stem}.mp4"

    return run_each(
        args.files,
        lambda path: pose_file(
            path, out_path(path), stride=args.pose_stride, overlay=overlay_path(path)
        ),
        lambda r: print_result(r, _text, as_json=args.json),
        what="tracked",
    )


def _is_file_name(out: str, suffixes: tuple[str, ...]) -> bool:
    """Whether ``out`` names a file (by its extension) rather than a folder."""
    return Path(out).suffix.lower() in (*suffixes, ".mkv", ".m4v") and not Path(out).is_dir()


def _text(r: dict) -> str:
    found = (
        f"body found in {100 * r['found_fraction']:.0f} % of them"
        if r["dancer_found"]
        else "no dancer found (the track holds gaps: NaN keypoints, confidence 0)"
    )
    return f"{r['file']}: {r['frames']} frames at {r['fps']:g} fps, {found} -> " + ", ".join(
        r["outputs"]
    )
