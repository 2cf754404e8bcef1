"""``mudar eval`` on a folder: every video prepared once into the feature cache, then each rhythm
method scored against its music onsets (:mod:`mudar.tasks.evaluate`)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from mudar.data.store.cache import FeatureCache
from mudar.data.store.prepare import MANIFESTS, load_manifest, prepare
from mudar.errors import InputError, ParameterError
from mudar.eval.timing import score_timing
from mudar.features.analysis import AnalysisConfig
from mudar.tasks.evaluate import check_methods, method_rhythms, rhythm_scores, timed_video
from mudar.tasks.rhythm import RHYTHM_METHODS, measure_needs

EVAL_SPLITS = ("auto", "all", "train", "val", "test")
"""Which videos ``mudar eval`` scores: those of an official split, or all."""


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
    split: str = "auto",
) -> dict:
    """Score visual rhythm methods against the music onsets of the whole videos in ``data``.

    Parameters
    ----------
    data : path-like
        A folder of videos, an AIST++ tree, or a folder of features prepared by
        ``mudar prepare``.
    methods : list of str
        :data:`mudar.methods.RHYTHM_EVAL` names.
    checkpoint : path-like, optional
        Model of the ``mudar`` methods (default: the shipped one).
    features : path-like, optional
        Where a folder of videos is prepared (default: a temporary folder).
    jobs : int
        Processes of the preparation.
    seed : int
        Seed of the chance floor.
    progress : bool
    held_out : bool
        Score only the videos the model's training run kept out for validation (by id
        relative to the dataset folder).
    split : {"auto", "all", "train", "val", "test"}
        Score only the videos of this official split (the manifest items' ``split``, written
        by ``mudar prepare`` for an AIST++ tree); ``auto``: ``test`` when the data has an
        official split, else ``all``.

    Returns
    -------
    dict
        ``{"data", "n_videos", "n_clips", "rhythm": {method: {"precision", "recall", "f1",
        "tolerance_frames", "exact": {...}}}, "shifted": {method: {...}}, "timing_gain":
        {method: float}, "timing": {method: {...}}, "skipped", "split"}``
        (:func:`mudar.tasks.evaluate.rhythm_scores`; ``timing``: the 70 ms F-measure of
        sub-frame rhythm times, :func:`mudar.eval.timing.score_timing`); videos without music
        or video are skipped (``"skipped"`` lists them).

    Raises
    ------
    ParameterError
        Unknown methods, ``held_out`` without a learned method, an unknown ``split`` or one
        the data does not have.
    InputError
        No such folder, or nothing to score.
    """
    check_methods(methods)
    other = [m for m in methods if m in RHYTHM_METHODS and RHYTHM_METHODS[m].model != "mudar"]
    if other:
        raise ParameterError(
            f"mudar eval loads a MuDaR model, not the {', '.join(other)} model; "
            "benchmarks/bench_timing.py scores the timing model"
        )
    if split not in EVAL_SPLITS:
        raise ParameterError(f"split must be one of {', '.join(EVAL_SPLITS)}, got {split!r}")
    model = None
    if any(RHYTHM_METHODS[m].needs_model for m in methods if m in RHYTHM_METHODS):
        from mudar.models.checkpoint import load_model  # torch: for the learned methods only

        model = load_model(checkpoint)
    config = model.config.analysis_config() if model else AnalysisConfig(frame_size=0)
    config = measure_needs(config, methods)
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
    items, split = _official(load_manifest(feat_dir), split)
    if not items:
        raise InputError(f"{data}: no video of the official {split} split was prepared")
    if held_out:
        if model is None:
            raise ParameterError("--held-out needs a learned method (the model knows its split)")
        keep = set((getattr(model, "meta", None) or {}).get("val_videos") or [])
        items = [it for it in items if it["id"] in keep]
        if not items:
            raise InputError(f"{data}: none of the model's held-out videos is in this folder")
    videos, timed, skipped, n_clips = [], [], [], 0
    for item in items:
        a = cache.load(feat_dir / item["entry"])
        if a is None or a.music is None or a.dance is None:
            skipped.append(item["path"])
            continue
        preds, curves, n = method_rhythms(a, methods=methods, model=model, fps=clock.fps)
        n_clips += n
        videos.append((a.music.onsets, preds))
        timed.append(timed_video(a, preds, curves))
    if not videos:
        raise InputError(f"{data}: no video with both music and pictures to evaluate")
    return {
        "data": str(data),
        "n_videos": len(videos),
        "n_clips": n_clips,
        **rhythm_scores(videos, methods=methods, seed=seed, fps=clock.fps),
        "timing": score_timing(timed, seed=seed),
        "skipped": skipped,
        "split": split,
    }


def _official(items: list[dict], split: str) -> tuple[list[dict], str]:
    """The items of an official split, and the split used (``auto`` resolved)."""
    official = any(it.get("split") for it in items)
    if split == "auto":
        split = "test" if official else "all"
    if split == "all":
        return items, split
    if not official:
        raise ParameterError(
            f"--split {split} needs a dataset with an official split (an AIST++ tree with "
            "splits/crossmodal_*.txt)"
        )
    return [it for it in items if it.get("split") == split], split
