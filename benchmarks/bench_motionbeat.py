"""MotionBeat (issue 6) on the dwm dances: train one seed, then its downstream tables.

Run: `.venv/bin/python benchmarks/bench_motionbeat.py [--epochs N] [--seed S] [--preset cpu]
[--test-dances DANCE_C_7,DANCE_W_4,...] [--out DIR] [--cache DIR] [--no-mudar] [--threads N]
[--json]`

Trains MotionBeat (:func:`mudar.training.motionbeat.train_motionbeat`) on every dwm dance but
the held-out ones (default: the preset's 15 % of the dances drawn by the seed), then prints the
tables of :mod:`mudar.pipelines.bench.motionbeat`:

- beat tracking: F-measure (70 ms) of the encoder's beat activation (peak picking; librosa's
  dynamic programming on it) against madmom's hand-annotated ``sample.wav`` (4 beats in 2.8 s:
  one song, a coarse number) and, on the held-out dwm songs, agreement with librosa's beats
  (not ground truth: dwm has no annotated beats), beside librosa and the beats row the encoder
  reads as input;
- genre: linear probes on pooled clip features, folds grouped by dance (the single tango dance
  is trained on, never tested; the encoder saw the training dances' music, without labels);
- retrieval music <-> motion on the held-out dances' non-overlapping clips: the clip's own
  partner (``clip``), or the right song with the query dance's other clips left out (``song``).

Numbers are from one seed; ``mudar bench`` repeats over seeds.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DWM = SHARED / "dwm"
MADMOM = SHARED / "music" / "madmom"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(DWM), help="dwm-style dance folders")
    ap.add_argument("--music", default=str(MADMOM), help="folder with sample.wav, sample.beats")
    ap.add_argument("--epochs", type=int, help="training epochs (default: the preset's)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--preset", default="cpu")
    ap.add_argument("--test-dances", help="comma-separated held-out dances")
    ap.add_argument("--out", help="run folder (default: a temporary one)")
    ap.add_argument("--cache", help="prepared dances, shared between runs")
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--no-mudar", action="store_true", help="no mudar-audio probe row")
    ap.add_argument(
        "--threads", type=int, default=1, help="torch threads (1: fastest on busy shared cores)"
    )
    ap.add_argument("--json", action="store_true", help="print the tables as JSON too")
    args = ap.parse_args()

    from mudar.errors import MudarError
    from mudar.pipelines.bench.motionbeat import run_motionbeat_bench

    if not Path(args.data).is_dir():
        print(f"skipped: {args.data} not found (the benchmark needs the dwm data)")
        return 0
    music = Path(args.music) if (Path(args.music) / "sample.wav").is_file() else None
    tmp = None
    if args.out is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench-motionbeat-")
        out = Path(tmp.name)
    else:
        out = Path(args.out)
    t0 = time.perf_counter()
    try:
        tables = run_motionbeat_bench(
            args.data,
            out,
            seed=args.seed,
            budget_epochs=args.epochs,
            test_dances=args.test_dances.split(",") if args.test_dances else None,
            preset=args.preset,
            music_dir=music,
            use_mudar=not args.no_mudar,
            cache_dir=args.cache,
            folds=args.folds,
            threads=args.threads,
            progress=False,
        )
    except MudarError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        if tmp is not None:
            tmp.cleanup()
    print(f"MotionBeat, preset {args.preset}, seed {args.seed}: {time.perf_counter() - t0:.0f} s")
    from mudar.pipelines.bench.plan import MOTIONBEAT_TABLES
    from mudar.pipelines.bench.tables import table_markdown

    for name in MOTIONBEAT_TABLES:
        if name in tables:  # one seed: each number as a mean with no spread
            rows = {
                row: {m: {"mean": v, "std": 0.0} for m, v in cells.items()}
                for row, cells in tables[name].items()
            }
            print()
            print(table_markdown(name, rows, n_seeds=1))
    if args.json:
        print(json.dumps(tables, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
