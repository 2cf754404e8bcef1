"""Why the learned timing model does not beat the motion-energy rule: where the timing is lost.

Run: `.venv/bin/python benchmarks/bench_timing_why.py --data LOCKED --work DIR [--look high]
[--limit N]`

``LOCKED`` is a beat-locked set of `mudar make-locked` (its ``motion.npz`` is the warped motion,
``detected_accent_times`` the dancer's accents re-detected on it, ``beat_times`` the music's);
``DIR`` the analysis cache of `benchmarks/bench_timing.py` (shared). Three tables, Markdown:

1. **the picture's stops**: per video in ``--look``, the motion-energy minima per beat, the share
   of the dancer's accents with a stop within 70 ms, the spread of the stop-to-accent offsets
   (the share within 35 ms and the interquartile range of those within 150 ms), and the
   ceiling of a perfect selection of the stops (keep exactly those within 70 ms of a beat):
   its 70 ms F-measure against the beats and its gain over the half-beat shifted beats;
2. **the body's stops**: the same gain for the minima of the joint speed (Bailando's smoothing)
   of the 3-D joints (the accents' own detector), of the joints projected as the look's camera
   sees them (clean), and of that projection spoiled as :func:`mudar.synthetic.looks.free_pose`
   spoils it (per-frame jitter, slow wobble, both), each with a fixed seed;
3. the motion-energy rule itself, for reference.

Nothing is trained or tuned here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_timing as bt  # noqa: E402
from bench_timing import f_gain_table  # noqa: E402


def _nearest(ref: np.ndarray, x: np.ndarray) -> np.ndarray:
    """For each x, the signed offset to its nearest ref (ref - x)."""
    ref = np.sort(ref)
    j = np.clip(np.searchsorted(ref, x), 1, len(ref) - 1)
    a, b = ref[j - 1] - x, ref[j] - x
    return np.where(np.abs(a) < np.abs(b), a, b)


def _score(beats: np.ndarray, est: np.ndarray) -> tuple[float, float]:
    f = bt._f(beats, est)
    return f, f - bt._f(bt.half_shifted(beats), est)


def main(argv: list[str] | None = None) -> int:
    from mudar.features.kinematic import kinematic_beats
    from mudar.features.pose import pose_minima
    from mudar.synthetic.locked import ROOT
    from mudar.synthetic.looks import free_pose
    from mudar.synthetic.skeleton import LOOKS, Look

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--work", required=True, type=Path)
    p.add_argument("--look", default="high")
    p.add_argument("--limit", type=int, default=0)
    args = p.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    items = bt.load(args.work, args.data, args.look, mediapipe=False)
    if args.limit:
        items = items[: args.limit]
    rows: dict[str, list] = {k: [] for k in ("per_beat", "recall", "within35", "iqr", "sel", "me")}
    body: dict[str, list] = {}
    for it in items:
        meta = it["meta"]
        end = float(it["duration"])
        beats = np.asarray(meta["beat_times"], np.float64)
        beats = beats[(beats > 0.5) & (beats < end - 0.5)]
        acc = np.asarray(meta["detected_accent_times"], np.float64)
        me = np.asarray(it["me"], np.float64)
        if len(me) < 2 or len(beats) < 4 or len(acc) < 2:
            continue
        rows["per_beat"].append(len(me) / len(beats))
        rows["recall"].append(float(np.mean(np.abs(_nearest(me, acc)) <= 0.07)))
        off = _nearest(acc, me)
        off = off[np.abs(off) < 0.15]
        rows["within35"].append(float(np.mean(np.abs(off) <= 0.035)) if len(off) else 0.0)
        rows["iqr"].append(float(np.subtract(*np.percentile(off, [75, 25]))) if len(off) else 0.0)
        rows["sel"].append(_score(beats, me[np.abs(_nearest(beats, me)) <= 0.07]))
        rows["me"].append(_score(beats, me))
        folder = args.data / it["folder"]
        with np.load(folder / "motion.npz") as z:
            joints, fps = z["joints"].astype(np.float64), float(z["fps"])
        params = meta.get("look_params", {}).get(args.look)
        look = (
            Look(**{k: tuple(v) if isinstance(v, list) else v for k, v in params.items()})
            if params
            else LOOKS[args.look]
        )
        body.setdefault("3-D joints (the accents' detector)", []).append(
            _score(beats, kinematic_beats(joints, fps=fps, root=ROOT))
        )
        for name, kw in (
            ("2-D projection, clean", {"jitter": 0.0, "wobble": 0.0, "lost": 0.0}),
            ("+ per-frame jitter (0.8 % of height)", {"wobble": 0.0, "lost": 0.0}),
            ("+ slow wobble (1.5 %)", {"jitter": 0.0, "lost": 0.0}),
            ("+ both, 2 % frames lost (the free track)", {}),
        ):
            track = free_pose(joints, fps=fps, look=look, rng=np.random.default_rng(0), **kw)
            body.setdefault(name, []).append(_score(beats, pose_minima(track)))
    n = len(rows["me"])
    print(f"{n} videos of `{args.data.name}` in look `{args.look}`.")
    print()
    print("| the picture's stops (motion energy) | mean |")
    print("|---|---|")
    print(f"| stops per beat | {np.mean(rows['per_beat']):.2f} |")
    print(f"| dancer's accents with a stop within 70 ms | {np.mean(rows['recall']):.2f} |")
    print(
        f"| stops within 35 ms of their accent (of those within 150 ms) | "
        f"{np.mean(rows['within35']):.2f} |"
    )
    print(
        f"| interquartile range of the stop-to-accent offsets | "
        f"{1000 * np.mean(rows['iqr']):.0f} ms |"
    )
    sel = np.array(rows["sel"])
    me = np.array(rows["me"])
    print(f"| the rule, all stops: F / gain | {me[:, 0].mean():.3f} / {me[:, 1].mean():+.3f} |")
    print(
        f"| a perfect selection of the stops: F / gain | {sel[:, 0].mean():.3f} / "
        f"{sel[:, 1].mean():+.3f} |"
    )
    print()
    print(f_gain_table("the body's stops (joint-speed minima)", body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
