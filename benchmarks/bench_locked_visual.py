"""Where does the timing of a beat-locked dance get lost between the joints and the video?

Run: `.venv/bin/python benchmarks/bench_locked_visual.py --data DIR [--looks high,dwm]
[--start K] [--step S] [--limit N] [--fps 8] [--no-diagnose]`

``--data`` is a beat-locked set made by `mudar make-locked` (``DANCE_*/`` with ``motion.npz``,
``meta.json`` and ``video_<look>.mp4``). Its dancers' kinematic accents were put on the music's
beats, so the accents re-detected on the joints score well against the beats; the learning-free
visual rhythm of the rendered video does not. This benchmark scores a ladder of signals, from
the joints to the video, each against the music's beats (``beat_times`` of meta.json, the times
the lock aimed at) and its onsets (the analysis' onset maxima), to see at which rung the timing
goes:

1. ``joints 3D``: the accents of meta.json (minima of the mean joint speed, root-relative,
   :func:`mudar.features.kinematic.kinematic_beats` on the warped joints), and the same minima
   re-detected here on the joints resampled to the analysis rate, and with the dancer's
   travel across the floor left in (world-frame speeds, ``root=None``: what a flow relative to
   the room sees);
2. ``joints 2D``: the same minima of the joints as the following camera sees them, in pixels
   (:func:`mudar.synthetic.skeleton.project_joints`), root-relative and as they move in the
   picture (the camera's lag left in), and weighted as a flow over the drawn figure would
   weigh them (:func:`bone_weighted_speed`: long bones count more, the hands less);
3. ``flow magnitude``: minima of the total optical-flow magnitude of each frame (the analysis'
   ``dance.magnitude``), with the camera's global motion (the median flow vector) removed, as
   the analysis does by default, and without (``camera="none"``); unless ``--no-diagnose``,
   also from flow computed here: over the dancer's bounding box only (an oracle, from the
   projected joints), with the dancer's travel removed there, with a homography camera, and
   with finer flow or Farneback's flow (see :func:`flow_diagnosis`);
4. ``motion energy``: the minima of the motion energy, the picture's change between the
   video's own frames with the camera's motion taken out (:mod:`mudar.features.energy`; `mudar
   rhythm --method motion-energy`): measured between decoded frames whatever the analysis
   rate, so its two rows differ only by their clocks;
5. ``hoof-flux``: the peaks of the HOOF flux, mudar's learning-free dance rhythm;
6. ``directogram``: the peaks of Davis & Agrawala's impact envelope.

Rungs 3-6 run at the video's frame rate (25 fps) and at ``--fps`` (default 8, the model's
clock). Every minimum or peak is refined below the frame (:func:`mudar.features.dance.refine_times`
on its curve), and every curve is smoothed as the joint speed is (a Gaussian of
:data:`~mudar.features.kinematic.BAILANDO_SIGMA_S`) before its minima are taken. The flow of
frame ``k`` is the motion from frame ``k - 1`` into ``k``, centred half a frame before ``k``:
the magnitude's minima are put there (the ``uncentred`` row keeps them on ``k``).

Printed as Markdown, one table per look: per signal, its events per second, the 70 ms F-measure
against the beats and its timing gain over its own control rolled by half the video (pooled
over dances, :func:`mudar.eval.timing.score_timing`), the mean gain over dances with its 95 %
interval (:func:`mudar.eval.timing.gain_interval`), and the same F-measure and gain against the
onsets. ``chance`` is uniform random times at the reference's rate.

Measured (``--looks high,dwm --start 0 --step 4 --limit 9``: 9 dances, a chacha, two rumbas
and six waltzes; timing gain against the beats, pooled over dances; looks ``high`` / ``dwm``):

=============================================  ===============  ===============
signal                                          @25 fps          @8 fps
=============================================  ===============  ===============
joints 3D (root-relative)                       +0.263           +0.214
joints 3D, travel left in                       +0.140           +0.127
joints 2D (camera), root-relative               +0.211 / +0.198  +0.201 / +0.153
joints 2D, bone-length weighted                 +0.190 / +0.180  +0.192 / +0.156
flow magnitude minima, camera removed           +0.044 / +0.024  +0.006 / +0.029
  best flow row of the diagnosis               +0.081 / +0.075  +0.044 / +0.035
motion energy minima (motion-energy)            +0.100 / +0.090  +0.105 / +0.091
hoof-flux                                       -0.010 / +0.003  +0.014 / +0.012
directogram                                     -0.023 / -0.012  -0.023 / -0.013
chance                                          +0.033           +0.033
=============================================  ===============  ===============

The timing survives the camera's projection (-0.05 to -0.07), 8 fps (-0.05; the joints keep
+0.15 to +0.21 there) and the weighting of a drawn figure (-0.02); it is lost between the
projected joints and the optical flow's magnitude (+0.18 -> +0.02 to +0.08), whatever the
camera compensation (median, homography), the flow (DIS ultrafast or finest level 0,
Farneback) or an oracle restriction to the dancer's box with their travel removed. The
dancer's travel across the floor, which a flow relative to the room keeps, halves the joints'
gain on its own. The flux and the impacts lose the rest. No learning-free signal tried here
gets back as much as half of the joints' gain at 8 fps, except the motion energy (added after
this diagnosis, 2026-12-06, ``--no-diagnose``): the change of the picture between the video's own
frames, camera removed, keeps +0.09 to +0.11 (its 95 % intervals over dances leave out 0), about
half of the projected joints' gain, in both looks and on the model's 8 fps clock too (it is
measured between decoded frames whatever the clock). A changed pixel is a changed pixel; the flow
of a thin, fast figure is not that reliable. In the looks fps12 / small / back / far (the same
dances, ``mudar make-locked --looks fps12,small,back,far``) it keeps +0.070 / +0.075 / +0.080 /
+0.045 (flow magnitude +0.009 / +0.025 / -0.007 / +0.079; README).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

BEATS, ONSETS = "beats", "onsets"


def centred_minima(curve: np.ndarray, *, fps: float, shift_frames: float = 0.0) -> np.ndarray:
    """Times (s) of the strict local minima of ``curve`` smoothed as the joint speed is.

    Each minimum is refined below the frame on the smoothed curve, then moved by
    ``shift_frames`` (-0.5 for a flow magnitude, whose frame ``k`` is the motion from ``k - 1``
    into ``k``).
    """
    from mudar.features.dance import refine_times
    from mudar.features.kinematic import BAILANDO_SIGMA_S, gaussian_smooth

    s = gaussian_smooth(np.asarray(curve, np.float64), sigma=BAILANDO_SIGMA_S * fps)
    k = np.flatnonzero((s[1:-1] < s[:-2]) & (s[1:-1] < s[2:])) + 1
    return refine_times(-s, k, fps=fps) + shift_frames / fps


def peak_times(frames: np.ndarray, curve: np.ndarray, *, fps: float) -> np.ndarray:
    """Peak frames refined below the frame on their curve, seconds."""
    from mudar.features.dance import refine_times

    return refine_times(curve, np.asarray(frames, int), fps=fps)


def bone_weighted_speed(px: np.ndarray, *, root: int) -> np.ndarray:
    """Root-relative speed of the drawn figure as a flow would sum it: per bone, the mean speed
    of its two ends times its length in the picture (+1 pixel), summed over bones; the mid
    points the renderer adds are taken in the picture (the projection's mean, close to the
    projected mean). px: (T, 23, 2) pixels; returns (T,), pixels^2 per frame."""
    from mudar.synthetic.skeleton import get_skeleton

    sk = get_skeleton("dwm23")
    pts = np.concatenate([px, np.stack([(px[:, a] + px[:, b]) / 2 for a, b in sk.mids], 1)], 1)
    v = np.gradient(pts, axis=0)
    speed = np.linalg.norm(v - v[:, root : root + 1], axis=-1)
    a, b = np.array(sk.bones).T
    length = np.linalg.norm(pts[:, a] - pts[:, b], axis=-1) + 1.0
    return (length * (speed[:, a] + speed[:, b]) / 2).sum(axis=1)


def joint_rungs(
    folder: Path, look_name: str, fps: float
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Rungs 1-2: accents of the joints in 3-D and as the camera sees them, seconds; and the
    projected joints (T', J, 2), pixels at the look's frame rate."""
    from mudar.features.geometry import resample_motion
    from mudar.features.kinematic import ROOT_JOINTS, joint_speed
    from mudar.synthetic.skeleton import get_look, project_joints

    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    z = np.load(folder / "motion.npz")
    joints, src_fps = z["joints"].astype(np.float64), float(z["fps"])
    root = ROOT_JOINTS["dwm23"]
    look = get_look(look_name)
    px = project_joints(joints, fps=src_fps, look=look)  # (T', J, 2) at look.fps
    flat = np.concatenate([px, np.zeros((*px.shape[:2], 1))], axis=-1)  # pixels, no depth
    out = {"joints 3D, accents of meta.json": np.asarray(meta["detected_accent_times"])}
    for rate in dict.fromkeys((src_fps, fps)):
        j3 = joints if rate == src_fps else resample_motion(joints, fps_in=src_fps, fps_out=rate)
        out[f"joints 3D @{rate:g}"] = centred_minima(joint_speed(j3, fps=rate, root=root), fps=rate)
        out[f"joints 3D, travel left in @{rate:g}"] = centred_minima(
            joint_speed(j3, fps=rate, root=None), fps=rate
        )
        j2 = flat if rate == look.fps else resample_motion(flat, fps_in=look.fps, fps_out=rate)
        out[f"joints 2D (camera), root-relative @{rate:g}"] = centred_minima(
            joint_speed(j2, fps=rate, root=root), fps=rate
        )
        out[f"joints 2D (camera), in the picture @{rate:g}"] = centred_minima(
            joint_speed(j2, fps=rate, root=None), fps=rate
        )
        out[f"joints 2D (camera), root-relative, weighted by bone length @{rate:g}"] = (
            centred_minima(bone_weighted_speed(j2[..., :2], root=root), fps=rate)
        )
    return out, px


