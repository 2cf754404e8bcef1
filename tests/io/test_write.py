"""Writing videos and audio, read back with mudar.io: counts, timing, sync, rotation, atomicity."""

from __future__ import annotations

import struct

import av
import numpy as np
import pytest
import soundfile as sf

import media_factory as mf
from mudar.errors import InputError, ParameterError
from mudar.io import iter_frames, load_audio, probe
from mudar.io.write import TICKS, write_audio, write_video


def _frames(n: int, h: int = 48, w: int = 64):
    for k in range(n):
        img = np.zeros((h, w, 3), np.uint8)
        img[:, k % w] = 255
        yield img


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_frames_and_audio_read_back_on_the_clock(tmp_path):
    # 2 s at 25 fps read at 8 fps: 16 frames, each showing the source frame nearest k/8 s
    path = mf.make_bar_video(tmp_path, "bar.mp4", duration_s=2.0, fps=25.0)
    frames = list(iter_frames(path, fps=8, size=mf.BAR_W, aspect="squash", gray=True))
    assert len(frames) == 16
    shown = np.array([mf.bar_time(f) for f in frames])
    np.testing.assert_allclose(shown, np.arange(16) / 8, atol=0.5 / 25 + 1.5 / mf.BAR_SPEED)
    y = load_audio(path, sr=16000)
    assert abs(len(y) / 16000 - 2.0) < 1 / 8  # AAC pads the last packet: within a frame
    info = probe(path)
    assert (info.width, info.height, info.rotation) == (mf.BAR_W, mf.BAR_H, 0)
    assert info.native_fps == pytest.approx(25.0)
    assert info.duration_s == pytest.approx(2.0, abs=0.05)


def test_audio_stays_in_sync(tmp_path):
    sr = 22050
    y = np.zeros(2 * sr, np.float32)
    y[sr : sr + 40] = 0.9  # a click at 1.0 s
    path = write_video(tmp_path / "sync.mp4", _frames(50), fps=25, audio=y, sr=sr)
    a = load_audio(path, sr=16000)
    assert np.argmax(np.abs(a)) / 16000 == pytest.approx(1.0, abs=0.005)


def test_stereo_audio(tmp_path):
    y = np.stack([mf.tone(1.0), np.zeros(mf.SR, np.float32)], axis=1)
    path = write_video(tmp_path / "st.mkv", _frames(25), fps=25, audio=y, sr=mf.SR)
    with av.open(str(path)) as c:
        assert c.streams.audio[0].codec_context.channels == 2
    assert abs(len(load_audio(path, sr=16000)) - 16000) < 2000


def _tkhd_matrix(path) -> tuple[float, ...]:
    """(a, b, c, d) of the video track header's matrix, from the mp4 bytes."""
    data = path.read_bytes()
    i = data.index(b"tkhd")
    version = data[i + 4]
    off = i + 8 + (32 if version == 1 else 20) + 16
    m = struct.unpack(">9i", data[off : off + 36])
    return tuple(v / 65536 for v in (m[0], m[1], m[3], m[4]))


# rotation (degrees counter-clockwise) -> corner where the coded top-left marker is displayed
CORNERS = {
    0: ("top", "left"),
    90: ("bottom", "left"),
    -90: ("top", "right"),
    180: ("bottom", "right"),
}


def _marker_corner(img: np.ndarray) -> tuple[str, str]:
    red = (img[..., 0] > 160) & (img[..., 1] < 100)
    ys, xs = np.nonzero(red)
    h, w = red.shape
    return ("top" if ys.mean() < h / 2 else "bottom", "left" if xs.mean() < w / 2 else "right")


