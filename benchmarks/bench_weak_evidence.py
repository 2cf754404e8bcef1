"""Where the line between a rhythm point and weak evidence lies: the prominence of the
motion-energy stops on picture noise, on dances that stop on every beat, on real ballroom.

Run: `.venv/bin/python benchmarks/bench_weak_evidence.py [--noise 6] [--dwm 8]`

Three kinds of video, each analysed with the motion energy (as `mudar rhythm` does) and each stop
scored by :func:`mudar.features.dance.rhythm_prominence` on the method's strength curve:
``--noise`` clips of 6 s of picture noise (every frame new, seeds 0..; a motion that never
stops), the demo's synthetic dances (6 s; a dancer who stops on every beat), and the first
``--dwm`` dances of ../shared/data/dwm (skipped with a line when absent). Per kind: the stops, the
share below :data:`mudar.features.dance.WEAK_PROMINENCE`, and the least and most prominence.
Printed as Markdown.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

DWM = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dwm"


def noise_clip(path: Path, *, seed: int, seconds: float = 6.0, fps: float = 25.0) -> Path:
    from mudar.io.write import write_video

    rng = np.random.default_rng(seed)
    frames = (rng.random((round(seconds * fps), 240, 320, 3)) * 255).astype(np.uint8)
    sr = 22050
    return write_video(path, frames, fps=fps, audio=np.zeros(int(seconds * sr)), sr=sr)


def prominences(video: Path) -> np.ndarray:
    from mudar.features.analysis import AnalysisConfig
    from mudar.features.dance import rhythm_prominence
    from mudar.features.extract import analyze
    from mudar.tasks.rhythm import dance_rhythm, stop_times

    a = analyze(video, AnalysisConfig(energy_steps=4), progress=False)
    _, strength = dance_rhythm(a, method="motion-energy")
    return rhythm_prominence(strength, stop_times(a), fps=a.clock.fps)


def main(argv: list[str] | None = None) -> int:
    from mudar.features.dance import WEAK_PROMINENCE
    from mudar.serve.app import make_demo_media

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--noise", type=int, default=6)
    p.add_argument("--dwm", type=int, default=8)
    args = p.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="mudar-weak-"))
    kinds = {
        "picture noise": [noise_clip(tmp / f"noise{i}.mp4", seed=i) for i in range(args.noise)],
        "demo dances (a stop on every beat)": sorted(
            make_demo_media(tmp / "demo", duration_s=6.0).glob("*.mp4")
        ),
    }
    if DWM.is_dir():
        kinds["dwm ballroom dances"] = sorted(DWM.glob("DANCE_*/video.mp4"))[: args.dwm]
    else:
        print(f"(no {DWM}: the dwm row is skipped)", file=sys.stderr)
    print(f"Weak below {WEAK_PROMINENCE:g}.")
    print()
    print("| videos | n | stops | weak | least | most |")
    print("|---|---|---|---|---|---|")
    for kind, videos in kinds.items():
        pr = np.concatenate([prominences(v) for v in videos])
        weak = int((pr < WEAK_PROMINENCE).sum())
        print(
            f"| {kind} | {len(videos)} | {len(pr)} | {weak} ({weak / len(pr):.0%}) | "
            f"{pr.min():.2f} | {pr.max():.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
