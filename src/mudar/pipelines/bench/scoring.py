"""What the bench scores each seed on: the learning-free rows and floors
(:func:`score_learning_free`), and every table's rows of one trained run (:func:`score_run`).

:mod:`mudar.pipelines.bench.run` calls them, caches their results and aggregates them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mudar.data.clips.windows import cut
from mudar.errors import MudarError
from mudar.eval.retrieval import chance_retrieval
from mudar.features.summary import raw_clip_matrix
from mudar.methods import LEARNING_FREE
from mudar.models.checkpoint import load_model
from mudar.pipelines.bench import classification, retarget, retrieval, rhythm, speed
from mudar.pipelines.bench.data import (
    locked_accents,
)
from mudar.pipelines.bench.plan import (
    ABLATIONS,
    Plan,
    Run,
    retarget_pairs,
)
from mudar.tasks.embed import embedding_set
from mudar.tasks.evaluate import timed_video
from mudar.tasks.rhythm import dance_rhythm, learned_rhythm, rhythm_seconds
from mudar.training.calibrate import paper_rule_frames


@dataclass
class Seed:
    """Everything one seed's scoring needs, loaded once.

    Attributes
    ----------
    seed : int
    ids : list of str
        The seed's videos (its training and test ids), sorted; the file order of its
        EmbeddingSets.
    train_ids, test_ids : list of str
    analyses : dict of str to Analysis
    labels : dict of str to str
    items : dict of str to dict
        Manifest items by id.
    """

    seed: int
    ids: list[str]
    train_ids: list[str]
    test_ids: list[str]
    analyses: dict
    labels: dict
    items: dict
    extra: dict = field(default_factory=dict)

    @property
    def test_analyses(self) -> list:
        return [self.analyses[i] for i in self.test_ids]

    def test_clips(self, clip_file: np.ndarray) -> np.ndarray:
        """Which clips (by file index into :attr:`ids`) belong to test dances."""
        test = {self.ids.index(i) for i in self.test_ids}
        return np.isin(np.asarray(clip_file), sorted(test))


def _clip_arrays(analyses: Sequence, windows, per_frame: Callable, t: int) -> np.ndarray:
    """(N, t) per-frame values of each clip window, zero-padded."""
    out = np.zeros((len(windows), t), np.float32)
    for k, (f, a, b) in enumerate(windows):
        out[k, : b - a] = np.asarray(per_frame(f), np.float32)[a:b]
    return out


def score_learning_free(ctx: Seed, plan: Plan, config, clip_s: float) -> dict:
    """The rows of one seed that need no training: hoof-flux, directogram and the floors.

    Returns
    -------
    dict
        ``{table: {row: {metric: value}}}``, plus ``_extra``: the seed's speed video and its
        analysis time (the learned runs add their model's time to it).
    """

    seed, free = ctx.seed, [m for m in LEARNING_FREE if m in plan.methods]
    test = ctx.test_analyses
    out: dict = {}

    # Table 1: rhythm frames of each method, and the floors
    strengths = {m: [dance_rhythm(a, method=m) for a in test] for m in free}
    videos = [(a.music.onsets, {m: strengths[m][k][0] for m in free}) for k, a in enumerate(test)]
    timed_rows = [
        (
            *timed_video(a, videos[k][1], {m: strengths[m][k][1] for m in free}),
            a.music.beat_times,
        )
        for k, a in enumerate(test)
    ]
    accents = locked_accents([ctx.items[i] for i in ctx.test_ids])
    if len(accents) == len(test):  # a locked set: the dancer's own accents, as a reference
        for k, (i, a) in enumerate(zip(ctx.test_ids, test, strict=True)):
            t = accents[i][(accents[i] >= 0) & (accents[i] < a.duration_s)]
            videos[k][1][rhythm.ORACLE] = np.unique(np.round(t * a.clock.fps).astype(int))
            timed_rows[k][2][rhythm.ORACLE] = t
    out["rhythm"] = rhythm.rhythm_rows(
        videos, seed=seed, floors=True, fps=test[0].clock.fps, timed=timed_rows
    )

    # Table 2: the floors, on the clips of every dance
    analyses = [ctx.analyses[i] for i in ctx.ids]
    windows = classification.clip_windows(analyses, clip_s=clip_s)
    clip_file = np.array([w[0] for w in windows])
    raw = raw_clip_matrix(cut(analyses[f], a, b) for f, a, b in windows)
    out["classification"] = classification.floor_scores(
        raw, [ctx.labels[ctx.ids[f]] for f in clip_file], clip_file, ctx.test_clips(clip_file)
    )

    # Table 3: rhythm-only retrieval among the test clips, and chance
    t_windows = classification.clip_windows(test, clip_s=clip_s)
    t = round(clip_s * test[0].clock.fps)
    onsets = _clip_arrays(test, t_windows, lambda f: test[f].music.onsets, t)
    lengths = np.array([b - a for _, a, b in t_windows])
    t_file = np.array([w[0] for w in t_windows])
    t_labels = [ctx.labels[ctx.test_ids[f]] for f in t_file]
    sims = {}
    for m in free:
        strength = _clip_arrays(test, t_windows, lambda f, m=m: strengths[m][f][1], t)
        sims[m] = retrieval.rhythm_similarity(onsets, strength, lengths)
    sims["chance"] = np.random.default_rng(seed).random((len(t_windows), len(t_windows)))
    for task, rows in retrieval.retrieval_rows(sims, t_file, t_labels).items():
        out[f"retrieval_{task}"] = rows
    # sync by the rhythm times below the frame (and the dancer's own accents on a locked set)
    timed = {m: [row[2][m] for row in timed_rows] for m in free}
    if len(accents) == len(test):
        timed[rhythm.ORACLE] = [row[2][rhythm.ORACLE] for row in timed_rows]
    out["retrieval_sync"] |= _timed_sync(ctx, clip_s, timed)
    # and the expectation of a random ranking, of which `chance` is one draw
    expected = chance_retrieval(np.full(len(t_file), len(t_file)), ks=(1, 5, 10))
    out["retrieval_sync"][retrieval.EXPECTED_CHANCE] = {
        "R@1": expected["R@1"],
        "R@5": expected["R@5"],
        "P@10": expected["R@10"] / 10,  # one relevant clip: P@10 = R@10 / 10
        "mAP": expected["mAP"],
    }

    # retargeting with each method's rhythm
    pairs = retarget_pairs(
        {i: ctx.labels[i] for i in ctx.test_ids}, plan.budget.retarget_pairs, seed
    )
    music = {i: retarget.music_onset_times(a) for i, a in zip(ctx.test_ids, test, strict=True)}
    durations = {i: a.duration_s for i, a in zip(ctx.test_ids, test, strict=True)}
    out["retarget"] = {}
    for m in free:
        dance = {
            i: retarget.frames_to_seconds(strengths[m][k][0], fps=test[k].clock.fps)
            for k, i in enumerate(ctx.test_ids)
        }
        out["retarget"][m] = retarget.retarget_scores(dance, music, durations, pairs)

    # speed, on the first test dance
    extra = {"speed_video": ctx.test_ids[0], "duration_s": durations[ctx.test_ids[0]]}
    path = ctx.items[ctx.test_ids[0]].get("path")
    out["speed"] = {}
    try:
        t_rgb, _ = speed.analysis_seconds(path, config)
        t_plain, plain = speed.analysis_seconds(path, dataclasses.replace(config, frame_size=0))
    except (MudarError, OSError, TypeError):  # the video is gone: features only
        t_rgb = t_plain = plain = None
    extra["analysis_s"] = t_rgb
    for m in free:
        row: dict = {"train_s": 0.0}
        if t_plain is not None:
            extra_s = speed.directogram_seconds(plain) if m == "directogram" else 0.0
            row["analysis_x_realtime"] = extra["duration_s"] / (t_plain + extra_s)
        row["query_ms"] = speed.rhythm_query_ms(
            onsets, _clip_arrays(test, t_windows, lambda f, m=m: strengths[m][f][1], t), lengths
        )
        out["speed"][m] = row
    out["_extra"] = extra
    return out


def _timed_sync(ctx: Seed, clip_s: float, times: dict) -> dict:
    """Sync rows ``<row> (timed)``: the seed's test clips ranked by
    :func:`retrieval.timed_similarity` of each row's rhythm times (per test file, seconds)."""
    test = ctx.test_analyses
    windows = classification.clip_windows(test, clip_s=clip_s)
    clip_file = np.array([w[0] for w in windows])
    labels = [ctx.labels[ctx.test_ids[f]] for f in clip_file]
    sims = {
        retrieval.timed_row(m): retrieval.timed_similarity(test, windows, t)
        for m, t in times.items()
    }
    return retrieval.retrieval_rows(sims, clip_file, labels)["sync"]


def score_run(run: Run, ctx: Seed, plan: Plan, info: dict, model_path: Path) -> dict:
    """The rows of one trained run in every table it is scored for."""

    model = load_model(model_path)
    seed, name = ctx.seed, run.name
    ablations = plan.ablations if run.is_main and run.method == "mudar" else ()
    test = ctx.test_analyses
    out: dict = {}
    noaudio = None
    if "rhythm" in run.tables or "retarget" in run.tables:
        learned = [learned_rhythm(model, a, with_audio=False) for a in test]
        noaudio = [np.asarray(r.frames, dtype=int) for r in learned]
    if "rhythm" in run.tables:
        preds = [{name: f} for f in noaudio]
        curves = [{name: r.probability} for r in learned]
        if run.is_main and run.method == "mudar":  # the paper's decision, p > 0.5 per frame
            for p, c, r in zip(preds, curves, learned, strict=True):
                p[rhythm.paper_rule_row(name)] = paper_rule_frames(r.probability)
                c[rhythm.paper_rule_row(name)] = r.probability
        if "no-audio" in ablations:
            row = ABLATIONS["no-audio"].row
            for p, c, a in zip(preds, curves, test, strict=True):
                p[row], c[row] = dance_rhythm(a, method="mudar", model=model)
        videos = [(a.music.onsets, p) for a, p in zip(test, preds, strict=True)]
        timed = [
            (*timed_video(a, p, c), a.music.beat_times)
            for a, p, c in zip(test, preds, curves, strict=True)
        ]
        out["rhythm"] = rhythm.rhythm_rows(videos, seed=seed, timed=timed)

    if {"classification", "retrieval_sync", "retrieval_genre", "speed"} & set(run.tables):
        emb = embedding_set(model, [(i, ctx.labels[i], ctx.analyses[i]) for i in ctx.ids])
        is_test = ctx.test_clips(emb.clip_file)
        norhythm = ABLATIONS["no-rhythm"].row if "no-rhythm" in ablations else None
        if "classification" in run.tables:
            epochs = plan.budget.classify_epochs
            out["classification"] = {
                name: classification.classifier_scores(emb, is_test, epochs=epochs, seed=seed)
            }
            if norhythm:
                out["classification"][norhythm] = classification.classifier_scores(
                    emb, is_test, epochs=epochs, seed=seed, rhythm=False
                )
        keep = np.flatnonzero(is_test)
        sub = dataclasses.replace(
            emb, **{k: getattr(emb, k)[keep] for k in emb._ARRAYS if k not in _FILE_ARRAYS}
        )
        if {"retrieval_sync", "retrieval_genre"} & set(run.tables):
            sims = retrieval.similarity_matrices(sub, 0.5, seed=seed)
            chosen = {name: sims["hybrid (lambda3=0.5)"]}
            if norhythm:
                chosen[norhythm] = sims["embedding only (lambda3=1, w/o rhy)"]
            for task, rows in retrieval.retrieval_rows(
                chosen, sub.clip_file, sub.clip_labels
            ).items():
                out[f"retrieval_{task}"] = rows
            if "rhythm" in run.tables and "retrieval_sync" in run.tables:  # by its rhythm times
                times = [
                    rhythm_seconds(a, name, r.frames, r.probability)
                    for a, r in zip(test, learned, strict=True)
                ]
                out["retrieval_sync"] |= _timed_sync(ctx, model.config.clip_s, {name: times})
        if "speed" in run.tables:
            row: dict = {"train_s": info.get("seconds"), "query_ms": speed.index_query_ms(sub)}
            t_feat = ctx.extra.get("analysis_s")
            if t_feat is not None:
                a = ctx.analyses[ctx.extra["speed_video"]]
                row["analysis_x_realtime"] = ctx.extra["duration_s"] / (
                    t_feat + speed.model_seconds(model, a)
                )
            out["speed"] = {name: row}

    if "retarget" in run.tables:
        pairs = retarget_pairs(
            {i: ctx.labels[i] for i in ctx.test_ids}, plan.budget.retarget_pairs, seed
        )
        dance = {
            i: retarget.frames_to_seconds(f, fps=a.clock.fps)
            for i, f, a in zip(ctx.test_ids, noaudio, test, strict=True)
        }
        music = {i: retarget.music_onset_times(a) for i, a in zip(ctx.test_ids, test, strict=True)}
        durations = {i: a.duration_s for i, a in zip(ctx.test_ids, test, strict=True)}
        out["retarget"] = {name: retarget.retarget_scores(dance, music, durations, pairs)}
    return out


_FILE_ARRAYS = ("file_audio", "file_visual")
