"""Do the music's beats start at its first beat and run to its last, on time?

Run: `.venv/bin/python benchmarks/bench_beats.py [--data ../shared/data] [--json]`
Three beat trackers on the same onset envelope and tempo (`mudar.features.music`):

- `librosa trim`: `librosa.beat.beat_track` as mudar ran it before (`trim=True`: every
  leading and trailing beat weaker than the typical beat is dropped);
- `librosa untrimmed`: the same path, nothing dropped;
- `mudar`: what `music_features` gives now (`mudar.features.tempo.track_beats`: the path's
  ends fitted to the music, only beats in silence or a fade left out).

Scored on three sets:

1. songs with known beats: synthetic drum patterns (`mudar.synthetic.soundtrack.synth_music`;
   5 tempi x 4 first-beat times x with and without a chord bed x 2 lengths, 20 s), and the one
   hand-annotated excerpt of the shared data (madmom's `sample.wav`, 2.8 s, 4 beats): the beat
   F-measure at 70 ms (mir_eval), how late the first beat comes after the first true beat, how
   early the last one stops before the last true beat;
2. songs without annotations (the 35 dwm songs and librosa's six clips, whole): how late the
   first beat comes after the first onset (the onset maxima of `music_features`), how long
   before the end of the audio the beats stop, against one beat period, and how many songs
   name a half or double beside their tempo (`music_tempo_alternatives`).

The audio analysed is the song's whole video frames at 8 fps (up to 125 ms less); true beats
after it are not counted.

Times are seconds; "late" counts clips whose first beat is more than 70 ms after the first true
beat (or more than half a period after the first onset), "short" those whose last beat is more
than 70 ms before the last true beat (or more than a period before the end of the audio).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TRACKERS = ("librosa trim", "librosa untrimmed", "mudar")
SYNTH_TEMPI = (70.0, 90.0, 120.0, 150.0, 175.0)
SYNTH_FIRST = (0.05, 0.3, 0.6, 1.0)
SYNTH_LENGTHS = (20.0, 20.2)
WINDOW_S = 0.07


def track(y: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray, float, float, list]:
    """Each tracker's beats (seconds), the onset times, the tempo shown, the seconds analysed
    (whole video frames of the clock) and the tempo's alternatives, for one song."""
    from mudar.clock import DEFAULT_CLOCK as C
    from mudar.features import dsp
    from mudar.features.music import music_features, music_tempo_alternatives
    from mudar.features.tempo import estimate_tempo

    f = music_features(y, clock=C)
    env = f.onset_envelope.astype(np.float64)
    bpm = estimate_tempo(env, sr=C.sr, hop_length=C.hop)  # as music_features did
    rate = C.sr / C.hop
    out = {"mudar": f.beat_times}
    for name, trim in (("librosa trim", True), ("librosa untrimmed", False)):
        out[name] = dsp.beat_track(env, frame_rate=rate, bpm=bpm, trim=trim) / rate
    alternatives = music_tempo_alternatives(f, clock=C)
    return out, f.onset_times, float(f.tempo_bpm), env.size / rate, alternatives


def known_beat_songs(data: Path) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, audio at the clock's rate, true beat times) of the songs with known beats."""
    from mudar.clock import DEFAULT_CLOCK as C
    from mudar.io.audio import load_audio
    from mudar.synthetic.soundtrack import synth_music

    songs = []
    for bpm in SYNTH_TEMPI:
        for first in SYNTH_FIRST:
            for bed in (True, False):
                for length in SYNTH_LENGTHS:
                    y, beats = synth_music(
                        tempo_bpm=bpm, duration_s=length, sr=C.sr, offset_s=first, tonal_bed=bed
                    )
                    songs.append((f"synth {bpm:g} {first:g} {bed:d} {length:g}", y, beats))
    sample = data / "music" / "madmom" / "sample.wav"
    if sample.is_file():
        ref = np.loadtxt(sample.with_suffix(".beats"), usecols=0, ndmin=1)
        songs.append(("madmom sample", load_audio(sample, sr=C.sr), ref))
    return songs


