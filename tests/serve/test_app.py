"""The web API of ``mudar serve``: every endpoint with good and bad files, the job queue's
order, progress and cancel, the size limit, and the temporary folder's cleanup."""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the serve extra (fastapi) is not installed")
pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx (the dev extra)")

with warnings.catch_warnings():  # starlette's note that it prefers httpx2 to httpx
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient  # noqa: E402

from mudar.io import probe  # noqa: E402
from mudar.serve.app import create_app  # noqa: E402
from mudar.serve.jobs import JobQueue  # noqa: E402
from mudar.synthetic.video import make_clip  # noqa: E402


@pytest.fixture(scope="module")
def served():
    """(client, app) on the synthetic demo dances of 6 s."""
    app = create_app(demo_duration_s=6.0)
    with TestClient(app) as client:
        yield client, app


def media(client, *, video: bool) -> dict:
    files = client.get("/api/info").json()["media"]
    return next(f for f in files if f["has_video"] == video)


def finish(app, job: dict) -> dict:
    app.state.jobs.wait(app.state.jobs.get(job["id"]), timeout=120)
    return app.state.jobs.get(job["id"]).to_dict()


def upload(client, path: Path, name: str | None = None):
    return client.post(f"/api/upload?name={name or path.name}", content=Path(path).read_bytes())


# --- page, info, files --------------------------------------------------------------------


def test_the_page_and_its_script_are_served(served):
    client, _ = served
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert 'id="timeline"' in page.text and "/static/app.js" in page.text
    assert "http" not in client.get("/static/app.js").text.split("SVG = ")[0]  # no CDN
    assert client.get("/static/style.css").status_code == 200


def test_info_lists_the_demo_files_and_what_is_missing(served):
    client, _ = served
    info = client.get("/api/info").json()
    names = {f["name"] for f in info["media"]}
    assert {"dance-120bpm.mp4", "dance-90bpm.wav"} <= names
    assert info["retarget_methods"] == ["shift", "accel", "dtw", "dtw-points"]  # paper sec. 4.4
    assert "--classifier" in info["genre"] and "mudar index build" in info["index"]
    from mudar.cli.sync import LOW_CONFIDENCE

    assert info["low_sync_confidence"] == LOW_CONFIDENCE  # the page warns where the CLI does


def test_an_upload_is_probed_served_and_removed(served, bar_video):
    client, app = served
    r = upload(client, bar_video)
    assert r.status_code == 200, r.text
    f = r.json()
    assert f["has_video"] and f["has_audio"] and f["duration_s"] == pytest.approx(2.0, abs=0.1)
    got = client.get(f"/api/files/{f['id']}")
    assert got.status_code == 200 and got.content == Path(bar_video).read_bytes()
    folder = app.state.store.get(f["id"]).path.parent
    assert client.delete(f"/api/files/{f['id']}").json() == {"removed": f["id"]}
    assert not folder.exists()
    assert client.get(f"/api/files/{f['id']}").status_code == 404


def test_an_upload_name_cannot_leave_its_folder(served, bar_video):
    client, app = served
    r = upload(client, bar_video, name="..%2F..%2Fescape.mp4")
    assert r.status_code == 200
    path = app.state.store.get(r.json()["id"]).path
    assert path.name == "escape.mp4" and app.state.store.root in path.parents


@pytest.mark.parametrize(
    ("fixture", "message"),
    [("empty_file", "the file is empty"), ("text_mp4", "not a video or audio file")],
)
def test_a_bad_upload_is_one_clear_message(served, request, fixture, message):
    client, app = served
    before = set(p.name for p in app.state.store.root.iterdir())
    r = upload(client, request.getfixturevalue(fixture))
    assert r.status_code == 400
    detail = r.json()["detail"]
    assert message in detail and "Traceback" not in detail and "/tmp" not in detail
    assert set(p.name for p in app.state.store.root.iterdir()) == before  # nothing kept
    assert client.get("/api/info").status_code == 200  # still serving


def test_an_offered_file_cannot_be_deleted(served):
    client, _ = served
    assert client.delete(f"/api/files/{media(client, video=True)['id']}").status_code == 400