def _homography_flow(flow: np.ndarray) -> np.ndarray:
    """The flow a plane seen by a moving camera would give: a homography fitted to the flow
    (RANSAC, every 4th pixel each way), evaluated at every pixel. (H, W, 2)."""
    import cv2

    h, w = flow.shape[:2]
    ys, xs = np.mgrid[0:h:4, 0:w:4]
    src = np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float32)
    dst = src + flow[::4, ::4].reshape(-1, 2)
    hom, _ = cv2.findHomography(src, dst, cv2.RANSAC, 1.0)
    if hom is None:
        return np.zeros_like(flow)
    yy, xx = np.mgrid[0:h, 0:w]
    p = np.stack([xx, yy, np.ones_like(xx)], -1).reshape(-1, 3).astype(np.float64) @ hom.T
    return (p[:, :2] / p[:, 2:] - np.stack([xx.ravel(), yy.ravel()], 1)).reshape(h, w, 2)


def flow_diagnosis(
    video: Path, px: np.ndarray, *, look, rate: float, size: int = 256
) -> dict[str, np.ndarray]:
    """Rung 3's diagnosis: minima (s) of the flow magnitude computed here as the analysis does
    (DIS "ultrafast" on the frame at half of ``size``, the median flow removed), summed over
    the dancer's box only (an oracle: the projected joints' bounding box plus 6 flow pixels),
    there also with the dancer's own median flow removed (their travel across the floor, which
    root-relative joint speeds leave out), over the whole frame with a homography camera
    instead of the median (the floor is a plane), and all again with finer flow (DIS at its
    finest pyramid level 0 instead of 2) and with Farneback's dense flow (Davis & Agrawala's)."""
    import cv2

    from mudar.features.flow import DISFlow, FarnebackFlow
    from mudar.io import iter_frames

    small = size // 2
    flows = {
        "": DISFlow(),
        ", finer flow": DISFlow(finest_scale=0),
        ", Farneback flow": FarnebackFlow(),
    }
    curves: dict[str, list[float]] = {}
    prev = None
    for k, frame in enumerate(iter_frames(video, fps=rate, size=size, gray=True)):
        cur = cv2.resize(frame, (small, small), interpolation=cv2.INTER_AREA)
        if prev is None:
            prev = cur
            continue
        pts = px[min(round(k * look.fps / rate), len(px) - 1)] * small / look.size[0]
        (x0, y0), (x1, y1) = pts.min(0) - 6, pts.max(0) + 6
        box = np.zeros((small, small), bool)
        box[max(0, int(y0)) : max(0, int(y1) + 1), max(0, int(x0)) : max(0, int(x1) + 1)] = True
        box |= not box.any()  # the dancer out of the picture (a following camera should not)
        for tag, dis in flows.items():
            fl = dis(prev, cur)
            rel = fl - np.median(fl[::4, ::4].reshape(-1, 2), axis=0)  # relative to the room
            dancer = rel[box] - np.median(rel[box], axis=0)  # relative to the dancer's travel
            rows = [
                (
                    f"camera removed{tag}, dancer's box only (oracle)",
                    np.linalg.norm(rel[box], axis=-1),
                ),
                (
                    f"camera and dancer's travel removed{tag}, dancer's box only (oracle)",
                    np.linalg.norm(dancer, axis=-1),
                ),
            ]
            if tag:
                rows.append((f"camera removed{tag}", np.linalg.norm(rel, axis=-1)))
            else:
                mh = np.linalg.norm(fl - _homography_flow(fl), axis=-1)
                rows.append((f"homography camera removed{tag}", mh))
            for name, v in rows:
                curves.setdefault(name, [0.0]).append(float(v.sum()))
        prev = cur
    return {
        f"flow magnitude minima, {name} @{rate:g}": centred_minima(
            np.asarray(c), fps=rate, shift_frames=-0.5
        )
        for name, c in curves.items()
    }


