"""Eq. 16's alpha on real music: how often each AVC rule keeps a cross-song candidate.

Run: `.venv/bin/python benchmarks/bench_avc_alpha.py [--data ../shared/data/dwm] [--pairs 4000]`

Onsets of every dwm song on the model clock (8 fps), cut into 8 s clips every 4 s; random pairs
of clips of two different songs are scored by Eq. 16 as written (the share of frames whose
onsets differ, kept when above alpha: :func:`mudar.data.clips.sampling.rhythm_score`) and by the
onset IoU rule (kept when below 0.3: :func:`mudar.data.clips.sampling.rhythm_similarity`). Prints
the
percentiles of the differing share, the share kept at each alpha, and the agreement of the two
rules at :data:`mudar.data.clips.sampling.DEFAULT_ALPHA`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from mudar.data.clips.sampling import DEFAULT_ALPHA, MAX_SIMILARITY, rhythm_score, rhythm_similarity
from mudar.features.analysis import AnalysisConfig
from mudar.features.extract import analyze


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/data/dwm")
    ap.add_argument("--pairs", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    config = AnalysisConfig(frame_size=0)
    t = round(8.0 * config.clock.fps)
    clips = []
    for i, path in enumerate(sorted(Path(args.data).glob("*/audio.ogg"))):
        onsets = (analyze(path, config, dance=False).music.onsets != 0).astype(int)
        clips += [(i, onsets[s : s + t]) for s in range(0, len(onsets) - t + 1, t // 2)]
    rng = np.random.default_rng(args.seed)
    share, iou = [], []
    while len(share) < args.pairs:
        a, b = rng.integers(len(clips), size=2)
        if clips[a][0] == clips[b][0]:
            continue
        share.append(rhythm_score(clips[a][1], clips[b][1], alpha=0.0) / t)
        iou.append(rhythm_similarity(clips[a][1], clips[b][1]))
    share, iou = np.array(share), np.array(iou)
    print(f"{len(clips)} clips, onsets on {np.mean([c.mean() for _, c in clips]):.3f} of frames")
    pct = np.round(np.percentile(share, [5, 25, 50, 75, 95]), 3)
    print(f"differing share, cross-song, percentiles 5/25/50/75/95: {pct}")
    for alpha in (0.05, 0.1, 0.15, 0.2, 0.25):
        print(f"Eq. 16, alpha {alpha:.2f}: keeps {np.mean(share > alpha):.3f}")
    print(f"IoU < {MAX_SIMILARITY}: keeps {np.mean(iou < MAX_SIMILARITY):.3f}")
    agree = np.mean((share > DEFAULT_ALPHA) == (iou < MAX_SIMILARITY))
    print(f"rules agree (alpha {DEFAULT_ALPHA}): {agree:.3f}")


if __name__ == "__main__":
    main()