def test_unknown_ids_are_404(served):
    client, _ = served
    assert client.get("/api/files/nope").status_code == 404
    assert client.delete("/api/files/nope").status_code == 404
    for path in ("/api/jobs/nope", "/api/jobs/nope/download"):
        r = client.get(path)
        assert r.status_code == 404 and "nope" in r.json()["detail"]
    assert client.post("/api/jobs/nope/cancel").status_code == 404
    for route in ("analyze", "fix"):
        assert client.post(f"/api/{route}", json={"file": "nope"}).status_code == 404
    r = client.post("/api/retarget", json={"video": "nope", "music": "nope"})
    assert r.status_code == 404


def test_too_big_an_upload_is_refused(tmp_path, bar_video):
    (tmp_path / "media").mkdir()
    app = create_app(media=tmp_path / "media", max_upload_mb=0.001)  # 1000 bytes
    with TestClient(app) as client:
        r = upload(client, bar_video)
        assert r.status_code == 413 and "upload limit of 0.001 MB" in r.json()["detail"]
        # without a Content-Length the stream is cut at the limit
        chunks = (b"x" * 600 for _ in range(3))
        r = client.post("/api/upload?name=big.mp4", content=chunks)
        assert r.status_code == 413
        assert list(app.state.store.root.iterdir()) == []
        assert client.get("/api/info").json()["max_upload_mb"] == 0.001


def test_the_temporary_folder_is_removed_at_shutdown(tmp_path, bar_video):
    app = create_app(media=tmp_path)
    root = app.state.store.root.parent
    with TestClient(app) as client:
        assert upload(client, bar_video).status_code == 200
        assert root.is_dir()
    assert not root.exists()


# --- jobs ---------------------------------------------------------------------------------


def test_analyze_gives_the_timeline_tempo_bas_and_sync(served):
    client, app = served
    f = media(client, video=True)
    job = client.post("/api/analyze", json={"file": f["id"]}).json()
    assert job["state"] in ("queued", "running")
    done = finish(app, job)
    assert done["state"] == "done", done["error"]
    r = client.get(f"/api/jobs/{job['id']}").json()["result"]
    t = r["timeline"]
    assert t["file"] == f["name"] and t["duration_s"] == pytest.approx(6.0, abs=0.1)
    assert t["music"]["tempo_bpm"] > 0 and len(t["music"]["beat_times"]) > 3
    assert len(t["dance"]["rhythm_times"]) > 3
    env = t["curves"]["onset_envelope"]
    assert len(env["values"]) * env["dt"] == pytest.approx(t["duration_s"], abs=0.2)
    assert max(env["values"]) == 1.0 and min(env["values"]) == 0.0
    assert len(t["curves"]["dance_strength"]["values"]) == round(6.0 * t["fps"])
    assert set(r["sync"]) == {"file", "offset_s", "confidence", "reliable", "min_confidence"}
    assert 0.0 <= r["sync"]["confidence"] <= 1.0
    # a steady 120 BPM: the page is told it cannot tell the delay
    assert r["sync"]["reliable"] is (r["sync"]["confidence"] >= r["sync"]["min_confidence"])
    assert 0.0 <= r["bas"]["bas_motion"] <= 1.0 and r["bas"]["file"] == f["name"]
    assert "--classifier" in r["genre"]["error"]
    assert client.get(f"/api/jobs/{job['id']}/download").status_code == 404  # nothing to get


def test_a_song_is_analysed_without_sync_or_bas(served):
    client, app = served
    song = media(client, video=False)
    job = client.post("/api/analyze", json={"file": song["id"]}).json()
    r = client.get(f"/api/jobs/{finish(app, job)['id']}").json()["result"]
    assert r["timeline"]["dance"] is None and r["timeline"]["curves"]["dance_strength"] is None
    assert r["sync"] == {"error": "needs a video with sound"}
    assert r["pose"] is None  # no pictures, no skeleton
    assert client.post("/api/fix", json={"file": song["id"]}).status_code == 400


