"""Does the beat-locked set carry the timing that dwm lacks? Build it, print the lock.

Run: `.venv/bin/python benchmarks/bench_locked.py [--out DIR] [--looks dwm,side,colours]
[--seconds S] [--jobs N] [--dances N]`

Builds the locked set from `../shared/data/dwm` with `mudar.pipelines.locked.make_locked` (the work
of `mudar make-locked`; a dance already complete in `--out` is reused, so a built set is only
scored) and prints, per dance (with `--per-dance`), per genre and pooled over all accents:

- BAS (FACT form over the motion's kinematic beats, sigma 0.1 s) against the music's true
  beats, the beats shifted by half a beat, and another dance's song, **before** (the source
  motion) and **after** (accents re-detected on the warped joints, not the planned times);
- the range of the warp's speed (ds/dtau) used, and the fraction of accents matched to a target;
- how close the matched accents land: the share re-detected within one frame of their target;
- render speed: seconds to render (no encoding) one minute of video per look, and the whole
  build's wall time.

Before, true and half-beat scores should be alike (dwm carries no onset timing); after, the
true beats should score well above the half-beats and the other song.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DWM = REPO.parent / "shared" / "data" / "dwm"


def render_speed(joints: np.ndarray, fps: float, looks: list[str]) -> dict[str, float]:
    """Seconds to render one minute of video, per look (frames drawn, not encoded)."""
    from mudar.synthetic.skeleton import get_look, render_frames

    out = {}
    for name in looks:
        t0 = time.perf_counter()
        n = sum(1 for _ in render_frames(joints, fps=fps, look=get_look(name)))
        dt = time.perf_counter() - t0
        out[name] = dt / (n / get_look(name).fps) * 60.0
    return out


def landing(metas: list[dict], fps: float = 25.0) -> tuple[float, float, int]:
    """Share of matched accents re-detected within one frame of their target; median error."""
    from mudar.eval.bas import nearest_distances

    d = [
        nearest_distances(m["target_times"], m["detected_accent_times"])
        for m in metas
        if m["target_times"]
    ]
    d = np.concatenate(d) if d else np.zeros(0)
    if not len(d):
        return float("nan"), float("nan"), 0
    return float(np.mean(d <= 1 / fps + 1e-6)), float(np.median(d)), len(d)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default=str(REPO / "runs" / "locked"), help="the locked set")
    p.add_argument("--looks", default="dwm,side,colours")
    p.add_argument("--seconds", type=float, help="first SECONDS of each dance (default all)")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--dances", type=int, help="only the first N dances")
    p.add_argument("--per-dance", action="store_true", help="also print one row per dance")
    args = p.parse_args()
    if not DWM.is_dir():
        print(f"skipped: {DWM} not found (the benchmark needs the shared dwm data)")
        return 0
    from tqdm import tqdm

    from mudar.eval.lock import lock_table, lock_table_text
    from mudar.pipelines.locked import make_locked

    looks = [s for s in args.looks.split(",") if s]
    src = DWM
    if args.dances:
        import tempfile

        tmp = Path(tempfile.mkdtemp(prefix="bench_locked_"))
        for d in sorted(DWM.glob("DANCE_*"))[: args.dances]:
            (tmp / d.name).symlink_to(d)
        src = tmp
    t0 = time.perf_counter()
    batch = make_locked(
        src,
        args.out,
        looks=looks,
        seconds=args.seconds,
        jobs=args.jobs,
        progress=lambda it, total: tqdm(it, total=total, desc="locked", unit="dance"),
    )
    wall = time.perf_counter() - t0
    for path, reason in batch.failed:
        print(f"failed: {path}: {reason}", file=sys.stderr)
    metas = batch.metas
    if not metas:
        print("no dance was locked")
        return 1
    minutes = sum(m["duration_s"] for m in metas) / 60
    print(
        f"locked set: {len(metas)} dances ({len(batch.written)} built now in {wall:.0f} s, "
        f"{len(batch.complete)} reused), {minutes:.1f} min, looks {', '.join(looks)}, "
        f"speed limits {metas[0]['speed_limits'][0]:g}-{metas[0]['speed_limits'][1]:g}"
    )
    print()
    print("BAS (FACT, over kinematic beats, sigma 0.1 s), pooled over accents")
    print(lock_table_text(lock_table(metas), dances=args.per_dance))
    share, med, n = landing(metas)
    print()
    print(
        f"matched accents re-detected within 1 frame (40 ms) of their target: {share:.3f} of "
        f"{n}; median distance {med * 1000:.1f} ms"
    )
    first = Path(args.out) / metas[0]["id"] / "motion.npz"
    with np.load(first) as z:
        joints, fps = z["joints"], float(z["fps"])
    speed = render_speed(joints[: int(30 * fps)], fps, looks)
    print(
        "render speed (drawing only, s per minute of video): "
        + ", ".join(f"{k} {v:.2f}" for k, v in speed.items())
    )
    built = sum(m["duration_s"] for m in metas if m["id"] in set(batch.written)) / 60
    if built > 0:
        print(
            f"build wall time (analysis + warp + render + H.264/AAC encode of {len(looks)} "
            f"looks, {args.jobs} job(s)): {wall / built:.1f} s per minute of dance"
        )
    print(json.dumps({"dances": len(metas), "failed": len(batch.failed)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
