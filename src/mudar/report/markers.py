"""Beats, their 8-counts and the dance accents as markers a video editor imports: CSV, JSON
and SubRip (``.srt``) captions.

Pure formatting: the beats and accents come measured (a rhythm report); nothing here measures.
A dancer counts the beats in eights, ``1`` to ``8``; the count starts at ``first_beat`` (the
beat numbered 1), and the beats before it carry on backwards (a pickup: ``7, 8, 1, ...``).
The SRT captions ("1" .. "8", "accent") show each marker on the editor's timeline and over the
video: Premiere Pro, DaVinci Resolve and most players read SubRip.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from mudar.atomic import write_text
from mudar.errors import ParameterError
from mudar.methods import MARKER_FORMATS

COUNT = 8
"""Beats in a dancer's count."""

CUE_S = 0.25
"""Longest an SRT caption stays on screen, seconds (a flash, not a subtitle)."""

MERGE_S = 0.05
"""Markers closer than this share one SRT caption ("3 + accent"), seconds: two captions
shown at once stack on screen."""


@dataclass(frozen=True)
class Marker:
    """One marker.

    Attributes
    ----------
    time_s : float
        Seconds from the start of the file.
    kind : str
        ``"beat"`` (a music beat) or ``"accent"`` (a dance accent).
    count : int or None
        The beat's place in its eight, 1 .. 8; None for an accent.
    label : str
        What an editor shows: the count (``"1"``), ``"accent"``, or ``"weak accent"`` (little
        evidence: the dance's rhythm strength barely rises there).
    """

    time_s: float
    kind: str
    count: int | None
    label: str


def beat_counts(n_beats: int, *, first_beat: int = 0, count: int = COUNT) -> list[int]:
    """The count (1 .. ``count``) of each of ``n_beats`` beats, beat ``first_beat`` being 1.

    Raises
    ------
    ParameterError
        If ``count < 1``, or ``first_beat`` is negative or not a beat (with beats to count).
    """
    if count < 1:
        raise ParameterError(f"count must be >= 1, got {count}")
    if first_beat < 0 or (n_beats and first_beat >= n_beats):
        raise ParameterError(
            f"the count must start on one of the {n_beats} beats (0 .. {max(n_beats - 1, 0)}), "
            f"got beat {first_beat}"
        )
    return [(i - first_beat) % count + 1 for i in range(n_beats)]


def rhythm_markers(
    beat_times,
    accent_times,
    *,
    first_beat: int = 0,
    weak=None,
    count: int = COUNT,
) -> list[Marker]:
    """The beats (counted) and the accents as markers, in time order (a beat before an accent
    at the same time).

    Parameters
    ----------
    beat_times : sequence of float, shape (b,)
        Music beats, seconds, increasing.
    accent_times : sequence of float, shape (a,)
        Dance accents (rhythm points), seconds.
    first_beat : int
        Index of the beat counted 1.
    weak : sequence of bool, shape (a,), optional
        Accents with weak evidence, labelled ``"weak accent"``.
    count : int
        Beats in a count.

    Returns
    -------
    list of Marker

    Raises
    ------
    ParameterError
        A bad ``first_beat``, or ``weak`` not one flag per accent.
    """
    beats = [float(t) for t in beat_times]
    accents = [float(t) for t in accent_times]
    flags = [False] * len(accents) if weak is None else [bool(w) for w in weak]
    if len(flags) != len(accents):
        raise ParameterError(f"{len(flags)} weak flags for {len(accents)} accents")
    out = [
        Marker(t, "beat", c, str(c))
        for t, c in zip(
            beats, beat_counts(len(beats), first_beat=first_beat, count=count), strict=True
        )
    ]
    out += [
        Marker(t, "accent", None, "weak accent" if w else "accent")
        for t, w in zip(accents, flags, strict=True)
    ]
    return sorted(out, key=lambda m: (m.time_s, m.kind != "beat"))