def test_analyze_gives_the_dancers_pose_track_and_body_feedback(served):
    """With the pose extra: the track to draw over the video (thinned, rounded), and the
    on-beat feedback and dance rhythm of the body (pose), named in a dancer's words."""
    pytest.importorskip("mediapipe", reason="the pose extra is not installed")
    client, app = served
    info = client.get("/api/info").json()
    assert info["dance_method"] == "pose" and info["skeleton"] is None
    f = media(client, video=True)
    job = client.post("/api/analyze", json={"file": f["id"]}).json()
    r = client.get(f"/api/jobs/{finish(app, job)['id']}").json()["result"]
    p = r["pose"]
    assert "error" not in p and "pose" not in r["timeline"]
    shown = probe(app.state.store.get(f["id"]).path)
    assert (p["width"], p["height"]) == (shown.width, shown.height)  # pixels of the picture
    assert 0 < p["rate"] <= 15 and 0 < p["found_fraction"] <= 1
    n = len(p["times_s"])
    assert n == len(p["keypoints"]) == len(p["confidence"]) >= 6.0 * p["rate"] - 1
    assert all(b > a for a, b in zip(p["times_s"], p["times_s"][1:], strict=False))
    found = [i for i, k in enumerate(p["keypoints"]) if k is not None]
    assert found and len(p["joints"]) == 17 and [5, 7] in p["bones"]
    for i in found:
        assert len(p["keypoints"][i]) == 17 and all(0 <= c <= 1 for c in p["confidence"][i])
        xy = [j for j in p["keypoints"][i] if j is not None]
        assert all(-p["width"] < x < 2 * p["width"] and isinstance(x, int) for x, _ in xy)
    assert r["accents"] == {"method": "pose", "words": "the moments your body stops"}
    assert r["timeline"]["dance"]["method"] == "pose" and r["bas"]["motion_method"] == "pose"
    assert r["bas"]["feedback"]["summary"]["n_accents"] >= 0


def test_without_the_pose_extra_one_line_and_the_rest_works(monkeypatch):
    """Without MediaPipe: the motion-energy accents (the moments the picture stops moving),
    one line that names the pip command for the skeleton, and every other section as ever."""
    import sys

    from mudar.optional import MissingDependency

    monkeypatch.setitem(sys.modules, "mediapipe", None)  # as if not installed
    with pytest.raises(MissingDependency, match=r"pip install 'mudar\[pose\]'"):
        create_app(dance_method="pose", demo_duration_s=3.0)
    app = create_app(demo_duration_s=3.0)
    with TestClient(app) as client:
        info = client.get("/api/info").json()
        assert info["dance_method"] == "motion-energy"
        assert info["accents"]["words"] == "the moments the picture stops moving"
        assert "pip install 'mudar[pose]'" in info["skeleton"]
        f = media(client, video=True)
        done = finish(app, client.post("/api/analyze", json={"file": f["id"]}).json())
        assert done["state"] == "done", done["error"]
        r = done["result"]
    msg = r["pose"]["error"]
    assert "skeleton" in msg and "pip install 'mudar[pose]'" in msg and "\n" not in msg
    assert r["timeline"]["dance"]["method"] == "motion-energy"
    assert r["bas"]["motion_method"] == "motion-energy" and "feedback" in r["bas"]
    assert "offset_s" in r["sync"]


def test_fix_writes_a_repaired_video_to_download(served):
    client, app = served
    f = media(client, video=True)
    # a steady 120 BPM fixes the delay only modulo one beat: not moved unless forced
    refused = finish(app, client.post("/api/fix", json={"file": f["id"]}).json())
    assert refused["state"] == "error" and not refused["download"]
    assert refused["error"].startswith(f"{f['name']}: cannot tell the delay")
    done = finish(app, client.post("/api/fix", json={"file": f["id"], "force": True}).json())
    assert done["state"] == "done" and done["download"], done["error"]
    assert done["result"]["fixed"] == "dance-120bpm-synced.mp4" and done["result"]["forced"]
    assert {"offset_s", "confidence", "reliable"} <= set(done["result"]["after"])
    r = client.get(f"/api/jobs/{done['id']}/download")
    assert r.status_code == 200 and "dance-120bpm-synced.mp4" in r.headers["content-disposition"]


