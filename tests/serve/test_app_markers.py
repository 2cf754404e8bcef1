"""What the page's timeline is told of the dance rhythm (its method in words, its strength on
its own scale, each point's evidence), and the marker downloads of an analysis."""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the serve extra (fastapi) is not installed")
pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx (the dev extra)")

with warnings.catch_warnings():  # starlette's note that it prefers httpx2 to httpx
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient  # noqa: E402

from mudar.serve.app import create_app  # noqa: E402


def make_noise_clip(path: Path, *, seconds: float = 6.0, fps: float = 25.0) -> Path:
    """A video of picture noise (every frame new, nothing that stops) over silence: its
    motion never stops, so its dance rhythm has no real evidence anywhere."""
    from mudar.io.write import write_video

    rng = np.random.default_rng(0)
    frames = (rng.random((round(seconds * fps), 240, 320, 3)) * 255).astype(np.uint8)
    sr = 22050
    silence = np.zeros(round(seconds * sr), np.float32)
    return write_video(path, frames, fps=fps, audio=silence, sr=sr)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(client, app, {name: finished analysis job}) on 6 s demo dances, motion-energy (the
    method of a server without the pose extra: fast), with one dance and a noise clip
    analysed."""
    app = create_app(demo_duration_s=6.0, dance_method="motion-energy")
    noise = make_noise_clip(tmp_path_factory.mktemp("noise") / "bruit blanc été.mp4")
    with TestClient(app) as client:
        files = client.get("/api/info").json()["media"]
        dance = next(f for f in files if f["name"] == "dance-120bpm.mp4")
        up = client.post(f"/api/upload?name={noise.name}", content=noise.read_bytes()).json()
        done = {}
        for name, f in (("dance", dance), ("noise", up)):
            job = client.post("/api/analyze", json={"file": f["id"]}).json()
            app.state.jobs.wait(app.state.jobs.get(job["id"]), timeout=120)
            done[name] = client.get(f"/api/jobs/{job['id']}").json()
            assert done[name]["state"] == "done", done[name]["error"]
        yield client, app, done


def test_the_dance_rhythm_is_named_and_weighed(served):
    _, _, done = served
    d = done["dance"]["result"]["timeline"]["dance"]
    assert d["method"] == "motion-energy" and d["uses_music"] is False
    assert d["accents"] == "the moments the picture stops moving"
    assert len(d["prominence"]) == len(d["rhythm_times"]) >= 8
    assert d["weak_below"] == 0.2
    # a dance that stops on every beat: every stop rises well above the curve around it
    assert min(d["prominence"]) > d["weak_below"]


def test_a_flat_strength_stays_flat_and_its_points_are_weak(served):
    """Issue 28: a flat strength curve was stretched to 0-1 and its wiggles drawn as sharp
    peaks with confident points. Picture noise never stops: its strength stays low on its own
    0-1 scale, and (nearly) all its points are weak evidence."""
    _, _, done = served
    t = done["noise"]["result"]["timeline"]
    c = t["curves"]["dance_strength"]
    assert c["scale"] == "absolute" and c["hi"] < 0.3
    assert max(c["values"]) == pytest.approx(c["hi"], abs=1e-4)  # not stretched to 1
    d = t["dance"]
    weak = [p < d["weak_below"] for p in d["prominence"]]
    assert len(weak) >= 5 and sum(weak) >= 0.8 * len(weak)
    onset = t["curves"]["onset_envelope"]
    assert onset["scale"] == "stretched" and "lo" in onset and "hi" in onset
    # a dance's strength is drawn as it is too: its peaks reach near 1 by themselves
    dance = done["dance"]["result"]["timeline"]["curves"]["dance_strength"]
    assert dance["scale"] == "absolute" and dance["hi"] > 0.8


def test_the_markers_of_an_analysis_download(served):
    client, _, done = served
    job = done["dance"]
    t = job["result"]["timeline"]
    r = client.get(f"/api/jobs/{job['id']}/markers?format=csv&count_from=3")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="dance-120bpm-markers.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    beats = [x for x in rows if x["kind"] == "beat"]
    assert [float(b["time_s"]) for b in beats] == t["music"]["beat_times"]
    assert [int(b["count"]) for b in beats][:4] == [7, 8, 1, 2]
    accents = [float(x["time_s"]) for x in rows if x["kind"] == "accent"]
    assert accents == t["dance"]["rhythm_times"]

    d = client.get(f"/api/jobs/{job['id']}/markers?format=json").json()
    assert d["file"] == "dance-120bpm.mp4" and d["counted_from"] == "the first beat"
    assert d["accents"] == "the moments the picture stops moving"
    assert [m["count"] for m in d["markers"] if m["kind"] == "beat"][:2] == [1, 2]

    srt = client.get(f"/api/jobs/{job['id']}/markers?format=srt")
    assert srt.status_code == 200 and re.search(r"-->.*\n1( \+ accent)?\n", srt.text)

    # the noise clip: no beats in silence, its points all labelled by their evidence; the
    # accented name survives in the download's name
    noise = done["noise"]
    r = client.get(f"/api/jobs/{noise['id']}/markers?format=json")
    assert r.status_code == 200
    assert (
        "filename*=UTF-8''bruit%20blanc%20%C3%A9t%C3%A9-markers.json"
        in (r.headers["content-disposition"])
    )
    labels = [m["label"] for m in json.loads(r.text)["markers"]]
    assert labels and labels.count("weak accent") >= 0.8 * len(labels)


def test_bad_marker_requests_are_one_line(served):
    client, app, done = served
    job = done["dance"]["id"]
    for query, status, words in (
        ("format=edl", 400, "unknown marker format 'edl'; known: csv, json, srt"),
        ("count_from=0", 400, "count_from must be a beat number >= 1"),
        ("count_from=999", 400, "not on beat 999"),
        ("count_from=x", 422, "count_from"),
    ):
        r = client.get(f"/api/jobs/{job}/markers?{query}")
        assert r.status_code == status and words in r.json()["detail"], r.text
    assert client.get("/api/jobs/nope/markers").status_code == 404
    # a job that is no analysis has no markers
    f = next(f for f in client.get("/api/info").json()["media"] if f["has_video"])
    fix = client.post("/api/fix", json={"file": f["id"], "force": True}).json()
    app.state.jobs.wait(app.state.jobs.get(fix["id"]), timeout=120)
    r = client.get(f"/api/jobs/{fix['id']}/markers")
    assert r.status_code == 404 and "no finished analysis" in r.json()["detail"]
