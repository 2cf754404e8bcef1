"""``mudar train --data DIR --preset NAME --out RUN_DIR [--resume]``: self-supervised MuDaR."""

from __future__ import annotations

import argparse
import sys

from mudar.methods import ECL_ANCHORS, RECIPES, SPLITS, SRAL_FORMS


def add_parser(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train MuDaR self-supervised on a folder of dance videos",
        description=(
            "Train the MuDaR model (explicit rhythm + implicit contrastive pathways) on the "
            "videos in DATA (or a feature folder made by `mudar prepare`). Presets: debug "
            "(seconds), cpu (the shipped model, with --augment: 15 min on 2 cores), paper (GPU "
            "cluster)."
        ),
    )
    p.add_argument(
        "--data",
        required=True,
        help="folder of videos, an AIST++ tree, or a folder of prepared features",
    )
    p.add_argument("--out", required=True, metavar="RUN_DIR", help="run folder")
    p.add_argument(
        "--preset", default="debug", help="debug, cpu, cpu-energy or paper (default debug)"
    )
    p.add_argument(
        "--method",
        default="mudar",
        help="mudar (default), or a baseline on the same clips and budget: multisensory, avts, lla",
    )
    p.add_argument("--resume", action="store_true", help="continue from RUN_DIR's last checkpoint")
    p.add_argument(
        "--split",
        choices=SPLITS,
        default="auto",
        help="training/validation videos: official (AIST++: crossmodal_train trains, "
        "crossmodal_val validates, crossmodal_test is left out), random (by the preset's "
        "val_fraction and seed), auto (default: official when the data has it)",
    )
    p.add_argument("--epochs", type=int, help="override the preset's epochs")
    p.add_argument("--seed", type=int, help="override the preset's seed")
    p.add_argument("--devices", default="1", help="devices per node, e.g. 4 for 4-GPU DDP")
    p.add_argument(
        "--stream",
        action="store_true",
        help="read the training clips from DATA's WebDataset shards (mudar prepare --format "
        "shards): each DDP rank and worker its own shards, not every video in memory",
    )
    p.add_argument("--accelerator", default="auto", help="auto, cpu, gpu (default auto)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes for feature extraction")
    p.add_argument(
        "--augment",
        action="store_true",
        help="give each training clip a random look (mirror, zoom, roll, colours): for a model "
        "meant for videos that do not look like the training ones (the shipped model has it)",
    )
    p.add_argument("--no-progress", action="store_true")
    p.add_argument(
        "--recipe",
        choices=RECIPES,
        default="mudar",
        help="mudar (videos, default) or motionbeat (a music encoder from dwm-style dances: "
        "motion.npz + audio.ogg per folder)",
    )
    g = p.add_argument_group("motionbeat recipe")
    g.add_argument(
        "--ecl-anchor",
        choices=ECL_ANCHORS,
        help="ECL form: motion (the preset's: music hard negatives) or music (the summarised "
        "paper's: beat-jitter and tempo-aware motion negatives)",
    )
    g.add_argument(
        "--sral-form",
        choices=SRAL_FORMS,
        help="SRAL form: lag_softmax (the preset's) or soft_dtw (the summarised paper's: "
        "beat-level soft-DTW plus a bar-level distance)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if getattr(args, "recipe", "mudar") == "motionbeat":
        return run_motionbeat(args)
    if getattr(args, "ecl_anchor", None) or getattr(args, "sral_form", None):
        from mudar.errors import ParameterError

        raise ParameterError("--ecl-anchor and --sral-form are for --recipe motionbeat")
    from mudar.pipelines.train import train

    devices = int(args.devices) if args.devices.isdigit() else args.devices
    r = train(
        args.data,
        args.out,
        preset=args.preset,
        method=args.method,
        resume=args.resume,
        devices=devices,
        accelerator=args.accelerator,
        epochs=args.epochs,
        seed=args.seed,
        jobs=args.jobs,
        progress=not args.no_progress,
        train_overrides={"augment": True} if args.augment else None,
        stream=args.stream,
        split=args.split,
    )
    print(
        f"trained {r.epochs} epochs on {r.n_train_clips} clips of {r.n_train_videos} videos "
        f"({r.n_val_videos} held out, {r.split} split) in {r.seconds:.0f} s -> {r.model_path}",
        file=sys.stderr,
    )
    return 0


def run_motionbeat(args: argparse.Namespace) -> int:
    from mudar.errors import ParameterError
    from mudar.pipelines.train import train_motionbeat

    if getattr(args, "augment", False):
        raise ParameterError("--augment is for the mudar recipe (MotionBeat's preset has its own)")

    devices = int(args.devices) if args.devices.isdigit() else args.devices
    r = train_motionbeat(
        args.data,
        args.out,
        preset=args.preset,
        resume=args.resume,
        epochs=args.epochs,
        seed=args.seed,
        progress=not args.no_progress,
        devices=devices,
        accelerator=args.accelerator,
        train_overrides=motionbeat_overrides(args) or None,
    )
    print(
        f"trained MotionBeat {r.epochs} epochs on {r.n_train_clips} clips of "
        f"{r.n_train_dances} dances ({r.n_val_dances} held out) in {r.seconds:.0f} s "
        f"-> {r.model_path}",
        file=sys.stderr,
    )
    return 0


def motionbeat_overrides(args: argparse.Namespace) -> dict:
    """The MotionBeat training-config fields that ``--ecl-anchor`` and ``--sral-form`` set."""
    out = {}
    if getattr(args, "ecl_anchor", None):
        out["ecl_anchor"] = args.ecl_anchor
    if getattr(args, "sral_form", None):
        out["sral_form"] = args.sral_form
    return out
