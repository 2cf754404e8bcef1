"""``mudar eval``: every requested rhythm method on every video of a dataset, scored."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from mudar.errors import InputError, ParameterError
from mudar.methods import RHYTHM_EVAL, RHYTHM_FLOORS


def evaluate(
    data: str | os.PathLike,
    *,
    methods: list[str],
    checkpoint: str | os.PathLike | None = None,
    features: str | os.PathLike | None = None,
    jobs: int = 2,
    seed: int = 0,
    progress: bool = True,
    held_out: bool = False,
) -> dict:
    """Score visual rhythm methods against the music onsets of the whole videos in ``data``.

    Returns
    -------
    dict
        ``{"data", "n_videos", "n_clips", "rhythm": {method: {"precision", "recall", "f1",
        "tolerance_frames", "exact": {...}}}, "shifted": {method: {...}}}``; ``shifted`` scores
        each method's rhythm rolled by half the video, the control that tells timing from rate
        (:mod:`mudar.eval.visual_rhythm`); videos without music or video are skipped
        (``"skipped"`` lists them).

    With ``held_out``, only the videos the model's training run kept out for validation (by
    id relative to the dataset folder) are scored.
    """
    from mudar.data.cache import FeatureCache
    from mudar.data.clips import sliding_windows
    from mudar.data.prepare import MANIFESTS, load_manifest, prepare
    from mudar.eval.visual_rhythm import score_rhythm
    from mudar.features.extract import AnalysisConfig
    from mudar.tasks.rhythm import dance_rhythm

    unknown = sorted(set(methods) - set(RHYTHM_EVAL))
    if unknown:
        raise ParameterError(
            f"unknown method(s) {', '.join(unknown)}; known: {', '.join(RHYTHM_EVAL)}"
        )
    learned = [m for m in methods if m.startswith("mudar")]
    model = None
    if learned:
        from mudar.models.checkpoint import load_model
        from mudar.tasks.rhythm import learned_rhythm

        model = load_model(checkpoint)
    config = model.config.analysis_config() if model else AnalysisConfig(frame_size=0)
    clock = config.clock

    data = Path(data)
    if (data / MANIFESTS).is_dir():
        feat_dir = data
    else:
        if not data.is_dir():
            raise InputError(f"{data}: not a folder of videos or of prepared features")
        feat_dir = Path(features) if features else Path(tempfile.mkdtemp(prefix="mudar-eval-"))
        prepare(data, feat_dir, config=config, jobs=jobs, progress=progress)
    cache = FeatureCache(feat_dir)
    items = load_manifest(feat_dir)
    if held_out:
        if model is None:
            raise ParameterError("--held-out needs a learned method (the model knows its split)")
        keep = set((getattr(model, "meta", None) or {}).get("val_videos") or [])
        items = [it for it in items if it["id"] in keep]
        if not items:
            raise InputError(f"{data}: none of the model's held-out videos is in this folder")
    videos, skipped, n_clips = [], [], 0
    for item in items:
        a = cache.load(feat_dir / item["entry"])
        if a is None or a.music is None or a.dance is None:
            skipped.append(item["path"])
            continue
        preds: dict[str, np.ndarray] = {}
        if "hoof-flux" in methods:
            preds["hoof-flux"] = a.dance.rhythm_frames
        if "directogram" in methods:
            preds["directogram"] = dance_rhythm(a, method="directogram")[0]
        if model is not None:
            for m in learned:
                r = learned_rhythm(model, a, with_audio=(m == "mudar"))
                preds[m] = r.frames
            n_clips += r.n_windows
        else:
            n_clips += len(sliding_windows(a.n_frames, fps=clock.fps))
        videos.append((a.music.onsets, preds))
    if not videos:
        raise InputError(f"{data}: no video with both music and pictures to evaluate")
    scores = score_rhythm(videos, tolerance=1, seed=seed, controls=True, fps=clock.fps)
    keep = [m for m in methods if m in scores] + [m for m in RHYTHM_FLOORS if m not in methods]
    return {
        "data": str(data),
        "n_videos": len(videos),
        "n_clips": n_clips,
        "rhythm": {m: scores[m] for m in keep},
        "shifted": {m: scores[f"{m}-shifted"] for m in keep if m not in RHYTHM_FLOORS},
        "skipped": skipped,
    }
