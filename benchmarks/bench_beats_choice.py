"""How ``timing-beats`` was chosen: on the timing model's threshold dances, never a test dance.

Run: `.venv/bin/python benchmarks/bench_beats_choice.py --train TRAIN --work DIR
[--model src/mudar/checkpoints/timing-cpu.pt] [--tracks mediapipe|free]`

``TRAIN`` is the locked set the model was trained on (``benchmarks/bench_timing.py``'s), ``DIR``
that benchmark's analyses (``--tracks mediapipe`` needs its ``--train-pose mediapipe`` ones).
The videos scored are those of the model's threshold dances (its checkpoint's
``threshold_dances``: training data it never fitted). For each, the 70 ms F-measure against the
beats of ``meta.json`` and its gain over the half-beat shifted beats of: the model's rhythm
points (``timing``), the steady beat through its probabilities (``timing-beats``,
:func:`mudar.models.timing.beat_points`), librosa's beat tracker on the same probabilities, and
the rules with and without the same beat tracker through pulses at their times. Markdown.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_timing import beat_score, f_gain_table, inputs, load, rule_beats  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--train", type=Path, required=True)
    p.add_argument("--work", type=Path, required=True)
    p.add_argument("--model", type=Path, default=None, help="default: the shipped timing model")
    p.add_argument("--tracks", choices=("mediapipe", "free"), default="mediapipe")
    args = p.parse_args(argv)

    import librosa
    import torch

    from mudar.models.checkpoint import default_timing_path, load_timing
    from mudar.models.timing import beat_points, dense_probs, predict_times

    torch.set_num_threads(1)
    model = load_timing(args.model or default_timing_path())
    dances = set(model.meta["threshold_dances"])
    items = [
        it
        for it in load(args.work, args.train, None, mediapipe=args.tracks == "mediapipe")
        if it["dance"] in dances
    ]

    def librosa_beats(probs, x):
        _, b = librosa.beat.beat_track(onset_envelope=probs, sr=x.rate, hop_length=1, trim=False)
        return b / x.rate + x.offset_s

    rows: dict[str, list] = {}
    for it in items:
        x = inputs(it, True)
        probs = dense_probs(model, x)
        est = {
            "timing (the model's points)": predict_times(model, x)[0],
            "timing-beats (beat_points)": beat_points(probs, x)[0],
            "librosa's beat_track on the same probabilities": librosa_beats(probs, x),
        }
        for name, key in (("motion-energy", "me"), ("pose", "pose_rule")):
            t = np.asarray(it.get(key, np.zeros(0)))
            est[name] = t
            est[f"{name}, beats"] = rule_beats(t, float(it["duration"]))
        for name, e in est.items():
            rows.setdefault(name, []).append(beat_score(it, e))
    print(
        f"{len(items)} videos of the threshold dances {', '.join(sorted(dances))} "
        f"({args.tracks} pose tracks)."
    )
    print()
    print(f_gain_table("method", rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