def video_rungs(video: Path, fps: float) -> tuple[dict[str, np.ndarray], np.ndarray, float]:
    """Rungs 3-6 from the video, seconds; and the music onset times and duration (s)."""
    from mudar.clock import FrameClock
    from mudar.features.analysis import AnalysisConfig
    from mudar.features.directogram import directogram_rhythm
    from mudar.features.energy import energy_minima
    from mudar.features.extract import analyze
    from mudar.io import probe
    from mudar.tasks.sync import sync_clock

    native = probe(video).native_fps
    out: dict[str, np.ndarray] = {}
    onsets, duration = None, None
    # the video's rate where the audio clock allows it (12 fps does not divide 16 kHz: 10)
    for rate in dict.fromkeys((sync_clock(native).fps, fps)):
        # at the model's rate its own clock; at the video's, the sync clock (sub to ~10 ms)
        clock = FrameClock() if rate == FrameClock().fps else sync_clock(native, fps=rate)
        for camera in ("median", "none"):
            model_view = camera == "median"
            config = AnalysisConfig(clock=clock, camera=camera, energy_steps=4 if model_view else 0)
            a = analyze(video, config, music=model_view)
            d = a.dance
            tag = "camera removed" if model_view else "camera left in"
            out[f"flow magnitude minima, {tag} @{rate:g}"] = centred_minima(
                d.magnitude, fps=rate, shift_frames=-0.5
            )
            if not model_view:
                continue
            out[f"flow magnitude minima, {tag}, uncentred @{rate:g}"] = centred_minima(
                d.magnitude, fps=rate
            )
            out[f"motion energy minima (motion-energy) @{rate:g}"] = energy_minima(
                d.energy, fps=rate
            )
            out[f"hoof-flux @{rate:g}"] = peak_times(d.rhythm_frames, d.strength, fps=rate)
            frames, env = directogram_rhythm(d.hoof * d.magnitude[:, None], fps=rate)
            out[f"directogram @{rate:g}"] = peak_times(frames, env, fps=rate)
            if onsets is None or rate == FrameClock().fps:  # the model clock's onsets
                onsets, duration = np.asarray(a.music.onset_times, np.float64), a.duration_s
    return out, onsets, duration


