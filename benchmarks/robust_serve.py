"""Server load: 50 uploads from 8 clients at once to `mudar serve` on 127.0.0.1.

Run: `.venv/bin/python benchmarks/robust_serve.py --out runs/robust [--quick]`
(or through `benchmarks/bench_robust.py --sections serve`).

`mudar serve` runs in a child process on a free port of 127.0.0.1 (never another address), with
a `--media` folder of one small file (no demo dances to make). Client threads share the uploads:
each posts a small synthetic dance video (4 s, 160x120, with music), asks for its analysis
(`POST /api/analyze`: timeline, sync, BAS) and goes on; then every job is polled until it is
done or failed, all within an overall time limit. Reported: uploads answered, lost (no answer,
or a job the server no longer knows), errors, upload latency (p50, p95), the time until every
job finished, and the server's peak resident memory (``VmHWM``). The server is stopped at the
end whatever happens. ``--quick``: 20 uploads from 4 clients, hoof-flux, no genre.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"  # the only address this benchmark talks to
EARLY_JOBS = 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def call(method: str, url: str, *, data: bytes | None = None, body=None, timeout=60.0):
    """(status, JSON answer) of one request; status 0 when nothing came back."""
    headers = {}
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        try:
            return e.code, json.loads(e.read() or b"null")
        except ValueError:
            return e.code, None
    except (OSError, ValueError) as e:  # refused, reset, timed out: no answer
        return 0, {"detail": f"{type(e).__name__}: {e}"}


def peak_rss_mb(pid: int) -> float:
    """``VmHWM`` of a live process, MB (0 when it cannot be read)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def make_videos(folder: Path, n: int) -> list[Path]:
    """``n`` small synthetic dances with music (different tempi and seeds)."""
    from mudar.synthetic.video import make_clip

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        p = folder / f"dance_{i}.mp4"
        if not p.is_file():
            make_clip(
                folder,
                name=f"dance_{i}",
                tempo_bpm=90.0 + 10 * i,
                duration_s=4.0,
                size=(160, 120),
                seed=i,
            )
        out.append(p)
    return out


