"""Speed of the MuDaR model on this machine: a training step, and inference per 8 s clip.

Run: `.venv/bin/python benchmarks/bench_model.py [--preset cpu] [--repeats 5]`
Random inputs of the preset's shapes; prints seconds per training step (forward, backward,
Adam) and per clip of rhythm inference with and without audio. The training time of a whole
preset run and the held-out rhythm scores come from `scripts/train_default.sh`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="cpu")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    import torch

    from mudar.losses.joint import JointLoss
    from mudar.losses.triplet import TripletLoss
    from mudar.models.mudar import MuDaR
    from mudar.models.presets import get_preset

    p = get_preset("mudar", args.preset)
    c, b = p.model, p.train.batch_size
    torch.manual_seed(0)
    model = MuDaR(c)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    T, S = c.n_frames, c.frame_size
    frames = torch.rand(b, T, 3, S, S)
    motion = torch.rand(b, T, c.hoof_bins + 1)
    audio = torch.randn(b, c.audio_rows, T * c.sub)
    onsets = (torch.rand(b, T) < 0.2).float()
    triplet, joint = TripletLoss(margin=1.0), JointLoss(lambda_im=1.0, lambda_ex=1.0)

    def step():
        model.train()
        out = model(frames, motion, audio, neg_audio=audio.roll(1, 0), audio_dropout=True)
        l_im = triplet(out.visual_emb, out.audio_emb, out.neg_audio_emb)
        l_ex = model.head.loss(out.head_out, onsets, onsets)
        loss = joint(l_im, l_ex)
        opt.zero_grad()
        loss.backward()
        opt.step()

    def infer(with_audio: bool):
        model.eval()
        model.rhythm(frames[:1], motion[:1], audio[:1] if with_audio else None)

    def timed(fn, *a) -> float:
        fn(*a)  # warm-up
        ts = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            fn(*a)
            ts.append(time.perf_counter() - t)
        return statistics.median(ts)

    n_params = sum(p.numel() for p in model.parameters())
    print(
        f"preset {args.preset}: {n_params / 1e6:.2f} M parameters, batch {b} clips of "
        f"{c.clip_s:g} s ({T} frames of {S}x{S}), {torch.get_num_threads()} threads"
    )
    t_step = timed(step)
    print(f"training step:           {t_step:7.3f} s  ({b / t_step:6.1f} clips/s)")
    print(f"inference, with audio:   {timed(infer, True):7.3f} s per clip")
    print(f"inference, no audio:     {timed(infer, False):7.3f} s per clip")
    return 0


if __name__ == "__main__":
    sys.exit(main())
