"""Figures people would rather look at than read. Matplotlib (Agg), imported only when drawing."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import numpy as np

from mudar.atomic import atomic_path
from mudar.errors import ParameterError
from mudar.features.analysis import Analysis
from mudar.features.dance import rhythm_times
from mudar.optional import require


def _pyplot():
    matplotlib = require("matplotlib", purpose="plotting")
    matplotlib.use("Agg")
    return require("matplotlib.pyplot", purpose="plotting")


def _save(fig, out: str | os.PathLike, *, dpi: int = 110) -> Path:
    """Lay out, write the PNG (creating its folder; atomically, so an interrupted or failed
    write leaves nothing under ``out``) and free the figure."""
    plt = _pyplot()
    fig.tight_layout()
    out = Path(out)
    try:
        with atomic_path(out) as tmp:
            fig.savefig(tmp, dpi=dpi, format=out.suffix.lstrip(".").lower() or "png")
    finally:
        plt.close(fig)
    return out


def plot_rhythm(
    analysis: Analysis,
    out: str | os.PathLike,
    *,
    true_beats: np.ndarray | None = None,
    title: str | None = None,
    dance: dict | None = None,
) -> Path:
    """Music onset envelope, beats and dance rhythm of one file on one time axis.

    Parameters
    ----------
    analysis : Analysis
    out : path-like
        PNG to write (folders are created).
    true_beats : np.ndarray, optional
        Ground-truth motion beats in seconds (synthetic data), drawn as dashed lines.
    title : str, optional
    dance : dict, optional
        The dance rhythm to draw: a rhythm report's ``"dance"`` (``method``, ``rhythm_times``
        in seconds of the file, ``rhythm_strength`` per frame), as
        :func:`mudar.tasks.rhythm.rhythm_report` gives it; with ``prominence`` and
        ``weak_below`` (:func:`mudar.pipelines.rhythm.dance_evidence`), the points with weak
        evidence are drawn faintly. Default: hoof-flux, from the analysis.

    Returns
    -------
    Path
        ``out``.
    """
    plt = _pyplot()
    clock = analysis.clock
    n_rows = (analysis.music is not None) + (analysis.dance is not None)
    fig, axes = plt.subplots(
        max(n_rows, 1), 1, figsize=(12, 2.3 * max(n_rows, 1) + 0.6), sharex=True, squeeze=False
    )
    axes = list(axes[:, 0])
    t0 = analysis.start_s
    row = 0
    if analysis.music is not None:
        m, ax = analysis.music, axes[row]
        env = m.onset_envelope / (m.onset_envelope.max() or 1.0)
        ax.plot(
            t0 + np.arange(len(env)) / clock.fine_rate,
            env,
            lw=0.7,
            color="0.35",
            label="onset envelope (superflux)",
        )
        ax.vlines(
            t0 + m.beat_times,
            0,
            1.05,
            color="tab:red",
            lw=1.2,
            label=f"beats ({m.tempo_bpm:.0f} BPM)",
        )
        ax.plot(
            t0 + m.onset_times,
            np.full(len(m.onset_times), 1.1),
            "v",
            ms=4,
            color="tab:orange",
            label="onsets",
        )
        ax.set_ylabel("music")
        ax.set_ylim(0, 1.2)
        ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=7, frameon=False)
        row += 1
    if analysis.dance is not None:
        d, ax = analysis.dance, axes[row]
        if dance is None:
            method, strength = "hoof-flux", d.strength
            rt = t0 + rhythm_times(d.rhythm_frames, fps=clock.fps)
        else:
            method, strength = dance["method"], np.asarray(dance["rhythm_strength"])
            rt = np.asarray(dance["rhythm_times"], np.float64)
        t = t0 + clock.frame_times(len(strength))
        ax.fill_between(
            t, strength, step="mid", alpha=0.35, color="tab:blue", label=f"{method} strength"
        )
        weak = np.zeros(len(rt), bool)
        if dance is not None and "prominence" in dance:  # weak evidence: drawn faintly
            weak = np.asarray(dance["prominence"], np.float64) < dance["weak_below"]
        words = (dance or {}).get("accents")  # what the points are, in a dancer's words
        ax.plot(
            rt[~weak], np.full(int((~weak).sum()), 1.1), "o", ms=4, color="tab:blue",
            label=f"dance rhythm: {words}" if words else "dance rhythm",
        )  # fmt: skip
        if weak.any():
            ax.plot(
                rt[weak], np.full(int(weak.sum()), 1.1), "o", ms=4, mfc="none", alpha=0.35,
                color="tab:blue", label=f"weak evidence (rises < {dance['weak_below']:g})",
            )  # fmt: skip
        if analysis.music is not None:
            ax.vlines(t0 + analysis.music.beat_times, 0, 1.05, color="tab:red", lw=0.6, alpha=0.5)
        if true_beats is not None:
            ax.vlines(true_beats, 0, 1.05, color="k", lw=0.8, ls="--", label="true motion beats")
        ax.set_ylabel("dance")
        ax.set_ylim(0, 1.2)
        ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=7, frameon=False)
    axes[-1].set_xlabel("time (s)")
    axes[0].set_title(title or Path(analysis.path).name, fontsize=10)
    return _save(fig, out)


def plot_confusion(
    matrix: np.ndarray,
    labels: list[str],
    path: str | os.PathLike,
    *,
    title: str | None = None,
) -> Path:
    """A confusion matrix: counts in the cells, colour by the share of the true class (row).

    Parameters
    ----------
    matrix : np.ndarray, int, shape (C, C)
        Row = true class, column = predicted class.
    labels : list of str, length C
    path : path-like
        PNG to write (folders are created).
    title : str, optional

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ParameterError
        If ``matrix`` is not (C, C) for the C labels.
    """

    m = np.asarray(matrix)
    c = len(labels)
    if m.shape != (c, c):
        raise ParameterError(f"matrix must have shape ({c}, {c}) for {c} labels, got {m.shape}")
    plt = _pyplot()
    rows = m.sum(1, keepdims=True)
    share = np.divide(m, rows, out=np.zeros(m.shape, float), where=rows > 0)
    side = 1.2 + 0.75 * c
    fig, ax = plt.subplots(figsize=(side + 1.2, side))
    im = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i in range(c):
        for j in range(c):
            ax.text(
                j,
                i,
                str(int(m[i, j])),
                ha="center",
                va="center",
                fontsize=9,
                color="white" if share[i, j] > 0.6 else "black",
            )
    ax.set_xticks(range(c), labels, rotation=45, ha="right")
    ax.set_yticks(
        range(c), [f"{lab} ({int(n)})" for lab, n in zip(labels, rows[:, 0], strict=True)]
    )
    ax.set_xlabel("predicted")
    ax.set_ylabel("true (count)")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
    if title:
        ax.set_title(title, fontsize=10)
    return _save(fig, path)


def plot_retarget(
    music_times: np.ndarray,
    dance_before: np.ndarray,
    dance_after: np.ndarray,
    out: str | os.PathLike,
    *,
    duration_s: float,
    title: str | None = None,
) -> Path:
    """Dance rhythm points against the music's, before and after retargeting.

    Parameters
    ----------
    music_times : np.ndarray, shape (m,)
        Music rhythm points, seconds.
    dance_before, dance_after : np.ndarray
        Dance rhythm points of the original video (played against the music) and of the
        retargeted output, seconds.
    out : path-like
        PNG to write.
    duration_s : float
        Length of the time axis, seconds.
    """
    plt = _pyplot()
    fig, axes = plt.subplots(2, 1, figsize=(12, 3.2), sharex=True)
    for ax, dance, name in ((axes[0], dance_before, "before"), (axes[1], dance_after, "after")):
        ax.vlines(music_times, 0.5, 1.0, color="tab:blue", lw=1.2, label="music rhythm")
        ax.vlines(dance, 0.0, 0.5, color="tab:red", lw=1.2, label="dance rhythm")
        ax.set_yticks([])
        ax.set_ylabel(name)
        ax.set_xlim(0, duration_s)
    axes[0].legend(loc="upper right", fontsize=8, ncol=2)
    axes[1].set_xlabel("time (s)")
    if title:
        axes[0].set_title(title)
    return _save(fig, out, dpi=90)


def plot_bars(
    groups: dict[str, dict[str, tuple[float, float]]],
    out: str | os.PathLike,
    *,
    title: str | None = None,
    ylabel: str = "",
    highlight: str = "mudar",
) -> Path:
    """Grouped bars with error bars: one group per metric, one bar per method.

    Parameters
    ----------
    groups : dict
        ``metric -> {method: (mean, std)}``; a method missing from a group leaves a gap.
    out : path-like
        PNG to write (folders are created).
    title : str, optional
    ylabel : str
    highlight : str
        The method drawn with a black edge (ours).

    Returns
    -------
    Path
        ``out``.
    """
    plt = _pyplot()
    methods = list(dict.fromkeys(m for g in groups.values() for m in g))
    n, k = len(groups), max(len(methods), 1)
    width = 0.8 / k
    fig, ax = plt.subplots(figsize=(max(5.0, 1.2 + n * (0.45 + 0.22 * k)), 3.4))
    colors = plt.get_cmap("tab10" if k <= 10 else "tab20")
    for j, method in enumerate(methods):
        xs, ms, ss = [], [], []
        for i, g in enumerate(groups.values()):
            if method in g:
                xs.append(i - 0.4 + (j + 0.5) * width)
                ms.append(g[method][0])
                ss.append(g[method][1])
        ax.bar(
            xs,
            ms,
            width,
            yerr=ss,
            capsize=2,
            label=method,
            color=colors(j % colors.N),
            edgecolor="black" if method == highlight else "none",
            linewidth=1.2,
        )
    ax.set_xticks(range(n), list(groups))
    ax.axhline(0.0, color="black", linewidth=0.6)  # where bars below zero start
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=7, frameon=False)
    if title:
        ax.set_title(title, fontsize=10)
    return _save(fig, out)


def plot_lines(
    x: list[float],
    series: dict[str, tuple[list[float], list[float]]],
    out: str | os.PathLike,
    *,
    title: str | None = None,
    xlabel: str = "",
    ylabel: str = "",
) -> Path:
    """Lines with error bars, e.g. a score against the share of training data.

    Parameters
    ----------
    x : list of float
    series : dict
        ``label -> (means, stds)``, each as long as ``x`` (NaN for a missing point).
    out : path-like
        PNG to write (folders are created).
    title, xlabel, ylabel : str

    Returns
    -------
    Path
        ``out``.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for label, (means, stds) in series.items():
        ax.errorbar(x, means, yerr=stds, marker="o", capsize=3, label=label)
    ax.set_xticks(x)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, frameon=False)
    if title:
        ax.set_title(title, fontsize=10)
    return _save(fig, out)


