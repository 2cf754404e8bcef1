"""Reading media with mudar.io: bad inputs, odd inputs, and the real dwm videos."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

import media_factory as mf
from mudar.errors import DecodeError, InputError
from mudar.io import iter_frames, load_audio, probe

READERS = {
    "probe": lambda p: probe(p),
    "iter_frames": lambda p: list(iter_frames(p, fps=8, size=32)),
    "load_audio": lambda p: load_audio(p, sr=16000),
}


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("bad", ["missing_path", "directory_path", "empty_file"])
def test_unusable_paths_raise_input_error(request, reader, bad):
    path = request.getfixturevalue(bad)
    with pytest.raises(InputError):
        READERS[reader](path)


@pytest.mark.parametrize("reader", READERS)
def test_text_file_named_mp4_raises_decode_error(text_mp4, reader):
    with pytest.raises(DecodeError):
        READERS[reader](text_mp4)


@pytest.mark.parametrize("reader", READERS)
def test_truncated_mp4_without_index_raises_decode_error(truncated_mp4, reader):
    with pytest.raises(DecodeError):
        READERS[reader](truncated_mp4)


@pytest.mark.parametrize("reader", READERS)
def test_truncated_mp4_decodes_partially_or_raises_decode_error(truncated_faststart_mp4, reader):
    try:
        out = READERS[reader](truncated_faststart_mp4)
    except DecodeError:
        return
    if reader == "iter_frames":
        assert 0 < len(out) <= 16  # the full file has 2 s
    elif reader == "load_audio":
        assert out is None or len(out) <= 2.2 * 16000


def test_video_without_audio(video_no_audio):
    assert load_audio(video_no_audio, sr=16000) is None
    info = probe(video_no_audio)
    assert info.has_video and not info.has_audio and info.sample_rate == 0
    assert len(list(iter_frames(video_no_audio, fps=8, size=32))) == 16


@pytest.mark.parametrize("fixture", ["audio_wav", "audio_ogg"])
def test_audio_only_files(request, fixture):
    path = request.getfixturevalue(fixture)
    info = probe(path)
    assert info.has_audio and not info.has_video
    assert info.duration_s == pytest.approx(1.5, abs=0.01)
    y = load_audio(path, sr=16000)
    assert y.dtype == np.float32 and y.ndim == 1
    assert len(y) == pytest.approx(1.5 * 16000, abs=16)
    assert np.abs(y).max() == pytest.approx(0.3, abs=0.03)
    with pytest.raises(DecodeError, match="no video"):
        next(iter_frames(path, fps=8, size=32))


def test_half_second_video(short_video):
    frames = list(iter_frames(short_video, fps=8, size=mf.BAR_W, aspect="squash"))
    assert len(frames) == 4  # 0, 1/8, 2/8, 3/8 s
    assert [mf.bar_time(f) for f in frames] == pytest.approx([0, 0.125, 0.25, 0.375], abs=0.04)
    assert abs(len(load_audio(short_video, sr=16000)) / 16000 - 0.5) < 1 / 8
    assert probe(short_video).duration_s == pytest.approx(0.5, abs=0.01)


def test_vfr_video_is_sampled_evenly_by_timestamps(vfr_video):
    pts = mf.vfr_times()
    frames = list(iter_frames(vfr_video, fps=8, size=mf.BAR_W, aspect="squash", gray=True))
    n = math.floor(mf.VFR_DURATION_S * 8)
    assert n <= len(frames) <= n + 1
    targets = np.arange(len(frames)) / 8
    shown = np.array([mf.bar_time(f) for f in frames])
    # each output frame is the source frame nearest its target time ...
    nearest = pts[np.abs(pts[None, :] - targets[:, None]).argmin(1)]
    np.testing.assert_allclose(shown, nearest, atol=1.5 / mf.BAR_SPEED)
    # ... so it is off the regular grid by at most half the largest gap
    assert np.max(np.abs(shown - targets)) <= np.max(np.diff(pts)) / 2 + 1.5 / mf.BAR_SPEED


def test_phone_video_reads_portrait(rotated_video):
    info = probe(rotated_video)
    assert (info.width, info.height, info.rotation) == (240, 320, -90)
    img = next(iter_frames(rotated_video, fps=8, size=64, aspect="squash"))
    red = (img[..., 0] > 160) & (img[..., 1] < 100)
    ys, xs = np.nonzero(red)
    # the coded top-left corner is shown top-right after a clockwise quarter turn
    assert ys.mean() < 32 and xs.mean() > 32
    # the marker is square in the coded picture: in the squashed display it is 1/5 of the
    # width (48 of 240) and 3/20 of the height (48 of 320)
    assert xs.max() - xs.min() + 1 == pytest.approx(64 * 48 / 240, abs=2)
    assert ys.max() - ys.min() + 1 == pytest.approx(64 * 48 / 320, abs=2)


def test_non_ascii_file_name(non_ascii_video):
    assert non_ascii_video.name == "tänz_ダンス.mp4"
    assert probe(non_ascii_video).duration_s == pytest.approx(1.0, abs=0.05)
    assert len(list(iter_frames(non_ascii_video, fps=8, size=32))) == 8
    assert abs(len(load_audio(non_ascii_video, sr=16000)) - 16000) < 2000


def test_synthetic_dance_clip(dance_clip):
    info = probe(dance_clip.path)
    assert info.has_video and info.has_audio
    assert (info.width, info.height) == dance_clip.size
    assert len(list(iter_frames(dance_clip.path, fps=8, size=64))) == 32


# three dances, one per genre, the shortest of each
DWM = ("DANCE_W_22", "DANCE_C_8", "DANCE_R_3")


@pytest.mark.slow
@pytest.mark.parametrize("dance", DWM)
def test_real_dwm_videos_decode_to_the_expected_length(shared_data, dance):
    with (shared_data / "dwm" / "index.csv").open(newline="") as fh:
        row = {r["id"]: r for r in csv.DictReader(fh)}[dance]
    duration = float(row["duration_s"])
    assert int(row["n_frames"]) == pytest.approx(duration * 25, abs=1)
    video = shared_data / "dwm" / dance / "video.mp4"
    info = probe(video)
    assert info.has_video and info.has_audio and info.native_fps == pytest.approx(25.0)
    assert info.duration_s == pytest.approx(duration, abs=0.05)
    n = sum(1 for _ in iter_frames(video, fps=8, size=32, gray=True))
    assert n in (math.floor(duration * 8), math.floor(duration * 8) + 1)
    y = load_audio(video, sr=16000)
    assert len(y) / 16000 == pytest.approx(duration, abs=0.1)
    y_ogg = load_audio(shared_data / "dwm" / dance / "audio.ogg", sr=16000)
    assert len(y_ogg) / 16000 == pytest.approx(duration, abs=0.1)


@pytest.mark.parametrize(
    ("name", "codec", "pix_fmt", "audio_codec"),
    [
        ("clip.webm", "libvpx-vp9", "yuv420p", "libopus"),
        ("clip.avi", "mjpeg", "yuvj420p", None),
        ("clip.mov", "mpeg4", "yuv420p", "aac"),
    ],
)
def test_other_containers_decode(tmp_path, name, codec, pix_fmt, audio_codec):
    """webm, avi and friends, written by PyAV directly, read on the clock like mp4."""
    import av

    path = tmp_path / name
    with av.open(str(path), "w") as c:
        v = c.add_stream(codec, rate=10)
        v.width, v.height, v.pix_fmt = 64, 48, pix_fmt
        a = c.add_stream(audio_codec, rate=48000) if audio_codec else None
        for k in range(20):
            img = np.full((48, 64, 3), 10 * k, np.uint8)
            for p in v.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        for p in v.encode():
            c.mux(p)
        if a is not None:
            y = np.zeros((1, 96000), np.float32)
            frame = av.AudioFrame.from_ndarray(y, format="fltp", layout="mono")
            frame.sample_rate = 48000
            for p in a.encode(frame):
                c.mux(p)
            for p in a.encode():
                c.mux(p)
    frames = list(iter_frames(path, fps=8, size=32))
    assert len(frames) == 16 and frames[0].shape == (32, 32, 3)
    audio = load_audio(path, sr=16000)
    assert (audio is not None) == (audio_codec is not None)


@pytest.mark.parametrize("fixture", ["dance_clip", "rotated_video", "vfr_video"])
@pytest.mark.parametrize("aspect", ["pad", "crop", "squash"])
def test_frame_pairs_are_the_frames_of_iter_frames(request, fixture, aspect):
    import cv2

    from mudar.io.video import iter_frame_pairs

    clip = request.getfixturevalue(fixture)
    path = getattr(clip, "path", clip)
    big = list(iter_frames(path, fps=8, size=128, aspect=aspect))
    pairs = list(iter_frame_pairs(path, fps=8, size=128, rgb_size=32, aspect=aspect))
    assert len(pairs) == len(big) > 0
    for (gray, rgb), ref in zip(pairs, big, strict=True):
        assert gray.shape == (128, 128) and rgb.shape == (32, 32, 3)
        assert gray.dtype == rgb.dtype == np.uint8
        # the same picture as the gray of iter_frames's RGB, up to rounding
        ref_gray = cv2.cvtColor(ref, cv2.COLOR_RGB2GRAY).astype(int)
        assert np.abs(gray.astype(int) - ref_gray).max() <= 3
        # and the small RGB is iter_frames's RGB shrunk, up to the scaler's filter and the
        # rounding of pad and crop offsets at each size (at most half a pixel apart)
        small = cv2.resize(ref, (32, 32), interpolation=cv2.INTER_AREA).astype(int)
        assert np.abs(rgb.astype(int) - small).mean() < (3 if aspect == "pad" else 8)


def test_one_scaler_per_stream_gives_what_a_new_scaler_per_frame_gives(dance_clip, rotated_video):
    from mudar.io.video import _Converter, _pick_frames

    for path in (dance_clip.path, rotated_video):
        for fmt, size in (("rgb24", 96), ("gray", 64)):
            shared = _Converter(size, "pad", fmt, luma_plane=False)
            for frame in _pick_frames(path, fps=8, max_frames=12):
                fresh = _Converter(size, "pad", fmt, luma_plane=False)
                np.testing.assert_array_equal(shared(frame), fresh(frame))


def test_frame_pairs_check_their_sizes(dance_clip):
    from mudar.errors import ParameterError
    from mudar.io.video import iter_frame_pairs

    with pytest.raises(ParameterError, match="rgb_size"):
        next(iter_frame_pairs(dance_clip.path, rgb_size=0))
    with pytest.raises(ParameterError, match="aspect"):
        next(iter_frame_pairs(dance_clip.path, aspect="fit"))


def test_a_file_cut_in_a_packet_keeps_the_sound_before_the_cut(tmp_path):
    """A faststart mp4 cut short ends in half an AAC packet: the sound before it is kept (it
    was a DecodeError, so `mudar rhythm` refused a truncated download the video reader read)."""
    from mudar.synthetic.bad import make_truncated_faststart

    path = make_truncated_faststart(tmp_path, fraction=0.4)
    y = load_audio(path, sr=16000)
    frames = list(iter_frames(path, fps=8))
    assert y is not None and 0.5 * 16000 < len(y) < 4 * 16000
    assert 0 < len(frames) < 32


@pytest.mark.parametrize("name", ["song.mp3", "song.m4a", "song.ogg", "song.flac"])
def test_a_song_with_cover_art_is_audio(tmp_path, name):
    import av

    path = mf.make_cover_art_song(tmp_path, name)
    with av.open(str(path)) as c:  # the picture is there, as a video stream
        assert [s.type for s in c.streams] == ["audio", "video"]
    info = probe(path)
    assert info.has_audio and not info.has_video
    assert info.width == info.height == 0 and info.native_fps == 0
    assert info.duration_s == pytest.approx(3.0, abs=0.1)
    assert load_audio(path, sr=16000).size == pytest.approx(3.0 * 16000, rel=0.03)
    with pytest.raises(DecodeError, match="no video"):
        next(iter_frames(path, fps=8, size=32))
