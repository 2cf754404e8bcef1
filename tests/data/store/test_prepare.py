"""`mudar prepare`: parallel, resumable, sharded, atomic; bad files skipped and reported."""

import json
import shutil

import numpy as np
import pytest

from mudar.cli.main import main
from mudar.clock import FrameClock
from mudar.data.store.cache import FeatureCache
from mudar.data.store.prepare import load_manifest, parse_shard, prepare
from mudar.errors import InputError, ParameterError
from mudar.features.analysis import AnalysisConfig
from mudar.synthetic.video import make_dataset

CONFIG = AnalysisConfig(size=64, frame_size=32)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("dataset")
    make_dataset(root, n=4, seed=0, duration_s=2.0, label_file="meta")
    bad = root / "broken"
    bad.mkdir()
    (bad / "video.mp4").write_text("not a video")
    return root


def test_prepare_extracts_skips_and_resumes(dataset, tmp_path):
    out = tmp_path / "features"
    report = prepare(dataset, out, config=CONFIG, jobs=2, progress=False)
    assert len(report.done) == 4 and report.cached == 0
    assert [p for p, _ in report.skipped] == [str(dataset / "broken" / "video.mp4")]
    assert "not a media file" in report.skipped[0][1]
    assert "4 file(s) ready" in report.summary() and "1 skipped" in report.summary()

    items = load_manifest(out)
    assert [it["label"] for it in items] == [it["label"] for it in report.done]
    assert all(it["label"] for it in items)
    a = FeatureCache(out).load(out / items[0]["entry"])
    n = a.n_frames
    assert n == items[0]["n_frames"] > 0
    assert a.dance.hoof.shape == (n, 32) and a.music.onsets.shape == (n,)
    assert a.frames.shape == (n, 32, 32, 3) and a.frames.dtype == np.uint8
    assert not list(out.rglob(".*.part"))

    again = prepare(dataset, out, config=CONFIG, jobs=1, progress=False)
    assert again.cached == 4 and len(again.skipped) == 1


def test_changed_parameters_are_new_entries(dataset, tmp_path):
    video = next(dataset.rglob("video.mp4"))
    cache = FeatureCache(tmp_path)
    other = AnalysisConfig(size=64, frame_size=32, clock=FrameClock(fps=10))
    assert cache.entry(video, CONFIG) != cache.entry(video, other)
    # a renamed copy is the same content, so the same entry
    copy = tmp_path / "renamed.mp4"
    shutil.copy(video, copy)
    assert cache.entry(copy, CONFIG).name == cache.entry(video, CONFIG).name


def test_shards_split_the_dataset(dataset, tmp_path):
    out = tmp_path / "features"
    ids = []
    for i in range(2):
        r = prepare(dataset, out, config=CONFIG, shard=(i, 2), progress=False)
        ids += [d["id"] for d in r.done]
    assert len(ids) == len(set(ids)) == 4
    assert len(load_manifest(out)) == 4
    assert len(list((out / "manifests").glob("*.json"))) == 2


def test_parse_shard():
    assert parse_shard("3/8") == (3, 8)
    for bad in ("8/8", "x", "1/0", "-1/2"):
        with pytest.raises(ParameterError):
            parse_shard(bad)


def test_a_new_features_version_misses_the_cache(dataset, tmp_path, monkeypatch):
    # features made by older analysis code (other beats) are recomputed, not read
    import mudar.features.analysis as analysis

    out = tmp_path / "features"
    first = prepare(dataset, out, config=CONFIG, jobs=1, progress=False)
    assert len(first.done) == 4 and first.cached == 0
    assert all(
        json.loads(f.read_text())["features_version"] == analysis.FEATURES_VERSION
        for f in (out / "manifests").glob("*.json")
    )
    video = load_manifest(out)[0]["path"]
    before = FeatureCache(out).entry(video, CONFIG)
    assert before.is_file()
    monkeypatch.setattr(analysis, "FEATURES_VERSION", analysis.FEATURES_VERSION + 1)
    after = FeatureCache(out).entry(video, CONFIG)
    assert after != before and not after.is_file()
    again = prepare(dataset, out, config=CONFIG, jobs=1, progress=False)
    assert again.cached == 0 and len(again.done) == 4
    assert after.is_file()


def test_the_bench_refuses_features_of_another_analysis_version(dataset, tmp_path, monkeypatch):
    import mudar.features.analysis as analysis
    from mudar.pipelines.bench.data import prepared_features

    out = tmp_path / "features"
    prepare(dataset, out, config=CONFIG, jobs=1, progress=False)
    assert prepared_features(out, tmp_path / "unused", config=CONFIG) == out
    monkeypatch.setattr(analysis, "FEATURES_VERSION", analysis.FEATURES_VERSION + 1)
    monkeypatch.setattr("mudar.pipelines.bench.data.FEATURES_VERSION", analysis.FEATURES_VERSION)
    with pytest.raises(ParameterError, match="another version of mudar's analysis"):
        prepared_features(out, tmp_path / "unused", config=CONFIG)


def test_unreadable_cache_entry_is_recomputed(dataset, tmp_path):
    video = next(dataset.rglob("video.mp4"))
    cache = FeatureCache(tmp_path)
    entry = cache.entry(video, CONFIG)
    entry.parent.mkdir(parents=True)
    entry.write_bytes(b"half-written")
    assert cache.load(entry) is None


def test_cli_prepare(dataset, tmp_path, capsys):
    out = tmp_path / "f"
    code = main(
        [
            "prepare",
            str(dataset),
            "--out",
            str(out),
            "--size",
            "64",
            "--frame-size",
            "0",
            "--jobs",
            "1",
            "--no-progress",
        ]
    )
    err = capsys.readouterr().err
    assert code == 0
    assert "4 file(s) ready" in err and "skipped" in err and "broken" in err
    doc = json.loads(next((out / "manifests").glob("*.json")).read_text())
    assert doc["config"]["frame_size"] == 0 and len(doc["items"]) == 4

    only_bad = tmp_path / "bad"
    (only_bad / "x").mkdir(parents=True)
    (only_bad / "x" / "video.mp4").write_text("nope")
    code = main(["prepare", str(only_bad), "--out", str(tmp_path / "g"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"mudar: error: {only_bad / 'x' / 'video.mp4'}: not a")
    assert err.count("\n") == 1


def test_load_manifest_needs_prepare(tmp_path):
    with pytest.raises(InputError, match="mudar prepare"):
        load_manifest(tmp_path)
