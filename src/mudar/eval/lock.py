"""How well a dance is locked to its music: BAS against the beats, the half-beats, another song.

The verification of :mod:`mudar.synthetic.locked`. A motion whose accents sit on the beats scores
high against its own music's beats and low against the same beats shifted by half a beat; a
motion that carries no timing scores alike against both, and alike against another song's
beats. Scores are the FACT/AIST++ Beat Alignment Score (:func:`mudar.eval.bas.
beat_alignment_score`, the mean over the motion's accents, sigma 0.1 s by default).

:func:`lock_table` pools these per genre and over all dances from the ``meta.json`` records
that :func:`mudar.pipelines.locked.lock_dance` writes; :func:`lock_table_text` prints it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from mudar.eval.bas import DEFAULT_SIGMA_S, beat_alignment_score

__all__ = ["half_beats", "lock_scores", "lock_table", "lock_table_text"]

_SIDES = ("before", "after")
_REFS = ("true", "half", "other")


def half_beats(beats_s) -> np.ndarray:
    """The beats shifted by half a beat: the mid-points of consecutive beats, seconds."""
    b = np.sort(np.asarray(beats_s, dtype=np.float64).reshape(-1))
    return (b[1:] + b[:-1]) / 2


def lock_scores(
    accents_s,
    beats_s,
    *,
    span_s: float,
    other_beats_s=None,
    sigma_s: float = DEFAULT_SIGMA_S,
) -> dict:
    """BAS of accents against the beats, the half-beats and (optionally) another song's beats.

    Parameters
    ----------
    accents_s : array-like, shape (n,)
        Motion accents (kinematic beats), seconds on the music's clock.
    beats_s : array-like, shape (b,)
        The music's beats, seconds.
    span_s : float
        Only accents and beats within ``[0, span_s]`` count (where both motion and music are).
    other_beats_s : array-like, optional
        Another song's beats, seconds.
    sigma_s : float

    Returns
    -------
    dict
        ``n`` (accents scored), ``true``, ``half``, ``other`` (None without ``other_beats_s``);
        a score is None when there is no accent to score.
    """
    a = np.asarray(accents_s, dtype=np.float64).reshape(-1)
    a = a[(a >= 0) & (a <= span_s)]

    def score(ref) -> float | None:
        r = np.asarray(ref, dtype=np.float64).reshape(-1)
        r = r[(r >= 0) & (r <= span_s)]
        if not len(a):
            return None
        return round(beat_alignment_score(a, r, sigma_s=sigma_s, over="motion"), 4)

    beats = np.asarray(beats_s, dtype=np.float64)
    return {
        "n": int(len(a)),
        "true": score(beats),
        "half": score(half_beats(beats)),
        "other": None if other_beats_s is None else score(other_beats_s),
    }


def lock_table(metas: Sequence[dict], *, sigma_s: float = DEFAULT_SIGMA_S) -> list[dict]:
    """The lock per dance, per genre and pooled, from locked dances' meta records.

    Each dance's "other song" is the next dance's (in the given order, cyclically) whose song
    differs; both its "before" and "after" scores use it, within the shorter of the two spans.
    Pooled scores are means over all accents (a dance counts by its number of accents).

    Parameters
    ----------
    metas : sequence of dict
        :func:`mudar.pipelines.locked.lock_dance` records (``source_accent_times``,
        ``detected_accent_times``, ``beat_times``, ``duration_s``, ``source_duration_s``,
        ``speed_range``, ``n_accents``, ``n_matched``, ``genre``, ``id``).
    sigma_s : float

    Returns
    -------
    list of dict
        One row per dance (``kind`` "dance"), then per genre (``kind`` "genre"), then
        ``kind`` "all": ``name``, ``dances``, ``accents_before``, ``accents_after``,
        ``before_true/half/other``, ``after_true/half/other``, ``speed_min``, ``speed_max``,
        ``matched`` (fraction of accents matched).
    """
    rows, parts = [], []
    for i, m in enumerate(metas):
        other = _other(metas, i)
        ob = None if other is None else other["beat_times"]
        o_span = math.inf if other is None else float(other["duration_s"])
        part = {}
        for side, acc, span in (
            ("before", m["source_accent_times"], float(m["source_duration_s"])),
            ("after", m["detected_accent_times"], float(m["duration_s"])),
        ):
            s = lock_scores(acc, m["beat_times"], span_s=span, sigma_s=sigma_s)
            if ob is not None:
                o = lock_scores(acc, ob, span_s=min(span, o_span), sigma_s=sigma_s)
                s["other"], s["n_other"] = o["true"], o["n"]
            part[side] = s
        part.update(
            genre=str(m.get("genre", "?")),
            speed=tuple(m["speed_range"]),
            n_accents=int(m["n_accents"]),
            n_matched=int(m["n_matched"]),
        )
        parts.append(part)
        rows.append(_row("dance", str(m.get("id", i)), [part]))
    for genre in sorted({p["genre"] for p in parts}):
        rows.append(_row("genre", genre, [p for p in parts if p["genre"] == genre]))
    if parts:
        rows.append(_row("all", "all", parts))
    return rows


def lock_table_text(rows: Sequence[dict], *, dances: bool = True) -> str:
    """A plain-text table of :func:`lock_table` rows (per-dance rows optional)."""

    def f(x) -> str:
        return "   -  " if x is None else f"{x:6.3f}"

    head = (
        f"{'':14s} {'n':>3s}  {'BAS before: true   half  other':>29s}  "
        f"{'after: true   half  other':>25s}  {'speed':>11s}  {'matched':>7s}"
    )
    lines = [head]
    kind = None
    for r in rows:
        if r["kind"] == "dance" and not dances:
            continue
        if kind is not None and r["kind"] != kind:
            lines.append("-" * len(head))
        kind = r["kind"]
        lines.append(
            f"{r['name'][:14]:14s} {r['dances']:3d}  "
            f"{'':8s}{f(r['before_true'])} {f(r['before_half'])} {f(r['before_other'])}  "
            f"{'':6s}{f(r['after_true'])} {f(r['after_half'])} {f(r['after_other'])}  "
            f"{r['speed_min']:.2f}-{r['speed_max']:.2f}  {r['matched']:7.2f}"
        )
    return "\n".join(lines)


def _other(metas: Sequence[dict], i: int) -> dict | None:
    n = len(metas)
    song = metas[i].get("song_title_tag")
    for k in range(1, n):
        m = metas[(i + k) % n]
        if song is None or m.get("song_title_tag") != song:
            return m
    return None


def _row(kind: str, name: str, parts: list[dict]) -> dict:
    out = {"kind": kind, "name": name, "dances": len(parts)}
    for side in _SIDES:
        out[f"accents_{side}"] = sum(p[side]["n"] for p in parts)
        for ref in _REFS:
            num = den = 0.0
            for p in parts:
                s = p[side]
                v = s.get(ref)
                n = s.get("n_other", s["n"]) if ref == "other" else s["n"]
                if v is not None and n:
                    num, den = num + v * n, den + n
            out[f"{side}_{ref}"] = round(num / den, 4) if den else None
    out["speed_min"] = min(p["speed"][0] for p in parts)
    out["speed_max"] = max(p["speed"][1] for p in parts)
    acc = sum(p["n_accents"] for p in parts)
    out["matched"] = round(sum(p["n_matched"] for p in parts) / acc, 4) if acc else 0.0
    return out
