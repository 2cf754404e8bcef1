"""``mudar index build FILE_OR_DIR... --out IDX``: a searchable index of dances and music."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


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
    b.add_argument(
        "--checkpoint",
        help="model (default: the shipped one); with an EMB.npz: the model that made it",
    )
    b.add_argument(
        "--cache",
        default=None,
        metavar="DIR",
        help="feature cache (default: $MUDAR_CACHE or ~/.cache/mudar/features)",
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
    b.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    b.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=run)


def model_record(checkpoint: str | os.PathLike | None) -> dict:
    """What an index stores about its model: the checkpoint's absolute path and content hash."""
    from mudar.data.cache import content_hash
    from mudar.errors import InputError
    from mudar.models.checkpoint import default_checkpoint_path

    path = Path(checkpoint) if checkpoint is not None else default_checkpoint_path()
    if not path.is_file():
        raise InputError(f"{path}: no such checkpoint")
    return {"checkpoint": str(path.resolve()), "checkpoint_hash": content_hash(path)}


def run(args: argparse.Namespace) -> int:
    return {"build": _build}[args.index_action](args)


def _build(args: argparse.Namespace) -> int:
    from mudar.cli.embed import default_cache, expand_inputs
    from mudar.errors import ParameterError
    from mudar.tasks.embed import EmbeddingSet, embed_files
    from mudar.tasks.index import Index

    npz = [x for x in args.inputs if x.endswith(".npz")]
    if npz and len(args.inputs) > 1:
        raise ParameterError("give one EMB.npz, or media files and folders, not both")
    if npz:
        emb = EmbeddingSet.load(npz[0])
        record = model_record(args.checkpoint) if args.checkpoint else {}
        source = f"embeddings {Path(npz[0]).resolve()}"
    else:
        paths, labels = expand_inputs(args.inputs)
        record = model_record(args.checkpoint)
        emb = embed_files(
            paths,
            checkpoint=record["checkpoint"],
            labels=labels,
            cache_dir=args.cache or default_cache(),
            hop_s=args.hop,
            jobs=args.jobs,
            progress=not args.quiet,
        )
        source = "media"
        for path, reason in emb.skipped:
            print(f"mudar: skipped {path}: {reason}", file=sys.stderr)
    index = Index.from_embeddings(emb, kind=args.kind, meta={**record, "source": source})
    index.save(args.out)
    if not record:
        print(
            f"mudar: note: {args.out} does not record the model that made {npz[0]}; "
            "give mudar retrieve --checkpoint",
            file=sys.stderr,
        )
    sides = ", ".join(
        f"{name} side {len(side)} clip(s) ({index.kind(name)})"
        for name, side in index.sides.items()
    )
    print(f"{args.out}: {len(index.files)} file(s); {sides}")
    return 0
