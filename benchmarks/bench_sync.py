"""Does `mudar sync` find a known audio delay? Synthetic dances and the real dances of dwm.

Run: `.venv/bin/python benchmarks/bench_sync.py [--files 4] [--synthetic 8] [--limit N]
[--data DIR [--look LOOK]]`

``--data`` takes another folder of dwm-style dances, e.g. a beat-locked set made by `mudar
make-locked` with ``--look`` naming which of its videos (``video_<look>.mp4``) to use: there the
motion *is* locked to the music, so the delays should be found.

Each video is estimated as it is (true delay 0: the dwm videos are taken as in sync) and with its
audio delayed by +0.3 s and by -0.2 s. The delays are applied to the decoded audio before the
music features are computed (the video is analysed once); for the first ``--files`` dwm videos
they are also written into real files (audio shifted, video stream copied, AAC re-encoded, as
`mudar sync --fix` writes them) and estimated through the whole file path, to check that the
two agree. Printed as Markdown: per condition, the fraction of estimates within 0.08 s of the
truth, the median absolute error and the mean confidence. ``relative`` rows score
``estimate(delayed) - estimate(original)`` against the delay, which cancels any constant bias
of a video.

Signals: ``hoof-flux`` and ``motion-energy`` (learning-free, from the video: the HOOF flux,
and pulses at the dancer's stops, :func:`mudar.tasks.sync.stop_pulses`); on a locked set
``accents (oracle)``, the same pulses at the dancer's true accents (its meta.json): the most a
visual signal could give; and ``mocap speed``, the mean joint speed of the motion capture the
videos were rendered from, as a reference. ``synthetic`` dances (stick figure, drum music,
three tempo sections of 4 s, so that the delay is not ambiguous modulo one beat) are a control
where motion and music are locked by construction.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DWM = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dwm"
DELAYS = (0.0, 0.3, -0.2)
TOLERANCE_S = 0.08
MAX_OFFSET_S = 1.0


def estimate(strength, y, clock, n_frames, *, delay_s: float, fps: float | None = None):
    """The estimate with the audio ``y`` delayed by ``delay_s`` before the music features."""
    from mudar.features.music import music_features
    from mudar.tasks.sync import estimate_offset, shift_audio

    music = music_features(
        shift_audio(y, offset_s=-delay_s, sr=clock.sr), clock=clock, n_frames=n_frames
    )
    return estimate_offset(
        strength,
        music.onset_envelope,
        fps=fps or clock.fps,
        rate=clock.fine_rate,
        max_offset_s=MAX_OFFSET_S,
    )


def analyse(path: Path, *, size: int = 256):
    """Analysis of a video on the sync clock (with the motion energy), and its audio at the
    analysis rate."""
    from mudar.features.analysis import AnalysisConfig
    from mudar.features.extract import analyze
    from mudar.io import load_audio, probe
    from mudar.tasks.sync import sync_clock

    clock = sync_clock(probe(path).native_fps)
    a = analyze(path, AnalysisConfig(clock=clock, size=size, energy_steps=4), music=False)
    return a, load_audio(path, sr=clock.sr)


def mocap_speed(folder: Path) -> tuple[np.ndarray, float]:
    """Mean joint speed per frame of ``motion.npz`` (units/frame), and its frame rate."""
    z = np.load(folder / "motion.npz")
    joints = z["joints"].astype(np.float64)
    speed = np.zeros(len(joints))
    speed[1:] = np.linalg.norm(np.diff(joints, axis=0), axis=-1).mean(-1)
    return speed, float(z["fps"])


def accent_pulses(video: Path, analysis) -> np.ndarray | None:
    """A beat-locked dance's true accents (``detected_accent_times`` of the meta.json beside
    ``video``) as :func:`mudar.tasks.sync.stop_pulses` draws the stops: the best a visual signal
    could give; None for a dance without them (dwm)."""
    from mudar.data.readers.dataset import meta_beside
    from mudar.tasks.sync import pulse_curve

    meta = meta_beside(video)
    if "detected_accent_times" not in meta:
        return None
    return pulse_curve(meta["detected_accent_times"], analysis)


def synthetic_clip(folder: Path, seed: int) -> Path:
    """A 12 s synthetic dance in three tempo sections, motion locked to the beats."""
    from mudar.io.write import write_video
    from mudar.synthetic.video import dance_frames, synth_music

    rng = np.random.default_rng(seed)
    sr, section_s = 22050, 4.0
    music, beats = [], []
    for i, tempo in enumerate(rng.uniform(90, 140, 3)):
        y, b = synth_music(tempo_bpm=tempo, duration_s=section_s, sr=sr, seed=seed + i)
        music.append(y)
        beats.append(b + i * section_s)
    frames = dance_frames(
        motion_beat_times=np.concatenate(beats),
        duration_s=3 * section_s,
        fps=25.0,
        size=(160, 120),
        seed=seed,
    )
    return write_video(
        folder / f"synthetic_{seed}.mp4",
        frames,
        fps=25.0,
        audio=np.concatenate(music),
        sr=sr,
        preset="superfast",
    )


def file_estimate(src: Path, folder: Path, delay_s: float):
    """Write ``src`` with its audio delayed by ``delay_s`` and estimate through the file path."""
    from mudar.io.audio import load_audio_track
    from mudar.io.remux import remux_with_audio
    from mudar.pipelines.sync import sync_estimate
    from mudar.tasks.sync import shift_audio

    y, sr = load_audio_track(src)
    dest = folder / f"{src.parent.name}_{delay_s:+.1f}.mp4"
    remux_with_audio(src, dest, shift_audio(y, offset_s=-delay_s, sr=sr), sr=sr)
    return sync_estimate(dest, max_offset_s=MAX_OFFSET_S)


def table(results: dict[str, dict[float, list]]) -> str:
    """Markdown rows: absolute and relative scores per signal and delay."""
    lines = [
        "| videos | signal | condition | n | within 0.08 s | median abs. error (s) "
        "| mean confidence | max confidence |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, by_delay in results.items():
        if not by_delay[0.0]:  # e.g. --synthetic 0
            continue
        videos, signal = name.split(" / ")
        base = np.array([e.offset_s for e in by_delay[0.0]])
        for d in DELAYS:
            est = np.array([e.offset_s for e in by_delay[d]])
            conf = np.array([e.confidence for e in by_delay[d]])
            err = np.abs(est - d)
            lines.append(
                f"| {videos} | {signal} | delay {d:+.1f} s | {len(est)} | "
                f"{np.mean(err <= TOLERANCE_S):.2f} | {np.median(err):.3f} | {conf.mean():.2f} "
                f"| {conf.max():.2f} |"
            )
        for d in DELAYS[1:]:
            est = np.array([e.offset_s for e in by_delay[d]])
            err = np.abs(est - base - d)
            lines.append(
                f"| {videos} | {signal} | relative {d:+.1f} s | {len(est)} | "
                f"{np.mean(err <= TOLERANCE_S):.2f} | {np.median(err):.3f} | | |"
            )
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=4, help="dwm videos also checked as real files")
    ap.add_argument("--synthetic", type=int, default=8, help="synthetic control dances")
    ap.add_argument("--limit", type=int, help="only the first N dwm videos")
    ap.add_argument("--data", type=Path, default=DWM, help="folder of dwm-style dances")
    ap.add_argument("--look", help="a locked set's look: its DANCE_*/video_<look>.mp4")
    args = ap.parse_args()
    name = "dwm" if args.look is None else f"locked {args.look}"
    pattern = "DANCE_*/video.mp4" if args.look is None else f"DANCE_*/video_{args.look}.mp4"
    results: dict[str, dict[float, list]] = {}
    t_start = time.perf_counter()
    from mudar.tasks.sync import stop_pulses

    with tempfile.TemporaryDirectory(prefix="mudar-sync-") as tmp:
        tmp = Path(tmp)
        syn = results.setdefault("synthetic / hoof-flux", {d: [] for d in DELAYS})
        syn_stops = results.setdefault("synthetic / motion-energy", {d: [] for d in DELAYS})
        for seed in range(args.synthetic):
            a, y = analyse(synthetic_clip(tmp, seed), size=128)
            pulses = stop_pulses(a)
            for d in DELAYS:
                syn[d].append(estimate(a.dance.strength, y, a.clock, a.n_frames, delay_s=d))
                syn_stops[d].append(
                    estimate(pulses, y, a.clock, a.n_frames, delay_s=d, fps=a.clock.fine_rate)
                )

        videos = sorted(args.data.glob(pattern))[: args.limit]
        if not videos:
            print(f"{name} skipped: no {args.data}/{pattern}")
        flux = results.setdefault(f"{name} / hoof-flux", {d: [] for d in DELAYS})
        stops = results.setdefault(f"{name} / motion-energy", {d: [] for d in DELAYS})
        mocap = results.setdefault(f"{name} / mocap speed", {d: [] for d in DELAYS})
        oracle = results.setdefault(f"{name} / accents (oracle)", {d: [] for d in DELAYS})
        agree = []
        for i, path in enumerate(videos):
            a, y = analyse(path)
            speed, speed_fps = mocap_speed(path.parent)
            accents = accent_pulses(path, a)
            for d in DELAYS:
                if accents is not None:
                    oracle[d].append(
                        estimate(accents, y, a.clock, a.n_frames, delay_s=d, fps=a.clock.fine_rate)
                    )
                e = estimate(a.dance.strength, y, a.clock, a.n_frames, delay_s=d)
                flux[d].append(e)
                pulses = stop_pulses(a)
                stops[d].append(
                    estimate(pulses, y, a.clock, a.n_frames, delay_s=d, fps=a.clock.fine_rate)
                )
                mocap[d].append(estimate(speed, y, a.clock, a.n_frames, delay_s=d, fps=speed_fps))
                if i < args.files:
                    f = file_estimate(path, tmp, d)
                    agree.append(abs(f.offset_s - e.offset_s))
            e = flux[0.0][-1]
            print(
                f"{path.parent.name}: hoof-flux {e.offset_s:+.3f} s ({e.confidence:.2f}), "
                f"motion-energy {stops[0.0][-1].offset_s:+.3f} s "
                f"({stops[0.0][-1].confidence:.2f}), "
                f"mocap {mocap[0.0][-1].offset_s:+.3f} s",
                file=sys.stderr,
                flush=True,
            )
        for signal in ("hoof-flux", "motion-energy", "mocap speed", "accents (oracle)"):
            if not results[f"{name} / {signal}"][0.0]:
                del results[f"{name} / {signal}"]
    print(table(results))
    if agree:
        print(
            f"\nReal files (first {min(args.files, len(videos))} {name} videos, 3 delays each, "
            f"audio shifted and re-encoded, video stream copied): the file estimate differs "
            f"from the feature-level one by at most {max(agree):.3f} s "
            f"(median {np.median(agree):.3f} s)."
        )
    print(f"\n{time.perf_counter() - t_start:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