def score_known(songs) -> dict[str, dict]:
    """Per set (synthetic, madmom) and tracker: F@70ms, first-beat lateness, last-beat gap."""
    from mudar.eval.beats import beat_f_measure

    rows: dict[str, dict[str, list]] = {}
    for name, y, ref in songs:
        group = "synthetic" if name.startswith("synth") else name
        beats, _, tempo, seconds, _ = track(y)
        ref = ref[ref < seconds]  # a beat in the last part of a video frame is not analysed
        if group != "synthetic":
            print(f"{name}: tempo shown {tempo:.1f} BPM, annotated beats {np.round(ref, 2)}")
        for tracker, b in beats.items():
            r = rows.setdefault(group, {}).setdefault(tracker, [])
            late = float(b[0] - ref[0]) if b.size else np.inf
            short = float(ref[-1] - b[-1]) if b.size else np.inf
            r.append((beat_f_measure(ref, b), late, short))
    return {
        g: {
            t: {
                "n": len(v),
                "f_70ms": float(np.mean([x[0] for x in v])),
                "below_0.9": int(sum(x[0] < 0.9 for x in v)),
                "first_late_median_s": float(np.median([x[1] for x in v])),
                "late": int(sum(x[1] > WINDOW_S for x in v)),
                "short": int(sum(x[2] > WINDOW_S for x in v)),
            }
            for t, v in per.items()
        }
        for g, per in rows.items()
    }


def score_unannotated(data: Path) -> dict[str, dict]:
    """Per tracker on the dwm songs and librosa's clips: the first beat against the first onset,
    the last beat against the end of the audio."""
    from mudar.clock import DEFAULT_CLOCK as C
    from mudar.io.audio import load_audio

    paths = sorted((data / "dwm").glob("*/audio.ogg")) + sorted(
        (data / "music" / "librosa").glob("*.ogg")
    )
    rows: dict[str, list] = {t: [] for t in TRACKERS}
    named = 0
    for p in paths:
        y = load_audio(p, sr=C.sr)
        beats, onsets, tempo, end, alternatives = track(y)
        named += bool(alternatives)
        period = 60.0 / tempo
        for tracker, b in beats.items():
            late = float(b[0] - onsets[0])
            rows[tracker].append((late, late > period / 2, end - b[-1], end - b[-1] > period))
    out = {
        t: {
            "n": len(v),
            "first_late_median_s": float(np.median([x[0] for x in v])) if v else float("nan"),
            "late": int(sum(x[1] for x in v)),
            "end_gap_median_s": float(np.median([x[2] for x in v])) if v else float("nan"),
            "end_gap_max_s": float(max((x[2] for x in v), default=float("nan"))),
            "short": int(sum(x[3] for x in v)),
        }
        for t, v in rows.items()
    }
    out["mudar"]["tempo_alternatives_named"] = named
    return out


def table(known: dict, plain: dict) -> str:
    lines = [
        "| songs | tracker | F@70ms | F < 0.9 | first beat late (median s) | late | short |",
        "|---|---|---|---|---|---|---|",
    ]
    for group, per in known.items():
        for t in TRACKERS:
            r = per[t]
            lines.append(
                f"| {group} ({r['n']}) | {t} | {r['f_70ms']:.3f} | {r['below_0.9']} | "
                f"{r['first_late_median_s']:+.3f} | {r['late']} | {r['short']} |"
            )
    if not plain[TRACKERS[0]]["n"]:
        return "\n".join(lines)
    lines += [
        "",
        "| songs | tracker | first beat after first onset (median s) | late (> half a period)"
        " | end of audio - last beat (median / max s) | short (> a period) |",
        "|---|---|---|---|---|---|",
    ]
    for t in TRACKERS:
        r = plain[t]
        lines.append(
            f"| dwm + librosa ({r['n']}) | {t} | {r['first_late_median_s']:+.3f} | {r['late']} | "
            f"{r['end_gap_median_s']:.2f} / {r['end_gap_max_s']:.2f} | {r['short']} |"
        )
    r = plain["mudar"]
    named = r["tempo_alternatives_named"]
    lines += ["", f"Songs whose tempo names a half or double (mudar): {named} of {r['n']}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA, help="the shared data folder")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"note: {args.data} not found: synthetic songs only")
    known = score_known(known_beat_songs(args.data))
    plain = score_unannotated(args.data)
    print(table(known, plain))
    if args.json:
        print(json.dumps({"known": known, "unannotated": plain}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
