"""Run a bench: prepare once, train every run, score it, aggregate, write the tables and report.

``OUT`` holds ``plan.json``, ``features/`` (when given videos), ``splits/s<seed>/`` (the
seed's ``split.json`` and the feature folders the runs train on), ``runs/<name>-s<seed>/`` (a
``mudar train`` run folder, plus ``run.json``: how it trained, and ``results.json``: its rows
of every table it is scored for), ``seeds/s<seed>.json`` (the learning-free methods and the
floors), ``results/s<seed>.json`` (every row of the seed), ``tables.json``, ``tables.md``,
``meta.json`` (timings, failed runs, where MuDaR is not ahead), ``report.html`` and
``plots/``.

A new table (MotionBeat's, say) is one more scoring function whose rows are merged into the
seed's results under a new key; :func:`mudar.pipelines.bench.tables.aggregate` takes any key.

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
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch

from mudar.atomic import write_text
from mudar.data.clips.clipset import video_group
from mudar.errors import InputError, MudarError, ParameterError
from mudar.methods import TIMING_ROWS
from mudar.models.presets import get_preset
from mudar.pipelines.bench import speed
from mudar.pipelines.bench.data import (
    is_prepared,
    load_analyses,
    prepared_features,
    usable_items,
    video_ids,
    with_pose_tracks,
    write_subset,
)
from mudar.pipelines.bench.motionbeat import run_motionbeat_bench
from mudar.pipelines.bench.plan import (
    Budget,
    Plan,
    Run,
    check_looks,
    make_plan,
    split_dances,
    subsample_dances,
)
from mudar.pipelines.bench.report import write_report
from mudar.pipelines.bench.scoring import Seed, score_learning_free, score_run
from mudar.pipelines.bench.tables import (
    aggregate,
    model_minus_rule,
    not_beaten,
    paired_gaps,
    timing_intervals,
    write_tables,
)
from mudar.pipelines.bench.timing import ensure_timing, score_timing
from mudar.tasks.rhythm import measure_needs
from mudar.threads import torch_threads
from mudar.training.train import train

SCORING_VERSION = (
    8  # 2: peaks; 3: random; 4: timing; 5: accents; 6: beats; 7: timing-beats; 8: half-beat
)
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
    mixed in. A budget field newer than the folder (``timing_steps``, ``timing_members``) shaped
    none of its runs, so the folder takes it (a timing run of another number of members is
    trained again: :func:`mudar.pipelines.bench.timing.ensure_timing`)."""
    doc = _read_json(out / "plan.json")
    if doc and doc.get("test_looks", []) != list(test_looks):
        held = ", ".join(doc.get("test_looks", [])) or "none"
        raise ParameterError(
            f"{out} holds a bench with other test looks ({held}); use another --out"
        )
    budget = plan.budget.to_dict()
    if doc and doc.get("budget") != {k: v for k, v in budget.items() if k in doc.get("budget", {})}:
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
        :data:`~mudar.pipelines.bench.plan.QUICK`, :data:`~mudar.pipelines.bench.plan.FULL` or
        one's own.
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
        (:func:`mudar.pipelines.bench.plan.split_dances`).

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
    # what a method can do without (the timing model's pose track) only where another needs it
    config = measure_needs(
        model_config.analysis_config(**budget.analysis_overrides), plan.methods, optional=False
    )

    # test looks of a set of videos: the pose track is estimated on them only, the videos only
    # trained on read the free track beside them where make-locked --pose wrote one
    free_tracks = bool(test_looks and config.pose_stride and not is_prepared(data))
    log(f"features of {data}")
    t_prep = time.perf_counter()
    features = prepared_features(
        data,
        out / "features",
        config=dataclasses.replace(config, pose_stride=0) if free_tracks else config,
        jobs=jobs,
        progress=progress,
    )
    items = usable_items(features)
    analyses = load_analyses(features, items)
    if free_tracks:
        log("pose tracks: free where a training look has one, else estimated")
        analyses, lost = with_pose_tracks(
            features, items, analyses, config, test_looks=test_looks, jobs=jobs, progress=progress
        )
        for path, reason in lost:
            log(f"skipped {path}: {reason}")
        items = [it for it in items if it["id"] in analyses]
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
            # looked up now, not when the table was made (a test replaces score_run)
            trainer, scorer = OWN_STEPS.get(run.method, (ensure_trained, score_run))
            try:
                fresh = not (run_dir / "model.pt").is_file()
                if fresh:
                    log(f"{run.dirname}: training")
                info = trainer(run, ctx, plan, features, out, run_dir)
                log(f"{run.dirname}: {_done('trained', info.get('seconds'), fresh)}")
                res, secs, fresh = _cached(
                    run_dir / "results.json",
                    partial(scorer, run, ctx, plan, info, run_dir / "model.pt"),
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
        "n_dances": len(set(map(video_group(items), items))),  # a locked set's looks are one
        "n_videos": len(ids),
        "n_test": n_test,  # test videos a seed
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
    # each row of the timing model against the best rule, paired by seed
    meta["timing_vs_rule"] = [
        d for d in (model_minus_rule(per_seed, row=row) for row in TIMING_ROWS) if d
    ]
    write_tables(out, tables, meta=meta, gaps=gaps)
    write_text(out / "meta.json", json.dumps(meta, indent=1))
    try:
        write_report(out, tables, meta=meta)
    except (ImportError, MudarError, OSError) as e:  # the tables stand without the plots
        log(f"report.html not written: {e}")
    log(f"done in {meta['wall_s'] / 60:.1f} min: {out / 'tables.md'}")
    return BenchResult(out=out, tables=tables, meta=meta)


OWN_STEPS = {"timing": (ensure_timing, score_timing)}
"""Learned runs with a trainer and a scorer of their own, by method (the others train by ``mudar
train``, :func:`ensure_trained`, and are scored by
:func:`~mudar.pipelines.bench.scoring.score_run`); each takes their arguments and keeps its model
as the run's ``model.pt``."""


def score_motionbeat(ctx: Seed, plan: Plan, data, out: Path, threads: int) -> dict:
    """Train MotionBeat on the seed's training dances and score its tables on its test dances
    (:func:`mudar.pipelines.bench.motionbeat.run_motionbeat_bench`); the dances must be dwm-style
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
