"""``mudar demo``: every task on synthetic dances with known beats, reported in HTML."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="run every task on synthetic dances (and the dwm dances) and write an HTML report",
        description="Generate synthetic dance videos with music at known tempi and run the "
        "rhythm analysis, embeddings, retrieval, genre classification and retargeting on them "
        "(and on the real dwm dances when the folder exists); write OUT/index.html.",
    )
    p.add_argument("--out", default="mudar-demo", help="output folder (default mudar-demo)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--duration", type=float, default=12.0, help="seconds per clip (default 12)")
    p.add_argument(
        "--dwm",
        default="../shared/data/dwm",
        help="folder of real dances to include when it exists (default ../shared/data/dwm; "
        "'' for none)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mudar.pipelines.demo import run_demo

    dwm = Path(args.dwm) if args.dwm and Path(args.dwm).is_dir() else None
    page = run_demo(args.out, seed=args.seed, duration_s=args.duration, dwm=dwm)
    print(f"wrote {page}", file=sys.stderr)
    return 0
