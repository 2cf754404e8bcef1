"""Marker files of beats (counted in eights) and dance accents: counts with known answers, CSV
that parses back, SubRip timestamps to the millisecond, captions that never overlap."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from mudar.errors import ParameterError
from mudar.methods import MARKER_FORMATS
from mudar.report.markers import (
    FORMATTERS,
    Marker,
    beat_counts,
    format_markers,
    marker_format,
    markers_csv,
    markers_srt,
    rhythm_markers,
    srt_time,
    write_markers,
)

BEATS = [0.5 * k + 0.25 for k in range(10)]  # 120 BPM from 0.25 s


def test_every_format_named_for_the_user_is_written():
    assert set(FORMATTERS) == set(MARKER_FORMATS)


def test_counts_run_one_to_eight_from_the_beat_asked():
    assert beat_counts(10) == [1, 2, 3, 4, 5, 6, 7, 8, 1, 2]
    # a pickup: the beats before the one counted 1 carry on backwards
    assert beat_counts(10, first_beat=3) == [6, 7, 8, 1, 2, 3, 4, 5, 6, 7]
    assert beat_counts(0) == []
    with pytest.raises(ParameterError, match="one of the 10 beats"):
        beat_counts(10, first_beat=10)
    with pytest.raises(ParameterError):
        beat_counts(10, first_beat=-1)


def test_markers_interleave_beats_and_accents_in_time():
    m = rhythm_markers(BEATS[:3], [0.26, 0.9], weak=[False, True], first_beat=1)
    assert [(x.time_s, x.kind, x.count, x.label) for x in m] == [
        (0.25, "beat", 8, "8"),
        (0.26, "accent", None, "accent"),
        (0.75, "beat", 1, "1"),
        (0.9, "accent", None, "weak accent"),
        (1.25, "beat", 2, "2"),
    ]
    # a beat and an accent at the same time: the beat first
    assert [x.kind for x in rhythm_markers([1.0], [1.0])] == ["beat", "accent"]
    with pytest.raises(ParameterError, match="2 weak flags for 1 accents"):
        rhythm_markers(BEATS, [1.0], weak=[True, False])


def test_csv_parses_back_to_the_markers():
    m = rhythm_markers(BEATS, [0.3, 1.1, 2.05], weak=[False, False, True])
    rows = list(csv.DictReader(io.StringIO(markers_csv(m))))
    assert list(rows[0]) == ["time_s", "kind", "count", "label"]
    assert len(rows) == len(BEATS) + 3
    back = [
        Marker(float(r["time_s"]), r["kind"], int(r["count"]) if r["count"] else None, r["label"])
        for r in rows
    ]
    assert back == m
    assert [r["count"] for r in rows if r["kind"] == "beat"] == "1 2 3 4 5 6 7 8 1 2".split()


def test_json_holds_what_it_is_told_and_the_markers():
    m = rhythm_markers(BEATS[:2], [0.3])
    d = json.loads(format_markers(m, "json", about={"file": "été.mp4", "counted_from": "x"}))
    assert d["file"] == "été.mp4" and d["counted_from"] == "x"
    assert d["markers"] == [
        {"time_s": 0.25, "kind": "beat", "count": 1, "label": "1"},
        {"time_s": 0.3, "kind": "accent", "count": None, "label": "accent"},
        {"time_s": 0.75, "kind": "beat", "count": 2, "label": "2"},
    ]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "00:00:00,000"),
        (0.25, "00:00:00,250"),
        (1.0005, "00:00:01,000"),  # to the nearest millisecond (1.0005 is just under in binary)
        (1.0006, "00:00:01,001"),
        (59.9996, "00:01:00,000"),  # rounding carries into the minutes
        (3723.456, "01:02:03,456"),
        (-0.2, "00:00:00,000"),
    ],
)
def test_srt_timestamps_are_exact(seconds, text):
    assert srt_time(seconds) == text


def test_srt_captions_count_accent_and_never_overlap():
    # an accent 20 ms after beat 2 shares its caption; one 0.1 s before beat 4 cuts its own short
    m = rhythm_markers([0.25, 0.75, 1.25, 1.75], [0.77, 1.65])
    srt = markers_srt(m)
    cues = srt.strip().split("\n\n")
    parsed = []
    for i, cue in enumerate(cues, start=1):
        num, times, text = cue.split("\n")
        assert num == str(i)
        a, b = re.fullmatch(r"(\S+) --> (\S+)", times).groups()
        parsed.append((a, b, text))
    assert parsed == [
        ("00:00:00,250", "00:00:00,500", "1"),
        ("00:00:00,750", "00:00:01,000", "2 + accent"),
        ("00:00:01,250", "00:00:01,500", "3"),
        ("00:00:01,650", "00:00:01,750", "accent"),  # until beat 4
        ("00:00:01,750", "00:00:02,000", "4"),
    ]
    assert markers_srt([]) == ""
    with pytest.raises(ParameterError):
        markers_srt(m, cue_s=0)


def test_files_by_extension_and_clean_errors(tmp_path):
    m = rhythm_markers(BEATS[:2], [])
    for fmt in MARKER_FORMATS:
        out = write_markers(tmp_path / "sub" / f"m.{fmt.upper()}", m)
        assert out.read_text(encoding="utf-8") == format_markers(m, fmt)
    assert marker_format("a/b.Srt") == "srt"
    with pytest.raises(ParameterError, match=r"\.csv, \.json, \.srt"):
        marker_format("m.txt")
    with pytest.raises(ParameterError, match="unknown marker format 'edl'"):
        format_markers(m, "edl")
