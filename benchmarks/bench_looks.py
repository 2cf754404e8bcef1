"""Does a MuDaR model hold on video looks it never saw? Re-rendered dwm dances, compared.

Run: `.venv/bin/python benchmarks/bench_looks.py [--checkpoint CKPT] [--dances N] [--seconds S]
[--out DIR]`

The model (default: the shipped one) was trained on one rendered look (320x320, 25 fps, one
avatar and backdrop, a tracking camera). Each of its held-out dances (the checkpoint's
``val_videos``; ``--dances`` takes the first N) is cut to its first ``--seconds`` and written
again, with its own music, as a new video per *look*: the same pictures re-encoded (the
reference), other colours (channels rotated), dim and flat, mirrored, zoomed in 1.4x, rolled 10
degrees, letterboxed into 640x360, shrunk to 160x160, and resampled to 30 and 12 fps. Each file
is analysed as any user's file.

Per look, pooled over the dances (rhythm frames matched one-to-one within +-1 frame at 8 fps):
- ``mudar F1`` / ``hoof-flux F1``: the no-audio rhythm against the music's onsets;
- ``mudar agree`` / ``hoof-flux agree``: F1 of the look's rhythm frames against those of the
  re-encoded reference (1.0: the look changes nothing);
- ``emb cos``: mean cosine of each clip's visual embedding to the reference's;
- ``emb R@1``: how often that reference clip is the nearest of all reference clips (of every
  dance) to the look's clip: whether the embedding still tells the clips apart.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

DWM = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dwm"
SR = 22050


def _zoom(f: np.ndarray, k: float = 1.4) -> np.ndarray:
    import cv2

    h, w = f.shape[:2]
    ch, cw = int(h / k) // 2 * 2, int(w / k) // 2 * 2
    y0, x0 = (h - ch) // 2, (w - cw) // 2
    return cv2.resize(f[y0 : y0 + ch, x0 : x0 + cw], (w, h), interpolation=cv2.INTER_LINEAR)


def _roll(f: np.ndarray, degrees: float = 10.0) -> np.ndarray:
    import cv2

    h, w = f.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(f, m, (w, h), borderMode=cv2.BORDER_REFLECT)


def _letterbox(f: np.ndarray, w: int = 640, h: int = 360) -> np.ndarray:
    import cv2

    side = min(w, h)
    out = np.full((h, w, 3), 96, np.uint8)
    x0, y0 = (w - side) // 2, (h - side) // 2
    out[y0 : y0 + side, x0 : x0 + side] = cv2.resize(f, (side, side))
    return out


def _resize(f: np.ndarray, side: int = 160) -> np.ndarray:
    import cv2

    return cv2.resize(f, (side, side), interpolation=cv2.INTER_AREA)


LOOKS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], float | None]] = {
    "re-encoded (reference)": (lambda f: f, None),
    "colours rotated": (lambda f: np.ascontiguousarray(f[..., [2, 0, 1]]), None),
    "dim, flat": (lambda f: (0.45 * f + 30).astype(np.uint8), None),
    "mirrored": (lambda f: np.ascontiguousarray(f[:, ::-1]), None),
    "zoomed 1.4x": (_zoom, None),
    "rolled 10 deg": (_roll, None),
    "letterboxed 640x360": (_letterbox, None),
    "shrunk 160x160": (_resize, None),
    "30 fps": (lambda f: f, 30.0),
    "12 fps": (lambda f: f, 12.0),
}
"""Look name -> (picture transform, new frame rate or None to keep the source's)."""


def source_frames(path: Path, seconds: float) -> tuple[list[np.ndarray], float]:
    """RGB frames of the first ``seconds`` of a video, and its frame rate."""
    import av

    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        fps = float(stream.average_rate)
        frames = []
        for frame in c.decode(stream):
            if frame.time is not None and frame.time >= seconds:
                break
            frames.append(frame.to_ndarray(format="rgb24"))
    return frames, fps


def render(dest: Path, frames, fps: float, audio: np.ndarray, look: str) -> Path:
    """Write one look of a dance, with its music, as ``dest``."""
    from mudar.io.write import write_video

    transform, new_fps = LOOKS[look]
    if new_fps is not None:  # each output frame shows the source frame nearest its time
        n = int(len(frames) / fps * new_fps)
        idx = np.minimum(np.round(np.arange(n) / new_fps * fps).astype(int), len(frames) - 1)
        frames, fps = [frames[i] for i in idx], new_fps
    return write_video(
        dest, (transform(f) for f in frames), fps=fps, audio=audio, sr=SR, preset="veryfast"
    )


def agreement(a: np.ndarray, b: np.ndarray) -> tuple[int, int, int]:
    """(matched within +-1 frame, len(a), len(b))."""
    from mudar.eval.rhythm import count_matches

    return count_matches(np.sort(a), np.sort(b), window_s=1 + 1e-6), len(a), len(b)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", help="MuDaR checkpoint (default: the shipped model)")
    ap.add_argument("--dances", type=int, default=5, help="held-out dances to use (default 5)")
    ap.add_argument("--seconds", type=float, default=30.0, help="seconds of each dance")
    ap.add_argument("--out", help="folder for the rendered videos (default: a temporary one)")
    args = ap.parse_args()
    if not DWM.is_dir():
        print(f"skipped: {DWM} not found (the benchmark needs the shared dwm data)")
        return 0

    import torch

    from mudar.eval.rhythm import prf
    from mudar.features.extract import analyze
    from mudar.io.audio import load_audio
    from mudar.models.checkpoint import default_checkpoint_path, load_model
    from mudar.tasks.embed import embed_analysis
    from mudar.tasks.rhythm import dance_rhythm

    torch.set_num_threads(1)
    model = load_model(args.checkpoint or default_checkpoint_path()).eval()
    config = model.config.analysis_config()
    held_out = [v.split("/")[0] for v in model.meta.get("val_videos", [])]
    dances = (held_out or sorted(p.name for p in DWM.iterdir() if p.is_dir()))[: args.dances]
    out = Path(args.out or tempfile.mkdtemp(prefix="mudar-looks-"))
    out.mkdir(parents=True, exist_ok=True)

    counts: dict[str, dict[str, np.ndarray]] = {}
    cosines: dict[str, list[float]] = {}
    embeddings: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}  # (clips, reference rows)
    offset = 0
    for dance in dances:
        video = DWM / dance / "video.mp4"
        frames, fps = source_frames(video, args.seconds)
        y = load_audio(video, sr=SR)[: int(args.seconds * SR)]
        ref = None
        for look in LOOKS:
            path = render(out / f"{dance}-{look.split()[0]}.mp4", frames, fps, y, look)
            a = analyze(path, config)
            rhythm = {
                "mudar": dance_rhythm(a, method="mudar-noaudio", model=model)[0],
                "hoof-flux": dance_rhythm(a, method="hoof-flux")[0],
            }
            visual = embed_analysis(model, a)["visual"]
            if ref is None:
                ref = (rhythm, visual)
            c = counts.setdefault(look, {})
            onsets = np.flatnonzero(a.music.onsets)
            for m, r in rhythm.items():
                c[f"{m} F1"] = c.get(f"{m} F1", 0) + np.array(agreement(onsets, r))
                c[f"{m} agree"] = c.get(f"{m} agree", 0) + np.array(agreement(ref[0][m], r))
            k = min(len(visual), len(ref[1]))
            cos = (visual[:k] * ref[1][:k]).sum(1)  # embeddings are L2-normalised
            cosines.setdefault(look, []).extend(cos.tolist())
            embeddings.setdefault(look, []).append((visual[:k], offset + np.arange(k)))
        offset += len(ref[1])
        print(f"{dance}: {len(LOOKS)} looks done", file=sys.stderr)

    cols = ["mudar F1", "mudar agree", "hoof-flux F1", "hoof-flux agree"]
    print(f"{len(dances)} held-out dances, first {args.seconds:.0f} s each; videos in {out}\n")
    reference = np.concatenate([e for e, _ in embeddings[next(iter(LOOKS))]])
    print("| look | " + " | ".join(cols) + " | emb cos | emb R@1 |")
    print("|---" * (len(cols) + 3) + "|")
    for look in LOOKS:
        vals = [f"{prf(*(int(x) for x in counts[look][col]))[2]:.3f}" for col in cols]
        mine = np.concatenate([e for e, _ in embeddings[look]])
        rows = np.concatenate([r for _, r in embeddings[look]])
        hits = np.mean((mine @ reference.T).argmax(1) == rows)
        print(f"| {look} | " + " | ".join(vals) + f" | {np.mean(cosines[look]):.3f} | {hits:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
