"""``mudar serve [--port 8000]``: the local web page of the tools (:mod:`mudar.serve`)."""

from __future__ import annotations

import argparse
import sys

from mudar.cli.options import add_checkpoint


def add_parser(sub) -> None:
    p = sub.add_parser(
        "serve",
        help="a local web page: rhythm timeline, sync, BAS, genre, retargeting, retrieval",
        description=(
            "Serve one web page on this computer (http://HOST:PORT/) that analyses a dance "
            "video (music and dance rhythm on a zoomable timeline, tempo, BAS, sync estimate, "
            "genre with --classifier), repairs its sync, retargets it onto a song, and searches "
            "an index of `mudar index build` (--index). Uploads and results live in a "
            "temporary folder removed when the server stops. Needs the serve extra: "
            "pip install 'mudar[serve]'."
        ),
    )
    p.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this computer only; 0.0.0.0 opens it "
        "to the network, without any login)",
    )
    p.add_argument(
        "--media",
        metavar="DIR",
        help="offer the videos and songs of DIR to pick (default: synthetic demo dances)",
    )
    p.add_argument("--index", metavar="IDX", help="folder of `mudar index build`, for retrieval")
    genre = p.add_mutually_exclusive_group()
    genre.add_argument(
        "--classifier",
        metavar="CLS",
        help="genre classifier of `mudar classify train` (default: the shipped one)",
    )
    genre.add_argument("--no-genre", action="store_true", help="no genre classification")
    add_checkpoint(p)
    p.add_argument(
        "--method",
        help="dance rhythm of the timeline and the on-beat feedback (run without the music): "
        "pose (default with the pose extra: the moments the body stops), motion-energy "
        "(default without it), mudar, mudar-noaudio, hoof-flux, directogram",
    )
    p.add_argument(
        "--max-upload-mb",
        type=float,
        default=500.0,
        metavar="MB",
        help="largest upload accepted, MB (default 500)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mudar.errors import ParameterError

    if not 0 < args.port < 65536:
        raise ParameterError(f"--port must be in 1..65535, got {args.port}")
    if not args.max_upload_mb > 0:
        raise ParameterError(f"--max-upload-mb must be positive, got {args.max_upload_mb}")
    from mudar.pipelines.serve import make_server

    server = make_server(
        host=args.host,
        port=args.port,
        media=args.media,
        index=args.index,
        classifier=args.classifier,
        genre=not args.no_genre,
        checkpoint=args.checkpoint,
        dance_method=args.method,
        max_upload_mb=args.max_upload_mb,
    )
    print(f"mudar serve: {server.url}  (Ctrl-C stops it)", file=sys.stderr)
    server.run()
    return 0
