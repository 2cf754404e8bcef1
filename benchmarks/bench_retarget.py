"""Music-dance retargeting on the real dances of ../shared/data/dwm: BAS before and after.

Run: `.venv/bin/python benchmarks/bench_retarget.py [--seconds 20] [--music-seconds 15]`
Dance i is retargeted onto the music of dance j (seeded choice: `--pairs` pairs of the same
genre, `--pairs` of different genres) with each method (shift, accel, dtw): the first
`--seconds` of dance i onto the first `--music-seconds` of music j (shorter, so that `shift` has
windows to choose from; equal lengths make `shift` the identity, a control of the
re-detection). *Before* is dance i played as it is with music j; *after* is measured on the
written file, its rhythms detected again; *planned* is what the time map predicts. Beside them:
the true pairs, each dance with its own music (first `--seconds`). BAS is the FACT/AIST++ form
(mean over dance rhythm points), sigma 0.1 s; music rhythm = onset maxima (`--music-rhythm
beats` for beats).
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from mudar.methods import RETARGET

DWM = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dwm"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="cut every file to this length")
    ap.add_argument("--music-seconds", type=float, default=15.0, help="length of the target music")
    ap.add_argument("--pairs", type=int, default=6, help="pairs of each kind (same/other genre)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--music-rhythm", choices=("onsets", "beats"), default="onsets")
    args = ap.parse_args()
    if not DWM.is_dir():
        print(f"skipped: {DWM} not found (the benchmark needs the shared dwm data)")
        return 0
    from mudar.eval.bas import DEFAULT_SIGMA_S, beat_alignment_score, mean_offset
    from mudar.pipelines.bench.plan import retarget_pairs
    from mudar.pipelines.method import analysis_setup, without_music
    from mudar.pipelines.retarget import dance_seconds, music_seconds, retarget_files
    from mudar.pipelines.retarget_options import RetargetOptions
    from mudar.tasks.rhythm import default_dance_method

    with (DWM / "index.csv").open(encoding="utf-8") as fh:
        genre = {row["id"]: row["genre"] for row in csv.DictReader(fh)}
    pairs = retarget_pairs(genre, args.pairs, args.seed)
    dance_method = without_music(default_dance_method())
    work = Path(tempfile.mkdtemp(prefix="mudar-retarget-"))
    ids = sorted({i for p in pairs for i in p[:2]})
    print(
        f"{len(pairs)} pairs over {len(ids)} dances: {args.seconds:g} s of dance onto "
        f"{args.music_seconds:g} s of music; "
        f"dance rhythm {dance_method}, music rhythm {args.music_rhythm}, "
        f"BAS sigma {DEFAULT_SIGMA_S} s (FACT form); cutting into {work}",
        file=sys.stderr,
    )
    cut = {i: cut_files(DWM / i, work, i, args.seconds) for i in ids}
    target = {}  # the music the dances are retargeted onto
    for j in sorted({p[1] for p in pairs}):
        target[j] = cut_music(cut[j][1], work / f"{j}-target.wav", args.music_seconds)

    # the true pairs: each dance with its own music, nothing changed
    config, model = analysis_setup(dance_method)
    true = {}
    for i in ids:
        v, a = cut[i]
        d = dance_seconds(v, config=config, method=dance_method, model=model)
        m = music_seconds(a, config=config, kind=args.music_rhythm)
        true[i] = (beat_alignment_score(d, m), mean_offset(d, m))

    rows = []
    t0 = time.perf_counter()
    for i, j, kind in pairs:
        for method in RETARGET:
            r = retarget_files(
                cut[i][0],
                target[j],
                work / f"{i}_on_{j}_{method}.mp4",
                options=RetargetOptions(
                    method=method, dance_method=dance_method, music_rhythm=args.music_rhythm
                ),
                progress=False,
            )
            rows.append((i, j, kind, method, r))
            print(
                f"{i} on {j} ({kind}) {method}: BAS {r['bas_before_new_song']} -> {r['bas_after']} "
                f"(plan {r['bas_plan']}), speed {r['min_speed']}..{r['max_speed']}",
                file=sys.stderr,
            )
    elapsed = time.perf_counter() - t0

    print(
        f"\n### Retargeting {args.seconds:g} s of dance onto {args.music_seconds:g} s of music, "
        f"{len(pairs)} pairs x {len(RETARGET)} methods ({elapsed:.0f} s)\n"
    )
    print(
        "| pairs | method | BAS before (on the new song, as it is) "
        "| BAS after (output, re-detected) | BAS planned "
        "| offset before, s | offset after, s | speed range |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for kind in ("same genre", "other genre"):
        for method in RETARGET:
            sel = [r for (_, _, k, mm, r) in rows if k == kind and mm == method]
            print(
                f"| {kind} (n={len(sel)}) | {method} | {mean(sel, 'bas_before_new_song')} "
                f"| {mean(sel, 'bas_after')} | {mean(sel, 'bas_plan')} "
                f"| {mean(sel, 'offset_before_new_song_s')} | {mean(sel, 'offset_after_s')} "
                f"| {min(r['min_speed'] for r in sel):.2f}-{max(r['max_speed'] for r in sel):.2f} |"
            )
    tb = np.mean([true[i][0] for i in ids])
    to = np.mean([true[i][1] for i in ids])
    print(f"| true pairs, own music (n={len(ids)}) | none | {tb:.3f} | | | {to:.3f} | | 1.00 |")

    print(
        "\n| dance | music | kind | BAS true pair (dance's own music) | before "
        "| after shift | after accel | after dtw |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for i, j, kind in pairs:
        by = {mm: r for (ii, jj, _, mm, r) in rows if (ii, jj) == (i, j)}
        print(
            f"| {i} | {j} | {kind} | {true[i][0]:.3f} | {fmt(by['dtw']['bas_before_new_song'])} "
            + " ".join(f"| {fmt(by[mm]['bas_after'])}" for mm in RETARGET)
            + " |"
        )
    return 0


def cut_files(folder: Path, work: Path, name: str, seconds: float) -> tuple[Path, Path]:
    """The first ``seconds`` of a dwm dance: its video (no sound) and its music (wav)."""
    from mudar.io import iter_frames, load_audio, probe
    from mudar.io.write import write_audio, write_video

    video = folder / "video.mp4"
    info = probe(video)
    fps = info.native_fps or 25.0
    frames = iter_frames(
        video, fps=fps, size=max(info.width, info.height), max_frames=round(seconds * fps)
    )
    v = write_video(work / f"{name}.mp4", frames, fps=fps, preset="veryfast", crf=18)
    sr = 22050
    y = load_audio(folder / "audio.ogg", sr=sr)
    a = write_audio(work / f"{name}.wav", y[: round(seconds * sr)], sr=sr)
    return v, a


def cut_music(path: Path, out: Path, seconds: float) -> Path:
    """The first ``seconds`` of an audio file, as wav."""
    from mudar.io import load_audio
    from mudar.io.write import write_audio

    sr = 22050
    y = load_audio(path, sr=sr)
    return write_audio(out, y[: round(seconds * sr)], sr=sr)


def mean(rows: list[dict], key: str) -> str:
    vals = [r[key] for r in rows if r[key] is not None]
    return f"{np.mean(vals):.3f}" if vals else "n/a"


def fmt(x) -> str:
    return "n/a" if x is None else f"{x:.3f}"


if __name__ == "__main__":
    sys.exit(main())
