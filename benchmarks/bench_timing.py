"""Does the learned timing model find *when* a dancer accents better than the best rule?

Run: `.venv/bin/python benchmarks/bench_timing.py --train TRAIN --test HELD --work DIR
[--test-look high] [--seeds 0,1,2] [--steps 1500] [--pose [--train-pose free|mediapipe|both]]
[--head dense] [--ensemble K] [--jobs N] [--sync] [--save FILE]`

``TRAIN`` and ``HELD`` are beat-locked sets made by `mudar make-locked` from disjoint dances
(``HELD``: the seed-0 held-out third of dwm, as in docs/results.md; ``TRAIN``: the other 24,
made with ``--songs 3 --random-looks 1 --pose``: each dance on its own music and three others,
each video in a look drawn at random, with its free pose track). Every video is analysed once
(the motion energy at 32 samples a second, the HOOF, the music) and kept in ``--work``.

The model (:mod:`mudar.models.timing`) is trained on every video of ``TRAIN`` but a fifth of its
dances, on which its threshold is chosen; labels are the music's beats of each video, found by
mudar's own music analysis (no hand labels). It is scored on ``HELD`` in ``--test-look`` (a
look no training video has: random looks stop below its camera height), against the beats of
``meta.json``: the 70 ms F-measure of each method's times, and its gain over the same times
against the beats shifted by half a beat (a method that finds only the rate gains nothing).
Per seed: the mean over dances; then the mean over seeds with a 95 % Student-t interval, and
the model minus the best rule paired by seed (and by dance, seeds pooled).

With ``--pose``, the held-out videos get MediaPipe's pose track (the pose extra) and the model
reads the joint speed too (trained on the free pose tracks of ``TRAIN``).

Printed as Markdown.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

# the 70 ms F-measure and the half-beat shifted beats, as the pose benchmark scores them
from bench_pose import _f, half_shifted  # noqa: E402


def prepare(video: Path, out: Path, *, pose_file: Path | None, mediapipe: bool) -> None:
    """Analyse one video and keep what the benchmark needs in ``out`` (npz)."""
    from mudar.features.analysis import AnalysisConfig
    from mudar.features.extract import analyze
    from mudar.features.pose import PoseTrack, joint_speed_curve
    from mudar.tasks.rhythm import dance_rhythm, pose_times, rhythm_seconds, stop_times

    config = AnalysisConfig(energy_steps=4, pose_stride=1 if mediapipe else 0)
    a = analyze(video, config, progress=False)
    frames, strength = dance_rhythm(a, method="hoof-flux")
    extra = {}
    track = a.pose
    if pose_file is not None and pose_file.is_file():
        with np.load(pose_file) as z:
            track = PoseTrack.from_arrays(z)
    if track is not None:
        extra = {
            "pose_times": track.times_s,
            "pose_speed": joint_speed_curve(track),
            "pose_kp": track.keypoints,
            "pose_conf": track.confidence,
        }
        if a.pose is not None:
            extra["pose_rule"] = pose_times(a)
    np.savez(
        out,
        energy=a.dance.energy,
        fps=a.clock.fps,
        duration=a.duration_s,
        beats=a.music.beat_times,
        onsets=a.music.onset_times,
        me=stop_times(a),
        hoof=rhythm_seconds(a, "hoof-flux", frames, strength),
        **extra,
    )


def videos(root: Path, look: str | None) -> list[tuple[Path, Path]]:
    """(video, its dance folder) of a locked set, every look or one."""
    out = []
    for d in sorted(p for p in root.iterdir() if (p / "meta.json").is_file()):
        pattern = f"video_{look}.mp4" if look else "video_*.mp4"
        out += [(v, d) for v in sorted(d.glob(pattern))]
    return out


def load(work: Path, root: Path, look: str | None, *, mediapipe: bool) -> list[dict]:
    from tqdm import tqdm

    from mudar.features.analysis import FEATURES_VERSION

    items = []
    todo = videos(root, look)
    for v, d in tqdm(todo, desc=f"analyse {root.name}", unit="video", file=sys.stderr):
        # the analysis code's version in the key: a cache of older code is made again
        tag = f"{'-mp' if mediapipe else ''}-v{FEATURES_VERSION}"
        key = work / f"{root.name}--{d.name}--{v.stem}{tag}.npz"
        if not key.is_file():
            pose = d / v.name.replace("video_", "pose_").replace(".mp4", ".npz")
            tmp = key.with_suffix(".part.npz")
            prepare(v, tmp, pose_file=None if mediapipe else pose, mediapipe=mediapipe)
            tmp.rename(key)
        with np.load(key) as z:
            item = {k: z[k] for k in z.files}
        free = d / v.name.replace("video_", "pose_").replace(".mp4", ".npz")
        if "pose_kp" not in item and not mediapipe and free.is_file():
            from mudar.features.pose import PoseTrack, pose_minima

            with np.load(free) as z:
                track = PoseTrack.from_arrays(z)
            item.update(
                pose_times=track.times_s,
                pose_kp=track.keypoints,
                pose_conf=track.confidence,
                pose_rule=pose_minima(track),
            )
        meta = json.loads((d / "meta.json").read_text("utf-8"))
        item.update(dance=meta.get("source_id", d.name), folder=d.name, meta=meta)
        items.append(item)
    return items


def inputs(item: dict, use_pose: bool):
    from mudar.features.candidates import timing_inputs

    if use_pose and "pose_kp" in item:
        from mudar.features.pose import PoseTrack, joint_speed_curve

        kp, conf, pt = item["pose_kp"], item["pose_conf"], item["pose_times"]
        track = PoseTrack(
            pt,
            kp,
            conf,
            np.zeros((len(pt), 0, 4), np.float32),
            1,
            1,
            1.0 / float(np.median(np.diff(pt))),
        )
        return timing_inputs(
            item["energy"],
            fps=float(item["fps"]),
            pose_times=pt,
            pose_speed=joint_speed_curve(track),
            pose_keypoints=kp,
            pose_confidence=conf,
        )
    return timing_inputs(item["energy"], fps=float(item["fps"]))


SYNC_DELAY_S = 0.2
CLIP_S = 8.0


def music_env(video: Path, delay_s: float, other: Path | None = None):
    """The onset envelope of ``video``'s audio (or ``other``'s, cut or padded to its length)
    delayed by ``delay_s``, on the sync clock of the video, and that clock."""
    from mudar.features.music import music_features
    from mudar.io import load_audio, probe
    from mudar.tasks.sync import shift_audio, sync_clock

    info = probe(video)
    clock = sync_clock(info.native_fps)
    y = load_audio(video, sr=clock.sr)
    if other is not None:
        z = load_audio(other, sr=clock.sr)
        y = np.resize(z, y.shape) if len(z) < len(y) else z[: len(y)]
    n_frames = int(len(y) / clock.sr * clock.fps)
    music = music_features(
        shift_audio(y, offset_s=-delay_s, sr=clock.sr), clock=clock, n_frames=n_frames
    )
    return music.onset_envelope, clock, n_frames / clock.fps


def found_delay(times, env: np.ndarray, clock, duration_s: float, beats: np.ndarray):
    """``(estimate, found)``: the audio delay that ``times`` (a method's, seconds) give against
    the onset envelope ``env`` of :func:`music_env` (as ``mudar sync`` finds it, searched
    +-1 s), and whether it is SYNC_DELAY_S within 0.08 s modulo one beat of ``beats``."""
    from types import SimpleNamespace

    from mudar.tasks.sync import estimate_offset, pulse_curve

    pulses = pulse_curve(
        np.asarray(times, np.float64), SimpleNamespace(clock=clock, duration_s=duration_s)
    )
    kw = {"fps": clock.fine_rate, "rate": clock.fine_rate, "max_offset_s": 1.0}
    e = estimate_offset(pulses, env, **kw)  # both on the fine grid of the same duration
    period = float(np.median(np.diff(beats))) if len(beats) > 2 else 0.5
    d = (e.offset_s - SYNC_DELAY_S + period / 2) % period - period / 2
    return e, bool(abs(d) <= 0.08)


def sync_table(videos: list[Path], items: list[dict], methods: dict[str, list]) -> str:
    """Per method: the share of held-out videos whose audio, delayed by SYNC_DELAY_S, is found
    within 0.08 s (modulo one beat: a steady beat repeats), the median error, the mean confidence
    with the true song and with another held-out dance's song (AUC of the two), and S_t
    retrieval: each 8 s clip of a dance's times ranks every 8 s clip of every held-out song by
    S_t (:func:`mudar.tasks.retrieve.timed_similarity_matrix`), R@1 of its own clip vs chance."""
    from mudar.tasks.retrieve import timed_similarity_matrix

    envs = [music_env(v, SYNC_DELAY_S) for v in videos]
    others = [
        music_env(v, SYNC_DELAY_S, other=videos[(i + 1) % len(videos)])
        for i, v in enumerate(videos)
    ]
    lines = [
        f"Sync: audio delayed by +{SYNC_DELAY_S:g} s; found = within 0.08 s modulo one beat. "
        f"S_t retrieval over {CLIP_S:g} s clips of the held-out dances.",
        "",
        "| method | found | median error (s) | confidence, own song | another song | AUC | "
        "S_t R@1 | chance |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, times_list in methods.items():
        ok, err, c_own, c_other = [], [], [], []
        music_clips, dance_clips, owner = [], [], []
        for it, t, (env, clock, dur), (env2, _, _) in zip(
            items, times_list, envs, others, strict=True
        ):
            beats = np.asarray(it["meta"]["beat_times"], np.float64)
            e, found = found_delay(t, env, clock, dur, beats)
            ok.append(found)
            err.append(abs(e.offset_s - SYNC_DELAY_S))
            c_own.append(e.confidence)
            c_other.append(found_delay(t, env2, clock, dur, beats)[0].confidence)
            for k in range(int(dur // CLIP_S)):
                lo, hi = k * CLIP_S, (k + 1) * CLIP_S
                tt = np.asarray(t, np.float64)
                dance_clips.append(tt[(tt >= lo) & (tt < hi)] - lo)
                music_clips.append(beats[(beats >= lo) & (beats < hi)] - lo)
                owner.append(len(owner))
        sim = timed_similarity_matrix(music_clips, dance_clips)  # (music, dance)
        r1 = float(np.mean(np.argmax(sim, axis=0) == np.arange(sim.shape[1])))
        own, other = np.array(c_own), np.array(c_other)
        auc = float(
            np.mean(own[:, None] > other[None, :]) + 0.5 * np.mean(own[:, None] == other[None, :])
        )
        lines.append(
            f"| {name} | {np.mean(ok):.2f} | {np.median(err):.3f} | {own.mean():.3f} | "
            f"{other.mean():.3f} | {auc:.2f} | {r1:.3f} | {1 / sim.shape[1]:.3f} |"
        )
    return "\n".join(lines)


def _train_seed(fit, config, train, members: int):
    """(model, losses, seconds) of one seed's model (one torch thread)."""
    from mudar.training.timing import train_ensemble

    t0 = time.perf_counter()
    model, losses = train_ensemble(fit, config, train, members)
    return model, losses, time.perf_counter() - t0


def _train_seeds(fit, config, trains: list, members: int, jobs: int) -> list:
    """:func:`_train_seed` for each seed's training config, in ``jobs`` forked processes."""
    if jobs <= 1:
        return [_train_seed(fit, config, t, members) for t in trains]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
        futures = [pool.submit(_train_seed, fit, config, t, members) for t in trains]
        return [f.result() for f in futures]


def rule_beats(times: np.ndarray, duration_s: float, rate: float = 32.0) -> np.ndarray:
    """A rule's steady beat: the beat tracker of ``timing-beats``
    (:func:`mudar.models.timing.beat_points`) through pulses at the rule's times (a Gaussian of
    30 ms each, ``rate`` samples a second)."""
    from types import SimpleNamespace

    from mudar.models.timing import beat_points

    t = np.arange(0.0, duration_s, 1.0 / rate)
    times = np.asarray(times, np.float64)
    curve = np.exp(-0.5 * ((t[:, None] - times[None, :]) / 0.03) ** 2).sum(axis=1)
    return beat_points(curve, SimpleNamespace(rate=rate, offset_s=0.0))[0]


def minus_rule(name: str, model_scores: list, rule: str, rule_gain: np.ndarray) -> str:
    """The model's gain minus the best rule's: over the seeds, paired by dance (seeds pooled),
    and paired by dance with each dance's mean over the seeds."""
    per_seed = np.array([g.mean() for _, g in model_scores]) - rule_gain.mean()
    pooled = np.concatenate([g - rule_gain for _, g in model_scores])
    per_dance = np.mean([g - rule_gain for _, g in model_scores], axis=0)
    (m, lo, hi), (m2, lo2, hi2), (m3, lo3, hi3) = map(t_interval, (per_seed, pooled, per_dance))
    return (
        f"{name} minus the best rule (`{rule}`), gain: {m:+.3f}, 95 % interval over seeds "
        f"[{lo:+.3f}, {hi:+.3f}]; paired by dance (seeds pooled, {len(pooled)} pairs): "
        f"{m2:+.3f} [{lo2:+.3f}, {hi2:+.3f}]; paired by dance, each dance's mean over the seeds "
        f"({len(per_dance)} pairs): {m3:+.3f} [{lo3:+.3f}, {hi3:+.3f}]."
    )


def beat_score(item: dict, est: np.ndarray) -> tuple[float, float]:
    """70 ms F-measure of ``est`` against the beats of the item's ``meta.json`` (those 0.5 s
    inside the video) and its gain over the same against the half-beat shifted beats."""
    beats = np.asarray(item["meta"]["beat_times"], np.float64)
    end = float(item["duration"])
    beats = beats[(beats > 0.5) & (beats < end - 0.5)]
    f = _f(beats, est)
    return f, f - _f(half_shifted(beats), est)


def f_gain_table(title: str, rows: dict[str, list[tuple[float, float]]]) -> str:
    """A Markdown table of each row's mean F-measure and gain over its videos."""
    lines = [f"| {title} | F (beats, 70 ms) | gain over half-beat shift |", "|---|---|---|"]
    for name, r in rows.items():
        r = np.array(r)
        lines.append(f"| {name} | {r[:, 0].mean():.3f} | {r[:, 1].mean():+.3f} |")
    return "\n".join(lines)


def seed_models(bench: Path) -> list[tuple[str, object, dict]]:
    """Each seed of a finished `mudar bench --methods timing,...` folder that has its timing
    model: ``(seed, model, split)``, the split as its ``splits/<seed>/split.json`` holds it."""
    import json

    from mudar.models.checkpoint import load_timing

    out = []
    for split in sorted(bench.glob("splits/s*/split.json")):
        path = bench / "runs" / f"timing-{split.parent.name}" / "model.pt"
        if path.is_file():
            out.append((split.parent.name, load_timing(path), json.loads(split.read_text())))
    return out


TEMPO_RIGHT = 0.08
"""A tracked tempo within this share of the music's is right."""


def mean_text(x) -> str:
    """``x``'s mean as a signed figure, or "none" for no values."""
    x = np.asarray(x, np.float64)
    return f"{x.mean():+.3f}" if x.size else "none"


def tempo_ratio(beats: np.ndarray, ref: np.ndarray) -> float:
    """The median period of a method's beats over the median period of the music's ``ref``."""
    ref = np.asarray(ref, np.float64)
    if len(beats) < 2 or len(ref) < 2:
        return float("nan")
    return float(np.median(np.diff(beats)) / np.median(np.diff(ref)))


def t_interval(x: np.ndarray) -> tuple[float, float, float]:
    from scipy import stats

    m = float(np.mean(x))
    if len(x) < 2:
        return m, float("nan"), float("nan")
    h = float(stats.t.ppf(0.975, len(x) - 1) * np.std(x, ddof=1) / math.sqrt(len(x)))
    return m, m - h, m + h


def main(argv: list[str] | None = None) -> int:
    import torch

    from mudar.models.timing import TimingConfig, beat_points, dense_probs, predict_times
    from mudar.training.timing import TimingTrainConfig, choose_threshold

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--train", required=True, type=Path)
    p.add_argument("--test", required=True, type=Path)
    p.add_argument("--work", required=True, type=Path)
    p.add_argument("--test-look", default="high")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--labels", choices=("beats", "onsets"), default="beats")
    p.add_argument("--pose", action="store_true")
    p.add_argument(
        "--test-pose",
        choices=("mediapipe", "free"),
        default="mediapipe",
        help="the held-out videos' pose track: MediaPipe's on the video (the pose extra), or "
        "the free track of their joints (pose_<look>.npz beside them, as make-locked --pose "
        "writes it)",
    )
    p.add_argument(
        "--train-pose",
        choices=("free", "mediapipe", "both"),
        default="free",
        help="the training videos' pose track: the free track of their joints (with an "
        "estimator's noise drawn at random), MediaPipe's on the video, or each video twice, "
        "once with each",
    )
    p.add_argument("--head", choices=("candidates", "dense"), default="candidates")
    p.add_argument(
        "--ensemble",
        type=int,
        default=1,
        metavar="K",
        help="each seed's model is K models trained with seeds K*seed .. K*seed+K-1, their "
        "probabilities averaged (a TimingEnsemble)",
    )
    p.add_argument("--stretch", type=float, default=1.0, help="TimingTrainConfig.stretch")
    p.add_argument("--pose-dropout", type=float, default=0.0, help="TimingTrainConfig.pose_dropout")
    p.add_argument("--mirror", type=float, default=0.0, help="TimingTrainConfig.mirror")
    p.add_argument(
        "--jobs", type=int, default=1, help="seeds trained at once (processes, one thread each)"
    )
    p.add_argument(
        "--sync",
        action="store_true",
        help="also: the audio delayed by +0.2 s found from each method's times, and S_t retrieval",
    )
    p.add_argument("--save", type=Path, help="save the seed-0 model here (a checkpoint)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)  # two threads on two busy cores were 10x slower
    args.work.mkdir(parents=True, exist_ok=True)
    train_items = []
    if args.train_pose in ("free", "both") or not args.pose:
        train_items += load(args.work, args.train, None, mediapipe=False)
    if args.pose and args.train_pose in ("mediapipe", "both"):
        train_items += load(args.work, args.train, None, mediapipe=True)
    mediapipe = args.pose and args.test_pose == "mediapipe"
    test_items = load(args.work, args.test, args.test_look, mediapipe=mediapipe)
    train_dances = sorted({it["dance"] for it in train_items})
    if set(train_dances) & {it["dance"] for it in test_items}:
        sys.exit("the training and test sets share dances")
    rng = np.random.default_rng(0)
    val_dances = set(rng.choice(train_dances, max(1, len(train_dances) // 5), replace=False))
    fit = [
        (inputs(it, args.pose), it[args.labels])
        for it in train_items
        if it["dance"] not in val_dances
    ]
    val = [
        (inputs(it, args.pose), it[args.labels]) for it in train_items if it["dance"] in val_dances
    ]
    test_x = [inputs(it, args.pose) for it in test_items]

    rules = {
        "motion-energy": [it["me"] for it in test_items],
        "hoof-flux": [it["hoof"] for it in test_items],
    }
    if args.pose:
        rules["pose"] = [it.get("pose_rule", np.zeros(0)) for it in test_items]
    rules["accents (oracle)"] = [
        np.asarray(it["meta"]["detected_accent_times"]) for it in test_items
    ]

    def scores(times_list):
        fg = [beat_score(it, est) for it, est in zip(test_items, times_list, strict=True)]
        return np.array([f for f, _ in fg]), np.array([g for _, g in fg])

    # the beat tracker alone, as a control: each rule's steady beat through pulses at its times
    for name in [m for m in rules if "oracle" not in m]:
        rules[f"{name}, beats"] = [
            rule_beats(t, float(it["duration"]))
            for t, it in zip(rules[name], test_items, strict=True)
        ]
    rule_scores = {m: scores(t) for m, t in rules.items()}
    seeds = [int(s) for s in args.seeds.split(",")]
    config = TimingConfig(use_pose=args.pose, labels=args.labels, head=args.head)
    # each seed's model (its members trained in turn), seeds in --jobs processes of one thread
    trains = [
        TimingTrainConfig(
            steps=args.steps,
            seed=seed,
            stretch=args.stretch,
            pose_dropout=args.pose_dropout,
            mirror=args.mirror,
        )
        for seed in seeds
    ]
    trained = _train_seeds(fit, config, trains, args.ensemble, args.jobs)
    model_scores, model_times, th, secs = [], [], [], []
    beat_scores = []  # timing-beats: the steady beat through the same model's probabilities
    tempo_right = []  # per seed and dance: its period over the music's beat period
    for seed, (model, losses, seconds) in zip(seeds, trained, strict=True):
        t0 = time.perf_counter()
        model, vf = choose_threshold(model, val)
        secs.append(seconds + time.perf_counter() - t0)
        th.append(model.config.threshold)
        est = [predict_times(model, x)[0] for x in test_x]
        model_scores.append(scores(est))
        model_times.append(est)
        if args.head == "dense":
            beats = [beat_points(dense_probs(model, x), x)[0] for x in test_x]
            beat_scores.append(scores(beats))
            tempo_right.append(
                [
                    tempo_ratio(b, it["meta"]["beat_times"])
                    for b, it in zip(beats, test_items, strict=True)
                ]
            )
        print(
            f"seed {seed}: {secs[-1]:.0f} s, loss {np.mean(losses[:50]):.3f} -> "
            f"{np.mean(losses[-50:]):.3f}, threshold {th[-1]:.2f} (val F {vf:.3f})",
            file=sys.stderr,
        )
        if seed == seeds[0] and args.save:
            from mudar.models.checkpoint import save_timing

            save_timing(
                model,
                args.save,
                meta={
                    "data": f"{len(fit)} videos of {len(train_dances) - len(val_dances)} training "
                    f"dances of a locked set ({args.train.name}); "
                    f"threshold on {len(val)} videos of "
                    f"{len(val_dances)} other dances",
                    "dances": sorted(set(train_dances) - val_dances),
                    "threshold_dances": sorted(str(d) for d in val_dances),
                    "steps": args.steps,
                    "seed": seed,
                    "members": args.ensemble,
                    "stretch": args.stretch,
                    "pose_dropout": args.pose_dropout,
                    "mirror": args.mirror,
                    "train_pose": args.train_pose if args.pose else None,
                    "labels": args.labels,
                },
            )

    n = len(test_items)
    print(
        f"{n} held-out dances in look `{args.test_look}`; training: {len(fit)} videos "
        f"({len(train_dances) - len(val_dances)} dances), threshold on {len(val)} videos "
        f"({len(val_dances)} dances); {len(seeds)} seeds, {args.steps} steps "
        f"({np.mean(secs):.0f} s each on this machine); labels: the music's {args.labels}."
    )
    print()
    print("| method | F (beats) | gain over half-beat shift | 95 % interval |")
    print("|---|---|---|---|")
    rows = {"timing model (seeds)": model_scores}
    if beat_scores:
        rows["timing-beats, the same models (seeds)"] = beat_scores
    for name, sc in rows.items():
        f = np.array([f.mean() for f, _ in sc])
        m, lo, hi = t_interval(np.array([g.mean() for _, g in sc]))
        print(f"| {name} | {f.mean():.3f} | {m:+.3f} | [{lo:+.3f}, {hi:+.3f}] |")
    for name, (f, g) in rule_scores.items():
        se = g.std(ddof=1) / math.sqrt(len(g)) if len(g) > 1 else float("nan")
        print(f"| {name} | {f.mean():.3f} | {g.mean():+.3f} | +- {1.96 * se:.3f} (dances) |")
    # the best learning-free row, beat-tracked ones included
    best = max((k for k in rules if "oracle" not in k), key=lambda k: rule_scores[k][1].mean())
    for name, sc in rows.items():
        print()
        print(minus_rule(name, sc, best, rule_scores[best][1]))
    print()
    print(f"| dance | {' | '.join(n + ', gain per seed' for n in rows)} | {best} |")
    print("|---" * (len(rows) + 2) + "|")
    for i, it in enumerate(test_items):
        cells = [" / ".join(f"{g[i]:+.3f}" for _, g in sc) for sc in rows.values()]
        print(f"| {it['dance']} | {' | '.join(cells)} | {rule_scores[best][1][i]:+.3f} |")
    print(f"Thresholds: {', '.join(f'{t:.2f}' for t in th)}.")
    if tempo_right:
        r = np.array(tempo_right)  # (seeds, dances)
        ok = np.abs(r - 1) <= TEMPO_RIGHT
        gains = np.array([g for _, g in beat_scores])
        print(
            f"timing-beats' tempo within {TEMPO_RIGHT:.0%} of the music's: {ok.sum()} of {ok.size} "
            f"dance-seeds (gain {mean_text(gains[ok])} there, {mean_text(gains[~ok])} elsewhere); "
            "periods over "
            "the beat's: "
            + "; ".join(
                f"{it['dance']} " + "/".join(f"{q:.2f}" for q in r[:, i])
                for i, it in enumerate(test_items)
            )
            + "."
        )
    if args.sync:
        videos = [args.test / it["folder"] / f"video_{args.test_look}.mp4" for it in test_items]
        methods = {f"timing model (seed {sd})": t for sd, t in zip(seeds, model_times, strict=True)}
        methods |= rules
        print()
        print(sync_table(videos, test_items, methods))
    return 0


if __name__ == "__main__":
    sys.exit(main())
