"""Speed of `mudar rhythm` on a ~60 s real dance video, against the decode-only floor.

Run: `.venv/bin/python benchmarks/bench_rhythm.py [--repeats 5] [--dance DANCE_ID]
[--baseline-src DIR] [--stages] [--learned]`
Reads ../shared/data/dwm; prints a table of seconds (wall and CPU) and real-time factors
(duration / wall seconds), each the median of ``--repeats`` rounds. Every round runs every row
once, in turn (interleaved), so that a machine shared with other jobs slows all rows alike; the
"x decode" column divides by the decode-only row of the same run.

Rows: decoding alone (video + audio: the floor any analysis pays), the analysis in process
(warm) of ``--method hoof-flux`` and of ``--method motion-energy`` (the motion energy between
every pair of decoded frames), and whole commands in a fresh process (start-up and imports
included): ``mudar rhythm VIDEO --json`` with its default method, with ``--method
motion-energy`` and with ``--method hoof-flux``, and the imports of the command alone. The
commands run with their compiled modules cached (in a temporary ``PYTHONPYCACHEPREFIX``, after
an untimed first round), as on a normal install; the imports are timed once more as the
environment has it (with ``PYTHONDONTWRITEBYTECODE`` set, mudar's own modules are compiled
from source at every start). ``--baseline-src DIR`` times the commands again with
``PYTHONPATH=DIR`` (another checkout's ``src``, for example ``git archive main src | tar -x -C
/tmp/before``), interleaved with the current ones: a before/after in one run.

``--stages`` adds where the motion-energy analysis spends its time, each stage alone on the
same video: decoding the video, the 256 px gray frames on the 8 fps clock, the flow and HOOF
on them (frames held in memory), the energy's 128 px gray picture of every decoded frame, the
energy on those pictures (held in memory) and its camera shift alone (``camera_shift`` per
pair, where the code has it), and the audio (decode and resample; the music features).
``--learned`` adds the learned model's stages (the analysis that keeps its RGB frames, torch
import + model load in a fresh process, the model over the windows) and its command.

Targets (2-core machine): the default command >= 50x real time; analysis <= 3x decode-only.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

DWM = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dwm"


def pick_dance(target_s: float = 60.0) -> tuple[str, float]:
    with (DWM / "index.csv").open() as f:
        rows = list(csv.DictReader(f))
    row = min(rows, key=lambda r: abs(float(r["duration_s"]) - target_s))
    return row["id"], float(row["duration_s"])


def decode_only(path: Path) -> None:
    """Decode every video frame and the whole audio track: the floor any analysis pays."""
    from mudar.io import load_audio

    decode_video(path)
    load_audio(path, sr=16000)


def decode_video(path: Path) -> None:
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for _ in c.decode(s):
            pass


def in_process(fn: Callable[[], object]) -> Callable[[], tuple[float, float]]:
    """``fn`` as a timed call: (wall, CPU seconds of this process, every thread)."""

    def run() -> tuple[float, float]:
        t, c = time.perf_counter(), time.process_time()
        fn()
        return time.perf_counter() - t, time.process_time() - c

    return run


def command(
    cmd: list[str], src: str | None = None, *, bytecode: str | None = None
) -> Callable[[], tuple[float, float]]:
    """``cmd`` in a fresh process as a timed call: (wall, CPU seconds of the child).

    ``src`` is put on ``PYTHONPATH``; ``bytecode``, a folder, caches the compiled modules there
    (``PYTHONPYCACHEPREFIX``; written even where the environment says not to), as a normal
    install has them; None leaves the environment as it is."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = src
    if bytecode is not None:
        env["PYTHONPYCACHEPREFIX"] = bytecode
        env.pop("PYTHONDONTWRITEBYTECODE", None)

    def run() -> tuple[float, float]:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        return wall, cpu

    return run


