"""The motion energy before and after a change to how it is computed: the same stops, the same
timing, at what cost per frame pair.

Run: `.venv/bin/python benchmarks/bench_energy_speed.py --baseline-src DIR [--dwm 6]
[--locked DIR] [--looks high,side] [--limit N]`

``--baseline-src`` is the ``src`` of the code before the change (for example ``git archive main
src | tar -x -C /tmp/before`` and ``/tmp/before/src``). For each video, a fresh process under
each source tree (the before's and this checkout's, one after the other) runs the analysis of
``mudar rhythm --method motion-energy`` without the music (``AnalysisConfig(energy_steps=4)``),
takes the stops (:func:`mudar.features.energy.energy_minima` on the clock, within the frames)
and times :class:`~mudar.features.energy.MotionEnergy` alone on the video's 128 px pictures held
in memory (median of 3 passes, microseconds per frame pair). Videos: the first ``--dwm`` dances
of ``../shared/data/dwm`` and, with ``--locked``, each dance's ``video_<look>.mp4`` of a
beat-locked set (``mudar make-locked``).

Per set of videos it prints: the stops before and after; the share of the before's stops found
again within 10 ms (one to one, mir_eval) and, as a control of how touchy that share is, the
same for this checkout's energy with the camera shift moved by 0.01 px (a change that should
not matter); the largest relative change of an energy sample; and where meta.json has the
music's ``beat_times`` (the locked set), the 70 ms F-measure gain of the stops against the beats
over the beats shifted by half a beat (``benchmarks/bench_pose.py``'s timing measure) before
and after, mean +- standard error over dances, and their paired difference.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DWM = ROOT.parent / "shared" / "data" / "dwm"
FPS = 8.0
NUDGE_PX = 0.01


# --- the worker: one video under one source tree ---------------------------------------------


def worker(video: Path, out: Path, nudge: float) -> None:
    """Energy, stops and per-pair cost of ``video`` with whatever ``mudar`` is importable."""
    from mudar.features.analysis import AnalysisConfig
    from mudar.features.energy import MotionEnergy, energy_minima
    from mudar.features.extract import analyze
    from mudar.io import iter_frames

    a = analyze(video, AnalysisConfig(energy_steps=4), music=False)
    e = a.dance.energy
    times = energy_minima(e, fps=FPS)
    times = times[(times >= 0) & (times < a.n_frames / FPS)]  # as tasks.rhythm.stop_times

    kept: list[tuple[float, np.ndarray]] = []

    class Keep:
        size = MotionEnergy().size

        def __call__(self, t: float, gray: np.ndarray) -> None:
            kept.append((t, gray))

    for _ in iter_frames(video, fps=FPS, size=8, gray=True, tap=Keep()):
        pass
    costs = []
    for _ in range(3):
        tap = MotionEnergy()
        t0 = time.perf_counter()
        for t, g in kept:
            tap(t, g)
        costs.append(time.perf_counter() - t0)
    us = 1e6 * float(np.median(costs)) / max(1, len(kept) - 1)
    arrays = {"energy": e, "stops": times, "us_per_pair": us, "duration": a.duration_s}
    if nudge:  # the control: this checkout's energy with the camera shift moved a little
        tap = MotionEnergy()
        shift = tap._camera.shift
        tap._camera.shift = lambda p, c: tuple(v + nudge for v in shift(p, c))
        for t, g in kept:
            tap(t, g)
        nudged = energy_minima(tap.on_clock(a.n_frames, fps=FPS, steps=4), fps=FPS)
        arrays["nudged"] = nudged[(nudged >= 0) & (nudged < a.n_frames / FPS)]
    np.savez(out, **arrays)


def run_worker(src: Path, video: Path, tmp: Path, tag: str, nudge: float) -> dict:
    out = tmp / f"{tag}.npz"
    env = dict(os.environ, PYTHONPATH=str(src))
    cmd = [sys.executable, __file__, "--worker", str(video), "--out", str(out)]
    if nudge:
        cmd += ["--nudge", str(nudge)]
    subprocess.run(cmd, check=True, env=env, capture_output=True)
    with np.load(out) as z:
        return {k: z[k] for k in z.files}


# --- the comparison -----------------------------------------------------------------------------


def matched(ref: np.ndarray, est: np.ndarray, window: float = 0.010) -> float:
    """Share of ``ref`` found in ``est`` within ``window`` s, one to one (mir_eval)."""
    import mir_eval

    if len(ref) == 0:
        return float("nan")
    if len(est) == 0:
        return 0.0
    return float(mir_eval.onset.f_measure(ref, np.sort(est), window=window)[2])


def gain(folder: Path, stops: np.ndarray, duration: float) -> float | None:
    """F@70ms of the stops against the beats minus against the half-beat-shifted beats."""
    from bench_pose import _f, half_shifted

    meta = json.loads((folder / "meta.json").read_text("utf-8"))
    if "beat_times" not in meta:
        return None
    beats = np.asarray(meta["beat_times"], np.float64)
    beats = beats[(beats > 0.5) & (beats < duration - 0.5)]
    return _f(beats, stops) - _f(half_shifted(beats), stops)


def videos(args) -> dict[str, list[Path]]:
    sets: dict[str, list[Path]] = {}
    if args.dwm and DWM.is_dir():
        dwm = sorted(p / "video.mp4" for p in DWM.glob("DANCE_*") if (p / "video.mp4").is_file())
        sets["dwm"] = dwm[: args.dwm]
    if args.locked:
        for look in args.looks.split(","):
            found = sorted(args.locked.glob(f"DANCE_*/video_{look}.mp4"))[: args.limit]
            if found:
                sets[f"locked {look}"] = found
    return sets


def _mean_se(x: list[float]) -> str:
    a = np.asarray(x, np.float64)
    if len(a) == 0:
        return "-"
    se = a.std(ddof=1) / math.sqrt(len(a)) if len(a) > 1 else float("nan")
    return f"{a.mean():+.3f} +- {se:.3f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline-src", type=Path, help="src of the code before the change")
    p.add_argument("--dwm", type=int, default=6, help="the first N dwm dances (0: none)")
    p.add_argument("--locked", type=Path, help="a beat-locked set (mudar make-locked)")
    p.add_argument("--looks", default="high,side", help="looks of the locked set")
    p.add_argument("--limit", type=int, help="at most this many locked dances per look")
    p.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--nudge", type=float, default=0.0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(args.worker, args.out, args.nudge)
        return 0
    if args.baseline_src is None:
        p.error("--baseline-src DIR is needed (the src of the code before the change)")
    here = ROOT / "src"
    sets = videos(args)
    if not sets:
        print("skipped: no videos (../shared/data/dwm absent and no --locked)")
        return 0
    table = [
        "| videos | n | stops before / after | matched 10 ms | control: 0.01 px nudge | "
        "energy change (largest) | gain before | gain after | after - before (paired) | "
        "us per pair before / after |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name, paths in sets.items():
            rows = []
            for video in paths:
                before = run_worker(args.baseline_src, video, Path(tmp), "before", 0.0)
                after = run_worker(here, video, Path(tmp), "after", NUDGE_PX)
                eb, ea = before["energy"], after["energy"]
                change = np.max(np.abs(ea - eb) / np.maximum(np.abs(eb), 1e-12))
                duration = float(after["duration"])
                gb = gain(video.parent, before["stops"], duration)
                ga = gain(video.parent, after["stops"], duration)
                rows.append(
                    {
                        "n": (len(before["stops"]), len(after["stops"])),
                        "matched": matched(before["stops"], after["stops"]),
                        "control": matched(after["stops"], after["nudged"]),
                        "change": float(change),
                        "gains": (gb, ga),
                        "us": (float(before["us_per_pair"]), float(after["us_per_pair"])),
                    }
                )
                print(f"<!-- {name} {video.parent.name}: {json.dumps(rows[-1])} -->", flush=True)
            nb = sum(r["n"][0] for r in rows)
            na = sum(r["n"][1] for r in rows)
            gains = [r["gains"] for r in rows if r["gains"][0] is not None]
            table.append(
                f"| {name} | {len(rows)} | {nb} / {na} | "
                f"{np.mean([r['matched'] for r in rows]):.3f} | "
                f"{np.mean([r['control'] for r in rows]):.3f} | "
                f"{max(r['change'] for r in rows):.2g} | "
                f"{_mean_se([g[0] for g in gains])} | {_mean_se([g[1] for g in gains])} | "
                f"{_mean_se([g[1] - g[0] for g in gains])} | "
                f"{np.median([r['us'][0] for r in rows]):.0f} / "
                f"{np.median([r['us'][1] for r in rows]):.0f} |"
            )
    load = os.getloadavg()
    print(
        f"\nMotion energy before ({args.baseline_src}) and after (this checkout), "
        f"{os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        "at the end\n"
    )
    print("\n".join(table))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