@pytest.mark.parametrize("rotation", [0, 90, -90, 180])
def test_rotation_reads_back_in_display_orientation(tmp_path, rotation):
    path = mf.make_rotated_video(tmp_path, f"r{rotation}.mp4", rotation=rotation, duration_s=0.2)
    with av.open(str(path)) as c:
        frame = next(c.decode(video=0))
        assert (frame.width, frame.height) == (320, 240)  # coded landscape
        assert round(frame.rotation) % 360 == rotation % 360
    info = probe(path)
    assert info.rotation % 360 == rotation % 360
    portrait = rotation in (90, -90)
    assert (info.width, info.height) == ((240, 320) if portrait else (320, 240))
    img = next(iter_frames(path, fps=8, size=64, aspect="squash"))
    assert _marker_corner(img) == CORNERS[rotation]
    # with "pad" the portrait picture keeps its aspect: black bars left and right
    padded = next(iter_frames(path, fps=8, size=64, aspect="pad"))
    if portrait:
        assert padded[:, :4].max() == 0 and padded[:, -4:].max() == 0


def test_phone_rotation_is_the_iphone_matrix(tmp_path):
    # an upright phone writes [[0, 1], [-1, 0]]: turn the landscape sensor picture clockwise
    path = mf.make_rotated_video(tmp_path, "phone.mp4", rotation=-90, duration_s=0.2)
    assert _tkhd_matrix(path) == (0.0, 1.0, -1.0, 0.0)


def test_vfr_timestamps_are_kept(tmp_path):
    pts = mf.vfr_times(seed=3, duration_s=1.0)
    path = write_video(tmp_path / "vfr.mp4", (mf.bar_frame(t) for t in pts), fps=30, pts_s=pts)
    with av.open(str(path)) as c:
        times = [float(f.time) for f in c.decode(video=0)]
    np.testing.assert_allclose(times, pts, atol=1.0 / TICKS)


@pytest.mark.parametrize(
    ("name", "codec"),
    [("a.mp4", "h264"), ("a.mov", "h264"), ("a.mkv", "h264"), ("m.mkv", "mjpeg"), ("v.mp4", "vp9")],
)
def test_containers_and_codecs(tmp_path, name, codec):
    path = write_video(
        tmp_path / name, _frames(20), fps=10, audio=mf.tone(2.0), sr=mf.SR, codec=codec
    )
    with av.open(str(path)) as c:
        assert c.streams.video[0].codec_context.name == codec
    info = probe(path)
    assert info.has_audio and info.duration_s == pytest.approx(2.0, abs=0.06)
    assert len(list(iter_frames(path, fps=8, size=32))) == 16


def test_frames_are_streamed(tmp_path):
    # a generator is consumed lazily: nothing requires the frames to be held
    seen = []

    def gen():
        for img in _frames(10):
            seen.append(1)
            yield img

    write_video(tmp_path / "g.mp4", gen(), fps=25)
    assert len(seen) == 10


def test_failure_leaves_nothing_behind(tmp_path):
    def broken():
        yield from _frames(5)
        raise RuntimeError("camera unplugged")

    with pytest.raises(RuntimeError, match="camera unplugged"):
        write_video(tmp_path / "x.mp4", broken(), fps=25)
    assert not (tmp_path / "x.mp4").exists() and _leftovers(tmp_path) == []


def test_failure_keeps_the_old_file(tmp_path):
    dest = write_video(tmp_path / "x.mp4", _frames(5), fps=25)
    before = dest.read_bytes()
    bad = [np.zeros((48, 64, 3), np.uint8), np.zeros((50, 64, 3), np.uint8)]
    with pytest.raises(ParameterError, match="differs"):
        write_video(dest, bad, fps=25)
    assert dest.read_bytes() == before and _leftovers(tmp_path) == []


