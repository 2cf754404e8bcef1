"""Does the dwm dance motion carry the *timing* of the music onsets, or only their rate?

Run: `.venv/bin/python benchmarks/bench_dwm_timing.py`
Uses the motion-capture ground truth (`motion.npz`), not the video, so no detector is to blame:

1. kinematic beats (`mudar.features.kinematic.kinematic_beats`: local minima of the mean joint
   speed relative to the root, the waist joint 2, smoothed by 1.5 frames, at least 2 frames
   apart) and the lows of the root's height, scored like `mudar eval` against the music onsets
   (one-to-one, +-1 frame at 8 fps), beside the same events rolled by half the dance and by 3
   frames, and the `chance` / `all` floors;
2. phase locking: the resultant length R of each event's phase within the music's beat
   interval (1 = always at the same point of the beat, about 1/sqrt(n) for no locking), beside
   the music onsets' own R and random times;
3. the lag (within +-1 s) at which joint speed best correlates with the onset envelope, per
   dance: a motion that follows the music would peak at the same small lag on every dance.
If the motion's events score like their shifted selves and R is at the random level, frame-level
visual rhythm on this data can only match the music's rate, whatever the detector.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

DWM = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dwm"


def phase_r(events: np.ndarray, beats: np.ndarray) -> float:
    """Resultant length of the events' phases within the beat intervals."""
    events = events[(events > beats[0]) & (events < beats[-1])]
    if len(events) == 0:
        return float("nan")
    k = np.searchsorted(beats, events) - 1
    ph = (events - beats[k]) / (beats[k + 1] - beats[k])
    return float(np.abs(np.exp(2j * np.pi * ph).mean()))


def to_frames(t: np.ndarray, *, fps: float, n: int) -> np.ndarray:
    f = np.unique(np.round(t * fps).astype(int))
    return f[f < n]


def main() -> int:
    if not DWM.is_dir():
        print(f"skipped: {DWM} not found (the benchmark needs the shared dwm data)")
        return 0
    from scipy.ndimage import gaussian_filter1d
    from scipy.signal import find_peaks

    from mudar.data.readers.keypoints import load_dwm_motion
    from mudar.eval.visual_rhythm import score_rhythm
    from mudar.features.extract import analyze
    from mudar.features.kinematic import ROOT_JOINTS, joint_speed, kinematic_beats

    root = ROOT_JOINTS["dwm23"]

    rng = np.random.default_rng(0)
    videos, r_rows, lags = [], [], []
    for d in sorted(DWM.glob("DANCE_*")):
        a = analyze(d / "audio.ogg")
        fps8, n = a.clock.fps, a.n_frames
        clip = load_dwm_motion(d)
        joints, fps = clip.joints, clip.fps
        kin_t = kinematic_beats(
            joints, fps=fps, sigma_s=1.5 / fps, min_separation_s=2 / fps, root=root
        )
        speed = joint_speed(joints, fps=fps, sigma_s=0.0, root=root)
        low_t = find_peaks(-gaussian_filter1d(joints[:, root, 1], 2.0), distance=3)[0] / fps

        kin, low = (to_frames(t, fps=fps8, n=n) for t in (kin_t, low_t))
        videos.append(
            (
                a.music.onsets,
                {
                    "kinematic beats": kin,
                    "kinematic beats, shifted n/2": (kin + n // 2) % n,
                    "kinematic beats, shifted 3": (kin + 3) % n,
                    "root lows": low,
                    "root lows, shifted n/2": (low + n // 2) % n,
                },
            )
        )
        beats = a.music.beat_times
        r_rows.append(
            (
                phase_r(kin_t, beats),
                phase_r(low_t, beats),
                phase_r(a.music.onset_times, beats),
                phase_r(np.sort(rng.uniform(0, len(joints) / fps, len(kin_t))), beats),
            )
        )
        # lag of best correlation between joint speed and the onset envelope, +-1 s at 25 fps
        env = a.music.onset_envelope
        t_env = np.arange(len(env)) * (n / fps8) / len(env)
        e = np.interp(np.arange(len(speed)) / fps, t_env, env)
        s = (speed - speed.mean()) / (speed.std() + 1e-9)
        e = (e - e.mean()) / (e.std() + 1e-9)
        ks = np.arange(-int(fps), int(fps) + 1)
        xc = [
            np.mean(s[max(0, k) : len(s) + min(0, k)] * e[max(0, -k) : len(e) - max(0, k)])
            for k in ks
        ]
        lags.append(ks[int(np.argmax(xc))] / fps)
    scores = score_rhythm(videos)
    print(f"{len(videos)} dances; one-to-one matching, +-1 frame at 8 fps, pooled over dances\n")
    print("| events (motion capture) | precision | recall | F1 |\n|---|---|---|---|")
    for name, s in scores.items():
        print(f"| {name} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} |")
    r = np.nanmean(np.array(r_rows), axis=0)
    print("\n| events | beat-phase locking R (mean over dances) |\n|---|---|")
    for name, v in zip(
        ("kinematic beats", "root lows", "music onsets", "random times"), r, strict=True
    ):
        print(f"| {name} | {v:.2f} |")
    lags = np.array(lags)
    print(
        f"\nbest speed/onset-envelope lag over dances: median {np.median(lags):+.2f} s, "
        f"interquartile range {np.percentile(lags, 25):+.2f} .. {np.percentile(lags, 75):+.2f} s "
        f"(a shared small lag would mean the motion follows the onsets)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
