"""MotionBeat's loss forms (issue 13): the default ECL / SRAL against the summarised paper's.

Run: `.venv/bin/python benchmarks/bench_motionbeat_forms.py [--seeds 0,1] [--epochs 4]
[--preset cpu] [--forms default,ecl-music,sral-soft_dtw,both] [--out DIR] [--threads 1]`

For each seed, MotionBeat is trained once per form on the same split of the dwm dances (drawn
by the seed) from the same initial weights and clip order, and scored with the MotionBeat bench
(:func:`mudar.pipelines.bench.motionbeat.run_motionbeat_bench`: beat tracking, genre probe,
retrieval; the MuDaR row is left out, it does not depend on the form). The forms
(:class:`~mudar.models.motionbeat.MotionBeatTrainConfig`):

- ``default``: ``ecl_anchor="motion"`` (music hard negatives: x0.8 / x1.25 stretches and a
  quarter-beat jitter of the clip's music), ``sral_form="lag_softmax"``;
- ``ecl-music``: ``ecl_anchor="music"`` (read from summaries: motion negatives, the clip's
  motion shifted by about one beat, and the batch's other dances of a similar tempo);
- ``sral-soft_dtw``: ``sral_form="soft_dtw"`` (read from summaries: beat-level soft-DTW and a
  bar-level distance);
- ``both``: the two together.

Prints one table: per form, the mean and the sample standard deviation over the seeds of each
figure; then each form's seed-paired difference from the default (mean and standard deviation
over the seeds: a difference within about one standard deviation is noise), then every seed's
figures. A run folder per (form, seed) under ``--out`` (default a
temporary folder) holds its ``tables.json``; a second call with the same ``--out`` reuses
the finished ones.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DWM = SHARED / "dwm"
MADMOM = SHARED / "music" / "madmom"

FORMS = {
    "default": {},
    "ecl-music": {"ecl_anchor": "music"},
    "sral-soft_dtw": {"sral_form": "soft_dtw"},
    "both": {"ecl_anchor": "music", "sral_form": "soft_dtw"},
}
"""Form name -> overrides of the preset's training config."""

COLUMNS = (
    ("beat F sample", "motionbeat_beats", "motionbeat", "F_annotated"),
    ("beat F vs librosa", "motionbeat_beats", "motionbeat", "F_vs_librosa"),
    ("genre held-out dance", "motionbeat_genre", "motionbeat", "held_out_dance_acc"),
    ("genre dance", "motionbeat_genre", "motionbeat", "dance_acc"),
    ("clip m2d mAP", "motionbeat_retrieval", "motionbeat", "m2d_mAP"),
    ("song m2d mAP", "motionbeat_retrieval_song", "motionbeat", "m2d_mAP"),
    ("song d2m mAP", "motionbeat_retrieval_song", "motionbeat", "d2m_mAP"),
    ("val top1", "motionbeat_train", "motionbeat", "val_top1"),
)
"""(column, table, row, metric) of the printed table."""


def figures(tables: dict) -> dict[str, float]:
    """The :data:`COLUMNS` of one run's tables (NaN where missing)."""
    return {
        col: float(tables.get(t, {}).get(row, {}).get(m, float("nan")))
        for col, t, row, m in COLUMNS
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(DWM), help="dwm-style dance folders")
    ap.add_argument("--music", default=str(MADMOM), help="folder with sample.wav, sample.beats")
    ap.add_argument("--seeds", default="0,1", help="comma-separated seeds (default 0,1)")
    ap.add_argument("--epochs", type=int, default=4, help="training epochs (default 4)")
    ap.add_argument("--preset", default="cpu")
    ap.add_argument("--forms", default=",".join(FORMS), help=f"of {', '.join(FORMS)}")
    ap.add_argument("--out", help="run folders (default: a temporary one)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads")
    args = ap.parse_args()

    from mudar.errors import MudarError
    from mudar.pipelines.bench.motionbeat import run_motionbeat_bench

    if not Path(args.data).is_dir():
        print(f"skipped: {args.data} not found (the benchmark needs the dwm data)")
        return 0
    forms = args.forms.split(",")
    unknown = sorted(set(forms) - set(FORMS))
    if unknown:
        print(f"error: unknown forms {unknown}; known: {', '.join(FORMS)}", file=sys.stderr)
        return 2
    seeds = [int(s) for s in args.seeds.split(",")]
    music = Path(args.music) if (Path(args.music) / "sample.wav").is_file() else None
    tmp = None
    if args.out is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench-motionbeat-forms-")
        out = Path(tmp.name)
    else:
        out = Path(args.out)
    results: dict[str, dict[int, dict[str, float]]] = {f: {} for f in forms}
    t0 = time.perf_counter()
    try:
        for seed in seeds:
            for form in forms:
                run_dir = out / f"{form}-seed{seed}"
                done = run_dir / "tables.json"
                if done.is_file():
                    tables = json.loads(done.read_text())
                else:
                    tables = run_motionbeat_bench(
                        args.data,
                        run_dir,
                        seed=seed,
                        budget_epochs=args.epochs,
                        preset=args.preset,
                        music_dir=music,
                        use_mudar=False,
                        cache_dir=out / "cache",
                        threads=args.threads,
                        train_overrides=FORMS[form],
                    )
                results[form][seed] = figures(tables)
                print(f"{form} seed {seed}: {results[form][seed]}", flush=True)
    except MudarError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        if tmp is not None:
            tmp.cleanup()
    print(
        f"\nMotionBeat loss forms, preset {args.preset}, {args.epochs} epochs, seeds {seeds}: "
        f"{time.perf_counter() - t0:.0f} s (mean ± sample std over seeds)\n"
    )
    cols = [c for c, *_ in COLUMNS]
    print("| form | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for form in forms:
        cells = []
        for c in cols:
            v = np.array([results[form][s][c] for s in seeds])
            std = f" ± {v.std(ddof=1):.3f}" if len(v) > 1 else ""
            cells.append(f"{v.mean():.3f}{std}")
        print(f"| {form} | " + " | ".join(cells) + " |")
    if "default" in forms and len(forms) > 1:
        print("\nseed-paired difference from the default (mean ± sample std over seeds):\n")
        print("| form - default | " + " | ".join(cols) + " |")
        print("|---" * (len(cols) + 1) + "|")
        for form in forms:
            if form == "default":
                continue
            cells = []
            for c in cols:
                d = np.array([results[form][s][c] - results["default"][s][c] for s in seeds])
                std = f" ± {d.std(ddof=1):.3f}" if len(d) > 1 else ""
                cells.append(f"{d.mean():+.3f}{std}")
            print(f"| {form} | " + " | ".join(cells) + " |")
    print("\nper seed:")
    for form in forms:
        for s in seeds:
            row = ", ".join(f"{c} {results[form][s][c]:.3f}" for c in cols)
            print(f"  {form} seed {s}: {row}")
    print(json.dumps({f: {str(s): v for s, v in r.items()} for f, r in results.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
