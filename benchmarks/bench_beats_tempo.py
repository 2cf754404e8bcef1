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
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_timing import TEMPO_RIGHT, mean_text, seed_models, tempo_ratio  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bench", type=Path, required=True, help="a finished mudar bench folder")
    args = p.parse_args(argv)

    import torch

    from mudar.eval.timing import score_timing
    from mudar.features.analysis import AnalysisConfig, with_pose
    from mudar.models.timing import beat_points, dense_probs
    from mudar.pipelines.bench.data import load_analyses, usable_items, with_pose_tracks
    from mudar.tasks.rhythm import timing_inputs_of

    torch.set_num_threads(1)
    features = args.bench / "features"
    items = {it["id"]: it for it in usable_items(features)}
    manifest = json.loads(next((features / "manifests").glob("shard-*.json")).read_text())
    pose_config = with_pose(AnalysisConfig.from_dict(manifest["config"]))
    test_looks = json.loads((args.bench / "plan.json").read_text()).get("test_looks", [])

    rows, lines = [], []
    for seed, model, split in seed_models(args.bench):
        test = [items[i] for i in split["test"]]
        # the test looks' pose tracks, as the bench estimated them (cached in its features)
        analyses, lost = with_pose_tracks(
            features,
            test,
            load_analyses(features, test),
            pose_config,
            test_looks=test_looks,
            jobs=1,
            progress=False,
        )
        if lost:
            sys.exit(f"{lost[0][0]}: {lost[0][1]}")
        for it in test:
            a = analyses[it["id"]]
            x = timing_inputs_of(a, use_pose=model.config.use_pose)
            t = beat_points(dense_probs(model, x), x)[0]
            ref = np.asarray(a.music.beat_times, np.float64)
            ratio = tempo_ratio(t, ref)
            scored = score_timing([(ref, a.duration_s, {"beats": t})], control="half-beat")
            gain = scored["beats"]["timing_gain"]
            rows.append((seed, ratio, gain))
            bpm = 60 / np.median(np.diff(ref))
            lines.append(f"| {seed} | {it['id']} | {bpm:.0f} | {ratio:.2f} | {gain:+.3f} |")

    print("| seed | video | music BPM | tracked period / beat period | gain |")
    print("|---|---|---|---|---|")
    print("\n".join(lines))
    print()
    print(f"| seed | videos | tempo right (within {TEMPO_RIGHT:.0%}) | gain, right | gain, wrong |")
    print("|---|---|---|---|---|")
    for seed in [*sorted({r[0] for r in rows}), "all"]:
        sel = [r for r in rows if seed in ("all", r[0])]
        ok = [g for _, q, g in sel if abs(q - 1) <= TEMPO_RIGHT]
        bad = [g for _, q, g in sel if not abs(q - 1) <= TEMPO_RIGHT]
        print(f"| {seed} | {len(sel)} | {len(ok)} | {mean_text(ok)} | {mean_text(bad)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