class Server:
    """`mudar serve` in a child process on 127.0.0.1, stopped on exit."""

    def __init__(self, work: Path, *, extra: list[str]):
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        media = work / "media"
        make_videos(media, 1)
        src = str(Path(__file__).resolve().parents[1] / "src")
        env = dict(os.environ)
        env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env.setdefault("OMP_NUM_THREADS", "1")
        argv = [sys.executable, "-m", "mudar", "serve", "--host", HOST, "--port", str(self.port)]
        self.log = open(work / "server.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [*argv, "--media", str(media), *extra], env=env, stdout=self.log, stderr=self.log
        )
        self.peak_mb = 0.0

    def wait_ready(self, timeout: float = 180.0) -> float:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mudar serve exited with {self.proc.returncode}")
            if call("GET", f"{self.url}/api/info", timeout=5)[0] == 200:
                return time.monotonic() - t0
            time.sleep(0.25)
        raise TimeoutError(f"mudar serve not answering after {timeout} s")

    def stop(self) -> None:
        self.peak_mb = max(self.peak_mb, peak_rss_mb(self.proc.pid))
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # uvicorn's graceful stop
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def load(
    url: str,
    videos: list[Path],
    *,
    uploads: int,
    clients: int,
    limit_s: float,
    server: Server | None = None,
) -> dict:
    """Upload ``uploads`` files from ``clients`` threads, queue their analyses, then poll every
    job until finished; everything bounded by ``limit_s`` seconds."""
    t0 = time.monotonic()
    deadline = t0 + limit_s
    todo = list(range(uploads))
    lock = threading.Lock()
    records: list[dict] = []

    def client() -> None:
        while time.monotonic() < deadline:
            with lock:
                if not todo:
                    return
                i = todo.pop()
            path = videos[i % len(videos)]
            rec = {"i": i}
            start = time.monotonic()
            status, f = call(
                "POST", f"{url}/api/upload?name=u{i}_{path.name}", data=path.read_bytes()
            )
            rec["upload_s"], rec["upload_status"] = time.monotonic() - start, status
            if status == 200:
                status, job = call("POST", f"{url}/api/analyze", body={"file": f["id"]})
                rec["submit_status"] = status
                rec["job"] = job.get("id") if status == 200 else None
                rec["detail"] = None if status == 200 else (job or {}).get("detail")
            else:
                rec["detail"] = (f or {}).get("detail")
            with lock:
                records.append(rec)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    uploaded_s = time.monotonic() - t0

    # poll the jobs until none is queued or running
    states: dict[str, dict] = {}
    pending = [r["job"] for r in records if r.get("job")]
    early_mb = None  # the server's peak once the first jobs finished: memory must not grow after
    while pending and time.monotonic() < deadline:
        still = []
        for job_id in pending:
            status, job = call("GET", f"{url}/api/jobs/{job_id}", timeout=30)
            if status == 200 and job["state"] in ("queued", "running"):
                still.append(job_id)
            else:
                states[job_id] = {"http": status, **(job or {})}
        pending = still
        if server is not None:
            server.peak_mb = max(server.peak_mb, peak_rss_mb(server.proc.pid))
            if early_mb is None and len(states) >= EARLY_JOBS:
                early_mb = server.peak_mb
        if pending:
            time.sleep(0.5)
    drained_s = time.monotonic() - t0

    lat = sorted(r["upload_s"] for r in records if r["upload_status"] == 200)
    done = [s for s in states.values() if s.get("state") == "done"]
    failed = [s for s in states.values() if s.get("state") == "error"]
    return {
        "uploads": uploads,
        "answered": sum(r["upload_status"] != 0 for r in records),
        "accepted": len(lat),
        "jobs": sum(bool(r.get("job")) for r in records),
        "done": len(done),
        "failed": len(failed),
        "failed_reasons": sorted({str(s.get("error")) for s in failed}),
        "unfinished": len(pending),
        "lost": uploads
        - len(records)
        + sum(r["upload_status"] == 0 for r in records)
        + sum(s["http"] == 404 for s in states.values()),
        "errors": [r["detail"] for r in records if r.get("detail")],
        "p50_s": lat[len(lat) // 2] if lat else float("nan"),
        "p95_s": lat[min(len(lat) - 1, int(0.95 * len(lat)))] if lat else float("nan"),
        "uploaded_s": uploaded_s,
        "drained_s": drained_s,
        "early_mb": early_mb or 0.0,
    }


def run(work: Path, *, quick: bool) -> str:
    """Start the server, load it, stop it; the markdown table."""
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    uploads, clients = (20, 4) if quick else (50, 8)
    extra = ["--method", "hoof-flux", "--no-genre"] if quick else []
    limit_s = 900.0
    videos = make_videos(work / "videos", 8)
    with Server(work, extra=extra) as server:
        ready_s = server.wait_ready()
        r = load(
            server.url, videos, uploads=uploads, clients=clients, limit_s=limit_s, server=server
        )
    settings = "hoof-flux, no genre" if quick else "default method and genre classifier"
    ok = (
        r["answered"] == uploads
        and r["lost"] == 0
        and r["unfinished"] == 0
        and r["done"] + r["failed"] == r["jobs"]
    )
    lines = [
        "### Server load",
        "",
        f"`mudar serve` on 127.0.0.1 ({settings}; ready after {ready_s:.1f} s); {uploads} "
        f"uploads of 4 s 160x120 dances with music from {clients} client threads, each "
        f"followed by `POST /api/analyze`; every job polled to its end; limit {limit_s:.0f} s.",
        "",
        "| uploads | answered | lost | errors | jobs done / failed / unfinished | upload p50 | "
        f"upload p95 | all uploaded | all jobs finished | server peak RSS after {EARLY_JOBS} jobs "
        "/ all | ok |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        f"| {uploads} | {r['answered']} | {r['lost']} | {len(r['errors'])} | {r['done']} / "
        f"{r['failed']} / {r['unfinished']} | {r['p50_s']:.2f} s | {r['p95_s']:.2f} s | "
        f"{r['uploaded_s']:.1f} s | {r['drained_s']:.1f} s | {r['early_mb']:.0f} / "
        f"{server.peak_mb:.0f} MB | "
        f"{'yes' if ok else 'NO'} |",
    ]
    if r["errors"] or r["failed_reasons"]:
        lines += ["", f"Errors: {sorted(set(r['errors']))}; job failures: {r['failed_reasons']}"]
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="runs/robust", help="work folder")
    p.add_argument("--quick", action="store_true", help="20 uploads, 4 clients, hoof-flux")
    args = p.parse_args()
    print(run(Path(args.out) / "serve", quick=args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
