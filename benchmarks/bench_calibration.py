"""The rhythm decision of a trained model, three ways, on its held-out dances.

Run: `.venv/bin/python benchmarks/bench_calibration.py --features RUN/features
[--checkpoint CKPT]` (features prepared on the model's analysis config, e.g. a bench's
``OUT/features``; default checkpoint: the shipped one).

1. the threshold stored in the checkpoint (the shipped model's was calibrated on the held-out
   dances themselves, which makes its held-out figures optimistic);
2. the threshold calibrated as training now does it (:mod:`mudar.training.calibrate`): on a
   seeded split of the model's *training* dances (``calibration_ids``; the model is not
   retrained);
3. the paper's rule, every frame with ``p > 0.5`` (``paper_rule_frames``).

Each is scored on the held-out dances (``meta["val_videos"]``), whole videos, one-to-one within
+-1 frame (:func:`mudar.eval.visual_rhythm.score_rhythm`), without and with the music.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mudar.data.clips.clipset import ClipSet
from mudar.data.store.cache import FeatureCache
from mudar.data.store.prepare import load_manifest
from mudar.eval.visual_rhythm import score_rhythm
from mudar.models.checkpoint import load_model
from mudar.models.config import TrainConfig
from mudar.tasks.rhythm import learned_rhythm
from mudar.training.calibrate import best_threshold, calibration_ids, paper_rule_frames


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--features", required=True)
    ap.add_argument("--checkpoint", default=None)
    args = ap.parse_args()
    model = load_model(args.checkpoint)
    meta = model.meta
    tc = TrainConfig(**{k: v for k, v in meta["train"].items() if k in TrainConfig().to_dict()})
    feat = Path(args.features)
    calib = calibration_ids(meta["train_videos"], seed=tc.seed)
    new_th = best_threshold(model, ClipSet(feat, calib, model.config, tc))
    old_th = float(meta["threshold"])
    cache = FeatureCache(feat)
    keep = set(meta["val_videos"])
    videos = {True: [], False: []}
    for item in load_manifest(feat):
        if item["id"] not in keep:
            continue
        a = cache.load(feat / item["entry"])
        for audio in (False, True):
            r = learned_rhythm(model, a, with_audio=audio, threshold=old_th)
            preds = {
                "stored threshold": r.frames,
                "training-split threshold": learned_rhythm(
                    model, a, with_audio=audio, threshold=new_th
                ).frames,
                "p > 0.5": paper_rule_frames(r.probability),
            }
            videos[audio].append((a.music.onsets, preds))
    out = {
        "calibration_videos": calib,
        "stored_threshold": old_th,
        "training_split_threshold": new_th,
        "n_held_out": len(videos[False]),
    }
    for audio, name in ((False, "noaudio"), (True, "with_music")):
        s = score_rhythm(videos[audio], tolerance=1, seed=0, controls=True, fps=model.config.fps)
        out[name] = {
            k: {
                "precision": round(s[k]["precision"], 3),
                "recall": round(s[k]["recall"], 3),
                "f1": round(s[k]["f1"], 3),
                "f1_shifted": round(s[f"{k}-shifted"]["f1"], 3),
            }
            for k in ("stored threshold", "training-split threshold", "p > 0.5")
        }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
