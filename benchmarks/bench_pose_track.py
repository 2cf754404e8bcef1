"""Which MediaPipe track times a dance best: MediaPipe's own landmark filter on or off, each
limb's left and right kept continuous or as the estimator gave them, a running median of each
keypoint or none; and whether the timing model should read the sides as named or both ways.

Run: `.venv/bin/python benchmarks/bench_pose_track.py --bench OUT --work DIR [--jobs 2]`

``OUT`` is a finished `mudar bench --methods timing,... --test-looks LOOK` folder on a
beat-locked set (each seed's timing model is read from it; nothing is trained). The videos are
those of each seed's *threshold* dances in the test look (``<dance>~<dance>/video_<LOOK>.mp4``):
never trained on, never a test dance of that seed, and seen as the test is, through MediaPipe.
Each is run through MediaPipe twice (its filter on and off; cached in ``DIR``), and the tracks
of :data:`TRACKS` are made from its landmarks (:func:`rebuilt`), the model reading each as it
names the sides or as the mean over both names
(:attr:`mudar.models.timing.TimingConfig.mirror_average`). For each: the 70 ms
F-measure's gain over the half-beat shifted beats of the seed's ``timing-beats``, ``timing`` and
the learning-free ``pose`` rule, how often ``timing-beats`` finds the music's tempo, and how
often ``timing``'s and ``pose``'s times find the audio delayed by +0.2 s (within 0.08 s modulo
one beat, as ``benchmarks/bench_timing.py --sync``). Markdown.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_timing import (  # noqa: E402
    SYNC_DELAY_S,
    TEMPO_RIGHT,
    found_delay,
    mean_text,
    music_env,
    seed_models,
    tempo_ratio,
)

FILTERS = {"MediaPipe's filter on": True, "filter off": False}

TRACKS = {
    # name: (MediaPipe's filter, sides kept continuous, running median in seconds, the model's
    # mean over the track and its sides named the other way round: mirror_average)
    "filter on, sides as given (before 2026-12-07)": (True, False, 0.0, False),
    "filter on, sides kept": (True, True, 0.0, False),
    "filter off, sides as given": (False, False, 0.0, False),
    "filter off, sides kept (2026-12-07)": (False, True, 0.0, False),
    "filter off, sides kept, median 0.12 s": (False, True, 0.12, False),
    "the same, the model's mean over both names of the sides (now)": (False, True, 0.12, True),
}


def _estimate(job: tuple[str, str, bool]) -> str:
    """Write the MediaPipe track of one video (its filter on or off) unless it is there."""
    from mudar.atomic import atomic_path
    from mudar.features.extract import pose_track
    from mudar.features.pose import MediaPipePose

    video, dest, smooth = job
    if not Path(dest).is_file():
        estimator = MediaPipePose(smooth=smooth)
        try:
            track = pose_track(video, estimator=estimator, progress=False)
        finally:
            estimator.close()
        with atomic_path(dest) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, **track.to_arrays())
    return dest


def rebuilt(track, *, sides: bool, median_s: float):
    """The track made again from its landmarks as :func:`mudar.features.pose.coco_keypoints`
    makes a track: each limb's left and right kept continuous or as the estimator gave them, a
    running median of ``median_s`` seconds (0: none), the Gaussian of ``SMOOTH_S``."""
    from mudar.features.pose import SMOOTH_S, coco_keypoints

    kp, conf = coco_keypoints(
        track.landmarks, fps=track.fps, smooth_s=SMOOTH_S, median_s=median_s, sides=sides
    )
    return dataclasses.replace(track, keypoints=kp, confidence=conf)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bench", type=Path, required=True, help="a finished mudar bench folder")
    p.add_argument("--work", type=Path, required=True, help="where the tracks are cached")
    p.add_argument("--jobs", type=int, default=1)
    args = p.parse_args(argv)

    import torch
    from tqdm import tqdm

    from mudar.data.readers.dataset import dance_group
    from mudar.eval.timing import score_timing
    from mudar.features.pose import PoseTrack, pose_minima
    from mudar.models.timing import beat_points, dense_probs, points
    from mudar.pipelines.bench.data import load_analyses, usable_items
    from mudar.tasks.rhythm import timing_inputs_of

    torch.set_num_threads(1)
    features = args.bench / "features"
    items = {it["id"]: it for it in usable_items(features)}
    looks = json.loads((args.bench / "plan.json").read_text()).get("test_looks") or []
    if len(looks) != 1:
        sys.exit(f"{args.bench}: a bench with one --test-looks is needed, it has {looks}")
    look = looks[0]
    per_seed = {}
    for seed, model, _split in seed_models(args.bench):
        dances = sorted({dance_group(i) for i in model.meta["threshold_ids"]})
        videos = [f"{d}~{d}/video_{look}" for d in dances if f"{d}~{d}/video_{look}" in items]
        per_seed[seed] = (model, videos)
    if not per_seed:
        sys.exit(f"{args.bench}: no seed's timing model (run it with --methods timing,...)")

    args.work.mkdir(parents=True, exist_ok=True)
    wanted = sorted({v for _, vs in per_seed.values() for v in vs})

    def cached(vid: str, smooth: bool) -> str:
        return str(args.work / f"{vid.replace('/', '--')}-{'filter' if smooth else 'raw'}.npz")

    jobs = [(str(items[v]["path"]), cached(v, s), s) for v in wanted for s in FILTERS.values()]
    with ProcessPoolExecutor(max(1, args.jobs)) as pool:
        for _ in tqdm(pool.map(_estimate, jobs), total=len(jobs), desc="MediaPipe"):
            pass

    rows: dict[str, list] = {}
    for model, videos in per_seed.values():
        analyses = load_analyses(features, [items[v] for v in videos])
        for vid in videos:
            a0 = analyses[vid]
            ref = np.asarray(a0.music.beat_times, np.float64)
            env, clock, dur = music_env(Path(items[vid]["path"]), SYNC_DELAY_S)
            for name, (smooth, sides, median_s, both) in TRACKS.items():
                with np.load(cached(vid, smooth)) as z:
                    track = rebuilt(PoseTrack.from_arrays(z), sides=sides, median_s=median_s)
                a = dataclasses.replace(a0, pose=track)
                x = timing_inputs_of(a, use_pose=model.config.use_pose)
                model.config = c = dataclasses.replace(model.config, mirror_average=both)
                probs = dense_probs(model, x)
                est = {
                    "timing-beats": beat_points(probs, x)[0],
                    "timing": points(probs, x, head=c.head, threshold=c.threshold)[0],
                    "pose": pose_minima(track),
                }
                scored = score_timing([(ref, a.duration_s, est)], control="half-beat")
                found = {
                    m: found_delay(est[m], env, clock, dur, ref)[1] for m in ("timing", "pose")
                }
                q = tempo_ratio(est["timing-beats"], ref)
                rows.setdefault(name, []).append(
                    (q, {k: scored[k]["timing_gain"] for k in est}, found)
                )
    n = sum(len(vs) for _, vs in per_seed.values())
    print(
        f"{n} videos: the threshold dances of {len(per_seed)} seeds in `{look}` "
        f"({len(wanted)} distinct), MediaPipe's tracks."
    )
    print()
    print(
        "| track | timing-beats gain | tempo right | timing gain | pose gain | "
        "delay found: timing | pose |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        right = sum(abs(q - 1) <= TEMPO_RIGHT for q, _, _ in r)
        g = {k: [d[k] for _, d, _ in r] for k in ("timing-beats", "timing", "pose")}
        f = {k: np.mean([d[k] for _, _, d in r]) for k in ("timing", "pose")}
        print(
            f"| {name} | {mean_text(g['timing-beats'])} | {right} of {len(r)} | "
            f"{mean_text(g['timing'])} | {mean_text(g['pose'])} | {f['timing']:.2f} | "
            f"{f['pose']:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
