"""The confidence above which `mudar sync` is right: calibrated on training dances, checked on
held-out ones (split by dance).

Run: `.venv/bin/python benchmarks/bench_sync_level.py --data LOCKED --look high [--synthetic 8]
[--json rows.jsonl]`

LOCKED is a beat-locked set (`mudar make-locked SRC --out LOCKED --looks high`): motion put on
the music's beats, so a sync estimate has a true answer. Each dance is estimated with its audio
delayed by each of :data:`DELAYS` (applied to the decoded audio, as `bench_sync.py` does), for
each signal of :data:`mudar.methods.SYNC` but the pose track; the synthetic controls of
`bench_sync.py` (three tempo sections) are added. An estimate is right within 0.08 s of the
delay, modulo one beat where the music's tempo is steady (:mod:`mudar.eval.sync`).

The dances (and the synthetic seeds) are split in two by name, alternately: the level is the
lowest confidence above which at least 90 % of the *training* estimates are right
(:func:`mudar.eval.sync.reliability_level`); the held-out dances say how often it holds. The
printed levels are what `mudar.methods.SYNC_MIN_CONFIDENCE` stores.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench_sync import analyse, estimate, synthetic_clip

DELAYS = (0.0, 0.3, -0.2, 0.6, -0.5)
SHARE = 0.9


def rows_of(name: str, path: Path, *, size: int = 256) -> list[dict]:
    """One row per signal and delay: the estimate, its confidence and how it is scored."""
    from mudar.eval.sync import steady_beat
    from mudar.features.music import music_features
    from mudar.tasks.sync import stop_pulses

    a, y = analyse(path, size=size)
    music = music_features(y, clock=a.clock, n_frames=a.n_frames)
    beat_s, steady = steady_beat(music.beat_times)
    curves = {
        "motion-energy": (stop_pulses(a), a.clock.fine_rate),
        "hoof-flux": (a.dance.strength, a.clock.fps),
    }
    rows = []
    for signal, (curve, fps) in curves.items():
        for d in DELAYS:
            e = estimate(curve, y, a.clock, a.n_frames, delay_s=d, fps=fps)
            rows.append(
                {
                    "dance": name,
                    "signal": signal,
                    "delay_s": d,
                    "offset_s": e.offset_s,
                    "confidence": e.confidence,
                    "beat_s": beat_s,
                    "steady": steady,
                }
            )
    return rows


def score(rows: list[dict]) -> np.ndarray:
    from mudar.eval.sync import TOLERANCE_S, sync_errors

    return np.array(
        [
            sync_errors([r["offset_s"]], [r["delay_s"]], beat_s=r["beat_s"], steady=r["steady"])[0]
            <= TOLERANCE_S
            for r in rows
        ],
        dtype=bool,
    )


def estimate_all(args) -> list[dict]:
    """The rows of the synthetic controls, the locked dances and the real ones."""
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="mudar-sync-level-") as tmp:
        for seed in range(args.synthetic):
            rows += rows_of(f"synthetic_{seed}", synthetic_clip(Path(tmp), seed), size=128)
    videos = sorted(args.data.glob(f"DANCE_*/video_{args.look}.mp4"))
    if not videos:
        raise SystemExit(f"no {args.data}/DANCE_*/video_{args.look}.mp4")
    for path in videos:
        rows += rows_of(path.parent.name, path)
        print(path.parent.name, file=sys.stderr, flush=True)
    real = sorted(args.real.glob("DANCE_*/video.mp4"))[: args.real_limit] if args.real else []
    for path in real:
        rows += rows_of(f"real {path.parent.name}", path)
        print(f"real {path.parent.name}", file=sys.stderr, flush=True)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, help="a beat-locked set")
    ap.add_argument(
        "--from-json", type=Path, help="score the estimates of an earlier --json instead"
    )
    ap.add_argument("--look", default="high", help="its videos video_<look>.mp4")
    ap.add_argument("--synthetic", type=int, default=8, help="synthetic control dances")
    ap.add_argument("--json", type=Path, help="also write every estimate here (JSON lines)")
    ap.add_argument(
        "--real",
        type=Path,
        help="also check the level on real dances (DANCE_*/video.mp4 of a dwm folder, taken as "
        "in sync): held out, never calibrated on",
    )
    ap.add_argument("--real-limit", type=int, default=6, help="only the first N real dances")
    args = ap.parse_args()
    from mudar.eval.sync import coverage, reliability_level

    t0 = time.perf_counter()
    if args.from_json:
        rows = [json.loads(line) for line in args.from_json.read_text().splitlines()]
    elif args.data is None:
        ap.error("--data or --from-json is needed")
    else:
        rows = estimate_all(args)
    if args.json:
        args.json.write_text("".join(json.dumps(r) + "\n" for r in rows))

    # split by dance: every other dance (and synthetic seed) by name is held out
    names = sorted({r["dance"] for r in rows if not r["dance"].startswith("real ")})
    held_out = set(names[1::2])
    print(
        f"{len(names) - len(held_out)} training dances, {len(held_out)} held out "
        f"({', '.join(sorted(held_out))}); delays {DELAYS}\n"
    )
    print(
        "| signal | level (train) | train: above / n, right above | held out: above / n, "
        "right above | held out below: right | real dwm: above / n, right above |"
    )
    print("|---|---|---|---|---|---|")
    levels = {}
    for signal in ("motion-energy", "hoof-flux"):
        sel = [r for r in rows if r["signal"] == signal]
        ok = score(sel)
        conf = np.array([r["confidence"] for r in sel])
        test = np.array([r["dance"] in held_out for r in sel])
        is_real = np.array([r["dance"].startswith("real ") for r in sel])
        train = ~test & ~is_real
        level = levels[signal] = reliability_level(conf[train], ok[train], share=SHARE)
        tr = coverage(conf[train], ok[train], level=level)
        re_ = coverage(conf[is_real], ok[is_real], level=level)
        te = coverage(conf[test], ok[test], level=level)
        below = test & (conf < level)
        print(
            f"| {signal} | {level:.3f} | {tr['n_above']} / {tr['n']}, {_pct(tr['right_above'])} "
            f"| {te['n_above']} / {te['n']}, {_pct(te['right_above'])} "
            f"| {_pct(ok[below].mean() if below.any() else None)} of {int(below.sum())} "
            f"| {re_['n_above']} / {re_['n']}, {_pct(re_['right_above'])} |"
        )
    print(
        "\nBy kind, at each signal's level: estimates above it / all, and the share of those "
        "right\n\n| signal | kind | train | held out |\n|---|---|---|---|"
    )
    for signal, level in levels.items():
        sel = [r for r in rows if r["signal"] == signal]
        ok = score(sel)
        conf = np.array([r["confidence"] for r in sel])
        kinds = np.array([_kind(r["dance"]) for r in sel])
        test = np.array([r["dance"] in held_out for r in sel])
        for kind in ("synthetic", "locked", "real dwm"):
            cells = []
            for part in (~test, test):
                m = part & (kinds == kind)
                if not m.any():
                    cells.append("")
                    continue
                c = coverage(conf[m], ok[m], level=level)
                cells.append(f"{c['n_above']} / {c['n']}, {_pct(c['right_above'])}")
            print(f"| {signal} | {kind} | {cells[0]} | {cells[1]} |")
    print(f"\n{time.perf_counter() - t0:.0f} s in all")
    return 0


def _kind(dance: str) -> str:
    if dance.startswith("real "):
        return "real dwm"
    return "synthetic" if dance.startswith("synthetic_") else "locked"


def _pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.0f} %"


if __name__ == "__main__":
    sys.exit(main())
