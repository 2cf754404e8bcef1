"""Which part of MediaPipe's pose track costs the timing model: the body's parts and the sides'
names, swapped one at a time between MediaPipe's track and the render's free one.

Run: `.venv/bin/python benchmarks/bench_track_parts.py --bench OUT --work DIR`

``OUT`` and ``DIR`` as for ``benchmarks/bench_pose_track.py`` (run it first: its MediaPipe
tracks, filter off, are read from ``DIR``; nothing is trained or estimated here). On each seed's
threshold dances in the test look (never trained on, never a test dance of that seed), the
seed's timing model reads, one view each (``mirror_average`` off: the question is what it reads):

- MediaPipe's track as mudar makes it (:func:`bench_pose_track.rebuilt`, the defaults);
- the render's *free* track, as ``make-locked --pose`` makes the tracks the model trains on (the
  dance's joints as the look's camera sees them, with an estimator's noise,
  :func:`mudar.synthetic.looks.free_pose`), and the same joints without the noise (*clean*);
- each with one part of the body (face, arms, hips, legs, COCO-17) taken from the other;
- the free track with its sides named the other way round, and MediaPipe's with each limb's
  names taken from the clean joints (the nearer naming, held for a second).

For each: the 70 ms F-measure's gain over the half-beat shifted beats of ``timing-beats`` and
``timing``, and how often ``timing-beats`` keeps the music's tempo. Then, per part, how far
MediaPipe's and the free track's keypoints are from the clean joints (whichever side is which,
in body heights) and how often MediaPipe names a limb's sides the other way round. Markdown.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pose_track import rebuilt  # noqa: E402
from bench_timing import TEMPO_RIGHT, mean_text, seed_models, tempo_ratio  # noqa: E402

PARTS = {
    "face": [0, 1, 2, 3, 4],
    "arms": [5, 6, 7, 8, 9, 10],
    "hips": [11, 12],
    "legs": [13, 14, 15, 16],
}


def with_part(track, other, joints: list[int]):
    """``track`` with ``other``'s keypoints of ``joints``."""
    kp = track.keypoints.copy()
    kp[:, joints] = other.keypoints[:, joints]
    return dataclasses.replace(track, keypoints=kp)


def sides_swapped(track, where: np.ndarray | None = None):
    """``track`` with each limb's left and right names swapped (in the rows ``where``, per
    group of :data:`mudar.features.geometry.SIDE_GROUPS`; all rows by default)."""
    from mudar.features.geometry import SIDE_GROUPS

    kp = track.keypoints.copy()
    for g, (lefts, rights) in enumerate(SIDE_GROUPS):
        rows = np.ones(len(kp), bool) if where is None else where[:, g]
        a, b = list(lefts), list(rights)
        kp[np.ix_(rows, a)], kp[np.ix_(rows, b)] = (
            track.keypoints[np.ix_(rows, b)],
            track.keypoints[np.ix_(rows, a)],
        )
    return dataclasses.replace(track, keypoints=kp)


def named_as(track, clean) -> np.ndarray:
    """(T, groups) where ``track``'s names of a limb's sides are the other way round from the
    ``clean`` joints' (the nearer of the two namings, its majority over a second)."""
    from scipy.ndimage import median_filter

    from mudar.features.geometry import SIDE_GROUPS

    m, c = track.keypoints.astype(np.float64), clean.keypoints.astype(np.float64)
    out = np.zeros((len(m), len(SIDE_GROUPS)), bool)
    for g, (lefts, rights) in enumerate(SIDE_GROUPS):
        a, b = list(lefts), list(rights)
        same = np.nansum(
            np.linalg.norm(m[:, a] - c[:, a], axis=2) + np.linalg.norm(m[:, b] - c[:, b], axis=2),
            axis=1,
        )
        swap = np.nansum(
            np.linalg.norm(m[:, a] - c[:, b], axis=2) + np.linalg.norm(m[:, b] - c[:, a], axis=2),
            axis=1,
        )
        out[:, g] = (
            median_filter((swap < same).astype(np.uint8), size=max(1, int(track.fps)) | 1) > 0
        )
    return out


