"""``mudar make-locked SRC --out DIR``: a beat-locked dance set from dwm-style dances."""

from __future__ import annotations

import argparse
import sys

from mudar.errors import ParameterError
from mudar.methods import BODY_NAMES, DEFAULT_LOOKS, LOOK_NAMES, SPEED_RANGE


def add_parser(sub) -> None:
    p = sub.add_parser(
        "make-locked",
        help="re-time real dance motion onto its music's beats and render it as videos",
        description=(
            "For every dwm-style dance folder of SRC (motion.npz with 23 joints, audio.ogg, "
            "meta.json), re-time the motion by a smooth monotone warp, its speed within "
            f"{SPEED_RANGE[0]:g}x-{SPEED_RANGE[1]:g}x, so that its kinematic accents (minima "
            "of the mean joint speed) land on the music's beats (and strong onsets); write "
            "DIR/<dance>/ with motion.npz, audio.ogg, meta.json (the accent and target times: "
            "the ground truth) and one video_<look>.mp4 per look, rendered from the joints "
            "with the music. Dances already complete in DIR are skipped (the run resumes); a "
            "dance that fails is reported and skipped. At the end the lock is printed: the "
            "Beat Alignment Score of the accents re-detected on the written motion against "
            "the true beats, the beats shifted by half a beat and another song's beats, "
            "before and after."
        ),
    )
    p.add_argument("src", metavar="SRC", help="folder of dwm-style dance folders")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument(
        "--looks",
        default=",".join(DEFAULT_LOOKS),
        help=f"comma-separated looks (default {','.join(DEFAULT_LOOKS)}; known: "
        f"{','.join(LOOK_NAMES)})",
    )
    p.add_argument(
        "--body",
        choices=list(BODY_NAMES),
        help="draw the dancer so in every look (default: each look's own, a clothed "
        "mannequin but in the stick look; stick: the set as rendered before the mannequin)",
    )
    p.add_argument("--jobs", type=int, default=1, help="dances in parallel (default 1)")
    p.add_argument(
        "--seconds", type=float, help="use only the first SECONDS of each dance (default: all)"
    )
    p.add_argument(
        "--speed-range",
        default=f"{SPEED_RANGE[0]:g},{SPEED_RANGE[1]:g}",
        metavar="LO,HI",
        help=f"limits of the re-timed speed (default {SPEED_RANGE[0]:g},{SPEED_RANGE[1]:g})",
    )
    p.add_argument(
        "--songs",
        type=int,
        default=0,
        metavar="K",
        help="also re-time each dance onto K other dances' music of a compatible tempo "
        "(written as DIR/<dance>~<song>/; default 0)",
    )
    p.add_argument(
        "--song-looks",
        metavar="LOOKS",
        help="comma-separated looks of the warps onto other songs (default: --looks; '' for "
        "none: with --looks high --random-looks 1, every warp in a random look and each dance "
        "on its own music in high, a set for mudar bench --test-looks high)",
    )
    p.add_argument(
        "--random-looks",
        type=int,
        default=0,
        metavar="N",
        help="also render N looks drawn at random per video (colours, size, 24-60 fps, "
        "camera height, angle and distance, mannequin or stick figure), named rand0.. "
        "(default 0)",
    )
    p.add_argument(
        "--pose",
        action="store_true",
        help="also write pose_<look>.npz per video: the keypoints its camera sees, with an "
        "estimator's noise and lost frames (no estimator needed)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the songs and looks drawn")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from mudar.pipelines.locked import lock_text, make_locked

    looks = [s.strip() for s in args.looks.split(",") if s.strip()]
    if args.random_looks and args.looks == ",".join(DEFAULT_LOOKS):
        looks = []  # --random-looks alone: only the drawn looks
    batch = make_locked(
        args.src,
        args.out,
        looks=looks,
        body=args.body,
        seconds=args.seconds,
        jobs=args.jobs,
        speed_range=_range(args.speed_range),
        songs=args.songs,
        song_looks=None
        if args.song_looks is None
        else [s.strip() for s in args.song_looks.split(",") if s.strip()],
        random_looks=args.random_looks,
        pose=args.pose,
        seed=args.seed,
        progress=lambda it, total: tqdm(
            it, total=total, desc="make-locked", unit="dance", disable=args.no_progress
        ),
    )
    for _, reason in batch.failed:
        print(f"mudar: error: {reason}", file=sys.stderr)
    n = len(batch.written) + len(batch.complete) + len(batch.failed)
    print(
        f"{args.out}: {len(batch.written)} dance(s) written, {len(batch.complete)} already "
        f"complete, {len(batch.failed)} skipped"
    )
    if batch.failed:
        print(f"mudar: {len(batch.failed)} of {n} dance(s) skipped:", file=sys.stderr)
        for path, _ in batch.failed:
            print(f"  {path}", file=sys.stderr)
    if batch.metas:
        print()
        print(lock_text(batch.metas))
    return 2 if not batch.metas else 0


def _range(text: str) -> tuple[float, float]:
    try:
        lo, hi = (float(x) for x in text.split(","))
    except ValueError:
        raise ParameterError(f"--speed-range must be LO,HI, got {text!r}") from None
    return lo, hi
