"""Figures people would rather look at than read. Matplotlib (Agg), imported only when drawing."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from mudar.features.dance import rhythm_times
from mudar.features.extract import Analysis


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_rhythm(
    analysis: Analysis,
    out: str | os.PathLike,
    *,
    true_beats: np.ndarray | None = None,
    title: str | None = None,
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
        t = t0 + clock.frame_times(len(d.strength))
        ax.fill_between(
            t, d.strength, step="mid", alpha=0.35, color="tab:blue", label="hoof-flux strength"
        )
        rt = t0 + rhythm_times(d.rhythm_frames, fps=clock.fps)
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
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
