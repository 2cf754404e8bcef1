"""Long input: peak memory and time of `mudar rhythm` and `mudar embed` on 1, 10 and 60 minutes.

Run: `.venv/bin/python benchmarks/robust_long.py --out runs/robust [--quick] [--minutes 1,10,60]`
(or through `benchmarks/bench_robust.py --sections long`).

Each video is a synthetic dance (320x240, 25 fps, H.264) with its music (AAC, 22.05 kHz), made by
looping 8 s of pictures and sound (:func:`write_long_video`: encoded as it is drawn, so a 60-min
file costs no more memory to make than a 1-min one). Each command runs in a fresh child process
whose peak resident memory (``ru_maxrss`` of the waited-for child) and wall time are measured.
The table gives wall and CPU seconds, times real time, peak MB, and the CPU time per minute of
video (after the fixed cost) over the 1-min one (1.00 = time linear in the length). ``--quick``:
1 and 10 min only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

FPS = 25
SIZE = (320, 240)  # width, height
SR = 22050
LOOP_S = 8.0  # seconds of pictures and music repeated: 16 beats at 120 BPM, 4 bars of chords
COMMANDS = {
    "rhythm --json": ["rhythm", "{file}", "--json"],
    "rhythm hoof-flux": ["rhythm", "{file}", "--json", "--method", "hoof-flux"],
    "embed": ["embed", "{file}", "-o", "{out}", "--quiet"],
}
LIMIT_MB = 2048


def write_long_video(path: Path, *, minutes: float, seed: int = 0) -> Path:
    """A ``minutes``-long synthetic dance video with music, encoded as it is drawn.

    Pictures and sound of :data:`LOOP_S` seconds (beats of 120 BPM, seamless when repeated) are
    computed once and encoded again and again, one second at a time: memory does not grow with
    the length. Written to a temporary name, then renamed.
    """
    import av
    import numpy as np

    from mudar.synthetic.soundtrack import beat_grid, synth_music
    from mudar.synthetic.video import dance_frames

    y, _ = synth_music(tempo_bpm=120.0, duration_s=LOOP_S, sr=SR, seed=seed)
    beats = beat_grid(tempo_bpm=120.0, duration_s=LOOP_S + 2.0)
    loop = list(dance_frames(motion_beat_times=beats, duration_s=LOOP_S, fps=FPS, size=SIZE))
    n_frames = round(minutes * 60 * FPS)
    per_frame = SR // FPS  # 882 samples
    tmp = path.with_name(f".{path.name}.part")
    with av.open(str(tmp), mode="w", format="mp4") as c:
        v = c.add_stream("h264", rate=FPS, options={"crf": "26", "preset": "ultrafast"})
        v.width, v.height, v.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
        a = c.add_stream("aac", rate=SR, layout="mono", options={"aac_coder": "fast"})
        block = FPS  # frames per write: one second
        for k0 in range(0, n_frames, block):
            k1 = min(k0 + block, n_frames)
            for k in range(k0, k1):
                vf = av.VideoFrame.from_ndarray(loop[k % len(loop)], format="rgb24")
                vf.pts, vf.time_base = k, Fraction(1, FPS)
                c.mux(v.encode(vf))
            s0, s1 = k0 * per_frame, k1 * per_frame
            idx = np.arange(s0, s1) % len(y)
            af = av.AudioFrame.from_ndarray(y[idx].reshape(1, -1), format="flt", layout="mono")
            af.sample_rate, af.pts, af.time_base = SR, s0, Fraction(1, SR)
            c.mux(a.encode(af))
        c.mux(v.encode(None))
        c.mux(a.encode(None))
    os.replace(tmp, path)
    return path


def measure(argv: list[str], *, env: dict | None = None, timeout: float = 3600) -> dict:
    """Run ``argv`` in a fresh child: wall seconds, peak RSS in MB (its own ``ru_maxrss``, read
    by a tiny parent that waits for it, so earlier children do not count), exit status."""
    probe = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "rc = subprocess.call(sys.argv[1:]); dt = time.perf_counter() - t; "
        "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
        "print(dt, u.ru_maxrss, rc, u.ru_utime + u.ru_stime)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    last = out.stdout.strip().splitlines()[-1].split()
    dt, kb, rc, cpu = float(last[0]), int(last[1]), int(last[2]), float(last[3])
    return {
        "seconds": dt,
        "cpu_s": cpu,
        "peak_mb": kb / 1024,
        "rc": rc,
        "stderr": out.stderr[-2000:],
    }


def mudar_env(work: Path) -> dict:
    """The child's environment: this tree's package, one thread, a cache inside ``work``."""
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = dict(os.environ)
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("OMP_NUM_THREADS", "1")
    env["MUDAR_CACHE"] = str(work / "cache")
    return env


def run(work: Path, *, quick: bool, minutes: tuple[float, ...] | None = None) -> str:
    """Make the videos, run each command on each, and return the markdown table."""
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    if minutes is None:
        minutes = (1.0, 10.0) if quick else (1.0, 10.0, 60.0)
    env = mudar_env(work)
    # the fixed cost (imports, the model) from a 10 s video, taken off before comparing lengths
    startup: dict[str, float] = {}
    clip = work / "long_10s.mp4"
    if not clip.is_file():
        write_long_video(clip, minutes=10 / 60)
    for name, args in COMMANDS.items():
        startup[name] = measure(_argv(name, args, clip, work, "10s"), env=env)["cpu_s"]
    rows = []
    base: dict[str, float] = {}
    for m in minutes:
        video = work / f"long_{m:g}min.mp4"
        if not video.is_file():
            t0 = time.perf_counter()
            write_long_video(video, minutes=m)
            print(f"made {video.name} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        for name, args in COMMANDS.items():
            r = measure(_argv(name, args, video, work, f"{m:g}"), env=env)
            if r["rc"] != 0:
                print(f"{name} on {video.name} failed:\n{r['stderr']}", file=sys.stderr)
            per_min = max(r["cpu_s"] - startup[name], 0.0) / m
            base.setdefault(name, per_min)
            rows.append((name, m, r, per_min, per_min / base[name] if base[name] else 0.0))
            print(
                f"{name:18s} {m:4g} min {r['seconds']:7.1f} s {r['peak_mb']:6.0f} MB rc={r['rc']}",
                file=sys.stderr,
            )
    lines = [
        "### Long input: peak memory and time against the length of the video",
        "",
        f"Synthetic dance {SIZE[0]}x{SIZE[1]} at {FPS} fps with music; one fresh process per "
        "command. `seconds`: wall time, on 2 cores shared with other jobs, so it varies; `CPU "
        "s`: user + system time of the process and its workers, which does not. `CPU s/min` is "
        "the CPU time per minute of video after the fixed cost (imports, model: the same "
        "command on a 10 s video took "
        + ", ".join(f"{k} {v:.1f} s" for k, v in startup.items())
        + f"); `ratio` is it over the {minutes[0]:g}-min one (1.00: linear). Limit: peak below "
        "2 GB.",
        "",
        "| command | minutes | seconds | x real time | CPU s | CPU s/min | ratio | peak MB | ok |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m, r, per_min, ratio in rows:
        ok = r["rc"] == 0 and r["peak_mb"] < LIMIT_MB
        lines.append(
            f"| `mudar {name}` | {m:g} | {r['seconds']:.1f} | {m * 60 / r['seconds']:.0f}x | "
            f"{r['cpu_s']:.1f} | {per_min:.2f} | {ratio:.2f} | {r['peak_mb']:.0f} | "
            f"{'yes' if ok else 'NO'} |"
        )
    return "\n".join(lines) + "\n"


def _argv(name: str, args: list[str], video: Path, work: Path, tag: str) -> list[str]:
    argv = [sys.executable, "-m", "mudar"]
    argv += [a.format(file=video, out=work / f"emb_{tag}.npz") for a in args]
    if name == "embed":  # a fresh feature cache: the file is analysed, not found
        cache = work / f"cache_{tag}"
        shutil.rmtree(cache, ignore_errors=True)
        argv += ["--cache", str(cache)]
    return argv


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="runs/robust", help="work folder (videos, caches)")
    p.add_argument("--quick", action="store_true", help="1 and 10 min only")
    p.add_argument("--minutes", help="comma-separated lengths, e.g. 1,10,60 (overrides --quick)")
    args = p.parse_args()
    minutes = tuple(float(x) for x in args.minutes.split(",")) if args.minutes else None
    print(run(Path(args.out) / "long", quick=args.quick, minutes=minutes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
