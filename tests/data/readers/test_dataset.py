import json

import pytest

from mudar.data.readers.dataset import find_videos
from mudar.errors import InputError


def _touch(p):
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(b"x")
    return p


def test_labels_from_meta_json(tmp_path):
    _touch(tmp_path / "a" / "video.mp4")
    (tmp_path / "a" / "meta.json").write_text(json.dumps({"id": "a", "genre": "waltz"}))
    _touch(tmp_path / "b" / "clip.MOV")
    _touch(tmp_path / "notes.txt")
    items = find_videos(tmp_path)
    assert [(i.id, i.label) for i in items] == [("a/video", "waltz"), ("b/clip", None)]


def test_labels_from_csv(tmp_path):
    _touch(tmp_path / "x.mp4")
    _touch(tmp_path / "sub" / "y.webm")
    (tmp_path / "labels.csv").write_text("path,label\nx.mp4,tango\nsub/y.webm,rumba\n")
    assert [(i.id, i.label) for i in find_videos(tmp_path)] == [("sub/y", "rumba"), ("x", "tango")]


def test_bad_dataset_folders(tmp_path):
    with pytest.raises(InputError, match="not a directory"):
        find_videos(tmp_path / "missing")
    with pytest.raises(InputError, match="no video files"):
        find_videos(tmp_path)
    _touch(tmp_path / "x.mp4")
    (tmp_path / "labels.csv").write_text("file,genre\nx.mp4,tango\n")
    with pytest.raises(InputError, match="path,label"):
        find_videos(tmp_path)
