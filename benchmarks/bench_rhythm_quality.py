"""Learning-free dance rhythm against the music, on the real dances of ../shared/data/dwm.

Run: `.venv/bin/python benchmarks/bench_rhythm_quality.py [--jobs 2]`
For each dance (whole video, 8 fps), the visual rhythm frames are scored against the music
onset maxima of the same video with one-to-one matching within +-1 frame (mir_eval's rule).
Floors: `chance` (seeded random frames at the true onset rate) and `all` (every frame).
`hoof-flux-shifted` scores the rhythm shifted by half the video against the onsets: if it scores
like the unshifted rhythm, the rhythm carries no timing information about the music.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

DWM = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dwm"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--features", help="feature folder to reuse (default: a temporary one)")
    args = ap.parse_args()
    if not DWM.is_dir():
        print(f"skipped: {DWM} not found (the benchmark needs the shared dwm data)")
        return 0
    from mudar.data.store.cache import FeatureCache
    from mudar.data.store.prepare import load_manifest, prepare
    from mudar.eval.rhythm import event_f_measure

    out = Path(args.features or tempfile.mkdtemp(prefix="mudar-features-"))
    prepare(DWM, out, jobs=args.jobs, progress=True)
    cache = FeatureCache(out)
    rng = np.random.default_rng(0)
    scores: dict[str, list] = {"hoof-flux": [], "hoof-flux-shifted": [], "chance": [], "all": []}
    rates = []
    for item in load_manifest(out):
        a = cache.load(out / item["entry"])
        fps, n = a.clock.fps, a.n_frames
        ref = np.flatnonzero(a.music.onsets) / fps
        rates.append(len(ref) / n)
        est = {
            "hoof-flux": a.dance.rhythm_frames,
            "hoof-flux-shifted": (a.dance.rhythm_frames + n // 2) % n,
            "chance": np.flatnonzero(rng.random(n) < len(ref) / n),
            "all": np.arange(n),
        }
        for name, frames in est.items():
            s = event_f_measure(ref, np.sort(frames) / fps, window_s=1.0 / fps + 1e-6)
            scores[name].append((s.precision, s.recall, s.f1))
    print(
        f"{len(rates)} dances, onsets in {100 * np.mean(rates):.1f}% of frames; "
        "one-to-one matching, +-1 frame at 8 fps; mean over dances"
    )
    print(f"{'method':<20}{'precision':>10}{'recall':>8}{'F1':>8}")
    for name, rows in scores.items():
        p, r, f = np.mean(rows, axis=0)
        print(f"{name:<20}{p:>10.3f}{r:>8.3f}{f:>8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
