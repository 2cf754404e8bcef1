"""``mudar embed FILE_OR_DIR... --out EMB.npz``: embeddings and rhythms for the tasks."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


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
    p.add_argument("--checkpoint", help="model (default: the shipped one)")
    p.add_argument(
        "--hop", type=float, default=None, metavar="S", help="seconds between clips (default: 8)"
    )
    p.add_argument(
        "--cache",
        default=None,
        metavar="DIR",
        help="feature cache (default: $MUDAR_CACHE or ~/.cache/mudar/features)",
    )
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=run)


def default_cache() -> Path:
    """``$MUDAR_CACHE``, else ``$XDG_CACHE_HOME/mudar/features`` (``~/.cache`` by default)."""
    if os.environ.get("MUDAR_CACHE"):
        return Path(os.environ["MUDAR_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mudar" / "features"


def expand_inputs(inputs: list[str]) -> tuple[list[str], list[str | None]]:
    """Files and their labels: folders give their videos (with labels), files themselves."""
    from mudar.data.dataset import find_videos, meta_label
    from mudar.errors import InputError

    paths: list[str] = []
    labels: list[str | None] = []
    for x in inputs:
        p = Path(x)
        if p.is_dir():
            for it in find_videos(p):
                paths.append(str(it.path))
                labels.append(it.label)
        elif p.is_file():
            paths.append(str(p))
            labels.append(meta_label(p))
        else:
            raise InputError(f"{x}: no such file or folder")
    return paths, labels


def run(args: argparse.Namespace) -> int:
    from mudar.tasks.embed import embed_files

    paths, labels = expand_inputs(args.inputs)
    emb = embed_files(
        paths,
        checkpoint=args.checkpoint,
        labels=labels,
        cache_dir=args.cache or default_cache(),
        hop_s=args.hop,
        jobs=args.jobs,
        progress=not args.quiet,
    )
    emb.save(args.out)
    for path, reason in emb.skipped:
        print(f"mudar: skipped {path}: {reason}", file=sys.stderr)
    print(
        f"{args.out}: {len(emb.files)} file(s), {len(emb)} clip(s)"
        + (f"; {len(emb.skipped)} skipped" if emb.skipped else "")
    )
    return 0
