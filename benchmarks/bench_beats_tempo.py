"""Why ``timing-beats`` holds on one split and not on others: does its beat tracker find the
music's tempo?

Run: `.venv/bin/python benchmarks/bench_beats_tempo.py --bench OUT`

``OUT`` is a finished `mudar bench --methods timing,pose,... --test-looks LOOK` folder on a
beat-locked set (its analyses, its pose tracks and each seed's timing model are read from it;
nothing is trained). For every test video of every seed: the period of the dance's beats
(:func:`mudar.models.timing.beat_points` through the seed's model) over the music's beat period
(both medians), and the 70 ms F-measure's gain over the half-beat shifted beats (the bench's
beats, per video). A tempo is *right* within 8 % of the music's. Markdown.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

RIGHT = 0.08
"""A tracked tempo within this share of the music's is right."""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bench", type=Path, required=True, help="a finished mudar bench folder")
    args = p.parse_args(argv)

    import torch

    from mudar.data.store.cache import FeatureCache
    from mudar.eval.rhythm import count_matches, prf
    from mudar.eval.timing import TIMING_WINDOW_S, half_beat_shifted
    from mudar.features.analysis import AnalysisConfig, with_pose
    from mudar.models.checkpoint import load_timing
    from mudar.models.timing import beat_points, dense_probs
    from mudar.pipelines.bench.data import load_analyses, usable_items
    from mudar.tasks.rhythm import timing_inputs_of

    torch.set_num_threads(1)
    features = args.bench / "features"
    items = {it["id"]: it for it in usable_items(features)}
    manifest = json.loads(next((features / "manifests").glob("shard-*.json")).read_text())
    pose_config = with_pose(AnalysisConfig.from_dict(manifest["config"]))
    cache = FeatureCache(features)

    def f70(ref, est) -> float:
        return prf(count_matches(ref, est, window_s=TIMING_WINDOW_S), len(ref), len(est))[2]

    rows, lines = [], []
    for split in sorted((args.bench / "splits").glob("s*/split.json")):
        seed = split.parent.name
        model_path = args.bench / "runs" / f"timing-{seed}" / "model.pt"
        if not model_path.is_file():
            continue
        model = load_timing(model_path)
        test = json.loads(split.read_text())["test"]
        analyses = load_analyses(features, [items[i] for i in test])
        for i in test:
            estimated = cache.load(cache.entry(items[i]["path"], pose_config))
            if estimated is None:
                sys.exit(f"{i}: no pose track in {features} (run the bench with pose)")
            a = dataclasses.replace(analyses[i], pose=estimated.pose)
            x = timing_inputs_of(a, use_pose=model.config.use_pose)
            t = beat_points(dense_probs(model, x), x)[0]
            ref = np.asarray(a.music.beat_times, np.float64)
            ratio = float(np.median(np.diff(t)) / np.median(np.diff(ref)))
            gain = f70(ref, t) - f70(half_beat_shifted(ref), t)
            rows.append((seed, ratio, gain))
            lines.append(
                f"| {seed} | {i} | {60 / np.median(np.diff(ref)):.0f} | {ratio:.2f} | {gain:+.3f} |"
            )

    print("| seed | video | music BPM | tracked period / beat period | gain |")
    print("|---|---|---|---|---|")
    print("\n".join(lines))
    print()
    print(f"| seed | videos | tempo right (within {RIGHT:.0%}) | gain, right | gain, wrong |")
    print("|---|---|---|---|---|")
    for seed in [*sorted({r[0] for r in rows}), "all"]:
        sel = [r for r in rows if seed in ("all", r[0])]
        ok = [g for _, q, g in sel if abs(q - 1) <= RIGHT]
        bad = [g for _, q, g in sel if abs(q - 1) > RIGHT]

        def mean(v):
            return f"{np.mean(v):+.3f}" if v else ""

        print(f"| {seed} | {len(sel)} | {len(ok)} | {mean(ok)} | {mean(bad)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
