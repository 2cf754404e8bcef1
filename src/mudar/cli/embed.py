"""``mudar embed FILE_OR_DIR... --out EMB.npz``: embeddings and rhythms for the tasks."""

from __future__ import annotations

import argparse

from mudar.cli.batch import report_skipped
from mudar.cli.options import add_cache_options, add_checkpoint, feature_cache


def add_parser(sub) -> None:
    p = sub.add_parser(
        "embed",
        help="audio/visual embeddings and rhythms of videos and songs, for the tasks",
        description=(
            "Cut each file into clips of the model's length and write, per clip and per file, "
            "the audio and visual embeddings and the two rhythms (music onsets, visual rhythm "
            "without the music) to EMB.npz. Folders are searched for videos (labels from "
            "labels.csv or meta.json). Features are cached, so a second run is fast. Bad files "
            "are skipped and listed; the exit status is 2 only if none succeeded."
        ),
    )
    p.add_argument("inputs", nargs="+", metavar="FILE_OR_DIR")
    p.add_argument("--out", "-o", required=True, metavar="EMB.npz")
    add_checkpoint(p, help="model (default: the shipped one)")
    p.add_argument(
        "--hop", type=float, default=None, metavar="S", help="seconds between clips (default: 8)"
    )
    add_cache_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mudar.pipelines.embed import embed_files, expand_inputs

    paths, labels = expand_inputs(args.inputs)
    emb = embed_files(
        paths,
        checkpoint=args.checkpoint,
        labels=labels,
        cache_dir=feature_cache(args),
        hop_s=args.hop,
        jobs=args.jobs,
        progress=not args.quiet,
    )
    emb.save(args.out)
    print(
        f"{args.out}: {len(emb.files)} file(s), {len(emb)} clip(s)"
        + (f"; {len(emb.skipped)} skipped" if emb.skipped else "")
    )
    return report_skipped(emb.skipped, len(paths), what="embedded")
