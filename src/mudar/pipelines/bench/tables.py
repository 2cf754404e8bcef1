"""The bench's tables: per-seed results aggregated into mean and std, as JSON and Markdown.

``tables.json`` holds, per table (:data:`mudar.pipelines.bench.plan.TABLES`),
``{"<row>": {"<metric>": {"mean": float, "std": float}}}``. Rows are the methods
(:data:`mudar.methods.BENCH`: ``mudar``, ``multisensory``, ``avts``, ``lla``, ``hoof-flux``,
``directogram``, ``motion-energy``, ``pose``, ``timing``, each where it
applies), MuDaR's ablations (``mudar-<variant>``) and the floors (``chance``, ``peaks``, ``all``,
``majority``, ``raw``). ``std`` is the sample standard deviation over the seeds that gave the
number (``ddof=1``), 0 for a single seed; a metric no seed could compute is left out.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from mudar.atomic import write_text
from mudar.methods import BENCH, CLASSIFY_FLOORS, LEARNING_FREE, RHYTHM_FLOORS, TIMING_ROWS
from mudar.pipelines.bench import classification, retarget, retrieval, rhythm, speed
from mudar.pipelines.bench.plan import ABLATIONS, TABLES

METRICS = {
    "rhythm": rhythm.METRICS,
    "classification": classification.METRICS,
    "retrieval_sync": retrieval.METRICS,
    "retrieval_genre": retrieval.METRICS,
    "retarget": retarget.METRICS,
    "speed": speed.METRICS,
}
"""Columns of each table, in order."""

FLOORS = (*RHYTHM_FLOORS, *CLASSIFY_FLOORS)
"""Rows that are no method: random or constant answers, or raw features."""

ROWS = (
    *BENCH,
    *TIMING_ROWS[1:],  # the timing run's second row
    *(a.row for a in ABLATIONS.values()),
    *FLOORS,
    retrieval.EXPECTED_CHANCE,
    *(retrieval.timed_row(m) for m in (*BENCH, rhythm.ORACLE)),
)
"""Row order of every table (rows a table lacks are skipped): the methods, their ablations, the
floors, then the sync rows ranked by rhythm times."""

TITLES = {
    "rhythm": "Visual rhythm (Table 1): test dances against their music onsets, +-1 frame, "
    "without the music at inference",
    "classification": "Genre classification (Table 2): two-stream classifier on frozen "
    "embeddings, test dances",
    "retrieval_sync": "Retrieval, sync (Table 3): music -> the dance of the same clip",
    "retrieval_genre": "Retrieval, genre (Table 3): music -> dances of the same genre",
    "retarget": "Retargeting: BAS (sigma 0.1 s) of test dances re-timed onto other test music",
    "speed": "Speed",
    "motionbeat_train": "MotionBeat training (last epoch; val = held-out dances)",
    "motionbeat_beats": "MotionBeat beat tracking, F-measure at 70 ms",
    "motionbeat_genre": "MotionBeat genre, linear probe, folds grouped by dance",
    "motionbeat_retrieval": "MotionBeat retrieval on held-out clips: the clip's own partner",
    "motionbeat_retrieval_song": "MotionBeat retrieval on held-out clips: the right song "
    "(the query dance's other clips left out)",
}

NOTES = {
    "rhythm": "multisensory, avts and lla have no rhythm head. `mudar-audio`: MuDaR with the "
    "music at inference (the labels can leak through the audio branch). `f1_shifted`: the "
    "rhythm rolled by half the video; not beating it means rate without timing. `peaks`: the "
    "learned heads' peak picker on white noise; not beating it means the F1 is the picker's. "
    "`mudar (p>0.5)`: the paper's decision, every frame with p > 0.5, instead of the peaks "
    "above the threshold calibrated on training videos.",
    "classification": "hoof-flux and directogram give no embeddings; `raw` is a logistic "
    "regression on their learning-free features (with the music's). A baseline's visual "
    "rhythm input is zero. `mudar-norhythm`: the classifier without rhythm inputs.",
    "retrieval_sync": "Learned methods rank by S_hyb (lambda3 = 0.5; a baseline's rhythm is 0, "
    "so its embeddings rank); hoof-flux and directogram by S_r of their strength; "
    "`mudar-norhythm` by S_e alone. `<row> (timed)`: ranked by S_t, the coincidence within 70 "
    "ms of the music's beats with the row's rhythm times below the frame (the learned one "
    "without the music), which tells the clip of the same moment from another of the same "
    "tempo where S_r's +-2 frames cannot.",
    "retrieval_genre": "As for sync; the query's own dance is left out of its database.",
    "retarget": "Rows: the dance rhythm used (baselines have none). `bas_true`: each dance "
    "with its own music; `bas_before`: with the other music, as it is; `bas_<planner>`: after "
    "the time map (planned, not re-detected).",
    "speed": "`analysis_x_realtime`: video seconds per second from the file to the method's "
    "output (features + model); `train_s`: training wall time; `query_ms`: one "
    "music-to-dance query over the test clips. Wall clock on a shared machine.",
}


def aggregate(per_seed: Iterable[Mapping]) -> dict:
    """Mean and std over seeds of every (table, row, metric).

    Parameters
    ----------
    per_seed : iterable of dict
        One ``{table: {row: {metric: float or None}}}`` per seed; None (not computable) and
        NaN are left out of the statistics.

    Returns
    -------
    dict
        ``{table: {row: {metric: {"mean": float, "std": float}}}}``, tables in
        :data:`~mudar.pipelines.bench.plan.TABLES` order (others after), rows in :data:`ROWS` order
        (others after), metrics in :data:`METRICS` order (others after).
    """
    values: dict[str, dict[str, dict[str, list[float]]]] = {}
    for result in per_seed:
        for table, rows in result.items():
            for row, metrics in rows.items():
                for metric, v in metrics.items():
                    if v is None or (isinstance(v, float) and math.isnan(v)):
                        continue
                    cell = values.setdefault(table, {}).setdefault(row, {})
                    cell.setdefault(metric, []).append(float(v))
    out: dict = {}
    for table in ordered(values, TABLES):
        out[table] = {}
        for row in ordered(values[table], ROWS):
            cells = values[table][row]
            out[table][row] = {
                m: mean_std(cells[m]) for m in ordered(cells, METRICS.get(table, ()))
            }
    return out


def mean_std(values: Iterable[float]) -> dict[str, float]:
    """``{"mean", "std"}`` of values; std with ``ddof=1``, 0 for one value."""
    v = np.asarray(list(values), np.float64)
    return {
        "mean": float(v.mean()),
        "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
    }


def ordered(keys: Iterable[str], order: Iterable[str]) -> list[str]:
    keys = list(keys)
    first = [k for k in order if k in keys]
    return first + sorted(k for k in keys if k not in first)


def higher_is_better(metric: str) -> bool:
    return metric not in speed.LOWER_IS_BETTER


def _lead(rows: Mapping) -> str | None:
    return "mudar" if "mudar" in rows else "motionbeat" if "motionbeat" in rows else None


def paired_gaps(per_seed: Iterable[Mapping]) -> dict:
    """Per (table, row, metric): the seed-paired gap of the row over the lead (``mudar``, or
    ``motionbeat`` in its tables), signed so that > 0 means the row does better.

    With n seeds the gaps ``g_s`` give ``mean``, ``std`` (ddof=1), ``n`` and ``significant``:
    whether the 95 % Student-t interval of the mean gap, ``mean +- t(0.975, n-1) std / sqrt(n)``,
    leaves out 0 (None for one seed). The seeds share the split and the training seed between
    methods, so pairing removes the split's share of the spread, which dominates here.

    Parameters
    ----------
    per_seed : iterable of dict
        As :func:`aggregate` takes them.

    Returns
    -------
    dict
        ``{table: {row: {metric: {"mean", "std", "n", "significant"}}}}``.
    """
    from scipy.stats import t as student_t

    gaps: dict = {}
    for result in per_seed:
        for table, rows in result.items():
            lead = _lead(rows)
            if lead is None or table.startswith("_"):
                continue
            for row, metrics in rows.items():
                if row == lead:
                    continue
                for metric, v in metrics.items():
                    a = rows[lead].get(metric)
                    if v is None or a is None or math.isnan(float(v)) or math.isnan(float(a)):
                        continue
                    sign = 1.0 if higher_is_better(metric) else -1.0
                    cell = gaps.setdefault(table, {}).setdefault(row, {})
                    cell.setdefault(metric, []).append(sign * (float(v) - float(a)))
    out: dict = {}
    for table, rows in gaps.items():
        for row, metrics in rows.items():
            for metric, g in metrics.items():
                ms, n = mean_std(g), len(g)
                sig = None
                if n > 1:
                    half = float(student_t.ppf(0.975, n - 1)) * ms["std"] / math.sqrt(n)
                    sig = bool(abs(ms["mean"]) > half)
                out.setdefault(table, {}).setdefault(row, {})[metric] = {
                    **ms,
                    "n": n,
                    "significant": sig,
                }
    return out


TIMING_METRICS = ("gain", "gain_70ms", "gain_70ms_beats")
"""Rhythm-table columns whose interval over seeds says whether a method found timing."""


def timing_intervals(per_seed: Iterable[Mapping]) -> dict:
    """Per rhythm row and timing gain (:data:`TIMING_METRICS`): its mean over seeds and 95 %
    interval (:func:`mudar.eval.timing.gain_interval`); ``found`` when the interval leaves out 0
    on the positive side: the test of "this method knows when, not only how often".

    Returns
    -------
    dict
        ``{row: {metric: {"mean", "low", "high", "n", "found"}}}``.
    """
    from mudar.eval.timing import gain_interval

    gains: dict[str, dict[str, list[float]]] = {}
    for result in per_seed:
        for row, metrics in result.get("rhythm", {}).items():
            for metric in TIMING_METRICS:
                v = metrics.get(metric)
                if v is not None and not math.isnan(float(v)):
                    gains.setdefault(row, {}).setdefault(metric, []).append(float(v))
    return {
        row: {m: gain_interval(g) for m, g in gains[row].items()} for row in ordered(gains, ROWS)
    }


def timing_markdown(intervals: Mapping) -> str:
    """The lines under the rhythm table that say which rows found timing."""
    if not intervals:
        return ""
    lines = [
        "Timing found? Each gain over the seeds, mean [95 % Student-t interval]; **yes** when "
        "the interval leaves out 0 (one seed cannot say: run more seeds).",
        "",
        "| row | " + " | ".join(TIMING_METRICS) + " |",
        "|---" * (len(TIMING_METRICS) + 1) + "|",
    ]
    for row, metrics in intervals.items():
        cells = []
        for m in TIMING_METRICS:
            g = metrics.get(m)
            cells.append(
                ""
                if g is None
                else f"{g['mean']:+.3f} [{g['low']:+.3f}, {g['high']:+.3f}]"
                + (" **yes**" if g["found"] else "")  # never from one seed (gain_interval)
            )
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines + [""])


TIMING_BAR = 0.03
"""The issue's bar for the learned timing model: it gains at least this much more than the best
learning-free rule in ``gain_70ms_beats``, paired by seed, with a 95 % interval above 0."""


def model_minus_rule(
    per_seed: Iterable[Mapping], *, row: str = "timing", metric: str = "gain_70ms_beats"
) -> dict | None:
    """``row`` minus the best learning-free rule in ``metric`` of the rhythm table, paired by seed.

    The rule is the learning-free row (:data:`mudar.methods.LEARNING_FREE`) with the best mean
    over the seeds that scored ``row``; each such seed gives the difference ``row - rule`` and
    :func:`mudar.eval.timing.gain_interval` its mean and 95 % Student-t interval.

    Returns
    -------
    dict or None
        ``{"row", "rule", "metric", "mean", "low", "high", "n", "found", "bar", "met"}``
        (``met``: a mean at least :data:`TIMING_BAR` with the interval above 0, never from one
        seed); None when no seed scored ``row`` and a rule.
    """
    from mudar.eval.timing import gain_interval

    tables = [r.get("rhythm", {}) for r in per_seed]
    scored = [t for t in tables if t.get(row, {}).get(metric) is not None]
    rules = [
        m
        for m in LEARNING_FREE
        if scored and all(t.get(m, {}).get(metric) is not None for t in scored)
    ]
    if not rules:
        return None
    rule = max(rules, key=lambda m: float(np.mean([t[m][metric] for t in scored])))
    g = gain_interval(float(t[row][metric]) - float(t[rule][metric]) for t in scored)
    met = g["n"] > 1 and g["mean"] >= TIMING_BAR and g["low"] > 0
    return {"row": row, "rule": rule, "metric": metric, **g, "bar": TIMING_BAR, "met": met}


def model_minus_rule_text(d: Mapping | None) -> str:
    """The line under the rhythm table (and in the report) that reads :func:`model_minus_rule`
    against the bar; empty without it."""
    if not d:
        return ""
    verdict = "met" if d["met"] else "not met" + (" (one seed cannot say)" if d["n"] < 2 else "")
    return (
        f"Learned {d['row']} minus the best learning-free rule ({d['rule']}) in {d['metric']}, "
        f"paired by seed: {d['mean']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}] (mean [95 % "
        f"Student-t interval] over {d['n']} seed(s)); the bar, at least {d['bar']:+.2f} with the "
        f"interval above 0: {verdict}."
    )


def not_beaten(tables: Mapping, gaps: Mapping | None = None) -> list[dict]:
    """Where MuDaR (or, in the MotionBeat tables, MotionBeat) does not beat a baseline or a
    floor (by the mean over seeds).

    Parameters
    ----------
    tables : dict
        From :func:`aggregate`.
    gaps : dict, optional
        From :func:`paired_gaps`: each entry then also gets ``gap`` (that cell, or None).

    Returns
    -------
    list of dict
        ``{"table", "metric", "row", "row_mean", "mudar_mean", "lead"}``, one per (table,
        metric, row) where ``row`` (another method or a floor, not a variant of the lead)
        scores at least as well as the lead (``mudar`` or ``motionbeat``).
    """
    out = []
    for table, rows in tables.items():
        lead = _lead(rows)
        if lead is None:
            continue
        ours = rows[lead]
        for row, cells in rows.items():
            if row == lead or row.startswith((lead + "-", lead + " (")):
                continue
            for metric, cell in cells.items():
                if metric not in ours:
                    continue
                a, b = ours[metric]["mean"], cell["mean"]
                if (b >= a) if higher_is_better(metric) else (b <= a):
                    entry = {
                        "table": table,
                        "metric": metric,
                        "row": row,
                        "row_mean": b,
                        "mudar_mean": a,
                        "lead": lead,
                    }
                    if gaps is not None:
                        entry["gap"] = gaps.get(table, {}).get(row, {}).get(metric)
                    out.append(entry)
    return out


def gap_text(metric: str, gap: Mapping | None) -> str:
    if not gap or gap.get("significant") is None:
        return ""
    verdict = "significant" if gap["significant"] else "within noise"
    return (
        f"; paired gap {_fmt(metric, gap['mean'])} ± {_fmt(metric, gap['std'])} over "
        f"{gap['n']} seeds, {verdict}"
    )


def _fmt(metric: str, x: float) -> str:
    if metric in ("train_s", "analysis_x_realtime"):
        return f"{x:.1f}"
    if metric == "query_ms":
        return f"{x:.2f}"
    return f"{x:.3f}"


def cell_text(metric: str, cell: Mapping, n_seeds: int) -> str:
    """``mean ± std`` (the mean alone for one seed)."""
    if n_seeds > 1:
        return f"{_fmt(metric, cell['mean'])} ± {_fmt(metric, cell['std'])}"
    return _fmt(metric, cell["mean"])


def table_markdown(table: str, rows: Mapping, *, n_seeds: int, gaps: Mapping | None = None) -> str:
    """One table as Markdown, with what beats MuDaR under it (and, given :func:`paired_gaps`,
    whether each such gap is significant over the seeds)."""
    metrics = ordered({m for cells in rows.values() for m in cells}, METRICS.get(table, ()))
    lines = [
        f"### {TITLES.get(table, table)}",
        "",
        "| row | " + " | ".join(metrics) + " |",
        "|---" * (len(metrics) + 1) + "|",
    ]
    for row, cells in rows.items():
        vals = [cell_text(m, cells[m], n_seeds) if m in cells else "" for m in metrics]
        lines.append(f"| {row} | " + " | ".join(vals) + " |")
    lines.append("")
    if table in NOTES:
        lines += [NOTES[table], ""]
    lead = _lead(rows)
    if lead is None or len(rows) < 2:
        return "\n".join(lines)
    name = {"mudar": "MuDaR", "motionbeat": "MotionBeat"}[lead]
    lost = not_beaten({table: rows}, None if gaps is None else {table: gaps})
    if lost:
        by_metric: dict[str, list[str]] = {}
        for d in lost:
            mean = _fmt(d["metric"], d["row_mean"])
            gap = gap_text(d["metric"], d.get("gap"))
            by_metric.setdefault(d["metric"], []).append(f"{d['row']} ({mean}{gap})")
        how = (
            "; the paired gap is the row minus the lead per seed, > 0 for the row, significant "
            "when its 95 % t-interval leaves out 0"
            if gaps is not None and n_seeds > 1
            else ""
        )
        lines.append(
            f"**{name} does not beat** (means over seeds; {name}'s own after each metric{how}):"
        )
        lines.append("")
        for metric in (m for m in metrics if m in by_metric):
            who = by_metric[metric]
            lines.append(
                f"- {metric} ({lead} {_fmt(metric, rows[lead][metric]['mean'])}): " + ", ".join(who)
            )
    else:
        lines.append(f"{name} beats every other method and floor here on every metric.")
    lines.append("")
    return "\n".join(lines)


def markdown(tables: Mapping, *, meta: Mapping, gaps: Mapping | None = None) -> str:
    """``tables.md``: a header (budget, seeds, dances, wall time), then every table (with the
    significance of what beats MuDaR when given :func:`paired_gaps`)."""
    n_seeds = len(meta.get("seeds", [])) or 1
    b = meta.get("budget", {})
    head = [
        "# mudar bench",
        "",
        f"Budget `{b.get('name')}`: preset `{b.get('preset')}`, {b.get('epochs')} epochs, "
        f"training windows every {b.get('clip_hop_s')} s, the same for every learned method; "
        f"{n_seeds} seed(s) "
        + ("(mean ± std over seeds, std with ddof=1)" if n_seeds > 1 else "(one seed: no std)")
        + f"; {dances_text(meta)} per seed (held out by dance, from every genre with two or "
        "more)"
        + (
            f"; test dances in the look(s) {', '.join(meta['test_looks'])} only, never seen in "
            "training."
            if meta.get("test_looks")
            else "."
        ),
    ]
    head += [
        "",
        "Rows: the methods; MuDaR's ablations `mudar-bce` / `mudar-regression` / `mudar-crf` "
        "(other rhythm heads), `mudar-audio` (the music at inference), `mudar-norhythm` (no "
        "rhythm inputs or similarity), `mudar-data25` / `mudar-data50` (self-supervised on a "
        "share of the training dances, stratified and nested; the classifier still learns from "
        "every training dance's label); the floors `chance`, `peaks`, `all`, `majority`, `raw`.",
        "",
    ]
    if meta.get("wall_s") is not None:
        line = f"Wall time {meta['wall_s'] / 60:.1f} min"
        if meta.get("compute_s") is not None and meta["compute_s"] > meta["wall_s"] + 1:
            line += (
                f" (resumed; the results took {meta['compute_s'] / 60:.1f} min of training and "
                "scoring when they were made)"
            )
        head.append(line + f", {meta.get('torch_threads', '?')} torch thread(s).")
    if meta.get("failed"):
        head += ["", "**Failed runs** (skipped):", ""]
        head += [f"- {f['run']}: {f['error']}" for f in meta["failed"]]
    parts = ["\n".join(head), ""]
    for table, rows in tables.items():
        parts.append(
            table_markdown(
                table, rows, n_seeds=n_seeds, gaps=None if gaps is None else gaps.get(table, {})
            )
        )
        if table == "rhythm" and meta.get("timing"):
            parts.append(timing_markdown(meta["timing"]))
        if table == "rhythm":
            parts += [model_minus_rule_text(vs) + "\n" for vs in meta.get("timing_vs_rule") or []]
    return "\n".join(parts)


def dances_text(meta: Mapping) -> str:
    """What the bench ran on, in words: "35 dances (172 videos), 11 test videos" (the videos
    only where they are more than the dances: a beat-locked set's looks and songs)."""
    n, v = meta.get("n_dances", "?"), meta.get("n_videos")
    videos = f" ({v} videos)" if v is not None and v != n else ""
    return f"{n} dances{videos}, {meta.get('n_test', '?')} test videos"


def write_tables(
    out: str | os.PathLike, tables: Mapping, *, meta: Mapping, gaps: Mapping | None = None
) -> tuple[Path, Path]:
    """Write ``tables.json`` and ``tables.md`` into ``out`` (atomically); returns their paths."""
    out = Path(out)
    write_text(out / "tables.json", json.dumps(tables, indent=1) + "\n")
    write_text(out / "tables.md", markdown(tables, meta=meta, gaps=gaps))
    return out / "tables.json", out / "tables.md"