def interleaved(
    rows: dict[str, Callable[[], tuple[float, float]]], repeats: int
) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) of each row over ``repeats`` rounds, every row once per round, after
    one round untimed (first calls, the bytecode cache)."""
    for fn in rows.values():
        fn()
    got: dict[str, list[tuple[float, float]]] = {name: [] for name in rows}
    for _ in range(repeats):
        for name, fn in rows.items():
            got[name].append(fn())
    return {
        name: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
        for name, v in got.items()
    }


def print_table(title: str, times: dict[str, tuple[float, float]], duration: float, floor: float):
    print(title)
    print(f"| {'stage':<46} | wall s | CPU s | x real time | x decode |")
    print(f"|{'-' * 48}|---|---|---|---|")
    for name, (wall, cpu) in times.items():
        print(
            f"| {name:<46} | {wall:6.2f} | {cpu:5.2f} | {duration / wall:11.1f} | "
            f"{wall / floor:8.2f} |"
        )


def stage_rows(path: Path) -> dict[str, Callable[[], tuple[float, float]]]:
    """Each stage of the motion-energy analysis alone (see the module docstring)."""
    import numpy as np

    from mudar.features.analysis import AnalysisConfig
    from mudar.features.dance import dance_features
    from mudar.features.energy import ENERGY_SIDE, MotionEnergy
    from mudar.features.flow import get_flow_backend
    from mudar.features.music import music_features
    from mudar.io import iter_frames, load_audio

    config = AnalysisConfig()
    clock = config.clock

    class Keep:  # a tap that keeps the energy's pictures (or only asks for them)
        size = ENERGY_SIDE

        def __init__(self, keep: bool = True) -> None:
            self.keep = keep
            self.times: list[float] = []
            self.pictures: list[np.ndarray] = []

        def __call__(self, t: float, gray: np.ndarray) -> None:
            if self.keep:
                self.times.append(t)
                self.pictures.append(gray)

    def clock_frames() -> list[np.ndarray]:
        return list(iter_frames(path, fps=clock.fps, size=config.size, gray=True))

    def pictures(tap=None) -> None:
        for _ in iter_frames(path, fps=clock.fps, size=8, gray=True, tap=tap):
            pass

    frames = clock_frames()
    kept = Keep()
    pictures(kept)
    y = load_audio(path, sr=clock.sr)
    n = len(frames)

    def hoof() -> None:
        backend = get_flow_backend(config.flow)
        dance_features(iter(frames), fps=clock.fps, backend=backend, bins=config.hoof_bins)

    def energy() -> None:
        tap = MotionEnergy()
        for t, g in zip(kept.times, kept.pictures, strict=True):
            tap(t, g)

    rows = {
        "video decode (every frame)": in_process(lambda: decode_video(path)),
        "  + 256 px gray clock frames (8 fps)": in_process(clock_frames),
        "flow + HOOF on the clock frames (in memory)": in_process(hoof),
        "  + 128 px energy picture of every frame": in_process(lambda: pictures(Keep(False))),
        "motion energy on the pictures (in memory)": in_process(energy),
        "audio decode + resample": in_process(lambda: load_audio(path, sr=clock.sr)),
        "music features": in_process(lambda: music_features(y, clock=clock, n_frames=n)),
    }
    try:  # the camera shift alone, where the energy names it
        from mudar.features.energy import camera_shift
    except ImportError:
        return rows

    def shift() -> None:
        p = kept.pictures
        for a, b in zip(p[:-1], p[1:], strict=True):
            camera_shift(a, b)

    rows["  its camera shift alone"] = in_process(shift)
    return rows


def learned_rows(path: Path) -> dict[str, Callable[[], tuple[float, float]]]:
    """The learned model's stages (the analysis with its RGB frames, torch + model load in a
    fresh process, the model over the windows) and its command."""
    import torch

    from mudar.features.extract import analyze
    from mudar.models.checkpoint import load_model
    from mudar.tasks.rhythm import learned_rhythm

    model = load_model()
    torch.set_num_threads(1)  # as the command does
    config = model.config.analysis_config()
    analysis = analyze(path, config)
    load = [sys.executable, "-c", "from mudar.models.checkpoint import load_model; load_model()"]
    return {
        "analysis with the model's RGB (in process)": in_process(lambda: analyze(path, config)),
        "new process: torch + model load": command(load),
        "model over the windows (in process)": in_process(lambda: learned_rhythm(model, analysis)),
        "command --method mudar": command(
            [sys.executable, "-m", "mudar", "rhythm", "--json", str(path), "--method", "mudar"]
        ),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--dance", help="dance id (default: the one closest to 60 s)")
    ap.add_argument(
        "--baseline-src", help="time the commands with PYTHONPATH=DIR too (a before/after)"
    )
    ap.add_argument("--stages", action="store_true", help="time each stage alone too")
    ap.add_argument("--learned", action="store_true", help="time the learned model too")
    args = ap.parse_args()
    if not DWM.is_dir():
        print(f"skipped: {DWM} not found (the benchmark needs the shared dwm data)")
        return 0
    dance, duration = pick_dance()
    if args.dance:
        dance = args.dance
        from mudar.io import probe

        duration = probe(DWM / dance / "video.mp4").duration_s
    path = DWM / dance / "video.mp4"

    from mudar.features.analysis import AnalysisConfig
    from mudar.features.extract import analyze

    energy = AnalysisConfig(energy_steps=4)  # what --method motion-energy asks for
    analyze(path, energy)  # the first call pays one-off costs (FFmpeg init, caches)
    rhythm = [sys.executable, "-m", "mudar", "rhythm", "--json", str(path)]
    hoof = [*rhythm, "--method", "hoof-flux"]
    imports = [
        sys.executable,
        "-c",
        "import mudar.cli.main, mudar.pipelines.method, mudar.pipelines.rhythm",
    ]
    cache = tempfile.mkdtemp(prefix="bench-rhythm-pyc-")
    plain = "on" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "off"
    rows = {
        "decode only (video + audio)": in_process(lambda: decode_only(path)),
        "analysis, hoof-flux's (in process, warm)": in_process(lambda: analyze(path)),
        "analysis, motion-energy's (in process, warm)": in_process(lambda: analyze(path, energy)),
        "command, default method": command(rhythm, bytecode=cache),
        "command, --method motion-energy": command(
            [*rhythm, "--method", "motion-energy"], bytecode=cache
        ),
        "command, --method hoof-flux": command(hoof, bytecode=cache),
        "imports of the command alone": command(imports, bytecode=cache),
        f"  the same, PYTHONDONTWRITEBYTECODE {plain}": command(imports),
    }
    if args.baseline_src:
        src = str(Path(args.baseline_src).resolve())
        rows |= {
            "baseline: command, default method": command(rhythm, src, bytecode=cache),
            "baseline: command, --method hoof-flux": command(hoof, src, bytecode=cache),
            "baseline: imports of the command alone": command(imports, src, bytecode=cache),
        }
    if args.learned:
        rows |= learned_rows(path)
    if args.stages:
        rows |= stage_rows(path)
    try:
        times = interleaved(rows, args.repeats)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    load = os.getloadavg()
    print(
        f"mudar rhythm on {dance}/video.mp4 ({duration:.1f} s), {os.cpu_count()} cores, load "
        f"average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min) at the end, "
        f"median of {args.repeats} interleaved rounds\n"
    )
    floor = times["decode only (video + audio)"][0]
    print_table("", times, duration, floor)
    wall = times["command, default method"][0]
    analysis = times["analysis, motion-energy's (in process, warm)"][0]
    print(
        f"\ndefault command {duration / wall:.1f}x real time (target >= 50x): "
        f"{'met' if duration / wall >= 50 else 'NOT met'}; motion-energy analysis "
        f"{analysis / floor:.2f}x decode-only (target <= 3x): "
        f"{'met' if analysis <= 3 * floor else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
