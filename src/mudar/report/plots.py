"""Figures people would rather look at than read. Matplotlib (Agg), imported only when drawing."""

from __future__ import annotations

import os
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
        :func:`mudar.tasks.rhythm.rhythm_report` gives it. Default: hoof-flux, from the
        analysis.

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
        ax.plot(rt, np.full(len(rt), 1.1), "o", ms=4, color="tab:blue", label="dance rhythm")
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
