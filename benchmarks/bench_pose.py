"""The pose track: how fast, how often it finds the body, and whether its beats keep the timing.

Run: `.venv/bin/python benchmarks/bench_pose.py --data LOCKED [--test-look high] [--looks ...]
[--seed 0] [--limit N] [--speed-seconds 20] [--sections speed,body,timing]`

``--data`` is a beat-locked set made by `mudar make-locked` (``DANCE_*/`` with ``meta.json``
and ``video_<look>.mp4``): real dwm motion re-timed so that its kinematic accents land on its
music's beats, rendered in several looks. Three tables, printed as Markdown:

1. **speed** (``--speed-seconds`` of a rendered dance at 640x360 and 1280x720, 30 fps): frames
   per second and times real time of a decode alone (every frame, RGB), the default analysis
   (``mudar rhythm --method hoof-flux``'s), and the analysis with the pose track (every decoded
   frame), on this machine's cores;
2. **body**: per look, the share of the decoded frames (the first ``--body-seconds`` of each
   video) in which MediaPipe finds a body, over the dances (mean, and the worst dance);
3. **timing**: on the dances held out by a seeded split by dance (a third, at least one per
   genre with two or more dances; ``--seed``), in the ``--test-look`` (a look nothing here was
   tuned on), each method's rhythm times against the music's beats (``beat_times`` of
   meta.json): the 70 ms F-measure, and its gain over the same times against the beats shifted
   by half a beat (rate without timing gains nothing), mean +- standard error over dances; and
   ``pose`` minus ``motion-energy``, paired by dance, with its 95 % Student-t interval. Methods:
   ``pose`` (the motion beats of the pose track), ``motion-energy`` (the dancer's stops between
   the video's frames), ``hoof-flux``, and the dancer's own accents as warped
   (``detected_accent_times``: the oracle, the timing there is to find).

Nothing here is tuned: the pose method's settings (Bailando's smoothing, the 2 % depth) were set
before this benchmark ran.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

WINDOW_S = 0.07
METHODS = ("pose", "motion-energy", "hoof-flux", "accents (oracle)")


def _f(ref: np.ndarray, est: np.ndarray) -> float:
    import mir_eval

    if len(ref) == 0 or len(est) == 0:
        return 0.0
    return float(mir_eval.onset.f_measure(ref, np.sort(est), window=WINDOW_S)[0])


def half_shifted(beats: np.ndarray) -> np.ndarray:
    """The beats moved by half of their local interval (the mid-points, and one past the last):
    :func:`mudar.eval.timing.half_beat_shifted`."""
    from mudar.eval.timing import half_beat_shifted

    return half_beat_shifted(beats)


# --- speed ------------------------------------------------------------------------------------


def speed_table(seconds: float) -> str:
    from mudar.features.analysis import AnalysisConfig
    from mudar.features.extract import analyze
    from mudar.io.write import write_video
    from mudar.synthetic.motion import dance_joints
    from mudar.synthetic.skeleton import Look, render_frames

    beats = 0.3 + 0.5 * np.arange(int(seconds * 2) + 2)
    joints = dance_joints(beats, n_frames=int(seconds * 25), fps=25.0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for w, h in ((640, 360), (1280, 720)):
            path = Path(tmp) / f"dance_{w}x{h}.mp4"
            look = Look(f"bench{w}", size=(w, h), fps=30.0)
            write_video(path, render_frames(joints, fps=25.0, look=look), fps=30.0, preset="fast")
            n = _decode_all(path)
            timings = {
                "decode (RGB)": lambda p=path: _decode_all(p),
                "default analysis": lambda p=path: analyze(p, AnalysisConfig(), music=False),
                "analysis + pose track": lambda p=path: analyze(
                    p, AnalysisConfig(pose_stride=1), music=False, progress=False
                ),
            }
            for name, fn in timings.items():
                t0 = time.perf_counter()
                fn()
                dt = time.perf_counter() - t0
                rows.append((f"{w}x{h}", name, n / dt, seconds / dt))
    lines = [
        "| video | work | frames/s | x real time |",
        "|---|---|---|---|",
        *(f"| {v} | {k} | {fps:.1f} | {x:.2f} |" for v, k, fps, x in rows),
    ]
    return "\n".join(lines)


def _decode_all(path: Path) -> int:
    """Decode every frame to RGB (what the pose track's decode costs); the number of frames."""
    from mudar.io.video import iter_decoded

    return sum(1 for _ in iter_decoded(path))


# --- the locked set ---------------------------------------------------------------------------


def dances(root: Path) -> list[Path]:
    found = sorted(p for p in root.iterdir() if (p / "meta.json").is_file())
    if not found:
        sys.exit(f"{root}: no locked dances (folders with meta.json); run `mudar make-locked`")
    return found


def held_out(folders: list[Path], seed: int) -> list[Path]:
    """A third of the dances by a seeded draw within each genre (genres with one dance stay
    in training)."""
    rng = np.random.default_rng(seed)
    by_genre: dict[str, list[Path]] = {}
    for f in folders:
        genre = json.loads((f / "meta.json").read_text("utf-8")).get("genre", "?")
        by_genre.setdefault(genre, []).append(f)
    out = []
    for _, group in sorted(by_genre.items()):
        if len(group) >= 2:
            k = max(1, round(len(group) / 3))
            out += [group[i] for i in sorted(rng.choice(len(group), k, replace=False))]
    return sorted(out)


def analyse(video: Path):
    from mudar.features.analysis import AnalysisConfig
    from mudar.features.extract import analyze

    return analyze(video, AnalysisConfig(energy_steps=4, pose_stride=1), progress=False)


def body_found(video: Path, seconds: float) -> float:
    """Share of the first ``seconds`` of decoded frames in which MediaPipe finds a body (the
    pose track alone, on every decoded frame: no flow)."""
    from mudar.features.pose import PoseTap
    from mudar.io import probe
    from mudar.io.video import iter_decoded

    tap = PoseTap()
    for t, rgb in iter_decoded(video):
        if t > seconds:
            break
        tap(t, rgb)
    info = probe(video)
    return tap.track(width=info.width, height=info.height, fps=info.native_fps).found_fraction


def body_table(folders: list[Path], looks: list[str], seconds: float) -> str:
    lines = ["| look | dances | body found (mean) | worst dance |", "|---|---|---|---|"]
    for look in looks:
        shares = [
            body_found(f / f"video_{look}.mp4", seconds)
            for f in folders
            if (f / f"video_{look}.mp4").is_file()
        ]
        if shares:
            lines.append(
                f"| {look} | {len(shares)} | {np.mean(shares):.3f} | {np.min(shares):.3f} |"
            )
    return "\n".join(lines)


def timing_rows(folder: Path, look: str) -> dict[str, tuple[float, float]]:
    from mudar.tasks.rhythm import dance_rhythm, pose_times, rhythm_seconds, stop_times

    meta = json.loads((folder / "meta.json").read_text("utf-8"))
    a = analyse(folder / f"video_{look}.mp4")
    end = a.duration_s
    beats = np.asarray(meta["beat_times"], np.float64)
    beats = beats[(beats > 0.5) & (beats < end - 0.5)]
    half = half_shifted(beats)
    frames, strength = dance_rhythm(a, method="hoof-flux")
    times = {
        "pose": pose_times(a),
        "motion-energy": stop_times(a),
        "hoof-flux": rhythm_seconds(a, "hoof-flux", frames, strength),
        "accents (oracle)": np.asarray(meta["detected_accent_times"], np.float64),
    }
    return {m: (_f(beats, t), _f(beats, t) - _f(half, t)) for m, t in times.items()}


def _se(x: np.ndarray) -> float:
    return float(x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else float("nan")


def timing_table(rows: list[dict[str, tuple[float, float]]]) -> str:
    from scipy import stats

    lines = [
        f"{len(rows)} dances; mean +- standard error over dances.",
        "",
        "| method | F@70ms vs beats | gain over half-beat shifted |",
        "|---|---|---|",
    ]
    for m in METHODS:
        f = np.array([r[m][0] for r in rows])
        g = np.array([r[m][1] for r in rows])
        lines.append(f"| {m} | {f.mean():.3f} +- {_se(f):.3f} | {g.mean():+.3f} +- {_se(g):.3f} |")
    d = np.array([r["pose"][1] - r["motion-energy"][1] for r in rows])
    if len(d) > 1:
        h = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
        lines += [
            "",
            f"pose - motion-energy, gain, paired: {d.mean():+.3f} "
            f"[{d.mean() - h:+.3f}, {d.mean() + h:+.3f}] (95 % t-interval over dances)",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, help="a beat-locked set (mudar make-locked)")
    p.add_argument("--test-look", default="high", help="the look timing is scored in")
    p.add_argument("--looks", help="looks of the body table (default: every look found)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split by dance")
    p.add_argument(
        "--every-dance", action="store_true", help="score every dance, not the held-out third"
    )
    p.add_argument("--limit", type=int, help="at most this many dances per table")
    p.add_argument("--speed-seconds", type=float, default=20.0)
    p.add_argument(
        "--body-seconds",
        type=float,
        default=30.0,
        help="seconds of each video the body table reads",
    )
    p.add_argument("--sections", default="speed,body,timing")
    args = p.parse_args(argv)
    sections = set(args.sections.split(","))
    if "speed" in sections:
        print(f"## Speed ({args.speed_seconds:g} s of a rendered dance, 30 fps)\n")
        print(speed_table(args.speed_seconds), "\n", flush=True)
    if sections & {"body", "timing"}:
        if args.data is None:
            sys.exit("--data LOCKED is needed for the body and timing tables")
        folders = dances(args.data)
        test = (folders if args.every_dance else held_out(folders, args.seed))[: args.limit]
        if "body" in sections:
            looks = (
                args.looks.split(",")
                if args.looks
                else sorted(
                    {v.stem[len("video_") :] for f in folders for v in f.glob("video_*.mp4")}
                )
            )
            which = "dances" if args.every_dance else "held-out dances"
            print(f"## Body found, per look ({len(test)} {which}, first {args.body_seconds:g} s)\n")
            print(body_table(test, looks, args.body_seconds), "\n", flush=True)
        if "timing" in sections:
            print(f"## Timing against the beats, look `{args.test_look}` (seed {args.seed})\n")
            rows = []
            for f in test:
                rows.append(timing_rows(f, args.test_look))
                print(f"<!-- {f.name}: {json.dumps(rows[-1])} -->", flush=True)
            print(timing_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
