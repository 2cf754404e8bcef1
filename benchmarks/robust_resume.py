"""Kill and resume: `mudar train` and `mudar prepare` SIGKILLed at random points, and two
`mudar prepare` runs writing one feature folder at once.

Run: `.venv/bin/python benchmarks/robust_resume.py --out runs/robust [--quick] [--seed 0]`
(or through `benchmarks/bench_robust.py --sections resume`).

- **train**: a `--preset debug` run on a few synthetic videos (features prepared inside the run),
  uninterrupted, against the same run SIGKILLed at 3 random points drawn from ``--seed`` (one at
  a random time before the first checkpoint, two at a random moment of two random later
  epochs) and restarted each time with `--resume` (without it while no ``last.ckpt`` exists
  yet). The final ``model.pt`` weights are compared bitwise.
- **prepare killed**: `mudar prepare --jobs 2` SIGKILLed once some entries are written; every
  entry left must load, then a rerun must give the entries of an uninterrupted run.
- **prepare twice at once**: two `mudar prepare` on one output folder started together; both
  must succeed and every entry must load and equal the uninterrupted run's.

Every command is a child process (`python -m mudar`, this tree's package).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def mudar_env() -> dict:
    """This tree's package first on the path, one thread per process."""
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = dict(os.environ)
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def mudar(*args: str) -> list[str]:
    return [sys.executable, "-m", "mudar", *map(str, args)]


def run_to_end(argv: list[str], *, timeout: float = 1800) -> float:
    """Run a command to its end (raise on failure); wall seconds."""
    t0 = time.perf_counter()
    out = subprocess.run(
        argv, env=mudar_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[2:])} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return time.perf_counter() - t0