def test_overwrite_and_no_temp_files(tmp_path):
    write_video(tmp_path / "x.mp4", _frames(5), fps=25)
    write_video(tmp_path / "x.mp4", _frames(10), fps=25)
    assert len(list(iter_frames(tmp_path / "x.mp4", fps=25, size=16))) == 10
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"frames": list(_frames(3, h=47))}, "even"),
        ({"frames": [np.zeros((48, 64, 3), np.float32)]}, "uint8"),
        ({"frames": [np.zeros((48, 64), np.uint8)]}, "shape"),
        ({"frames": []}, "no frames"),
        ({"fps": 0}, "fps"),
        ({"rotation": 45}, "rotation"),
        ({"codec": "av1"}, "codec"),
        ({"pts_s": [0.0, 0.1, 0.1, 0.2, 0.3]}, "increase"),
        ({"pts_s": [0.0, 0.1]}, "fewer"),
        ({"pts_s": [-1.0, 0.1, 0.2, 0.3, 0.4]}, ">= 0"),
        ({"audio": mf.tone(1.0), "sr": None}, "sr"),
        ({"audio": mf.tone(1.0), "sr": 22000}, "AAC"),
        ({"audio": np.zeros((3, 100), np.float32), "sr": 16000}, "shape"),
        ({"audio": np.zeros(100, np.int16), "sr": 16000}, "floating"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, match):
    args = {"frames": list(_frames(5)), "fps": 25} | kwargs
    frames = args.pop("frames")
    with pytest.raises(ParameterError, match=match):
        write_video(tmp_path / "x.mp4", frames, **args)
    assert list(tmp_path.iterdir()) == []


def test_bad_destinations(tmp_path):
    with pytest.raises(ParameterError, match="extension"):
        write_video(tmp_path / "x.avi", _frames(2), fps=25)
    with pytest.raises(ParameterError, match="vp9"):
        write_video(tmp_path / "x.mov", _frames(2), fps=25, codec="vp9")
    with pytest.raises(InputError, match="no such directory"):
        write_video(tmp_path / "nope" / "x.mp4", _frames(2), fps=25)
    (tmp_path / "d.mp4").mkdir()
    with pytest.raises(InputError, match="directory"):
        write_video(tmp_path / "d.mp4", _frames(2), fps=25)


@pytest.mark.parametrize("ext", [".wav", ".flac", ".ogg"])
def test_write_audio_round_trip(tmp_path, ext):
    y = mf.tone(1.0, sr=16000)
    path = write_audio(tmp_path / f"t{ext}", y, sr=16000)
    back = load_audio(path, sr=16000)
    assert abs(len(back) - len(y)) <= 1
    if ext != ".ogg":  # lossless: equal up to 16-bit rounding
        np.testing.assert_allclose(back[: len(y)], y[: len(back)], atol=1e-4)
    assert _leftovers(tmp_path) == []


def test_write_audio_float_subtype_and_clipping(tmp_path):
    y = np.array([0.0, 0.5, 1.5, -2.0], np.float32)
    back, _ = sf.read(write_audio(tmp_path / "c.wav", y, sr=8000), dtype="float32")
    assert back.max() <= 1.0 and back.min() >= -1.0
    back, _ = sf.read(write_audio(tmp_path / "f.wav", y, sr=8000, subtype="FLOAT"))
    np.testing.assert_allclose(back, y)


def test_write_audio_errors(tmp_path):
    with pytest.raises(ParameterError, match="extension"):
        write_audio(tmp_path / "x.aiff", mf.tone(0.1), sr=16000)
    with pytest.raises(ParameterError, match="sr"):
        write_audio(tmp_path / "x.wav", mf.tone(0.1), sr=0)
    with pytest.raises(InputError):
        write_audio(tmp_path / "nope" / "x.wav", mf.tone(0.1), sr=16000)
    assert list(tmp_path.iterdir()) == []


def test_a_long_ogg_is_written_whole(tmp_path):
    # libsndfile 1.2's Vorbis encoder crashed the process on a 112 s song given in one call
    import soundfile as sf

    from mudar.io.write import write_audio

    sr = 22050
    t = np.arange(int(115 * sr)) / sr
    out = write_audio(tmp_path / "long.ogg", 0.3 * np.sin(2 * np.pi * 440 * t), sr=sr)
    info = sf.info(str(out))
    assert info.samplerate == sr and abs(info.duration - 115) < 0.1
