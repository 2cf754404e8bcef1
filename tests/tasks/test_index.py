"""The two-sided FAISS index of music-dance clips: search, storage, and the index / retrieve CLI."""

import json

import numpy as np
import pytest

from mudar.cli.main import main
from mudar.errors import InputError, ParameterError
from mudar.tasks.embed import EmbeddingSet
from mudar.tasks.index import Index
from mudar.tasks.retrieve import query_side

# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def one_faiss_thread():
    """FAISS on one thread: its OpenMP threads spin and crawl when the CPUs are busy."""
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    yield
    faiss.omp_set_num_threads(before)


def unit(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def smooth_shift(onsets, shift):
    """A visual rhythm that follows the onsets ``shift`` frames late, as a probability."""
    x = np.roll(onsets.astype(float), shift, axis=1)
    x = 0.2 + 0.5 * x + 0.25 * (np.roll(x, 1, axis=1) + np.roll(x, -1, axis=1))
    return np.clip(x / x.max(), 0, 1).astype(np.float32)


def make_set(rng, n=12, e=16, t=64, *, audio=True, video=True, clips_per_file=1):
    """A hand-made EmbeddingSet: the dance of clip i fits the music of clip i (both ways)."""
    a = unit(rng.normal(size=(n, e)))
    v = unit(a + 0.05 * rng.normal(size=(n, e)))
    onsets = (rng.random((n, t)) < 0.25).astype(np.uint8)
    nf = n // clips_per_file
    clip_file = np.repeat(np.arange(nf), clips_per_file)
    return EmbeddingSet(
        files=[f"f{i}.mp4" for i in range(nf)],
        labels=["waltz" if i % 2 else "tango" for i in range(nf)],
        fps=8.0,
        clip_file=clip_file,
        clip_start_s=np.tile(np.arange(clips_per_file) * t / 8.0, nf),
        clip_len=np.full(n, t, np.int64),
        audio=a if audio else np.zeros_like(a),
        visual=v if video else np.zeros_like(v),
        audio_frames=np.zeros((n, t, e), np.float16),
        visual_frames=np.zeros((n, t, e), np.float16),
        has_audio=np.full(n, audio),
        has_video=np.full(n, video),
        onsets=onsets if audio else np.zeros_like(onsets),
        visual_rhythm=smooth_shift(onsets, 1) if video else np.zeros((n, t), np.float32),
        visual_peaks=np.zeros((n, t), np.uint8),
        file_audio=np.zeros((nf, e), np.float32),
        file_visual=np.zeros((nf, e), np.float32),
    )


# --- the index -------------------------------------------------------------------------------


@pytest.mark.parametrize("lambda3", [1.0, 0.5, 0.0])
def test_own_clip_ranks_first_both_directions(rng, lambda3):
    emb = make_set(rng)
    index = Index.from_embeddings(emb)
    for i in range(len(emb)):
        m2d = index.search(emb.audio[i], emb.onsets[i], top_k=3, lambda3=lambda3)
        assert m2d[0].clip == i and m2d[0].file == f"f{i}.mp4"
        d2m = index.search(
            emb.visual[i], emb.visual_rhythm[i], direction="dance2music", lambda3=lambda3
        )
        assert d2m[0].clip == i
        assert [h.score for h in m2d] == sorted((h.score for h in m2d), reverse=True)


def test_faiss_preselects_only_above_the_exhaustive_size(rng, monkeypatch):
    import mudar.tasks.index as index_module

    emb = make_set(rng, n=300)
    index = Index.from_embeddings(emb)
    calls = []

    class Spy:
        def __init__(self, inner):
            self.inner = inner

        def search(self, q, k):
            calls.append(k)
            return self.inner.search(q, k)

    index._faiss["dance"] = Spy(index._faiss["dance"])
    assert index.search(emb.audio[7], emb.onsets[7])[0].clip == 7 and calls == []
    monkeypatch.setattr(index_module, "EXHAUSTIVE_MAX", 100)
    assert index.search(emb.audio[7], emb.onsets[7])[0].clip == 7 and calls == [100]
    assert index.search(emb.audio[7], emb.onsets[7], lambda3=0.0)[0].clip == 7
    assert calls == [100]  # rhythm only: every clip, no pre-selection


@pytest.mark.parametrize("candidates", [None, 2])
def test_the_query_files_own_clips_are_left_out(rng, candidates):
    """A query from a file of the index would find itself first: its clips are left out, the
    rest ranked as before (with a FAISS pre-selection too, which is asked for more)."""
    emb = make_set(rng, n=12, clips_per_file=3)  # f0..f3, three clips each
    index = Index.from_embeddings(emb)
    q = (emb.audio[4], emb.onsets[4])  # the music of clip 4, of f1
    every = index.search(*q, top_k=12)
    assert every[0].clip == 4 and every[0].file == "f1.mp4"
    hits = index.search(*q, top_k=12, exclude_files=["f1.mp4"], candidates=candidates)
    assert hits and all(h.file != "f1.mp4" for h in hits)
    if candidates is None:  # the others, in the same order
        assert [h.clip for h in hits] == [h.clip for h in every if h.file != "f1.mp4"]
    else:  # at least the candidates asked for remain once f1's clips are dropped
        assert len(hits) >= 2
    assert all(h.duration_s == 64 / 8.0 for h in hits)  # a whole clip: T frames at 8 fps
    query = make_set(np.random.default_rng(1), n=1)
    query.audio[0], query.onsets[0] = emb.audio[4], emb.onsets[4]
    hits = index.query(query, top_k=3, exclude_files=["f1.mp4", "not-indexed.mp4"])
    assert len(hits) == 3 and "f1.mp4" not in {h.file for h in hits}
    assert index.search(*q, exclude_files=[f"f{i}.mp4" for i in range(4)]) == []
    with pytest.raises(ParameterError, match="list of names"):
        index.search(*q, exclude_files="f1.mp4")


def test_music2dance_never_compares_with_the_soundtracks(rng):
    emb = make_set(rng)
    # the soundtrack of clip j is the music of clip j + 1: audio-to-audio matching would answer
    # j - 1 for the music of clip j; the dance side answers j
    emb.audio = np.roll(emb.audio, -1, axis=0)
    emb.onsets = np.roll(emb.onsets, -1, axis=0)
    query_audio, query_onsets = np.roll(emb.audio, 1, axis=0), np.roll(emb.onsets, 1, axis=0)
    index = Index.from_embeddings(emb)
    for i in range(len(emb)):
        assert index.search(query_audio[i], query_onsets[i])[0].clip == i


def test_index_of_silent_videos_serves_music2dance(rng):
    full = make_set(rng)
    silent = make_set(np.random.default_rng(0), audio=False)
    index = Index.from_embeddings(silent)
    assert set(index.sides) == {"dance"}
    hits = index.search(full.audio[3], full.onsets[3], top_k=5)
    assert len(hits) == 5 and all(h.file.startswith("f") for h in hits)
    with pytest.raises(InputError, match="no music side"):
        index.search(full.visual[3], full.visual_rhythm[3], direction="dance2music")
    # songs only: no dance side
    songs = Index.from_embeddings(make_set(rng, video=False))
    with pytest.raises(InputError, match="no dance side"):
        songs.search(full.audio[0], full.onsets[0])


def test_a_query_of_several_clips_takes_its_best_clip(rng):
    emb = make_set(rng)
    index = Index.from_embeddings(emb)
    query = make_set(np.random.default_rng(1), n=2)
    rows = [2, 7]
    for k, r in enumerate(rows):
        query.audio[k], query.onsets[k] = emb.audio[r], emb.onsets[r]
    query.clip_file[:] = 0
    query.clip_start_s = np.array([0.0, 8.0])
    hits = index.query(query, top_k=2)
    assert sorted(h.clip for h in hits) == rows
    assert {h.clip: h.query_start_s for h in hits} == {2: 0.0, 7: 8.0}


@pytest.mark.parametrize("kind", ["flat", "pq-refine"])
def test_faiss_candidates_equal_exact_search(rng, kind):
    n, e = 3000, 32
    centres = rng.normal(size=(40, e))
    x = unit(centres[rng.integers(40, size=n)] + 0.5 * rng.normal(size=(n, e)))
    emb = make_set(rng, n=n, e=e, t=8)
    emb.visual = x
    index = Index.from_embeddings(emb, kind=kind)
    assert index.kind("dance") == kind
    queries = unit(centres[:20] + 0.5 * rng.normal(size=(20, e)))
    found = 0
    for q in queries:
        hits = index.search(q, np.zeros(8), top_k=10, lambda3=1.0, candidates=10)
        exact = np.argsort(-(x @ q), kind="stable")[:10]
        if kind == "flat":
            assert [h.clip for h in hits] == exact.tolist()
        found += len({h.clip for h in hits} & set(exact.tolist()))
        np.testing.assert_allclose([h.score for h in hits], np.sort(x @ q)[::-1][:10], atol=1e-5)
    assert found / (10 * len(queries)) >= 0.99


def test_save_load_round_trip(rng, tmp_path):
    emb = make_set(rng, n=12, clips_per_file=3)
    index = Index.from_embeddings(emb, meta={"checkpoint": "/m.pt", "checkpoint_hash": "ab"})
    path = index.save(tmp_path / "idx")
    assert sorted(p.name for p in path.iterdir()) == [
        "clips.npz",
        "dance.faiss",
        "index.json",
        "music.faiss",
    ]
    back = Index.load(path)
    assert back.files == index.files and back.labels == index.labels
    assert back.meta["checkpoint"] == "/m.pt" and back.n_frames == 64 and back.dim == 16
    for i in (0, 5):
        a = index.search(emb.audio[i], emb.onsets[i], top_k=4)
        b = back.search(emb.audio[i], emb.onsets[i], top_k=4)
        assert a == b and a[0].start_s == emb.clip_start_s[i]
    index.save(path)  # an index is replaced
    assert not list(tmp_path.glob(".idx*"))
    other = tmp_path / "notes"
    other.mkdir()
    (other / "x.txt").write_text("mine")
    with pytest.raises(InputError, match="not a mudar index"):
        index.save(other)
    with pytest.raises(InputError, match="not a mudar index"):
        Index.load(other)
    with pytest.raises(InputError, match="no such index"):
        Index.load(tmp_path / "missing")


def test_bad_queries(rng):
    emb = make_set(rng)
    index = Index.from_embeddings(emb)
    a, o = emb.audio[0], emb.onsets[0]
    with pytest.raises(ParameterError, match="size 16"):
        index.search(np.ones(8), o)
    with pytest.raises(ParameterError, match="rhythm"):
        index.search(a, o[:10])
    with pytest.raises(ParameterError, match="direction"):
        index.search(a, o, direction="dance2dance")
    with pytest.raises(ParameterError, match="top_k"):
        index.search(a, o, top_k=0)
    with pytest.raises(ParameterError, match="lambda3"):
        index.search(a, o, lambda3=2)
    with pytest.raises(ParameterError, match="kind"):
        Index.from_embeddings(emb, kind="hnsw")
    with pytest.raises(InputError, match="with pictures"):
        query_side(make_set(rng, n=1, video=False), direction="dance2music")
    with pytest.raises(InputError, match="with music"):
        query_side(make_set(rng, n=1, audio=False), direction="music2dance")
    with pytest.raises(InputError, match="nothing to index"):
        Index.from_embeddings(make_set(rng, audio=False, video=False))


# --- the commands, on videos embedded by a (random) debug model ---------------------------------


def cli(argv):
    """``mudar`` index / retrieve as the program runs it."""
    return main([str(a) for a in argv])


@pytest.fixture(scope="module")
def built(debug_checkpoint, synthetic_videos, tmp_path_factory):
    root = tmp_path_factory.mktemp("retrieve")
    cache = root / "cache"
    out = root / "idx"
    argv = ["index", "build", synthetic_videos, "--out", out, "--quiet"]
    assert cli([*argv, "--checkpoint", debug_checkpoint, "--cache", cache]) == 0
    return out, cache, root


def test_cli_build_and_retrieve_json(capsys, built, debug_checkpoint, synthetic_videos):
    out, cache, _ = built
    capsys.readouterr()
    query = sorted(synthetic_videos.rglob("*.mp4"))[0]
    for direction in ("music2dance", "dance2music"):
        argv = ["retrieve", "--index", out, "--query", query, "--direction", direction]
        assert cli([*argv, "--top-k", 5, "--json", "--cache", cache]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["query"] == str(query) and len(doc["results"]) == 5
        scores = [r["score"] for r in doc["results"]]
        assert scores == sorted(scores, reverse=True)
        assert all({"file", "start_s", "duration_s", "score"} <= set(r) for r in doc["results"])
        assert all(str(synthetic_videos) in r["file"] for r in doc["results"])
        # the query is one of the indexed videos: its own clips are left out, and said so
        assert doc["left_out"] == [str(query)]
        assert str(query) not in {r["file"] for r in doc["results"]}
    # a copy of it elsewhere (the same bytes) is the same file
    copy = built[2] / "copy.mp4"
    copy.write_bytes(query.read_bytes())
    argv = ["retrieve", "--index", out, "--query", copy, "--cache", cache, "--direction"]
    assert cli([*argv, "dance2music"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == f"left out: the clips of {query} (the query file itself)"
    assert all(not line.endswith(str(query)) for line in lines[3:])
    index = Index.load(out)
    assert index.meta["checkpoint"] == str(debug_checkpoint.resolve())
    assert len(index.sides["dance"]) == len(index.sides["music"]) == 12


def test_cli_silent_index_and_song_queries(
    capsys, built, debug_checkpoint, video_no_audio, audio_wav
):
    _, cache, root = built
    out = root / "silent"
    argv = ["index", "build", video_no_audio, "--out", out, "--quiet", "--cache", cache]
    assert cli([*argv, "--checkpoint", debug_checkpoint]) == 0
    assert "dance side" in capsys.readouterr().out
    query = ["retrieve", "--index", out, "--query", audio_wav, "--cache", cache]
    assert cli([*query, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["file"] == str(video_no_audio)
    assert cli([*query, "--direction", "dance2music"]) == 2
    assert "needs a query with pictures" in capsys.readouterr().err


def test_cli_index_from_embeddings_needs_the_model(
    capsys, built, debug_checkpoint, synthetic_videos
):
    out, cache, root = built
    emb_path = root / "emb.npz"
    index = Index.load(out)  # an EMB.npz of the same sizes as the debug model's
    rng = np.random.default_rng(0)
    emb = make_set(rng, n=4, e=index.dim, t=index.n_frames)
    emb.save(emb_path)
    idx2 = root / "from-emb"
    assert cli(["index", "build", emb_path, "--out", idx2]) == 0
    assert "does not record the model" in capsys.readouterr().err
    query = sorted(synthetic_videos.rglob("*.mp4"))[0]
    argv = ["retrieve", "--index", idx2, "--query", query, "--cache", cache]
    assert cli(argv) == 2
    assert "give --checkpoint" in capsys.readouterr().err
    assert cli([*argv, "--checkpoint", debug_checkpoint, "--top-k", 2]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{query}: music2dance") and len(lines) == 4
    # a model other than the index's is refused
    other = root / "other.pt"
    other.write_bytes(debug_checkpoint.read_bytes() + b"x")
    assert cli(["retrieve", "--index", out, "--query", query, "--checkpoint", other]) == 2
    assert "not the model the index was built with" in capsys.readouterr().err
    assert cli([*argv, "--checkpoint", debug_checkpoint, "--lambda", 1.5]) == 2
    assert "--lambda must be in [0, 1]" in capsys.readouterr().err
    assert cli(["index", "build", emb_path, query, "--out", idx2]) == 2
    assert cli(["retrieve", "--index", root / "nope", "--query", query]) == 2