_EARLY, _LATE = "tab:blue", "tab:red"


def plot_feedback(
    feedback: dict,
    out: str | os.PathLike,
    *,
    duration_s: float | None = None,
    title: str | None = None,
) -> Path:
    """On-beat feedback: each accent's offset to the nearest beat over time, and their
    histogram.

    Left, the offsets (ms) at each accent's time: dots below 0 early (rushed, blue), above 0
    late (dragged, red), paler inside the on-beat window (the green band); the rushed and
    dragged stretches shaded. Right, the histogram of the offsets on the same axis. The title's
    second line is the summary in words.

    Parameters
    ----------
    feedback : dict
        A :func:`mudar.tasks.bas.feedback_report` (``offsets``, ``summary``, ``stretches``,
        ``text``), times and offsets in seconds.
    out : path-like
        PNG to write (folders are created).
    duration_s : float, optional
        Length of the time axis, seconds (default: the last accent).
    title : str, optional
        First line of the title (the file); the summary in words follows it.

    Returns
    -------
    Path
        ``out``.
    """
    plt = _pyplot()
    t = np.array([o["time_s"] for o in feedback["offsets"]], np.float64)
    ms = 1000.0 * np.array([o["offset_s"] for o in feedback["offsets"]], np.float64)
    window = 1000.0 * feedback["summary"]["window_s"]
    lim = max(1.5 * window, 1.1 * float(np.abs(ms).max()) if len(ms) else 0.0)
    end = duration_s if duration_s else (float(t.max()) + 1.0 if len(t) else 1.0)
    fig, (ax, hist) = plt.subplots(
        1, 2, figsize=(12, 3.8), sharey=True, gridspec_kw={"width_ratios": [5, 1]}
    )
    ax.axhspan(-window, window, color="tab:green", alpha=0.12, lw=0)
    ax.axhline(0.0, color="0.4", lw=0.8)
    for st in feedback["stretches"]:
        early = st["kind"] == "early"
        ax.axvspan(
            st["start_s"] - 0.15,
            st["end_s"] + 0.15,
            color=_EARLY if early else _LATE,
            alpha=0.13,
            lw=0,
        )
        ax.text(
            (st["start_s"] + st["end_s"]) / 2,
            # on the side away from its dots
            0.97 * lim if early else -0.97 * lim,
            "rushed" if early else "dragged",
            ha="center",
            va="top" if early else "bottom",
            fontsize=8,
            color=_EARLY if early else _LATE,
        )
    colour = np.where(ms < 0, _EARLY, _LATE)
    inside = np.abs(ms) <= window
    for keep, alpha in ((inside, 0.45), (~inside, 1.0)):
        ax.scatter(t[keep], ms[keep], s=16, c=colour[keep], alpha=alpha, lw=0)
    ax.set_xlim(0, end)
    ax.set_ylim(-lim, lim)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("offset to the nearest beat (ms)")
    ax.text(0.005, 0.02, "early (rushed)", transform=ax.transAxes, fontsize=8, color=_EARLY)
    ax.text(0.005, 0.93, "late (dragged)", transform=ax.transAxes, fontsize=8, color=_LATE)
    ax.text(
        0.995,
        0.5 + window / (2 * lim),
        f"±{window:.0f} ms: on the beat",
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=8,
        color="tab:green",
    )
    if len(ms) == 0:
        ax.text(0.5, 0.5, "no accents scored", transform=ax.transAxes, ha="center", color="0.4")
    bins = np.linspace(-lim, lim, 25)
    counts, edges = np.histogram(ms, bins=bins)
    mids = (edges[:-1] + edges[1:]) / 2
    from matplotlib.colors import to_rgba

    pale = np.abs(mids) <= window
    hist.barh(
        mids,
        counts,
        height=np.diff(edges) * 0.9,
        color=[
            to_rgba(_EARLY if m < 0 else _LATE, 0.45 if p else 1.0)
            for m, p in zip(mids, pale, strict=True)
        ],
    )
    hist.axhspan(-window, window, color="tab:green", alpha=0.12, lw=0)
    hist.axhline(0.0, color="0.4", lw=0.8)
    hist.set_xlabel("accents")
    hist.xaxis.get_major_locator().set_params(integer=True)
    med = feedback["summary"]["median_offset_s"]
    if med is not None:
        hist.axhline(1000 * med, color="k", lw=1, ls="--")
        hist.set_title(f"median {1000 * med:+.0f} ms (dashed)", fontsize=8)
    head = f"{title}\n" if title else ""
    fig.suptitle(head + "\n".join(textwrap.wrap(feedback["text"], 150)), fontsize=10)
    return _save(fig, out)
