"""``report.html`` of a bench: every table, a bar plot of each, the ablations and the data-size
scaling, and where MuDaR is not ahead."""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from pathlib import Path

from mudar.pipelines.bench.plan import ABLATIONS
from mudar.pipelines.bench.tables import (
    FLOORS,
    METRICS,
    NOTES,
    TITLES,
    cell_text,
    dances_text,
    gap_text,
    model_minus_rule_text,
    not_beaten,
    ordered,
)
from mudar.report.html import write_page
from mudar.report.plots import plot_bars, plot_lines

ABLATION_ROWS = tuple(a.row for a in ABLATIONS.values())

PLOTTED = {
    "rhythm": ("precision", "recall", "f1", "f1_shifted"),
    "classification": ("accuracy", "file_accuracy", "balanced_accuracy"),
    "retrieval_sync": ("R@1", "R@5", "P@10", "mAP"),
    "retrieval_genre": ("R@1", "R@5", "P@10", "mAP"),
    "retarget": ("bas_true", "bas_before", "bas_shift", "bas_accel", "bas_dtw"),
    "speed": ("analysis_x_realtime",),
}
"""Metrics drawn per table (the speed table's others are on other scales)."""

TIMING_PLOT = ("gain", "gain_70ms", "gain_70ms_beats")
"""The rhythm table's timing gains, drawn apart (their scale is around 0, not 0-1)."""

SHORT = {
    "rhythm": "Visual rhythm (Table 1), no music at inference",
    "classification": "Genre classification (Table 2)",
    "retrieval_sync": "Retrieval by sync (Table 3)",
    "retrieval_genre": "Retrieval by genre (Table 3)",
    "retarget": "Retargeting BAS",
    "speed": "Speed (x real time)",
}
"""Plot titles."""

SCALING = (
    ("rhythm", "f1"),
    ("classification", "accuracy"),
    ("retrieval_sync", "R@1"),
    ("retrieval_genre", "mAP"),
)
"""(table, metric) drawn against the share of training dances."""


def _groups(rows: Mapping, metrics, keep) -> dict:
    return {
        m: {r: (c[m]["mean"], c[m]["std"]) for r, c in rows.items() if r in keep and m in c}
        for m in metrics
        if any(m in c for r, c in rows.items() if r in keep)
    }


def _html_table(table: str, rows: Mapping, n_seeds: int) -> str:
    metrics = ordered({m for c in rows.values() for m in c}, METRICS.get(table, ()))
    head = "".join(f"<th>{html.escape(m)}</th>" for m in ["row", *metrics])
    body = ""
    for row, cells in rows.items():
        style = " style='font-weight:bold'" if row == "mudar" else ""
        tds = "".join(
            f"<td>{cell_text(m, cells[m], n_seeds) if m in cells else ''}</td>" for m in metrics
        )
        body += f"<tr{style}><td style='text-align:left'>{html.escape(row)}</td>{tds}</tr>"
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_report(out: str | os.PathLike, tables: Mapping, *, meta: Mapping) -> Path:
    """Write ``out/report.html`` and its plots (``out/plots/*.png``); returns the page."""

    out = Path(out)
    plots = out / "plots"
    n_seeds = len(meta.get("seeds", [])) or 1
    b = meta.get("budget", {})
    lost = meta.get("mudar_not_ahead") or not_beaten(tables)  # with paired gaps when run
    summary = (
        f"<p>Budget <code>{html.escape(str(b.get('name')))}</code>: preset "
        f"<code>{html.escape(str(b.get('preset')))}</code>, {b.get('epochs')} epochs, windows "
        f"every {b.get('clip_hop_s')} s, the same for every learned method; {n_seeds} seed(s); "
        f"{dances_text(meta)} per seed. Wall time "
        f"{(meta.get('wall_s') or 0) / 60:.1f} min on {meta.get('cpus')} CPUs (load average "
        f"{meta.get('load_average')}).</p>"
    )
    if meta.get("failed"):
        summary += "<p><b>Failed runs</b> (skipped):</p><ul>" + "".join(
            f"<li>{html.escape(f['run'])}: {html.escape(f['error'])}</li>" for f in meta["failed"]
        )
        summary += "</ul>"
    for vs in meta.get("timing_vs_rule") or []:
        summary += f"<p>{html.escape(model_minus_rule_text(vs))}</p>"
    if lost:
        summary += "<p><b>Where MuDaR is not ahead</b> (mean over seeds):</p><ul>" + "".join(
            f"<li>{d['table']} {html.escape(d['metric'])}: {html.escape(d['row'])} "
            f"{d['row_mean']:.3f} vs {d['lead']} {d['mudar_mean']:.3f}"
            f"{html.escape(gap_text(d['metric'], d.get('gap')))}</li>"
            for d in lost
        )
        summary += "</ul>"
    sections = [("Summary", summary)]

    for table, rows in tables.items():
        body = _html_table(table, rows, n_seeds)
        if table in NOTES:
            body += f"<p>{html.escape(NOTES[table])}</p>"
        keep = [r for r in rows if r not in ABLATION_ROWS or r == "mudar"]
        groups = _groups(rows, PLOTTED.get(table, ()), keep)
        if groups:
            png = plot_bars(groups, plots / f"{table}.png", title=SHORT.get(table, table))
            body += f"<img src='plots/{png.name}'>"
        timing = _groups(rows, TIMING_PLOT, keep) if table == "rhythm" else {}
        if timing:
            png = plot_bars(
                timing,
                plots / "rhythm-timing.png",
                title="Timing gain: the score minus its shifted control (> 0: timing, not rate)",
            )
            body += f"<img src='plots/{png.name}'>"
        sections.append((TITLES.get(table, table), body))

    # ablations: MuDaR's variants beside it
    abl = ""
    for table, rows in tables.items():
        variants = ["mudar", *(r for r in ABLATION_ROWS if r in rows and "data" not in r)]
        if len(variants) < 2 or "mudar" not in rows:
            continue
        groups = _groups(rows, PLOTTED.get(table, ()), variants)
        png = plot_bars(
            groups, plots / f"ablation-{table}.png", title=f"{SHORT.get(table, table)}: ablations"
        )
        abl += f"<img src='plots/{png.name}'>"
    series = {}
    for table, metric in SCALING:
        rows = tables.get(table, {})
        pts = [rows.get(r, {}).get(metric) for r in ("mudar-data25", "mudar-data50", "mudar")]
        if sum(p is not None for p in pts) >= 2:
            nan = float("nan")
            series[f"{table} {metric}"] = (
                [p["mean"] if p else nan for p in pts],
                [p["std"] if p else nan for p in pts],
            )
    if series:
        png = plot_lines(
            [25, 50, 100],
            series,
            plots / "data-scaling.png",
            title="MuDaR against the share of training dances",
            xlabel="% of the training dances",
            ylabel="score",
        )
        abl += f"<img src='plots/{png.name}'>"
    if abl:
        sections.append(("Ablations and data-size scaling", abl))
    floors = ", ".join(FLOORS)
    sections.append(
        (
            "Reading the tables",
            f"<p>Rows: the methods, MuDaR's ablations (<code>mudar-*</code>) and the floors "
            f"({html.escape(floors)}). Numbers are mean ± std over seeds (std with ddof=1). "
            "<code>tables.json</code> has them all; <code>meta.json</code> the timings.</p>",
        )
    )
    return write_page(out / "report.html", "mudar bench", sections)
