"""A new sound track under an untouched video stream: packets copied, audio placed, atomic."""

from __future__ import annotations

import av
import numpy as np
import pytest

import media_factory as mf
from mudar.errors import InputError, ParameterError
from mudar.io import iter_frames, probe
from mudar.io.audio import load_audio_track
from mudar.io.remux import remux_with_audio
from mudar.io.write import write_video


def video_packets(path):
    """(bytes, pts, dts, time) of every video packet."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return [
            (bytes(p), p.pts, p.dts, float(p.pts * p.time_base))
            for p in c.demux(s)
            if p.dts is not None
        ]


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_video_packets_are_copied_and_audio_is_placed_at_time_zero(tmp_path, bar_video):
    sr = 22050
    y = np.zeros(2 * sr, np.float32)
    y[sr : sr + 40] = 0.9  # a click at 1.0 s
    out = remux_with_audio(bar_video, tmp_path / "out.mp4", y, sr=sr)
    assert video_packets(out) == video_packets(bar_video)
    back, rate = load_audio_track(out)
    assert rate == sr and back.shape == (len(y), 1)
    assert np.argmax(np.abs(back[:, 0])) / sr == pytest.approx(1.0, abs=0.002)
    a, b = probe(bar_video), probe(out)
    assert (b.duration_s, b.native_fps, b.width, b.height) == (
        a.duration_s,
        a.native_fps,
        a.width,
        a.height,
    )


def test_a_track_read_and_written_back_is_the_same(tmp_path, non_ascii_video):
    y, sr = load_audio_track(non_ascii_video)
    out = remux_with_audio(non_ascii_video, tmp_path / "same.mkv", y, sr=sr)
    back, _ = load_audio_track(out)
    n = min(len(y), len(back))
    assert abs(len(back) - len(y)) <= 1024  # mkv keeps no exact duration: one AAC frame
    assert np.abs(back[:n] - y[:n]).max() < 0.02  # AAC again, and not a sample shifted


def test_rotation_and_stereo_are_kept(tmp_path, rotated_video):
    y = np.stack([mf.tone(1.0), np.zeros(mf.SR, np.float32)], axis=1)
    out = remux_with_audio(rotated_video, tmp_path / "phone.mov", y, sr=mf.SR)
    info = probe(out)
    assert (info.rotation, info.width, info.height) == (-90, 240, 320)
    back, _ = load_audio_track(out)
    assert back.shape[1] == 2 and np.abs(back[:, 1]).max() < 0.01
    frames = list(iter_frames(out, fps=8, size=32))
    assert all(
        np.array_equal(f, g)
        for f, g in zip(frames, iter_frames(rotated_video, fps=8, size=32), strict=True)
    )


def test_load_audio_track_keeps_rate_and_channels(video_no_audio, bar_video):
    assert load_audio_track(video_no_audio) is None
    y, sr = load_audio_track(bar_video)
    assert sr == mf.SR and y.ndim == 2 and y.shape[1] == 1
    y16, sr16 = load_audio_track(bar_video, sr=16000)
    assert sr16 == 16000 and abs(len(y16) - 32000) < 200


def test_bad_inputs(tmp_path, bar_video, audio_wav, missing_path):
    y = np.zeros(1000, np.float32)
    with pytest.raises(InputError, match="no video"):
        remux_with_audio(audio_wav, tmp_path / "a.mp4", y, sr=mf.SR)
    with pytest.raises(InputError, match="no such file"):
        remux_with_audio(missing_path, tmp_path / "b.mp4", y, sr=mf.SR)
    with pytest.raises(InputError, match="input file"):
        remux_with_audio(bar_video, bar_video, y, sr=mf.SR)
    with pytest.raises(InputError, match="no such directory"):
        remux_with_audio(bar_video, tmp_path / "nope" / "c.mp4", y, sr=mf.SR)
    with pytest.raises(ParameterError, match="extension"):
        remux_with_audio(bar_video, tmp_path / "d.avi", y, sr=mf.SR)
    with pytest.raises(ParameterError, match="AAC"):
        remux_with_audio(bar_video, tmp_path / "e.mp4", y, sr=12345)
    with pytest.raises(ParameterError, match="shape"):
        remux_with_audio(bar_video, tmp_path / "f.mp4", np.zeros((10, 3), np.float32), sr=mf.SR)
    assert not list(tmp_path.iterdir())


def test_a_codec_the_container_cannot_hold_leaves_nothing(tmp_path):
    frames = (mf.bar_frame(k / 25) for k in range(25))
    src = write_video(tmp_path / "vp9.mkv", frames, fps=25, codec="vp9")
    with pytest.raises(ParameterError, match="try .mkv"):
        remux_with_audio(src, tmp_path / "out.mov", np.zeros(1000, np.float32), sr=mf.SR)
    assert not (tmp_path / "out.mov").exists() and _leftovers(tmp_path) == []
