"""Run a bench: prepare once, train every run, score it, aggregate, write the tables and report.

``OUT`` holds ``plan.json``, ``features/`` (when given videos), ``splits/s<seed>/`` (the
seed's ``split.json`` and the feature folders the runs train on), ``runs/<name>-s<seed>/`` (a
``mudar train`` run folder, plus ``run.json``: how it trained, and ``results.json``: its rows
of every table it is scored for), ``seeds/s<seed>.json`` (the learning-free methods and the
floors), ``results/s<seed>.json`` (every row of the seed), ``tables.json``, ``tables.md``,
``meta.json`` (timings, failed runs, where MuDaR is not ahead), ``report.html`` and
``plots/``.

A new table (MotionBeat's, say) is one more scoring function whose rows are merged into the
seed's results under a new key; :func:`mudar.bench.tables.aggregate` takes any key.

Resumable: a run whose ``model.pt`` is there is not trained again (one killed mid-training
resumes from its last epoch), and results already computed by this version of the scoring
are read back. A run that fails is reported (its ``error.txt``, ``meta.json``, the tables'
header) and skipped; the bench carries on.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import torch

from mudar.atomic import write_text
from mudar.bench import classification, retarget, retrieval, rhythm, speed
from mudar.bench.data import (
    load_analyses,
    locked_accents,
    prepared_features,
    usable_items,
    video_ids,
    write_subset,
)
from mudar.bench.motionbeat import run_motionbeat_bench
from mudar.bench.plan import (
    ABLATIONS,
    Budget,
    Plan,
    Run,
    check_looks,
    make_plan,
    retarget_pairs,
    split_dances,
    subsample_dances,
)
from mudar.bench.report import write_report
from mudar.bench.tables import (
    aggregate,
    not_beaten,
    paired_gaps,
    timing_intervals,
    write_tables,
)
from mudar.data.clips.windows import cut
from mudar.errors import InputError, MudarError, ParameterError
from mudar.eval.retrieval import chance_retrieval
from mudar.features.analysis import energy_config
from mudar.features.summary import raw_clip_matrix
from mudar.methods import LEARNING_FREE
from mudar.models.checkpoint import load_model
from mudar.models.presets import get_preset
from mudar.tasks.embed import embedding_set
from mudar.tasks.evaluate import timed_video
from mudar.tasks.rhythm import dance_rhythm, learned_rhythm, rhythm_seconds
from mudar.threads import torch_threads
from mudar.training.calibrate import paper_rule_frames
from mudar.training.train import train

SCORING_VERSION = 6  # 2: peaks; 3: its random stream; 4: timing columns; 5: accents; 6: beats
"""Bumped when the scoring changes: results.json of an older version are computed again."""


@dataclass
class BenchResult:
    """What :func:`run_bench` wrote and found.

    Attributes
    ----------
    out : Path
    tables : dict
        ``tables.json``.
    meta : dict
        ``meta.json``: plan, dances, timings, failed runs, where MuDaR is not ahead.
    """

    out: Path
    tables: dict
    meta: dict


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


def _log(progress: bool) -> Callable[[str], None]:
    t0 = time.perf_counter()

    def log(msg: str) -> None:
        if progress:
            print(f"[bench {time.perf_counter() - t0:6.0f} s] {msg}", file=sys.stderr, flush=True)

    return log


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _cached(path: Path, compute: Callable[[], dict]) -> tuple[dict, float | None, bool]:
    """``compute()``'s results, or those saved in ``path`` by this scoring version.

    Returns
    -------
    results : dict
    seconds : float or None
        What computing them took (when they were computed; None if not recorded).
    fresh : bool
        Computed now.
    """
    doc = _read_json(path)
    if doc and doc.get("version") == SCORING_VERSION:
        return doc["results"], doc.get("seconds"), False
    t = time.perf_counter()
    results = compute()
    seconds = round(time.perf_counter() - t, 1)
    doc = {"version": SCORING_VERSION, "seconds": seconds, "results": results}
    write_text(path, json.dumps(doc, indent=1))
    return results, seconds, True


def _done(what: str, seconds: float | None, fresh: bool) -> str:
    took = f" in {seconds:.0f} s" if seconds is not None else ""
    return f"{what}{took}" if fresh else f"{what} earlier{took} (kept)"


def _merge(into: dict, results: dict) -> None:
    for table, rows in results.items():
        if table.startswith("_"):
            continue
        into.setdefault(table, {}).update(rows)


def _check_out(out: Path, plan: Plan, test_looks: tuple[str, ...] = ()) -> None:
    """An OUT folder holds one budget and one choice of test looks: results of another would be
    mixed in."""
    doc = _read_json(out / "plan.json")
    if doc and doc.get("test_looks", []) != list(test_looks):
        held = ", ".join(doc.get("test_looks", [])) or "none"
        raise ParameterError(
            f"{out} holds a bench with other test looks ({held}); use another --out"
        )
    if doc and doc.get("budget") != plan.budget.to_dict():
        raise ParameterError(
            f"{out} holds a bench of another budget ({doc['budget'].get('name')}); "
            "use another --out"
        )


def run_bench(
    data: str | os.PathLike,
    out: str | os.PathLike,
    *,
    budget: Budget,
    seeds: int | None = None,
    methods: Sequence[str] | None = None,
    jobs: int = 2,
    threads: int | None = None,
    progress: bool = True,
    test_looks: Sequence[str] | None = None,
) -> BenchResult:
    """Train and score every method of the plan, write the tables and the report.

    Parameters
    ----------
    data : path-like
        Folder of videos (prepared into ``OUT/features``) or of prepared features.
    out : path-like
        The bench folder (see the module doc).
    budget : Budget
        :data:`~mudar.bench.plan.QUICK`, :data:`~mudar.bench.plan.FULL` or one's own.
    seeds : int, optional
        Default ``budget.seeds``.
    methods : sequence of str, optional
        Among :data:`~mudar.methods.BENCH`; default all.
    jobs : int
        Processes of the feature extraction.
    threads : int, optional
        Torch threads of training and scoring; default :func:`bench_threads`'s choice.
    progress : bool
        Log each step on stderr.
    test_looks : sequence of str, optional
        On a beat-locked set: looks held out of training, the test dances scored in them only
        (:func:`mudar.bench.plan.split_dances`).

    Returns
    -------
    BenchResult

    Raises
    ------
    InputError
        No data, or no dance with music and pictures.
    ParameterError
        Bad plan, or ``out`` holding a bench of another budget.
    """
    n = bench_threads(threads)
    with torch_threads(n):  # the caller's setting back after the bench
        return _run(
            data,
            out,
            budget=budget,
            seeds=seeds,
            methods=methods,
            jobs=jobs,
            threads=n,
            progress=progress,
            test_looks=tuple(test_looks or ()),
        )


def _run(
    data: str | os.PathLike,
    out: str | os.PathLike,
    *,
    budget: Budget,
    seeds: int | None,
    methods: Sequence[str] | None,
    jobs: int,
    threads: int,
    progress: bool,
    test_looks: tuple[str, ...],
) -> BenchResult:

    t0 = time.perf_counter()
    log = _log(progress)
    plan = make_plan(budget, seeds=seeds, methods=methods)
    out = Path(out)
    if test_looks:  # before anything is written
        check_looks(test_looks, video_ids(data))
    _check_out(out, plan, test_looks)
    out.mkdir(parents=True, exist_ok=True)
    write_text(
        out / "plan.json",
        json.dumps({**plan.to_dict(), "test_looks": list(test_looks)}, indent=1),
    )
    model_config = dataclasses.replace(
        get_preset("mudar", budget.preset).model, **budget.model_overrides
    )
    config = energy_config(model_config.analysis_config(**budget.analysis_overrides), plan.methods)

    log(f"features of {data}")
    t_prep = time.perf_counter()
    features = prepared_features(
        data, out / "features", config=config, jobs=jobs, progress=progress
    )
    items = usable_items(features)
    analyses = load_analyses(features, items)
    t_prep = time.perf_counter() - t_prep
    by_id = {it["id"]: it for it in items}
    labels = {it["id"]: str(it.get("label") or "") for it in items}
    ids = sorted(by_id)
    log(
        f"{len(ids)} videos ready in {t_prep:.0f} s; {len(plan.runs)} training runs planned; "
        f"{threads} torch thread(s)"
    )

    per_seed, failed, timings, n_test = [], [], {}, 0
    for seed in plan.seeds:
        train_ids, test_ids = split_dances(
            items, test_fraction=budget.test_fraction, seed=seed, test_looks=test_looks
        )
        n_test = len(test_ids)
        write_text(
            out / "splits" / f"s{seed}" / "split.json",
            json.dumps(
                {"train": train_ids, "test": test_ids, "test_looks": list(test_looks)}, indent=1
            ),
        )
        used = sorted(train_ids + test_ids)  # with test looks, a dance in the other looks is out
        ctx = Seed(seed, used, train_ids, test_ids, analyses, labels, by_id)
        result: dict = {}
        try:
            free, secs, fresh = _cached(
                out / "seeds" / f"s{seed}.json",
                partial(score_learning_free, ctx, plan, config, model_config.clip_s),
            )
            ctx.extra = free.get("_extra", {})
            _merge(result, free)
            timings[f"learning-free-s{seed}"] = {"score_s": secs}
            log(f"seed {seed}: learning-free methods and floors {_done('scored', secs, fresh)}")
        except Exception as e:  # reported and skipped: the bench carries on
            failed.append(_failure(f"learning-free-s{seed}", e, out / "seeds"))
            log(f"seed {seed}: learning-free scoring FAILED: {e}")
        for run in plan.runs_for(seed):
            run_dir = out / "runs" / run.dirname
            try:
                fresh = not (run_dir / "model.pt").is_file()
                if fresh:
                    log(f"{run.dirname}: training")
                info = ensure_trained(run, ctx, plan, features, out, run_dir)
                log(f"{run.dirname}: {_done('trained', info.get('seconds'), fresh)}")
                res, secs, fresh = _cached(
                    run_dir / "results.json",
                    partial(score_run, run, ctx, plan, info, run_dir / "model.pt"),
                )
                _merge(result, res)
                timings[run.dirname] = {"train_s": info.get("seconds"), "score_s": secs}
                log(f"{run.dirname}: {_done('scored', secs, fresh)}")
            except Exception as e:  # reported and skipped: the bench carries on
                failed.append(_failure(run.dirname, e, run_dir))
                log(f"{run.dirname}: FAILED: {type(e).__name__}: {e}")
        if "motionbeat" in plan.methods:
            try:
                mb, secs, fresh = _cached(
                    out / "motionbeat" / f"s{seed}.json",
                    partial(score_motionbeat, ctx, plan, data, out / "motionbeat", threads),
                )
                _merge(result, mb)
                timings[f"motionbeat-s{seed}"] = {"score_s": secs}
                log(f"seed {seed}: motionbeat {_done('trained and scored', secs, fresh)}")
            except InputError as e:  # no keypoints in the data: no MotionBeat tables
                log(f"seed {seed}: motionbeat skipped: {e}")
            except Exception as e:  # reported and skipped: the bench carries on
                failed.append(_failure(f"motionbeat-s{seed}", e, out / "motionbeat"))
                log(f"seed {seed}: motionbeat FAILED: {type(e).__name__}: {e}")
        write_text(out / "results" / f"s{seed}.json", json.dumps(result, indent=1))
        per_seed.append(result)

    tables = aggregate(per_seed)
    meta = {
        "data": str(data),
        "features": str(features),
        "budget": budget.to_dict(),
        "methods": list(plan.methods),
        "seeds": list(plan.seeds),
        "ablations": list(plan.ablations),
        "n_dances": len(ids),
        "n_test": n_test,
        "test_looks": list(test_looks),
        "prepare_s": round(t_prep, 1),
        "runs": timings,
        "failed": failed,
        "load_average": speed.load_average(),
        "cpus": os.cpu_count(),
        "torch_threads": threads,
        "wall_s": round(time.perf_counter() - t0, 1),
    }
    # what the results cost when they were made, whichever invocation made them
    meta["compute_s"] = round(
        t_prep + sum(v or 0.0 for t in timings.values() for v in t.values()), 1
    )
    gaps = paired_gaps(per_seed)
    meta["mudar_not_ahead"] = not_beaten(tables, gaps)
    meta["timing"] = timing_intervals(per_seed)
    write_tables(out, tables, meta=meta, gaps=gaps)
    write_text(out / "meta.json", json.dumps(meta, indent=1))
    try:
        write_report(out, tables, meta=meta)
    except (ImportError, MudarError, OSError) as e:  # the tables stand without the plots
        log(f"report.html not written: {e}")
    log(f"done in {meta['wall_s'] / 60:.1f} min: {out / 'tables.md'}")
    return BenchResult(out=out, tables=tables, meta=meta)


def score_motionbeat(ctx: Seed, plan: Plan, data, out: Path, threads: int) -> dict:
    """Train MotionBeat on the seed's training dances and score its tables on its test dances
    (:func:`mudar.bench.motionbeat.run_motionbeat_bench`); the dances must be dwm-style
    folders with ``motion.npz`` under ``data`` (else :class:`InputError`)."""

    budget = plan.budget
    madmom = Path(data).resolve().parent / "music" / "madmom"  # the annotated beats, if beside
    return run_motionbeat_bench(
        data,
        out / f"s{ctx.seed}",
        seed=ctx.seed,
        budget_epochs=budget.motionbeat_epochs,
        test_dances=sorted({Path(i).parent.name or i for i in ctx.test_ids}),
        preset=budget.motionbeat_preset,
        music_dir=madmom if (madmom / "sample.wav").is_file() else None,
        cache_dir=out / "cache",
        threads=threads,
    )


def bench_threads(threads: int | None = None) -> int:
    """The torch threads a bench runs with.

    Default: torch's own (one per core) on a quiet machine, but one when the load average
    already reaches the number of cores. Threads that contend with other processes for the
    cores spin while they wait: a cpu-preset training epoch measured 2.3x faster with one
    thread than with two on 2 cores under a load of 9.
    """

    if threads is None:
        load = speed.load_average()
        busy = load is not None and load >= (os.cpu_count() or 1) - 0.5
        threads = 1 if busy else torch.get_num_threads()
    if threads < 1:
        raise ParameterError(f"threads must be >= 1, got {threads}")
    return threads


def _failure(name: str, e: Exception, folder: Path) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    write_text(folder / "error.txt", "".join(traceback.format_exception(e)))
    return {"run": name, "error": f"{type(e).__name__}: {e}".splitlines()[0][:300]}


# --- training ------------------------------------------------------------------------------------


def ensure_trained(
    run: Run, ctx: Seed, plan: Plan, features: Path, out: Path, run_dir: Path
) -> dict:
    """Train ``run`` unless its ``model.pt`` is there; returns its ``run.json``.

    It trains on the seed's training dances (a share of them, stratified and nested, for the
    data-size ablation), with the budget's epochs, clip hop and curriculum, and resumes from
    ``checkpoints/last.ckpt`` when a previous attempt left one.
    """

    info_path = run_dir / "run.json"
    if (run_dir / "model.pt").is_file():
        return _read_json(info_path) or {}
    budget = plan.budget
    train_ids = ctx.train_ids
    pct = round(100 * run.train_fraction)
    if run.train_fraction < 1:
        train_ids = subsample_dances(
            train_ids, ctx.labels, fraction=run.train_fraction, seed=ctx.seed
        )
    subset = write_subset(
        features,
        [ctx.items[i] for i in train_ids],
        out / "splits" / f"s{ctx.seed}" / f"train{pct}",
    )
    r = train(
        subset,
        run_dir,
        preset=budget.preset,
        method=run.method,
        resume=(run_dir / "checkpoints" / "last.ckpt").is_file(),
        progress=False,
        model_overrides={**budget.model_overrides, **run.model_overrides},
        train_overrides={**budget.train_overrides_for(ctx.seed), **run.train_overrides},
    )
    info = {
        "run": run.dirname,
        "method": r.method,
        "seconds": round(r.seconds, 1),
        "epochs": r.epochs,
        "train_dances": len(train_ids),
        "n_train_videos": r.n_train_videos,
        "n_val_videos": r.n_val_videos,
        "n_train_clips": r.n_train_clips,
        "n_val_clips": r.n_val_clips,
        "threshold": r.threshold,
    }
    write_text(info_path, json.dumps(info, indent=1))
    return info


# --- scoring -------------------------------------------------------------------------------------


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
