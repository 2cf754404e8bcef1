"""``mudar.pipelines.sync``: where the repaired videos go (the estimate is tested through
``mudar sync`` in tests/cli/test_sync_cli.py)."""

import pytest

from mudar.errors import InputError, ParameterError
from mudar.pipelines.sync import fixed_paths


def test_one_file_goes_to_the_name_given(tmp_path):
    assert fixed_paths(["a/v.avi"], str(tmp_path / "x.mkv")) == {"a/v.avi": tmp_path / "x.mkv"}
    with pytest.raises(ParameterError, match="expected a video file name"):
        fixed_paths(["v.mp4"], str(tmp_path / "x.avi"))
    with pytest.raises(InputError, match="no such directory"):
        fixed_paths(["v.mp4"], str(tmp_path / "no" / "x.mp4"))


def test_several_files_go_into_a_folder_under_their_names(tmp_path):
    out = tmp_path / "out"
    got = fixed_paths(["a/v.mp4", "b/v.mp4", "c/w.avi"], str(out))
    assert got == {"a/v.mp4": out / "a-v.mp4", "b/v.mp4": out / "b-v.mp4", "c/w.avi": out / "w.mkv"}
    assert out.is_dir()
    with pytest.raises(ParameterError, match="must be a folder"):
        fixed_paths(["a.mp4", "b.mp4"], str(tmp_path / "x.mp4"))
