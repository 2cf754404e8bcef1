"""`mudar serve` under load: a real server process on 127.0.0.1, uploads from several client
threads at once, every upload answered, every job finished (or failed with a reason), none lost,
memory bounded. (The benchmark with 50 uploads from 8 clients: benchmarks/robust_serve.py.)"""

from __future__ import annotations

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

import pytest

pytest.importorskip("uvicorn", reason="the serve extra (uvicorn) is not installed")

from mudar.synthetic.video import make_clip  # noqa: E402

HOST = "127.0.0.1"
UPLOADS, CLIENTS = 12, 4
LIMIT_S = 150.0  # everything: start, uploads, jobs
RSS_LIMIT_MB = 1500


def _call(method: str, url: str, *, data: bytes | None = None, body=None):
    headers = {}
    if body is not None:
        data, headers = json.dumps(body).encode(), {"Content-Type": "application/json"}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")
    except OSError as e:
        return 0, {"detail": str(e)}


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@pytest.fixture
def server(tmp_path):
    """``mudar serve`` (hoof-flux, no genre) on a free port of 127.0.0.1; stopped afterwards."""
    media = tmp_path / "media"
    media.mkdir()
    make_clip(media, name="offered", duration_s=2.0, size=(96, 64))
    with socket.socket() as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": src, "OMP_NUM_THREADS": "1"}
    argv = [sys.executable, "-m", "mudar", "serve", "--host", HOST, "--port", str(port)]
    argv += ["--media", str(media), "--method", "hoof-flux", "--no-genre"]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://{HOST}:{port}"
    try:
        end = time.monotonic() + 60
        while _call("GET", f"{url}/api/info")[0] != 200:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < end, "the server did not answer within 60 s"
            time.sleep(0.2)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_uploads_from_several_clients_are_all_answered_and_finished(server, tmp_path):
    url, proc = server
    videos = [
        make_clip(tmp_path, name=f"d{i}", tempo_bpm=100 + 10 * i, duration_s=2.0, size=(96, 64))
        for i in range(3)
    ]
    payloads = [Path(v.path).read_bytes() for v in videos]
    payloads.append(b"this is not a video")  # a bad upload is answered with a reason too
    t0 = time.monotonic()
    todo, lock, records = list(range(UPLOADS)), threading.Lock(), []

    def client():
        while time.monotonic() - t0 < LIMIT_S:
            with lock:
                if not todo:
                    return
                i = todo.pop()
            status, f = _call("POST", f"{url}/api/upload?name=u{i}.mp4", data=payloads[i % 4])
            rec = {"i": i, "upload": status, "detail": f.get("detail")}
            if status == 200:
                rec["submit"], job = _call("POST", f"{url}/api/analyze", body={"file": f["id"]})
                rec["job"] = job.get("id")
            with lock:
                records.append(rec)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(LIMIT_S)

    assert sorted(r["i"] for r in records) == list(range(UPLOADS))  # none lost
    for r in records:
        if r["i"] % 4 == 3:
            assert r["upload"] == 400 and "not a video or audio file" in r["detail"], r
        else:
            assert r["upload"] == 200 and r["submit"] == 200, r

    pending = {r["job"] for r in records if r.get("job")}
    assert len(pending) == UPLOADS - UPLOADS // 4
    finished = {}
    while pending and time.monotonic() - t0 < LIMIT_S:
        for job_id in sorted(pending):
            status, job = _call("GET", f"{url}/api/jobs/{job_id}")
            assert status == 200, (job_id, job)  # the server still knows every job
            if job["state"] not in ("queued", "running"):
                finished[job_id] = job
                pending.discard(job_id)
        time.sleep(0.3)
    assert not pending, f"jobs still unfinished after {LIMIT_S} s: {sorted(pending)}"
    for job in finished.values():
        assert job["state"] == "done" or (job["state"] == "error" and job["error"]), job
        if job["state"] == "done":
            assert job["result"]["timeline"]["dance"]["method"] == "hoof-flux"
    assert sum(j["state"] == "done" for j in finished.values()) == len(finished)
    assert proc.poll() is None  # still serving
    assert _peak_rss_mb(proc.pid) < RSS_LIMIT_MB