def errors(track, clean) -> tuple[np.ndarray, np.ndarray]:
    """(T, 17) distance of each keypoint from the clean joints, the nearer of the two namings of
    its side, in body heights; (T, 17) whether the other naming is the nearer by half."""
    from mudar.features.geometry import mirror_permutation

    m, c = track.keypoints.astype(np.float64), clean.keypoints.astype(np.float64)
    height = np.nanmedian(np.ptp(c[:, :, 1], axis=1))
    perm = mirror_permutation("coco17", 17)
    same = np.linalg.norm(m - c, axis=2) / height
    other = np.linalg.norm(m[:, perm] - c, axis=2) / height
    return np.fmin(same, other), other < same / 2


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bench", type=Path, required=True, help="a finished mudar bench folder")
    p.add_argument("--work", type=Path, required=True, help="bench_pose_track.py's --work")
    args = p.parse_args(argv)

    import torch

    from mudar.data.readers.dataset import dance_group
    from mudar.eval.timing import score_timing
    from mudar.features.pose import MEDIAN_S, PoseTrack
    from mudar.models.timing import beat_points, dense_probs, points
    from mudar.pipelines.bench.data import load_analyses, usable_items
    from mudar.synthetic.looks import free_pose
    from mudar.synthetic.skeleton import LOOKS
    from mudar.tasks.rhythm import timing_inputs_of

    torch.set_num_threads(1)
    features = args.bench / "features"
    items = {it["id"]: it for it in usable_items(features)}
    look = (json.loads((args.bench / "plan.json").read_text()).get("test_looks") or [""])[0]
    if look not in LOOKS:
        sys.exit(
            f"{args.bench}: the test look must be a named look ({sorted(LOOKS)}), got {look!r}"
        )
    rows: dict[str, list] = {}
    errs: dict[str, list] = {}
    n = 0
    for _seed, model, _split in seed_models(args.bench):
        model.config = dataclasses.replace(model.config, mirror_average=False)
        dances = sorted({dance_group(i) for i in model.meta["threshold_ids"]})
        videos = [f"{d}~{d}/video_{look}" for d in dances if f"{d}~{d}/video_{look}" in items]
        analyses = load_analyses(features, [items[v] for v in videos])
        for vid in videos:
            cache = args.work / f"{vid.replace('/', '--')}-raw.npz"
            if not cache.is_file():
                sys.exit(
                    f"{cache}: no MediaPipe track (run bench_pose_track.py --work {args.work})"
                )
            with np.load(cache) as z:
                mp = rebuilt(PoseTrack.from_arrays(z), sides=True, median_s=MEDIAN_S)
            with np.load(Path(items[vid]["path"]).parent / "motion.npz") as z:
                joints, fps = z["joints"], float(z["fps"])
            free = free_pose(joints, fps=fps, look=LOOKS[look], rng=np.random.default_rng(1))
            clean = free_pose(
                joints,
                fps=fps,
                look=LOOKS[look],
                rng=np.random.default_rng(1),
                jitter=0,
                wobble=0,
                lost=0,
            )
            k = min(len(mp.times_s), len(free.times_s))
            mp, free, clean = (
                dataclasses.replace(
                    t,
                    times_s=t.times_s[:k],
                    keypoints=t.keypoints[:k],
                    confidence=t.confidence[:k],
                    landmarks=t.landmarks[:k],
                )
                for t in (mp, free, clean)
            )
            tracks = {"MediaPipe's track": mp, "the free track": free, "clean joints": clean}
            for part, joints_of in PARTS.items():
                tracks[f"MediaPipe's, the free track's {part}"] = with_part(mp, free, joints_of)
            for part, joints_of in PARTS.items():
                tracks[f"the free track, MediaPipe's {part}"] = with_part(free, mp, joints_of)
            tracks["the free track, its sides named the other way round"] = sides_swapped(free)
            tracks["MediaPipe's, each limb named as the clean joints"] = sides_swapped(
                mp, named_as(mp, clean)
            )
            for name, track in (("MediaPipe", mp), ("free", free)):
                err, flipped = errors(track, clean)
                errs.setdefault(name, []).append((err, flipped))
            a0, ref = analyses[vid], np.asarray(analyses[vid].music.beat_times, np.float64)
            for name, track in tracks.items():
                x = timing_inputs_of(dataclasses.replace(a0, pose=track), use_pose=True)
                probs, c = dense_probs(model, x), model.config
                est = {
                    "timing-beats": beat_points(probs, x)[0],
                    "timing": points(probs, x, head=c.head, threshold=c.threshold)[0],
                }
                scored = score_timing([(ref, a0.duration_s, est)], control="half-beat")
                rows.setdefault(name, []).append(
                    (
                        tempo_ratio(est["timing-beats"], ref),
                        {m: scored[m]["timing_gain"] for m in est},
                    )
                )
            n += 1
    print(f"{n} videos: the threshold dances of each seed in `{look}`; the seed's model, one view.")
    print()
    print("| track | timing-beats gain | tempo right | timing gain |")
    print("|---|---|---|---|")
    for name, r in rows.items():
        right = sum(abs(q - 1) <= TEMPO_RIGHT for q, _ in r)
        g = {m: [d[m] for _, d in r] for m in ("timing-beats", "timing")}
        gb, gt = mean_text(g["timing-beats"]), mean_text(g["timing"])
        print(f"| {name} | {gb} | {right} of {len(r)} | {gt} |")
    print()
    print(
        "| part | MediaPipe: error, median | > 10 % of the height | sides the other way round | "
        "free: error, median | > 10 % |"
    )
    print("|---|---|---|---|---|---|")
    e = {k: [np.concatenate([x[i] for x in v]) for i in (0, 1)] for k, v in errs.items()}
    for part, j in PARTS.items():
        (me, mf), (fe, _) = ([x[:, j] for x in e[k]] for k in ("MediaPipe", "free"))
        ok, fok = np.isfinite(me), np.isfinite(fe)
        print(
            f"| {part} | {np.median(me[ok]):.3f} | {np.mean(me[ok] > 0.1):.1%} | "
            f"{np.mean(mf[ok]):.0%} | {np.median(fe[fok]):.3f} | {np.mean(fe[fok] > 0.1):.1%} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