def audio_lag_s(a: Path, b: Path) -> float:
    """How much earlier the sound of ``b`` is than that of ``a``, seconds (the peak of the
    cross-correlation of their loudness envelopes at 1 kHz, within +-0.3 s)."""
    import numpy as np

    from mudar.io.audio import load_audio_track

    def envelope(path):
        y, sr = load_audio_track(path, sr=48000)
        y = np.abs(y if y.ndim == 1 else y.mean(axis=1))
        return y[: len(y) // 48 * 48].reshape(-1, 48).mean(axis=1)  # 1 ms steps

    x, y = envelope(a), envelope(b)
    n = min(len(x), len(y))
    x, y = x[:n] - x[:n].mean(), y[:n] - y[:n].mean()
    lags = range(-300, 301)
    score = [float(x[max(0, k) : n + min(0, k)] @ y[max(0, -k) : n - max(0, k)]) for k in lags]
    return lags[int(np.argmax(score))] / 1000


def test_fix_with_a_chosen_offset_moves_by_it_unrefused(served):
    """An offset the user chose is applied as given, even where the estimate cannot tell, and
    the copy is measured again."""
    client, app = served
    f = media(client, video=True)
    done = finish(app, client.post("/api/fix", json={"file": f["id"], "offset": 0.1}).json())
    assert done["state"] == "done" and done["download"], done["error"]
    r = done["result"]
    assert r["manual"] is True and r["offset_s"] == 0.1 and not r["forced"]
    assert r["fixed"] == "dance-120bpm-audio+0.100s.mp4" and r["file"] == f["name"]
    assert {"offset_s", "confidence", "reliable"} <= set(r["after"])
    fixed = app.state.jobs.get(done["id"]).output
    original = app.state.store.get(f["id"]).path
    assert audio_lag_s(original, fixed) == pytest.approx(0.1, abs=0.005)  # moved 100 ms earlier
    got = client.get(f"/api/jobs/{done['id']}/download")
    assert got.status_code == 200 and got.content == fixed.read_bytes()


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ('"offset": 6.5', 400, "give a number of seconds between -6.00 and +6.00"),
        ('"offset": -1e9', 400, "give a number of seconds between"),
        ('"offset": NaN', 400, "offset nan s"),
        ('"offset": "soon"', 422, "bad request: offset"),
    ],
)
def test_fix_refuses_a_bad_offset_in_one_line(served, body, status, message):
    client, app = served
    f = media(client, video=True)
    before = sorted(app.state.jobs.root.iterdir())
    r = client.post(
        "/api/fix",
        content=f'{{"file": "{f["id"]}", {body}}}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == status and message in r.json()["detail"], r.text
    assert "\n" not in r.json()["detail"]
    assert sorted(app.state.jobs.root.iterdir()) == before  # nothing queued


def test_retarget_gives_a_playable_video(served, tmp_path):
    client, app = served
    video, song = media(client, video=True), media(client, video=False)
    job = client.post("/api/retarget", json={"video": video["id"], "music": song["id"]}).json()
    done = finish(app, job)
    assert done["state"] == "done", done["error"]
    r = done["result"]
    assert r["method"] == "dtw" and r["out"].endswith("-dtw.mp4") and r["bas_after"] is not None
    got = client.get(f"/api/jobs/{job['id']}/download")
    out = tmp_path / "out.mp4"
    out.write_bytes(got.content)
    info = probe(out)
    assert info.has_video and info.has_audio and info.duration_s == pytest.approx(6.0, abs=0.2)


def test_a_running_retarget_is_cancelled_and_leaves_nothing(served):
    client, app = served
    video, song = media(client, video=True), media(client, video=False)
    job = client.post("/api/retarget", json={"video": video["id"], "music": song["id"]}).json()
    live = app.state.jobs.get(job["id"])
    seen = []
    for _ in range(2000):  # until it is encoding: progress moves with the frames written
        if live.step == "re-timing and encoding" and live.progress > 0.16:
            break
        seen.append(live.state)
        threading.Event().wait(0.005)
    assert live.step == "re-timing and encoding", (live.state, live.step)
    assert 0.15 < live.progress < 0.95
    assert client.post(f"/api/jobs/{job['id']}/cancel").status_code == 200
    done = finish(app, job)
    assert done["state"] == "cancelled" and not done["download"]
    assert not live.folder.exists()  # the half-written video is gone with its folder
    assert client.get(f"/api/jobs/{job['id']}/download").status_code == 404


def test_retarget_refuses_bad_requests(served):
    client, _ = served
    video, song = media(client, video=True), media(client, video=False)
    ask = {"video": video["id"], "music": song["id"], "method": "x"}
    r = client.post("/api/retarget", json=ask)
    assert r.status_code == 400 and "shift, accel, dtw" in r.json()["detail"]
    r = client.post("/api/retarget", json={"video": song["id"], "music": video["id"]})
    assert r.status_code == 400 and "no pictures" in r.json()["detail"]
    r = client.post("/api/retarget", json={"video": video["id"]})
    assert r.status_code == 422 and r.json()["detail"] == "bad request: music: Field required"
    r = client.post(
        "/api/analyze", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422 and isinstance(r.json()["detail"], str)


def test_a_file_that_breaks_in_a_job_is_one_line_error(served, truncated_mp4):
    client, app = served
    r = upload(client, truncated_mp4)
    if r.status_code == 400:  # refused at once: as good
        assert "Traceback" not in r.json()["detail"]
        return
    done = finish(app, client.post("/api/analyze", json={"file": r.json()["id"]}).json())
    assert done["state"] in ("error", "done")
    if done["state"] == "error":
        assert "\n" not in done["error"] and "Traceback" not in done["error"]


def test_genre_with_a_classifier(tmp_path, debug_checkpoint):
    from mudar.cli.main import main
    from mudar.synthetic.video import make_dataset

    make_dataset(tmp_path / "data", n=4, seed=3, duration_s=6.0)
    cls = tmp_path / "cls.pt"
    argv = ["classify", "train", "--data", str(tmp_path / "data"), "--out", str(cls)]
    argv += ["--checkpoint", str(debug_checkpoint), "--epochs", "3", "--quiet", "--jobs", "1"]
    assert main([*argv, "--cache", str(tmp_path / "cache")]) == 0
    app = create_app(media=tmp_path / "data" / "waltz_0", classifier=cls, dance_method="hoof-flux")
    with TestClient(app) as client:
        assert client.get("/api/info").json()["genre"] is None
        f = media(client, video=True)
        done = finish(app, client.post("/api/analyze", json={"file": f["id"]}).json())
        genre = done["result"]["genre"]
        assert set(genre["scores"]) == {"chacha", "rumba", "tango", "waltz"}
        assert genre["label"] == max(genre["scores"], key=genre["scores"].get)
        assert sum(genre["scores"].values()) == pytest.approx(1.0, abs=1e-3)
        # one of its own training dances: known, within the classifier's level
        assert genre["known"] is True and genre["closest"] == genre["label"]
        assert genre["distance"] <= genre["threshold"] and "file" not in genre


def test_genre_of_a_synthetic_dance_is_none_of_these():
    """The shipped classifier (35 ballroom dances) on a demo dance: a rendered figure, not a
    ballroom dance; the softmax alone said "rumba 0.98"."""
    from mudar.models.checkpoint import default_classifier_path

    app = create_app(classifier=default_classifier_path(), demo_duration_s=6.0)
    with TestClient(app) as client:
        f = media(client, video=True)
        done = finish(app, client.post("/api/analyze", json={"file": f["id"]}).json())
        genre = done["result"]["genre"]
        assert genre["none_of_these"] is True and genre["known"] is False
        assert genre["label"] is None and genre["closest"] in genre["genres"]
        assert genre["distance"] > genre["threshold"] > 0


def test_a_bad_classifier_or_index_fails_at_start(tmp_path, text_mp4):
    from mudar.errors import MudarError

    with pytest.raises(MudarError):
        create_app(media=tmp_path, classifier=text_mp4)
    with pytest.raises(MudarError, match="no such"):
        create_app(media=tmp_path, index=tmp_path / "nope")
    with pytest.raises(MudarError, match="nope.pt: no such file"):
        create_app(media=tmp_path, checkpoint=tmp_path / "nope.pt")
    with pytest.raises(MudarError, match="unknown dance method"):
        create_app(media=tmp_path, dance_method="nope")


def test_retrieve_without_an_index_says_how_to_build_one(served):
    client, _ = served
    r = client.post("/api/retrieve", json={"file": media(client, video=True)["id"]})
    assert r.status_code == 400 and "mudar index build" in r.json()["detail"]


def test_retrieve_ranks_the_index(tmp_path):
    pytest.importorskip("faiss", reason="retrieval needs faiss (the retrieve extra)")
    from mudar.pipelines.index import index_embeddings, write_index

    songs, elsewhere = tmp_path / "media", tmp_path / "elsewhere"
    for i, tempo in enumerate((100.0, 140.0)):
        make_clip(songs, name=f"d{i}", tempo_bpm=tempo, duration_s=6.0, seed=i)
    gone = make_clip(elsewhere, name="d2", tempo_bpm=120.0, duration_s=6.0, seed=2).path
    emb, meta = index_embeddings([str(songs), str(gone)], jobs=1, progress=False)
    write_index(emb, tmp_path / "idx", kind="flat", meta=meta)
    Path(gone).unlink()  # indexed, then moved away: listed, but nothing to preview
    app = create_app(media=songs, index=tmp_path / "idx")
    with TestClient(app) as client:
        assert client.get("/api/info").json()["index"] is None
        f = media(client, video=True)
        assert f["name"] == "d0.mp4"

        def search(file_id: str) -> dict:
            job = client.post("/api/retrieve", json={"file": file_id, "direction": "dance2music"})
            done = finish(app, job.json())
            assert done["state"] == "done", done["error"]
            return done["result"]

        # the query's own clips are left out: d0 finds d1 and d2, never itself
        r = search(f["id"])
        hits = r["results"]
        assert r["left_out"] == ["d0.mp4"] and {h["name"] for h in hits} == {"d1.mp4", "d2.mp4"}
        assert hits[0]["score"] >= hits[1]["score"] and hits[0]["duration_s"] > 0
        shown = {h["name"]: h["media"] for h in hits}
        assert shown["d2.mp4"] is None  # gone from the disk
        song = shown["d1.mp4"]  # the offered file itself: its id, to play and retarget onto
        assert song["id"] == next(
            m["id"] for m in client.get("/api/info").json()["media"] if m["name"] == "d1.mp4"
        )
        assert client.get(f"/api/files/{song['id']}").content == (songs / "d1.mp4").read_bytes()
        # an upload of d1 (a copy of its bytes) leaves d1 out
        copy = upload(client, songs / "d1.mp4", name="my-dance.mp4").json()
        r = search(copy["id"])
        assert r["left_out"] == ["d1.mp4"] and {h["name"] for h in r["results"]} == {
            "d0.mp4",
            "d2.mp4",
        }
        bad = client.post("/api/retrieve", json={"file": f["id"], "direction": "sideways"})
        assert finish(app, bad.json())["state"] == "error"


# --- the queue itself ---------------------------------------------------------------------


def test_jobs_run_one_at_a_time_in_order_and_cancel(tmp_path):
    queue = JobQueue(tmp_path)
    gate, ran = threading.Event(), []

    def slow(job):
        job.advance("waiting", 0.5)
        gate.wait(10)
        ran.append(job.id)
        job.advance("after the gate", 0.9)  # a cancelled job stops here
        return {"ok": True}

    def quick(job):
        ran.append(job.id)
        return {"ok": True}

    first = queue.submit("slow", slow)
    second, third = queue.submit("quick", quick), queue.submit("quick", quick)
    assert queue.position(third) == 2
    queue.cancel(second)  # queued: never starts, its folder goes
    assert second.state == "cancelled" and not second.folder.exists()
    for _ in range(100):
        if first.state == "running" and first.step == "waiting":
            break
        threading.Event().wait(0.02)
    assert first.to_dict()["progress"] == 0.5
    queue.cancel(first)  # running: stops at its next step
    gate.set()
    queue.wait(third)
    assert first.state == "cancelled" and not first.folder.exists()
    assert ran == [first.id, third.id] and third.result == {"ok": True}
    queue.close()


def test_only_the_newest_results_keep_their_files(tmp_path):
    queue = JobQueue(tmp_path, keep=2)

    def write(job):
        job.output = job.folder / "out.txt"
        job.output.write_text(job.id)
        return {}

    jobs = [queue.wait(queue.submit("w", write)) for _ in range(4)]
    assert [j.to_dict()["download"] for j in jobs] == [False, False, True, True]
    assert [j.folder.exists() for j in jobs] == [False, False, True, True]
    assert all(j.state == "done" for j in jobs)
    queue.close()


def test_only_the_newest_finished_jobs_are_remembered(tmp_path):
    queue = JobQueue(tmp_path, remember=3)
    jobs = [queue.wait(queue.submit("w", lambda job: {"n": 1})) for _ in range(5)]
    assert [queue.get(j.id) is not None for j in jobs] == [False, False, True, True, True]
    assert not jobs[0].folder.exists() and jobs[4].folder.exists()
    later = queue.wait(queue.submit("w", lambda job: {"n": 2}))
    assert queue.get(jobs[2].id) is None and queue.get(later.id).result == {"n": 2}
    queue.close()


def test_a_bug_in_a_job_is_one_line_and_the_queue_goes_on(tmp_path):
    queue = JobQueue(tmp_path)

    def broken(job):
        raise ZeroDivisionError("division by zero")

    bad = queue.wait(queue.submit("broken", broken))
    assert bad.state == "error"
    assert bad.error == "internal error (ZeroDivisionError: division by zero)"
    good = queue.wait(queue.submit("quick", lambda job: {"n": 1}))
    assert good.state == "done" and good.result == {"n": 1}
    queue.close()


# --- long non-ASCII names (issue 28, 5b) ------------------------------------------------

LONG_NAME = ("Très-longue-danse-de-mon-été à Montréal, 東京の夜の踊り " * 4)[:196] + ".mp4"


def test_a_long_accented_cjk_name_is_kept_as_given(served, bar_video):
    import unicodedata

    client, app = served
    assert len(LONG_NAME) == 200
    given = unicodedata.normalize("NFD", LONG_NAME)  # as macOS hands it: kept as NFC
    r = client.post("/api/upload", params={"name": given}, content=Path(bar_video).read_bytes())
    assert r.status_code == 200, r.text
    f = r.json()
    assert f["name"] == LONG_NAME
    stored = app.state.store.get(f["id"])
    assert stored.name == LONG_NAME
    assert len(stored.path.name.encode()) <= 200 and stored.path.suffix == ".mp4"
    assert stored.path.name.startswith("Très-longue-danse-de-mon-été à Montréal, 東京")
    assert "filename*=utf-8''" in client.get(f"/api/files/{f['id']}").headers["content-disposition"]
    job = client.post("/api/analyze", json={"file": f["id"]}).json()
    done = finish(app, job)
    assert done["state"] == "done", done["error"]
    assert done["result"]["timeline"]["file"] == LONG_NAME
    client.delete(f"/api/files/{f['id']}")


def test_names_are_cleaned_not_mangled():
    from mudar.serve.store import clean_name, safe_name

    assert clean_name("dossier/sous\\Danse d'été.mp4") == "Danse d'été.mp4"
    assert clean_name("a\x00b\x1fc.mov") == "abc.mov"
    assert clean_name("..") == clean_name("") == "upload"
    assert safe_name(".hidden.mp4") == "hidden.mp4"
    long = safe_name("東" * 300 + ".webm")
    assert long == "東" * 65 + ".webm" and len(long.encode()) <= 200


@pytest.mark.parametrize(
    ("name", "limit", "short"),
    [
        ("danse.mp4", 48, "danse.mp4"),  # under the limit: unchanged
        ("x" * 48, 48, "x" * 48),
        ("Très-longue-danse-de-mon-été-à-Montréal.mp4", 29, "Très-longue-danse-de-mon-…mp4"),
        ("東京の夜の踊り東京の夜の踊り.webm", 10, "東京の夜の…webm"),
        ("no-extension-at-all-here", 10, "no-extens…"),
    ],
)
def test_short_name_cuts_at_the_end_and_keeps_the_extension(name, limit, short):
    from mudar.serve.store import short_name

    assert short_name(name, limit) == short and len(short) <= limit


# --- retarget: end and song start (issue 28, 4) --------------------------------------------


@pytest.mark.parametrize("end", ["loop", "stop"])
def test_retarget_takes_end_and_song_start(served, end):
    client, app = served
    video, song = media(client, video=True), media(client, video=False)
    ask = {"video": video["id"], "music": song["id"], "method": "shift", "end": end}
    job = client.post("/api/retarget", json={**ask, "song_start": 1.0}).json()
    done = finish(app, job)
    assert done["state"] == "done", done["error"]
    assert done["result"]["song_start_s"] == pytest.approx(1.0)
    assert done["result"]["end"] == end


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"end": "fade"}, "unknown end 'fade'; known: loop, stop"),
        ({"song_start": -1}, "the song start must be >= 0 s"),
        ({"song_start": 3, "song_end": 2}, "must be after its start"),
    ],
)
def test_retarget_refuses_a_bad_end_or_song_part(served, extra, message):
    client, _ = served
    video, song = media(client, video=True), media(client, video=False)
    r = client.post("/api/retarget", json={"video": video["id"], "music": song["id"], **extra})
    assert r.status_code == 400 and message in r.json()["detail"], r.text


