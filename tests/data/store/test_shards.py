"""WebDataset shards of prepared features, and a stream that splits them across DDP ranks."""

import json
import os
import socket

import numpy as np
import pytest

pytest.importorskip("webdataset", reason="webdataset (the cluster extra) is not installed")

import torch.distributed as dist  # noqa: E402
import torch.multiprocessing as mp  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

from mudar.cli.main import main  # noqa: E402
from mudar.data.clips.stream import VideoStream, index_clips  # noqa: E402
from mudar.data.store.cache import FeatureCache  # noqa: E402
from mudar.data.store.prepare import load_manifest, prepare  # noqa: E402
from mudar.data.store.shards import SHARDS, ShardIndex, write_shards  # noqa: E402
from mudar.errors import InputError  # noqa: E402
from mudar.features.analysis import AnalysisConfig  # noqa: E402
from mudar.synthetic.video import make_dataset  # noqa: E402

CONFIG = AnalysisConfig(size=64, frame_size=16)


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    root = tmp_path_factory.mktemp("shards")
    make_dataset(root / "data", n=6, seed=7, duration_s=2.0, label_file="meta")
    prepare(root / "data", root / "features", config=CONFIG, progress=False)
    return root / "features"


def test_shards_hold_every_video_bit_for_bit(features):
    folder = write_shards(features, max_bytes=1, progress=False)  # one video per shard
    index = ShardIndex.load(features)
    assert index.root == folder and len(index.shards) == 6
    assert not list(folder.glob(".*.tmp"))
    items = load_manifest(features)
    assert sorted(index.video_ids) == [it["id"] for it in items]
    cache = FeatureCache(features)
    seen = {vid: a for vid, a, _ in VideoStream(folder, buffer=0)}
    for it in items:
        want = cache.load(features / it["entry"]).to_arrays()
        got = seen[it["id"]].to_arrays()
        for k in want:
            if k != "meta":
                np.testing.assert_array_equal(got[k], want[k], err_msg=k)
    clips = index_clips(index, fps=8.0, clip_s=1.0, hop_s=0.5)
    assert len(clips) == 6 * 3  # 2 s videos, 1 s clips every 0.5 s


def test_seeded_shuffle_changes_with_the_epoch_and_repeats_with_the_seed(features):
    write_shards(features, max_bytes=1, progress=False)
    s = VideoStream(features, seed=3, buffer=3)
    first = [v for v, _, _ in s]
    assert [v for v, _, _ in VideoStream(features, seed=3, buffer=3)] == first
    s.set_epoch(1)
    second = [v for v, _, _ in s]
    assert sorted(second) == sorted(first) and second != first


def test_dataloader_workers_read_disjoint_shards(features):
    write_shards(features, max_bytes=1, progress=False)
    loader = DataLoader(VideoStream(features, buffer=2), batch_size=None, num_workers=2)
    ids = [v for v, _, _ in loader]
    assert sorted(ids) == sorted(ShardIndex.load(features).video_ids)


def _rank(rank: int, world: int, port: int, root: str, out: str) -> None:
    os.environ.pop("RANK", None), os.environ.pop("WORLD_SIZE", None)
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world
    )
    try:
        ids = [v for v, _, _ in VideoStream(root, seed=1, buffer=2)]
        every: list = [None] * world
        dist.all_gather_object(every, ids)
        if rank == 0:
            with open(out, "w") as f:
                json.dump(every, f)
    finally:
        dist.destroy_process_group()


def test_two_ddp_ranks_see_disjoint_videos_that_cover_the_set(features, tmp_path):
    write_shards(features, max_bytes=1, progress=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "seen.json"
    mp.spawn(_rank, args=(2, port, str(features), str(out)), nprocs=2, join=True)
    a, b = json.loads(out.read_text())
    assert a and b and not set(a) & set(b)
    assert sorted(a + b) == sorted(ShardIndex.load(features).video_ids)


def test_cli_prepare_format_shards_and_a_missing_index(tmp_path, capsys):
    make_dataset(tmp_path / "data", n=2, seed=1, duration_s=2.0, label_file="meta")
    args = ["prepare", str(tmp_path / "data"), "--out", str(tmp_path / "f"), "--no-progress"]
    assert main([*args, "--format", "shards", "--frame-size", "16", "--jobs", "1"]) == 0
    assert "2 video(s) in 1 shard(s)" in capsys.readouterr().err
    assert ShardIndex.load(tmp_path / "f" / SHARDS).video_ids
    assert main([*args, "--format", "shards", "--shard-mb", "0"]) == 2
    assert "--shard-mb must be positive" in capsys.readouterr().err
    with pytest.raises(InputError, match="no index.json"):
        ShardIndex.load(tmp_path / "data")


def _clip_rank(rank, world, port, root, out, ids):
    from mudar.data.clips.stream import ShardClips
    from mudar.models.presets import get_preset

    os.environ.pop("RANK", None), os.environ.pop("WORLD_SIZE", None)
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world
    )
    try:
        p = get_preset("mudar", "debug")
        clips = ShardClips(root, ids, p.model, p.train, videos_per_set=2)
        seen = [(int(x["video"]), int(x["start"])) for x in clips]
        every: list = [None] * world
        dist.all_gather_object(every, seen)
        if rank == 0:
            with open(out, "w") as f:
                json.dump(every, f)
    finally:
        dist.destroy_process_group()


@pytest.fixture(scope="module")
def debug_features(tmp_path_factory):
    """Eight 6 s dances prepared on the debug preset's clock, one per shard."""
    from mudar.models.presets import get_preset

    root = tmp_path_factory.mktemp("debug-shards")
    make_dataset(root / "data", n=8, seed=9, duration_s=6.0, label_file="meta")
    config = get_preset("mudar", "debug").model.analysis_config()
    prepare(root / "data", root / "features", config=config, progress=False)
    write_shards(root / "features", max_bytes=1, progress=False)
    return root / "features"


def test_two_ddp_ranks_train_on_disjoint_clips_that_cover_the_set(debug_features, tmp_path):
    from mudar.models.presets import get_preset

    p = get_preset("mudar", "debug")
    index = ShardIndex.load(debug_features)
    ids = index.video_ids
    every = index_clips(index, fps=p.model.fps, clip_s=p.model.clip_s, hop_s=p.train.clip_hop_s)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "clips.json"
    mp.spawn(_clip_rank, args=(2, port, str(debug_features), str(out), ids), nprocs=2, join=True)
    a, b = ([tuple(c) for c in r] for r in json.loads(out.read_text()))
    assert len(a) == len(b) > 0  # ranks step together
    assert not set(a) & set(b) and len(set(a)) == len(a)  # no clip twice in the epoch
    want = {(ids.index(v), start) for v, start in every}
    assert set(a) | set(b) == want  # equal shards: together, every clip


def test_mudar_train_streams_the_shards(debug_features, tmp_path, capsys):
    code = main(
        [
            "train", "--data", str(debug_features), "--out", str(tmp_path / "run"),
            "--preset", "debug", "--epochs", "1", "--stream", "--no-progress",
        ]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / "run" / "model.pt").is_file()
    assert "trained 1 epochs on" in capsys.readouterr().err
