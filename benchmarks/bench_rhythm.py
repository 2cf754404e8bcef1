"""Speed of `mudar rhythm` on a ~60 s real dance video, against the decode-only floor.

Run: `.venv/bin/python benchmarks/bench_rhythm.py [--repeats 3] [--dance DANCE_ID]`
Reads ../shared/data/dwm; prints a table of seconds and real-time factors (duration / seconds).
Targets (2-core machine): analysis >= 50x real time, analysis <= 3x decode-only, whole command
(process start-up and imports included) >= 15x.
The analysis with the motion energy (`--method motion-energy`, `mudar prepare --motion-energy`:
every decoded frame, not only the clock's) is timed beside the default's.
The stages of the default (learned) command are timed too: the analysis that keeps the model's
RGB frames, torch import + model load (a fresh process), and the model over the file's windows;
the command overlaps the analysis with the import and load in a worker process.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import time
from pathlib import Path

DWM = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dwm"


def pick_dance(target_s: float = 60.0) -> tuple[str, float]:
    with (DWM / "index.csv").open() as f:
        rows = list(csv.DictReader(f))
    row = min(rows, key=lambda r: abs(float(r["duration_s"]) - target_s))
    return row["id"], float(row["duration_s"])


def decode_only(path: Path) -> None:
    """Decode every video frame and the whole audio track: the floor any analysis pays."""
    import av

    from mudar.io import load_audio

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for _ in c.decode(s):
            pass
    load_audio(path, sr=16000)


def timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dance", help="dance id (default: the one closest to 60 s)")
    args = ap.parse_args()
    if not DWM.is_dir():
        print(f"skipped: {DWM} not found (the benchmark needs the shared dwm data)")
        return 0
    dance, duration = pick_dance()
    if args.dance:
        dance = args.dance
    path = DWM / dance / "video.mp4"

    from mudar.features.extract import analyze
    from mudar.models.checkpoint import default_checkpoint_path

    t = time.perf_counter()
    analyze(path)  # first call pays one-off costs (numba cache load, FFmpeg init)
    cold = time.perf_counter() - t
    t_decode = timed(lambda: decode_only(path), args.repeats)
    t_analysis = timed(lambda: analyze(path), args.repeats)
    from mudar.features.analysis import AnalysisConfig

    energy = AnalysisConfig(energy_steps=4)  # what --method motion-energy asks for
    t_energy = timed(lambda: analyze(path, energy), args.repeats)
    learned = default_checkpoint_path().is_file()
    if learned:
        load = [
            sys.executable,
            "-c",
            "from mudar.models.checkpoint import load_model; load_model()",
        ]
        t_load = timed(lambda: subprocess.run(load, check=True, capture_output=True), args.repeats)
        import torch

        from mudar.models.checkpoint import load_model
        from mudar.tasks.rhythm import learned_rhythm

        model = load_model()
        torch.set_num_threads(1)  # as the command does
        config = model.config.analysis_config()
        t_rgb = timed(lambda: analyze(path, config), args.repeats)
        analysis = analyze(path, config)
        t_model = timed(lambda: learned_rhythm(model, analysis), args.repeats)
    cmd = [sys.executable, "-m", "mudar", "rhythm", "--json", str(path)]
    t_cmd = timed(lambda: subprocess.run(cmd, check=True, capture_output=True), args.repeats)
    hoof = [*cmd, "--method", "hoof-flux"]
    t_hoof = timed(lambda: subprocess.run(hoof, check=True, capture_output=True), args.repeats)

    import os

    print(
        f"mudar rhythm on {dance}/video.mp4 ({duration:.1f} s), {os.cpu_count()} cores, "
        f"median of {args.repeats}"
    )
    print(f"{'stage':<36}{'seconds':>9}{'x real time':>13}{'x decode':>10}")
    rows = [
        ("decode only (video + audio)", t_decode),
        ("analysis (in process, warm)", t_analysis),
        ("analysis (in process, first call)", cold),
        ("  with the motion energy", t_energy),
    ]
    if learned:
        rows += [
            ("  analysis with the model's RGB", t_rgb),
            ("  new process: torch + model load", t_load),
            ("  model over the windows", t_model),
        ]
    rows += [
        ("command, default (learned model)", t_cmd),
        ("command, --method hoof-flux", t_hoof),
    ]
    for name, s in rows:
        print(f"{name:<36}{s:>9.2f}{duration / s:>13.1f}{s / t_decode:>10.2f}")
    ok = duration / t_analysis >= 50 and t_analysis <= 3 * t_decode and duration / t_cmd >= 15
    print(f"targets (>=50x, <=3x decode, command >=15x): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
