"""``retarget_files(on_progress=...)``: the share of frames encoded, and a stop that leaves no
file (the web page's progress bar and cancel)."""

from __future__ import annotations

import pytest

from mudar.pipelines.method import analysis_setup
from mudar.pipelines.retarget import retarget_files
from mudar.pipelines.retarget_options import RetargetOptions
from mudar.synthetic.video import make_clip

SETTINGS = dict(
    options=RetargetOptions(
        method="shift",
        dance_method="hoof-flux",
        music_rhythm="onsets",
        resample="nearest",
        min_speed=0.5,
        max_speed=2.0,
        sigma_s=0.1,
    ),
    progress=False,
)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("retarget_progress")
    dance = make_clip(folder, name="dance", tempo_bpm=120.0, duration_s=3.0, seed=0)
    song = make_clip(folder, name="song", tempo_bpm=100.0, duration_s=3.0, seed=1)
    return dance.path, song.path


def test_progress_rises_to_one(pair, tmp_path):
    shares = []
    config, _ = analysis_setup("hoof-flux")
    out = tmp_path / "out.mp4"
    retarget_files(*pair, out, config=config, on_progress=shares.append, **SETTINGS)
    assert out.is_file() and len(shares) > 3
    assert shares == sorted(shares) and shares[0] == 0.0 and shares[-1] == 1.0


def test_an_exception_from_progress_stops_and_writes_nothing(pair, tmp_path):
    class Stop(Exception):
        pass

    def stop_half_way(share):
        if share > 0.5:
            raise Stop

    config, _ = analysis_setup("hoof-flux")
    out = tmp_path / "out.mp4"
    with pytest.raises(Stop):
        retarget_files(*pair, out, config=config, on_progress=stop_half_way, **SETTINGS)
    assert list(tmp_path.iterdir()) == []
