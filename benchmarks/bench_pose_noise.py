"""How far MediaPipe's keypoints stray from the true joints on rendered dances: the noise the free
pose tracks of `mudar make-locked --pose` imitate (:func:`mudar.synthetic.looks.free_pose`).

Run: `.venv/bin/python benchmarks/bench_pose_noise.py --data LOCKED --work DIR --dances A,B
[--look rand0]` (needs the pose extra; the analyses are cached in DIR as bench_timing.py caches
them). ``LOCKED`` is a set of `mudar make-locked --random-looks 1`; pick training dances only.

Per video: MediaPipe's COCO-17 body keypoints (5-16) against the joints projected as the look's
camera sees them, left and right matched per frame (an estimator may swap them), less each
joint's mean offset (a constant offset moves no speed), in body heights: the total spread, the
per-frame part (the spread of frame-to-frame differences over the square root of 2) and the slow
rest. Printed as Markdown.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_timing as bt  # noqa: E402

_PAIRS = ((5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16))


def noise(kp: np.ndarray, true: np.ndarray) -> tuple[float, float, float, float]:
    """(found share, total, per-frame, slow) spread of ``kp`` about ``true``, body heights."""
    n = min(len(kp), len(true))
    kp, true = kp[:n].astype(np.float64), true[:n]
    height = float(np.nanmedian(np.ptp(true[:, :, 1], axis=1)))
    swapped = kp.copy()
    for a, b in _PAIRS:
        swapped[:, [a, b]] = kp[:, [b, a]]
    with warnings.catch_warnings():  # a frame without a body has no mean
        warnings.simplefilter("ignore", RuntimeWarning)
        e1 = np.nanmean(np.linalg.norm(kp[:, 5:] - true[:, 5:], axis=2), axis=1)
        e2 = np.nanmean(np.linalg.norm(swapped[:, 5:] - true[:, 5:], axis=2), axis=1)
    kp = np.where((e2 < e1)[:, None, None], swapped, kp)
    err = (kp[:, 5:] - true[:, 5:]) / height
    err = err - np.nanmean(err, axis=0)
    ok = np.isfinite(err).all(axis=(1, 2))
    total = float(np.nanstd(err[ok]))
    per_frame = float(np.nanstd(np.diff(err, axis=0)) / np.sqrt(2))
    return float(ok.mean()), total, per_frame, float(np.sqrt(max(total**2 - per_frame**2, 0)))


def main(argv: list[str] | None = None) -> int:
    from mudar.synthetic.looks import DWM23_TO_COCO17
    from mudar.synthetic.skeleton import Look, project_joints

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--work", required=True, type=Path)
    p.add_argument("--dances", required=True, help="comma-separated dance folders of --data")
    p.add_argument("--look", default="rand0")
    args = p.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    print("| video | body | fps | body found | total | per frame | slow |")
    print("|---|---|---|---|---|---|---|")
    rows = []
    for name in args.dances.split(","):
        d = args.data / name
        v = d / f"video_{args.look}.mp4"
        key = args.work / f"{args.data.name}--{d.name}--{v.stem}-mp.npz"
        if not key.is_file():
            tmp = key.with_suffix(".part.npz")
            bt.prepare(v, tmp, pose_file=None, mediapipe=True)
            tmp.rename(key)
        meta = json.loads((d / "meta.json").read_text("utf-8"))
        lp = meta["look_params"][args.look]
        look = Look(**{k: tuple(x) if isinstance(x, list) else x for k, x in lp.items()})
        with np.load(d / "motion.npz") as z:
            joints, fps = z["joints"].astype(np.float64), float(z["fps"])
        px = project_joints(joints, fps=fps, look=look)
        true = np.empty((len(px), 17, 2))
        head = (px[:, 0] + px[:, 1]) / 2
        for k, j in enumerate(DWM23_TO_COCO17):
            true[:, k] = head if j is None else px[:, j]
        with np.load(key) as z:
            found, total, per_frame, slow = noise(z["pose_kp"], true)
        rows.append((per_frame, slow))
        print(
            f"| {name} | {lp['body']} | {lp['fps']:g} | {found:.3f} | {total:.4f} | "
            f"{per_frame:.4f} | {slow:.4f} |"
        )
    r = np.array(rows)
    print()
    print(
        f"Mean per-frame {r[:, 0].mean():.4f}, slow {r[:, 1].mean():.4f} body heights "
        "(free_pose's jitter and wobble)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
