"""What MuDaR's rhythm head listens to: the music, the RGB injector, the motion.

Run: `.venv/bin/python benchmarks/bench_rhythm_inputs.py --features DIR [--checkpoint CKPT ...]
[--ids SPLIT.json] [--clips 16]`

For clips of prepared dances (``mudar prepare``, on the model's clock with RGB frames), the head's
probability is computed four ways: as at inference without the music (the injector's audio-free
path), with the music (AGVA), with the injector's output zeroed, and with the motion input
zeroed. The table gives the mean absolute change of the probability against the first, beside
the probability's spread within a clip: a change far below that spread means the head ignores
that input. ``--ids`` takes a split file (``test`` or ``val`` ids are used, else ``train``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def changes(model, clipset, clips: int) -> dict[str, float]:
    """Mean |p - p_noaudio| per altered input, and the mean within-clip std of p_noaudio."""
    import numpy as np
    import torch

    idx = np.unique(np.linspace(0, len(clipset) - 1, clips).round().astype(int))
    out: dict[str, list[float]] = {"music": [], "injector zeroed": [], "motion zeroed": []}
    spread = []
    with torch.no_grad():
        for i in idx:
            item = clipset[int(i)]
            frames, motion = item["frames"][None], item["motion"][None]
            f_rgb = model.encode_frames(frames)
            audio = model.audio_encoder(item["audio"][None])
            injected = model.injector(f_rgb, None)
            p0 = torch.sigmoid(model.head_output(f_rgb, motion))
            variants = {
                "music": model.head_output(f_rgb, motion, audio),
                "injector zeroed": model.head(motion, torch.zeros_like(injected)),
                "motion zeroed": model.head(torch.zeros_like(motion), injected),
            }
            for name, logits in variants.items():
                out[name].append(float((torch.sigmoid(logits) - p0).abs().mean()))
            spread.append(float(p0.std()))
    return {
        **{k: float(np.mean(v)) for k, v in out.items()},
        "within-clip std": float(np.mean(spread)),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--features", required=True, help="prepared features (mudar prepare --out)")
    ap.add_argument(
        "--checkpoint", nargs="+", help="MuDaR checkpoints (default: the shipped model)"
    )
    ap.add_argument("--ids", help="split JSON whose test/val ids to use (default: every dance)")
    ap.add_argument("--clips", type=int, default=16, help="clips scored per checkpoint")
    args = ap.parse_args()

    import torch

    from mudar.data.clips.clipset import ClipSet
    from mudar.errors import MudarError
    from mudar.models.checkpoint import default_checkpoint_path, load_model
    from mudar.models.config import TrainConfig

    torch.set_num_threads(1)
    if not Path(args.features).is_dir():
        print(f"skipped: {args.features} is not a folder of prepared features", file=sys.stderr)
        return 0
    from mudar.pipelines.bench.data import usable_items

    ids = [it["id"] for it in usable_items(args.features)]
    if args.ids:
        split = json.loads(Path(args.ids).read_text())
        ids = split.get("test") or split.get("val") or split.get("train")
    rows = []
    try:
        for ckpt in args.checkpoint or [str(default_checkpoint_path())]:
            model = load_model(ckpt).eval()
            clipset = ClipSet(args.features, ids, model.config, TrainConfig(clip_hop_s=8.0))
            rows.append((ckpt, changes(model, clipset, args.clips)))
    except MudarError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    cols = ["music", "injector zeroed", "motion zeroed", "within-clip std"]
    print(
        "| checkpoint | "
        + " | ".join(f"mean abs change, {c}" if c != cols[-1] else c for c in cols)
        + " |"
    )
    print("|---" * (len(cols) + 1) + "|")
    for ckpt, r in rows:
        print(f"| {ckpt} | " + " | ".join(f"{r[c]:.2e}" for c in cols) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
