"""``mudar eval --data DIR``: visual rhythm of each method against the music onsets."""

from __future__ import annotations

import argparse
import json
import sys

from mudar.cli.options import add_checkpoint, add_json
from mudar.methods import DANCE_RHYTHM

DEFAULT_METHODS = ",".join(DANCE_RHYTHM)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "eval",
        help="score visual rhythm methods against the music onsets of real videos",
        description=(
            "For every video in DIR (whole videos), detect the dance rhythm with each method "
            "and score it against the music onset maxima of the same video at the model's "
            "frame rate: one-to-one matching within +-1 frame, and the exact-frame scores. "
            "The floors `chance` and `all` are always reported. mudar-noaudio (the model "
            "without music) is the honest measure of a visual rhythm detector: with music, "
            "the labels can leak through the audio branch."
        ),
    )
    p.add_argument(
        "--data", required=True, help="folder of videos, an AIST++ tree, or prepared features"
    )
    add_checkpoint(p, help="model (default: the shipped one)")
    p.add_argument("--methods", default=DEFAULT_METHODS, help=f"default {DEFAULT_METHODS}")
    p.add_argument("--features", help="feature cache folder (default: a temporary folder)")
    add_json(p, "print the JSON report")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--seed", type=int, default=0, help="seed of the chance floor")
    p.add_argument(
        "--held-out",
        action="store_true",
        help="score only the videos the model's training kept out for validation",
    )
    p.add_argument(
        "--split",
        choices=("auto", "all", "train", "val", "test"),
        default="auto",
        help="score only the videos of this official split (AIST++: splits/crossmodal_*.txt); "
        "auto (default): test when the data has an official split, else all",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mudar.pipelines.evaluate import evaluate

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    report = evaluate(
        args.data,
        methods=methods,
        checkpoint=args.checkpoint,
        features=args.features,
        jobs=args.jobs,
        seed=args.seed,
        held_out=args.held_out,
        split=args.split,
    )
    if args.json:
        print(json.dumps(report))
        return 0
    split = "" if report["split"] == "all" else f" ({report['split']} split)"
    print(f"{report['data']}: {report['n_videos']} videos{split}, {report['n_clips']} clips")
    print(f"{'method':<24}{'precision':>10}{'recall':>8}{'F1':>8}   exact P/R/F1")
    rows = list(report["rhythm"].items())
    rows += [(f"{m} (shifted)", s) for m, s in report["shifted"].items()]
    for name, s in rows:
        e = s["exact"]
        print(
            f"{name:<24}{s['precision']:>10.3f}{s['recall']:>8.3f}{s['f1']:>8.3f}   "
            f"{e['precision']:.3f}/{e['recall']:.3f}/{e['f1']:.3f}"
        )
    print(
        "(shifted: the same rhythm rolled by half the video; a method that scores no better "
        "than its shifted self follows the music's rate, not its timing)"
    )
    print(f"\n{'timing':<24}{'F1@70ms':>10}{'shifted':>8}{'gain':>8}   gain@+-1 frame")
    for name, s in report["timing"].items():
        frame_gain = report["timing_gain"].get(name)
        print(
            f"{name:<24}{s['f1']:>10.3f}{s['f1_shifted']:>8.3f}{s['timing_gain']:>+8.3f}   "
            + (f"{frame_gain:+.3f}" if frame_gain is not None else "-")
        )
    print(
        "(F1@70ms: rhythm times refined below the frame against the music's onset times; "
        "gain: the score minus its shifted control, > 0 only for a rhythm that knows when)"
    )
    sys.stdout.flush()
    return 0