def test_the_page_shortens_names_as_python_does():
    """static/app.js's shortName gives short_name's answers (run by node, where there is one)."""
    import json
    import re
    import shutil
    import subprocess
    from importlib import resources

    from mudar.serve.store import short_name

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    js = (resources.files("mudar.serve") / "static" / "app.js").read_text(encoding="utf-8")
    func = re.search(r"function shortName[\s\S]*?\n}\n", js).group(0)
    cases = [
        ("danse.mp4", 48),
        ("Très-longue-danse-de-mon-été-à-Montréal.mp4", 29),
        ("東京の夜の踊り東京の夜の踊り.webm", 10),
        ("no-extension-at-all-here", 10),
        (LONG_NAME, 48),
    ]
    script = (
        func + f"console.log(JSON.stringify({json.dumps(cases)}.map(([n, k]) => shortName(n, k))));"
    )
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [short_name(n, k) for n, k in cases]


def test_the_page_shows_the_half_or_double_tempo_beside_the_tempo():
    """static/app.js's tempoHtml (run by node, where there is one)."""
    import json
    import re
    import shutil
    import subprocess
    from importlib import resources

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    js = (resources.files("mudar.serve") / "static" / "app.js").read_text(encoding="utf-8")
    funcs = re.search(r"function fmt\(.*\n", js).group(0)  # one line
    funcs += re.search(r"function tempoHtml[\s\S]*?\n}\n", js).group(0)
    cases = [
        {"tempo_bpm": 160.0, "tempo_alternatives": [80.0]},
        {"tempo_bpm": 87.04, "tempo_alternatives": [43.52, 174.08]},
        {"tempo_bpm": 120.0, "tempo_alternatives": []},
        {"tempo_bpm": 120.0},
        None,
    ]
    script = funcs + f"console.log(JSON.stringify({json.dumps(cases)}.map(tempoHtml)));"
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [
        "160.0 <small>BPM (or 80.0)</small>",
        "87.0 <small>BPM (or 43.5 or 174.1)</small>",
        "120.0 <small>BPM</small>",
        "120.0 <small>BPM</small>",
        "<small>no sound</small>",
    ]