def markers_csv(markers: list[Marker]) -> str:
    """``time_s,kind,count,label``, one row a marker (``count`` empty for an accent)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["time_s", "kind", "count", "label"])
    for m in markers:
        w.writerow([f"{m.time_s:.3f}", m.kind, "" if m.count is None else m.count, m.label])
    return buf.getvalue()


def markers_json(markers: list[Marker], *, about: dict | None = None) -> str:
    """``{**about, "markers": [{"time_s", "kind", "count", "label"}, ...]}``, indented."""
    rows = [asdict(m) | {"time_s": round(m.time_s, 3)} for m in markers]
    return json.dumps({**(about or {}), "markers": rows}, indent=1, ensure_ascii=False) + "\n"


def srt_time(seconds: float) -> str:
    """``HH:MM:SS,mmm`` of SubRip, to the nearest millisecond (negative times are 0)."""
    ms = max(0, round(float(seconds) * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def markers_srt(markers: list[Marker], *, cue_s: float = CUE_S, merge_s: float = MERGE_S) -> str:
    """SubRip captions: one a marker, or one for markers within ``merge_s`` of the first of
    them (``"3 + accent"``), each shown for ``cue_s`` or until the next one starts, so that no
    two overlap.

    Raises
    ------
    ParameterError
        If ``cue_s`` is not positive or ``merge_s`` is negative.
    """
    if not cue_s > 0 or merge_s < 0:
        raise ParameterError(f"need cue_s > 0 and merge_s >= 0, got {cue_s}, {merge_s}")
    groups: list[list[Marker]] = []
    for m in markers:
        if groups and m.time_s - groups[-1][0].time_s < merge_s:
            groups[-1].append(m)
        else:
            groups.append([m])
    starts = [round(g[0].time_s * 1000) for g in groups]
    cues = []
    for i, g in enumerate(groups):
        end = starts[i] + round(cue_s * 1000)
        if i + 1 < len(groups):
            end = min(end, starts[i + 1])
        end = max(end, starts[i] + 1)
        text = " + ".join(m.label for m in sorted(g, key=lambda m: m.kind != "beat"))
        cues.append(f"{i + 1}\n{srt_time(starts[i] / 1000)} --> {srt_time(end / 1000)}\n{text}\n")
    return "\n".join(cues)


FORMATTERS = {
    "csv": markers_csv,
    "json": markers_json,
    "srt": markers_srt,
}
"""How each of :data:`mudar.methods.MARKER_FORMATS` is written, by its name."""

MEDIA_TYPES = {"csv": "text/csv", "json": "application/json", "srt": "application/x-subrip"}
"""The media type of each format, for a download."""


def format_markers(markers: list[Marker], fmt: str, *, about: dict | None = None) -> str:
    """``markers`` as the text of format ``fmt`` (``about``: what the JSON says of them).

    Raises
    ------
    ParameterError
        An unknown format (one line naming the known ones).
    """
    if fmt not in FORMATTERS:
        raise ParameterError(f"unknown marker format {fmt!r}; known: {', '.join(MARKER_FORMATS)}")
    if fmt == "json":
        return markers_json(markers, about=about)
    return FORMATTERS[fmt](markers)


def marker_format(path: str | os.PathLike) -> str:
    """The format a marker file's name asks for, by its extension.

    Raises
    ------
    ParameterError
        An extension that is none of :data:`mudar.methods.MARKER_FORMATS`.
    """
    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in FORMATTERS:
        raise ParameterError(
            f"{path}: a marker file ends in {', '.join('.' + f for f in MARKER_FORMATS)}"
        )
    return fmt


def write_markers(
    path: str | os.PathLike, markers: list[Marker], *, about: dict | None = None
) -> Path:
    """Write ``markers`` in the format of ``path``'s extension (:func:`marker_format`)."""
    fmt = marker_format(path)
    write_text(path, format_markers(markers, fmt, about=about))
    return Path(path)
