"""``mudar retrieve --index IDX --query FILE``: the dances that fit a piece of music, or the
music that fits a dance (hybrid similarity, paper Eq. 21)."""

from __future__ import annotations

import argparse
import json

from mudar.cli.options import add_cache, add_checkpoint, add_json, feature_cache
from mudar.methods import DEFAULT_LAMBDA3, DIRECTIONS


def add_parser(sub) -> None:
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
            "scores its best match among them. The clips of the query file itself (the same "
            "file, or a copy of the same bytes) are left out where the index holds it."
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
    add_checkpoint(p, help="model to embed the query (default: the index's)")
    add_cache(p)
    add_json(p, "one JSON object")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mudar.errors import ParameterError
    from mudar.pipelines.retrieve import retrieve_file

    # checked before the query is embedded, which takes a while
    if not 0.0 <= args.lambda3 <= 1.0:
        raise ParameterError(f"--lambda must be in [0, 1], got {args.lambda3}")
    if args.top_k < 1 or (args.candidates is not None and args.candidates < 1):
        raise ParameterError("--top-k and --candidates must be >= 1")
    hits, emb, own = retrieve_file(
        args.index,
        args.query,
        direction=args.direction,
        top_k=args.top_k,
        lambda3=args.lambda3,
        candidates=args.candidates,
        checkpoint=args.checkpoint,
        cache_dir=feature_cache(args),
    )
    if args.json:
        doc = {
            "query": args.query,
            "direction": args.direction,
            "lambda": args.lambda3,
            "left_out": own,
            "results": [h.as_dict() for h in hits],
        }
        print(json.dumps(doc))
        return 0
    print(
        f"{args.query}: {args.direction}, {len(emb)} query clip(s), lambda {args.lambda3:g}; "
        f"score = lambda * S_e + (1 - lambda) * S_r"
    )
    for name in own:
        print(f"left out: the clips of {name} (the query file itself)")
    print(f"{'rank':>4}  {'score':>7}  {'S_e':>7}  {'S_r':>7}  {'start_s':>8}  file")
    for rank, h in enumerate(hits, start=1):
        print(
            f"{rank:>4}  {h.score:7.3f}  {h.embedding_similarity:7.3f}  "
            f"{h.rhythm_similarity:7.3f}  {h.start_s:8.1f}  {h.file}"
        )
    return 0