def dance_signals(folder: Path, look: str, fps: float, *, diagnose: bool = True) -> dict:
    """All rungs of one dance and look, and its references."""
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    from mudar.synthetic.skeleton import get_look

    path = folder / f"video_{look}.mp4"
    video, onsets, duration = video_rungs(path, fps)
    joints, px = joint_rungs(folder, look, fps)
    signals = joints | video
    if diagnose:
        for rate in dict.fromkeys((get_look(look).fps, fps)):
            signals |= flow_diagnosis(path, px, look=get_look(look), rate=rate)
    signals = {k: v[(v >= 0) & (v < duration)] for k, v in signals.items()}
    return {
        "signals": signals,
        "duration": duration,
        BEATS: np.asarray(meta["beat_times"], np.float64),
        ONSETS: onsets,
    }


RUNGS = ("joints 3D", "joints 2D", "flow magnitude", "motion energy", "hoof-flux", "directogram")


def _row_order(name: str) -> tuple:
    """Rows by analysis rate (the video's first), then down the ladder."""
    rate = float(name.rsplit("@", 1)[1]) if "@" in name else float("inf")
    rung = next(i for i, r in enumerate(RUNGS) if name.startswith(r))
    return (-rate, rung)


def ladder_table(dances: list[dict], *, seed: int = 0) -> str:
    """Markdown rows: per signal, rate and 70 ms F-measure and gain against beats and onsets."""
    from mudar.eval.timing import gain_interval, score_timing

    names = sorted(dances[0]["signals"], key=_row_order)
    pooled = {
        ref: score_timing([(d[ref], d["duration"], d["signals"]) for d in dances], seed=seed)
        for ref in (BEATS, ONSETS)
    }
    per_dance = [score_timing([(d[BEATS], d["duration"], d["signals"])], seed=seed) for d in dances]
    total_s = sum(d["duration"] for d in dances)
    lines = [
        "| signal | events/s | F1 beats | gain beats | gain beats, mean over dances [95 %] "
        "| F1 onsets | gain onsets |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in [*names, "chance"]:
        b, o = pooled[BEATS][name], pooled[ONSETS][name]
        gi = gain_interval([s[name]["timing_gain"] for s in per_dance])
        if name == "chance":
            rate = sum(len(d[BEATS]) for d in dances) / total_s
        else:
            rate = sum(len(d["signals"][name]) for d in dances) / total_s
        lines.append(
            f"| {name} | {rate:.2f} | {b['f1']:.3f} | {b['timing_gain']:+.3f} "
            f"| {gi['mean']:+.3f} [{gi['low']:+.3f}, {gi['high']:+.3f}] "
            f"| {o['f1']:.3f} | {o['timing_gain']:+.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, required=True, help="a beat-locked set (DANCE_*/)")
    p.add_argument("--looks", default="high", help="comma-separated looks (video_<look>.mp4)")
    p.add_argument("--start", type=int, default=0, help="skip the first K dances (sorted)")
    p.add_argument("--step", type=int, default=1, help="then take every STEP-th dance")
    p.add_argument("--limit", type=int, default=8, help="dances per look")
    p.add_argument("--fps", type=float, default=8.0, help="the low analysis rate (the model's)")
    p.add_argument(
        "--no-diagnose",
        dest="diagnose",
        action="store_false",
        help="leave out the flow diagnosis rows (dancer's box, homography, finer flow)",
    )
    args = p.parse_args(argv)
    folders = sorted(f for f in args.data.glob("DANCE_*") if (f / "meta.json").is_file())
    folders = folders[args.start :: max(1, args.step)][: args.limit]
    if not folders:
        print(f"no dances in {args.data}", file=sys.stderr)
        return 1
    print(f"dances: {', '.join(f.name for f in folders)}\n")
    for look in args.looks.split(","):
        t0 = time.perf_counter()
        dances = [dance_signals(f, look, args.fps, diagnose=args.diagnose) for f in folders]
        print(f"### look `{look}`, {len(dances)} dances ({time.perf_counter() - t0:.0f} s)\n")
        print(ladder_table(dances))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
