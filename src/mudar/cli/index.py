"""``mudar index build FILE_OR_DIR... --out IDX``: a searchable index of dances and music."""

from __future__ import annotations

import argparse
import sys

from mudar.cli.batch import report_skipped
from mudar.cli.options import add_cache_options, add_checkpoint, feature_cache


def add_parser(sub) -> None:
    p = sub.add_parser(
        "index",
        help="build a retrieval index of dances and music (for mudar retrieve)",
        description="Retrieval indexes of dances and music, searched by mudar retrieve.",
    )
    actions = p.add_subparsers(dest="index_action", metavar="ACTION", required=True)
    b = actions.add_parser(
        "build",
        help="index videos, songs, folders or an EMB.npz of mudar embed",
        description=(
            "Embed the files (folders are searched for videos; features are cached) and index "
            "their clips on two sides: the dance side (visual embeddings and visual rhythm of "
            "the clips with pictures) and the music side (audio embeddings and onsets of the "
            "clips with music). Or index an EMB.npz written by mudar embed. The model is "
            "recorded in the index, so that mudar retrieve embeds queries with the same one."
        ),
    )
    b.add_argument("inputs", nargs="+", metavar="FILE_OR_DIR_OR_EMB")
    b.add_argument("--out", "-o", required=True, metavar="IDX", help="index folder to write")
    add_checkpoint(
        b, help="model (default: the shipped one); with an EMB.npz: the model that made it"
    )
    b.add_argument(
        "--hop", type=float, default=None, metavar="S", help="seconds between clips (default: 8)"
    )
    b.add_argument(
        "--kind",
        choices=("auto", "flat", "pq-refine"),
        default="auto",
        help="FAISS index: exact (flat), approximate (pq-refine), or by size (auto, default)",
    )
    add_cache_options(b)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return {"build": _build}[args.index_action](args)


def _build(args: argparse.Namespace) -> int:
    from mudar.pipelines.index import index_embeddings, write_index

    emb, meta = index_embeddings(
        args.inputs,
        checkpoint=args.checkpoint,
        cache_dir=feature_cache(args),
        hop_s=args.hop,
        jobs=args.jobs,
        progress=not args.quiet,
    )
    index = write_index(emb, args.out, kind=args.kind, meta=meta)
    if "checkpoint" not in meta:
        print(
            f"mudar: note: {args.out} does not record the model that made {args.inputs[0]}; "
            "give mudar retrieve --checkpoint",
            file=sys.stderr,
        )
    sides = ", ".join(
        f"{name} side {len(side)} clip(s) ({index.kind(name)})"
        for name, side in index.sides.items()
    )
    print(f"{args.out}: {len(index.files)} file(s); {sides}")
    if meta["source"] != "media":
        return 0
    return report_skipped(emb.skipped, len(index.files) + len(emb.skipped), what="indexed")
