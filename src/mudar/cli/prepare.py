"""``mudar prepare DATA_DIR --out FEATURES_DIR``: featurise a dataset once, resumably."""

from __future__ import annotations

import argparse
import os
import sys

from mudar.cli.batch import report_skipped
from mudar.cli.options import add_analysis_options, analysis_options
from mudar.errors import ParameterError
from mudar.methods import DEFAULT_CAMERA, DEFAULT_LOOK, ENGINES, LOOK_NAMES


def add_parser(sub) -> None:
    p = sub.add_parser(
        "prepare",
        help="decode and extract the features of every video in a folder",
        description=(
            "Decode every video under DATA_DIR once and cache its features in FEATURES_DIR. "
            "Resumable (done files are skipped), atomic, parallel. Bad files are skipped and "
            "listed at the end; the exit status is 0 if any file succeeded. DATA_DIR may be an "
            "AIST++ tree (keypoints3d/, wav/, splits/, ignore_list.txt, optional videos/): "
            "each sequence becomes a video in FEATURES_DIR/media first (the --view camera's video "
            "with its wav as the sound, or the keypoints rendered with the wav when there is "
            "no videos/), labelled by genre and carrying its official split."
        ),
    )
    p.add_argument("data_dir", metavar="DATA_DIR")
    p.add_argument("--out", required=True, metavar="FEATURES_DIR")
    p.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1), help="worker processes")
    p.add_argument("--shard", default="0/1", metavar="I/N", help="process every N-th file from I")
    p.add_argument(
        "--frame-size",
        type=int,
        default=64,
        help="also keep RGB frames of this side for model training (0: none; default 64)",
    )
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help="where the per-file work runs: local worker processes (default) or Ray tasks",
    )
    p.add_argument(
        "--address",
        default=None,
        metavar="RAY",
        help="with --engine ray: the cluster to join ('auto': the one this machine is in); "
        "default: a local Ray with --jobs CPUs",
    )
    p.add_argument(
        "--format",
        choices=("npz", "shards"),
        default="npz",
        help="npz: one cache entry per video (default); shards: also packed into WebDataset "
        "tar shards in FEATURES_DIR/shards for streamed (multi-node) training",
    )
    p.add_argument(
        "--shard-mb",
        type=float,
        default=256.0,
        metavar="MB",
        help="with --format shards: about this many MB per tar shard (default 256)",
    )
    p.add_argument(
        "--view",
        default=DEFAULT_CAMERA,
        metavar="CAMERA",
        help=f"AIST++ with videos/: the camera (view c01..c09) whose videos are used (default "
        f"{DEFAULT_CAMERA})",
    )
    p.add_argument(
        "--look",
        default=DEFAULT_LOOK,
        choices=list(LOOK_NAMES),
        help=f"AIST++ without videos/: the look of the rendered keypoints (default "
        f"{DEFAULT_LOOK}: 160x160 at 25 fps)",
    )
    p.add_argument(
        "--motion-energy",
        action="store_true",
        help="also measure the motion energy between the video's own frames (the "
        "motion-energy method and the cpu-energy preset read it; about doubles the video "
        "analysis time)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_analysis_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mudar.pipelines.prepare import prepare_dataset, write_feature_shards

    if args.shard_mb <= 0:
        raise ParameterError(f"--shard-mb must be positive, got {args.shard_mb:g}")
    analysis = analysis_options(args)
    report = prepare_dataset(
        args.data_dir,
        args.out,
        shard=args.shard,
        analysis={**analysis, "frame_size": args.frame_size, "motion_energy": args.motion_energy},
        jobs=max(1, args.jobs),
        progress=not args.no_progress,
        engine=args.engine,
        address=args.address,
        camera=args.view,
        look=args.look,
    )
    if report.done:
        print(report.summary(), file=sys.stderr)
    if report.done and args.format == "shards":
        folder, index = write_feature_shards(
            args.out, shard_mb=args.shard_mb, progress=not args.no_progress
        )
        print(
            f"{len(index.video_ids)} video(s) in {len(index.shards)} shard(s): {folder}",
            file=sys.stderr,
        )
    # the files that failed, listed at the end
    return report_skipped(report.skipped, len(report.done) + len(report.skipped), what="prepared")
