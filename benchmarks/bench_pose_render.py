"""Can a pose estimator see the rendered dancer? MediaPipe Pose on every look, both bodies.

Run: `.venv/bin/python benchmarks/bench_pose_render.py [--data ../shared/data/dwm] [--dances 6]
[--seconds 10] [--looks dwm,side,...] [--bodies mannequin,stick]`
(needs `pip install 'mudar[pose]'`; 602 s on 2 shared cores with the defaults, most of it
MediaPipe).

Renders ``--seconds`` of real dwm motion (from the middle of each dance) from ``--dances`` dances
spread over the sorted list, in every look of :data:`mudar.synthetic.skeleton.LOOKS` with each
body (the ``stick`` look is the ``dwm`` look's stick figure, so it is not repeated), and runs
MediaPipe Pose (``model_complexity=1``, ``static_image_mode=False``, a fresh tracker per clip)
on the frames. Prints a Markdown table, per look and body:

- **body found**: the share of frames in which MediaPipe finds a person;
- **error per joint group** (shoulders, elbows, wrists, hips, knees, ankles): the median, over
  frames with a body and both joints of the pair, of the distance in pixels between MediaPipe's
  landmark (BlazePose 11-16, 23-28) and the true joint projected with the look's camera
  (:func:`mudar.synthetic.skeleton.project_joints`), as a fraction of the figure's height (the
  median over the clip of the projected joints' vertical extent). Each pair is matched to the
  true pair left-right or swapped, whichever is nearer in that frame;
- **L/R swapped**: the share of those frames where the swapped match was nearer (expected near
  1 in the mirrored ``back`` look, where the picture flips the dancer's sides);
- and, below, the renderer's speed at 320x320 (frames drawn per second, no encoding).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DWM = REPO.parent / "shared" / "data" / "dwm"

GROUPS = ("shoulders", "elbows", "wrists", "hips", "knees", "ankles")
# BlazePose landmarks of COCO-17 keypoints 5-16 (left before right, as BodyJoints.coco_body)
BLAZE_BODY = (11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)


def pick_dances(data: Path, n: int) -> list[Path]:
    """``n`` dance folders spread evenly over the sorted list (so every genre shows up)."""
    dirs = sorted(p for p in data.glob("DANCE_*") if (p / "motion.npz").is_file())
    idx = np.unique(np.linspace(0, len(dirs) - 1, n).round().astype(int))
    return [dirs[i] for i in idx]


def clip_of(folder: Path, seconds: float) -> tuple[np.ndarray, float]:
    """``seconds`` of the dance's joints from its middle, (T, 23, 3) cm, and their fps."""
    from mudar.data.readers.keypoints import load_dwm_motion

    clip = load_dwm_motion(folder)
    n = int(round(seconds * clip.fps))
    start = max(0, (len(clip.joints) - n) // 2)
    return np.asarray(clip.joints[start : start + n], dtype=np.float64), float(clip.fps)


def score_clip(joints: np.ndarray, fps: float, look) -> dict[str, np.ndarray]:
    """Per frame: body found, and per group (pixel error / figure height, swapped)."""
    import mediapipe as mp

    from mudar.synthetic.skeleton import get_skeleton, project_joints, render_frames

    body = list(get_skeleton("dwm23").body.coco_body())
    truth = project_joints(joints, fps=fps, look=look)  # (n, 23, 2) px
    height = float(np.median(np.ptp(truth[..., 1], axis=1)))
    truth = truth[:, body].reshape(len(truth), 6, 2, 2)  # frame, group, left/right, xy
    w, h = look.size
    found, err, swapped = [], [], []
    with mp.solutions.pose.Pose(model_complexity=1, static_image_mode=False) as pose:
        for k, img in enumerate(render_frames(joints, fps=fps, look=look)):
            res = pose.process(img)
            found.append(res.pose_landmarks is not None)
            if res.pose_landmarks is None:
                continue
            lm = res.pose_landmarks.landmark
            est = np.array([[lm[i].x * w, lm[i].y * h] for i in BLAZE_BODY]).reshape(6, 2, 2)
            t = truth[k]
            straight = np.linalg.norm(est - t, axis=-1)  # (6, 2)
            swap = np.linalg.norm(est - t[:, ::-1], axis=-1)
            use_swap = swap.sum(-1) < straight.sum(-1)
            err.append(np.where(use_swap[:, None], swap, straight) / height)
            swapped.append(use_swap)
    return {
        "found": np.array(found),
        "err": np.array(err).reshape(-1, 6, 2),
        "swapped": np.array(swapped).reshape(-1, 6),
    }


def render_speed(joints: np.ndarray, fps: float, body: str) -> float:
    """Frames per second of :func:`render_frames` at 320x320 (the ``dwm`` look), no encoding."""
    from mudar.synthetic.skeleton import LOOKS, render_frames

    look = dataclasses.replace(LOOKS["dwm"], body=body)
    t0 = time.perf_counter()
    n = sum(1 for _ in render_frames(joints, fps=fps, look=look))
    return n / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DWM)
    ap.add_argument("--dances", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--looks", default="", help="comma-separated looks (default: all)")
    ap.add_argument("--bodies", default="mannequin,stick")
    args = ap.parse_args(argv)
    try:
        import mediapipe  # noqa: F401
    except ImportError:
        print("needs MediaPipe: pip install 'mudar[pose]'", file=sys.stderr)
        return 2
    from mudar.synthetic.skeleton import LOOKS

    dances = pick_dances(args.data, args.dances)
    if not dances:
        print(f"no dances in {args.data}", file=sys.stderr)
        return 2
    clips = [clip_of(d, args.seconds) for d in dances]
    looks = args.looks.split(",") if args.looks else [n for n in LOOKS if n != "stick"]
    bodies = args.bodies.split(",")
    t_start = time.perf_counter()
    print(f"{len(dances)} dances ({', '.join(d.name for d in dances)}), {args.seconds:g} s each\n")
    head = "| look | body | body found | " + " | ".join(GROUPS) + " | L/R swapped |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for name in looks:
        for body in bodies:
            look = dataclasses.replace(LOOKS[name], body=body)
            scores = [score_clip(j, fps, look) for j, fps in clips]
            found = np.concatenate([s["found"] for s in scores])
            err = np.concatenate([s["err"] for s in scores])
            swapped = np.concatenate([s["swapped"] for s in scores])
            if len(err):
                med = [f"{np.median(err[:, g]):.3f}" for g in range(6)]
                sw = f"{swapped.mean():.2f}"
            else:
                med, sw = ["-"] * 6, "-"
            print(f"| {name} | {body} | {found.mean():.1%} | " + " | ".join(med) + f" | {sw} |")
            sys.stdout.flush()
    print()
    joints, fps = clips[0]
    for body in bodies:
        print(f"render speed, {body}, 320x320: {render_speed(joints, fps, body):.0f} frames/s")
    print(f"\nrun time {time.perf_counter() - t_start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
