"""``mudar retrieve --index IDX --query FILE``: the dances that fit a piece of music, or the
music that fits a dance (hybrid similarity, paper Eq. 21)."""

from __future__ import annotations

import argparse
import json


def add_parser(sub) -> None:
    from mudar.tasks.retrieve import DEFAULT_LAMBDA3, DIRECTIONS

    p = sub.add_parser(
        "retrieve",
        help="find the dances that fit a piece of music, or the music that fits a dance",
        description=(
            "Embed the query file with the model of the index and rank the clips of the index "
            "by S_hyb = lambda * S_e + (1 - lambda) * S_r: the cosine of the embeddings and the "
            "correlation of the music onsets with the visual rhythm. music2dance compares the "
            "query's music with the indexed dances (pictures and visual rhythm only, never "
            "their soundtracks); dance2music compares the query's pictures with the indexed "
            "music. A query longer than one clip is cut into clips, and each indexed clip "
            "scores its best match among them."
        ),
    )
    p.add_argument("--index", required=True, metavar="IDX", help="folder of mudar index build")
    p.add_argument("--query", required=True, metavar="FILE", help="a video or a song")
    p.add_argument("--direction", choices=DIRECTIONS, default="music2dance")
    p.add_argument("--top-k", type=int, default=10, metavar="K", help="clips to list (10)")
    p.add_argument(
        "--lambda",
        dest="lambda3",
        type=float,
        default=DEFAULT_LAMBDA3,
        metavar="L",
        help=f"weight of the embedding similarity, 0..1 (default {DEFAULT_LAMBDA3}); "
        "1: embeddings only, 0: rhythm only",
    )
    p.add_argument(
        "--candidates",
        type=int,
        default=None,
        metavar="N",
        help="clips proposed by the embedding index and re-ranked exactly (default: all "
        "clips up to 10000 or with --lambda 0, else max(100, 10 K))",
    )
    p.add_argument("--checkpoint", help="model to embed the query (default: the index's)")
    p.add_argument(
        "--cache",
        default=None,
        metavar="DIR",
        help="feature cache (default: $MUDAR_CACHE or ~/.cache/mudar/features)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.set_defaults(run=run)


def query_checkpoint(index, checkpoint: str | None) -> str:
    """The model that embeds the query: ``--checkpoint``, else the one the index records; its
    content must be the index's (same hash).

    Raises
    ------
    InputError
        The model file is missing.
    ParameterError
        No model recorded and none given, or a model that is not the index's.
    """
    from pathlib import Path

    from mudar.cli.index import model_record
    from mudar.errors import InputError, ParameterError

    recorded = index.meta.get("checkpoint")
    if checkpoint is None:
        if recorded is None:
            raise ParameterError(
                "the index does not record its model (built from an EMB.npz): give --checkpoint"
            )
        if not Path(recorded).is_file():
            raise InputError(f"{recorded}: the index's model is gone; give --checkpoint")
        checkpoint = recorded
    given = model_record(checkpoint)
    if index.meta.get("checkpoint_hash") not in (None, given["checkpoint_hash"]):
        raise ParameterError(
            f"{checkpoint} is not the model the index was built with ({recorded}, since "
            "changed or another file): the query would be embedded in another space"
        )
    return given["checkpoint"]


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mudar.cli.embed import default_cache
    from mudar.errors import InputError, ParameterError
    from mudar.tasks.embed import embed_files
    from mudar.tasks.index import Index

    # checked before the query is embedded, which takes a while
    if not 0.0 <= args.lambda3 <= 1.0:
        raise ParameterError(f"--lambda must be in [0, 1], got {args.lambda3}")
    if args.top_k < 1 or (args.candidates is not None and args.candidates < 1):
        raise ParameterError("--top-k and --candidates must be >= 1")
    index = Index.load(args.index)
    if not Path(args.query).is_file():
        raise InputError(f"{args.query}: no such file")
    checkpoint = query_checkpoint(index, args.checkpoint)
    emb = embed_files(
        [args.query],
        checkpoint=checkpoint,
        cache_dir=args.cache or default_cache(),
        jobs=1,
        progress=False,
    )
    hits = index.query(
        emb,
        direction=args.direction,
        top_k=args.top_k,
        lambda3=args.lambda3,
        candidates=args.candidates,
    )
    if args.json:
        doc = {
            "query": args.query,
            "direction": args.direction,
            "lambda": args.lambda3,
            "results": [h.as_dict() for h in hits],
        }
        print(json.dumps(doc))
        return 0
    print(
        f"{args.query}: {args.direction}, {len(emb)} query clip(s), lambda {args.lambda3:g}; "
        f"score = lambda * S_e + (1 - lambda) * S_r"
    )
    print(f"{'rank':>4}  {'score':>7}  {'S_e':>7}  {'S_r':>7}  {'start_s':>8}  file")
    for rank, h in enumerate(hits, start=1):
        print(
            f"{rank:>4}  {h.score:7.3f}  {h.embedding_similarity:7.3f}  "
            f"{h.rhythm_similarity:7.3f}  {h.start_s:8.1f}  {h.file}"
        )
    return 0
