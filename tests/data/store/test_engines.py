"""`mudar prepare --engine ray`: the same per-file work on a local Ray, the same features."""

import numpy as np
import pytest

from mudar.data.store.cache import FeatureCache
from mudar.data.store.engines import run_tasks
from mudar.data.store.prepare import load_manifest, prepare
from mudar.errors import ParameterError
from mudar.features.analysis import AnalysisConfig
from mudar.synthetic.video import make_dataset

CONFIG = AnalysisConfig(size=64, frame_size=32)


def _square(x):
    return (str(x), "done", x * x)


def test_unknown_engine_and_address_without_ray():
    with pytest.raises(ParameterError, match="unknown engine"):
        list(run_tasks(_square, [(1,)], engine="spark"))
    with pytest.raises(ParameterError, match="--address needs --engine ray"):
        list(run_tasks(_square, [(1,)], address="auto"))


def test_ray_and_local_engines_write_identical_features(tmp_path):
    pytest.importorskip("ray", reason="ray (the cluster extra) is not installed")
    data = tmp_path / "data"
    make_dataset(data, n=3, seed=5, duration_s=2.0, label_file="meta")
    (data / "broken").mkdir()
    (data / "broken" / "video.mp4").write_text("not a video")
    local = prepare(data, tmp_path / "local", config=CONFIG, jobs=2, progress=False)
    ray_run = prepare(data, tmp_path / "ray", config=CONFIG, jobs=2, progress=False, engine="ray")
    assert len(ray_run.done) == len(local.done) == 3
    assert [p for p, _ in ray_run.skipped] == [p for p, _ in local.skipped]
    a_items, b_items = load_manifest(tmp_path / "local"), load_manifest(tmp_path / "ray")
    assert [i["id"] for i in a_items] == [i["id"] for i in b_items]
    a_cache, b_cache = FeatureCache(tmp_path / "local"), FeatureCache(tmp_path / "ray")
    for ia, ib in zip(a_items, b_items, strict=True):
        assert ia["entry"] == ib["entry"]  # same key
        fa = a_cache.load(tmp_path / "local" / ia["entry"]).to_arrays()
        fb = b_cache.load(tmp_path / "ray" / ib["entry"]).to_arrays()
        assert set(fa) == set(fb)
        for k in fa:
            if k != "meta":
                np.testing.assert_array_equal(fa[k], fb[k], err_msg=k)
    again = prepare(data, tmp_path / "ray", config=CONFIG, jobs=2, progress=False, engine="ray")
    assert again.cached == 3  # resumable: nothing recomputed