def start(argv: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        argv, env=mudar_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def kill_after(proc: subprocess.Popen, seconds: float) -> bool:
    """SIGKILL ``proc`` after ``seconds``; False if it had already finished by then."""
    try:
        proc.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return True


def entries(folder: Path) -> list[Path]:
    return sorted((folder / "items").glob("*.npz")) if (folder / "items").is_dir() else []


def unreadable(folder: Path) -> list[str]:
    """Entries of a feature folder that do not load completely (every array read)."""
    import numpy as np

    from mudar.data.store.cache import FeatureCache

    cache = FeatureCache(folder)
    bad = []
    for e in entries(folder):
        try:
            with np.load(e, allow_pickle=False) as z:
                for k in z.files:
                    z[k]  # noqa: B018 - read every array: a truncated zip fails here
        except Exception:  # noqa: BLE001 - any failure is a corrupt entry
            bad.append(e.name)
            continue
        if cache.load(e) is None:
            bad.append(e.name)
    return bad


def same_entries(a: Path, b: Path) -> tuple[bool, str]:
    """Whether two feature folders hold the same entries with equal arrays (bitwise)."""
    import numpy as np

    names_a = [e.name for e in entries(a)]
    names_b = [e.name for e in entries(b)]
    if names_a != names_b:
        return False, f"entries differ: {len(names_a)} vs {len(names_b)}"
    for n in names_a:
        with np.load(a / "items" / n) as za, np.load(b / "items" / n) as zb:
            if za.files != zb.files:
                return False, f"{n}: arrays differ"
            for k in za.files:
                if not np.array_equal(za[k], zb[k]):
                    return False, f"{n}/{k} differs"
    return True, f"{len(names_a)} entries equal"


def leftovers(folder: Path) -> int:
    """Temporary files of interrupted writes (``.NAME.xxxx.part``): never read as entries."""
    return len(list(folder.rglob(".*.part")))


def weights_equal(a: Path, b: Path) -> tuple[bool, float]:
    """(bitwise equal, max |a - b|) of two saved models' weights."""
    from mudar.models.checkpoint import load_model

    sa, sb = load_model(a).state_dict(), load_model(b).state_dict()
    assert sa.keys() == sb.keys()
    diff = max(float((sa[k].double() - sb[k].double()).abs().max()) for k in sa)
    return all(bool((sa[k] == sb[k]).all()) for k in sa), diff


def last_epoch(run_dir: Path) -> str:
    """Where a killed run stood: the epoch of its ``last.ckpt``, or 'no checkpoint'."""
    last = run_dir / "checkpoints" / "last.ckpt"
    if not last.is_file():
        n = len(entries(run_dir / "features"))
        return f"no checkpoint ({n} feature entries)"
    import torch

    ck = torch.load(last, map_location="cpu", weights_only=True)
    return f"last.ckpt after epoch {ck['epoch']}"


def train_section(work: Path, *, videos: Path, epochs: int, rng) -> list[tuple[str, str, str]]:
    """Three SIGKILLs at random points: one at a random time before the first checkpoint
    (imports, the features, the first epoch), two at a random moment of random later epochs
    (a random delay after the checkpoint of the epoch before, up to an epoch's time)."""
    base = ["train", "--data", videos, "--preset", "debug", "--epochs", epochs, "--seed", 3]
    full, killed = work / "train_full", work / "train_killed"
    for d in (full, killed):  # never resume a run of an earlier benchmark
        shutil.rmtree(d, ignore_errors=True)
    t0 = time.perf_counter()
    proc = start(mudar(*base, "--out", full, "--no-progress"))
    t_first = None  # seconds until the first checkpoint
    while proc.poll() is None:
        if t_first is None and (full / "checkpoints" / "epoch000.ckpt").is_file():
            t_first = time.perf_counter() - t0
        time.sleep(0.02)
    t_full = time.perf_counter() - t0
    if proc.returncode != 0 or t_first is None:
        raise RuntimeError(f"the uninterrupted run failed ({proc.returncode})")
    epoch_s = (t_full - t_first) / max(epochs - 1, 1)
    later = sorted(rng.choice(np.arange(1, epochs - 2), size=2, replace=False).tolist())
    plan = [(None, float(rng.uniform(0.3, 1.0) * t_first))]
    plan += [(int(e), float(rng.uniform(0.0, 1.0) * epoch_s)) for e in later]
    kills, points = 0, []
    for epoch, delay in plan:
        resume = ["--resume"] if (killed / "checkpoints" / "last.ckpt").is_file() else []
        t1 = time.perf_counter()
        proc = start(mudar(*base, "--out", killed, "--no-progress", *resume))
        if epoch is not None:  # wait for the checkpoint of the epoch before
            while proc.poll() is None and not list(
                (killed / "checkpoints").glob(f"epoch{epoch - 1:03d}*.ckpt")
            ):
                time.sleep(0.01)
        if kill_after(proc, delay):
            kills += 1
            where = "" if epoch is None else f", {delay:.2f} s after epoch {epoch - 1} ended"
            points.append(
                f"{time.perf_counter() - t1:.1f} s after launch{where}: {last_epoch(killed)}"
            )
        else:
            points.append("had already finished")
    resume = ["--resume"] if (killed / "checkpoints" / "last.ckpt").is_file() else []
    run_to_end(mudar(*base, "--out", killed, "--no-progress", *resume))
    bitwise, diff = weights_equal(full / "model.pt", killed / "model.pt")
    verdict = "bitwise equal" if bitwise else f"max abs diff {diff:.2e}"
    ok = bitwise or diff <= 1e-6
    return [
        (
            f"`mudar train --preset debug --epochs {epochs}` (uninterrupted {t_full:.0f} s), "
            f"SIGKILL x{kills}, each time restarted with `--resume` (without it while no "
            "`last.ckpt` exists)",
            "; ".join(points),
            f"{'yes' if ok else 'NO'}: final `model.pt` weights {verdict} to the uninterrupted "
            "run's",
        )
    ]


def prepare_section(work: Path, *, videos: Path) -> list[tuple[str, str, str]]:
    rows = []
    for d in ("prep_ref", "prep_killed", "prep_twice"):
        shutil.rmtree(work / d, ignore_errors=True)
    ref = work / "prep_ref"
    t_ref = run_to_end(mudar("prepare", videos, "--out", ref, "--jobs", 2, "--no-progress"))
    n_ref = len(entries(ref))

    # killed once a third of the entries exist, then rerun
    out = work / "prep_killed"
    proc = start(mudar("prepare", videos, "--out", out, "--jobs", 2, "--no-progress"))
    end = time.monotonic() + 600
    while len(entries(out)) < max(1, n_ref // 3) and proc.poll() is None and time.monotonic() < end:
        time.sleep(0.05)
    was_killed = kill_after(proc, 0.0)
    n_at_kill, bad_at_kill, parts = len(entries(out)), unreadable(out), leftovers(out)
    run_to_end(mudar("prepare", videos, "--out", out, "--jobs", 2, "--no-progress"))
    equal, why = same_entries(ref, out)
    bad = unreadable(out)
    rows.append(
        (
            f"`mudar prepare --jobs 2` ({n_ref} videos, {t_ref:.0f} s) SIGKILLed, rerun",
            f"killed: {was_killed}, at {n_at_kill}/{n_ref} entries; unreadable then: "
            f"{len(bad_at_kill)}; `.part` left: {parts}, after the rerun: {leftovers(out)}",
            f"{'yes' if equal and not bad and not bad_at_kill else 'NO'}: after the rerun {why}, "
            f"{len(bad)} unreadable",
        )
    )

    # two at once on one folder
    both = work / "prep_twice"
    procs = [start(mudar("prepare", videos, "--out", both, "--no-progress")) for _ in range(2)]
    codes = [p.wait(timeout=1800) for p in procs]
    equal, why = same_entries(ref, both)
    bad = unreadable(both)
    rows.append(
        (
            "two `mudar prepare` on one `--out` at once",
            f"exit codes {codes}; `.part` left: {leftovers(both)}",
            f"{'yes' if equal and not bad and codes == [0, 0] else 'NO'}: {why}, "
            f"{len(bad)} unreadable",
        )
    )
    return rows


def run(work: Path, *, quick: bool, seed: int = 0) -> str:
    """Run the three scenarios in ``work`` and return the markdown table."""
    from mudar.synthetic.video import make_dataset

    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    n_videos, epochs = (5, 8) if quick else (8, 16)
    videos = work / f"videos_{n_videos}"
    if not videos.is_dir():
        make_dataset(videos, n=n_videos, seed=1, duration_s=8.0)
    rng = np.random.default_rng(seed)
    rows = train_section(work, videos=videos, epochs=epochs, rng=rng)
    rows += prepare_section(work, videos=videos)
    lines = [
        "### Kill and resume",
        "",
        f"Synthetic dances ({n_videos} videos of 8 s); kill times from seed {seed}.",
        "",
        "| scenario | what happened | result |",
        "|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="runs/robust", help="work folder")
    p.add_argument("--quick", action="store_true", help="fewer videos and epochs")
    p.add_argument("--seed", type=int, default=0, help="seed of the kill times")
    args = p.parse_args()
    print(run(Path(args.out) / "resume", quick=args.quick, seed=args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
