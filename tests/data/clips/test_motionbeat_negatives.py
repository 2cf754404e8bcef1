"""Hard negatives of MotionBeat: stretch factors, jitter sizes, consistent rows, seeding."""

import numpy as np
import pytest

from mudar.clock import FrameClock
from mudar.data.clips.inputs import audio_input
from mudar.data.clips.motionbeat_negatives import (
    RowLayout,
    beat_frames_from_rows,
    beat_jitter,
    hard_negatives,
    negative_kinds,
    normalise_rows,
    render_beats,
    time_stretch,
)
from mudar.data.clips.sampling import rng_for
from mudar.errors import ParameterError
from mudar.features.music import music_features
from mudar.models.presets import MOTIONBEAT_PRESETS as PRESETS
from mudar.synthetic.video import synth_music

CONFIG = PRESETS["debug"].model  # 16 mels, 8 tempogram rows, sub 8, 8 fps
LAYOUT = RowLayout.from_config(CONFIG)


def rows(n_frames, *, pulse_every=None, pulse_at=(), beat_every=None, tg_row=None, rng=None):
    """Stacked rows: random mel, env pulses, beats every k frames, one tempogram row lit."""
    sub = LAYOUT.sub
    x = np.zeros((LAYOUT.rows, n_frames * sub), dtype=np.float32)
    if rng is not None:
        x[: LAYOUT.n_mels] = rng.normal(size=(LAYOUT.n_mels, n_frames * sub))
    if pulse_every:
        x[LAYOUT.env, ::pulse_every] = 1.0
    x[LAYOUT.env, list(pulse_at)] = 1.0
    if beat_every:
        x[LAYOUT.beat] = render_beats(np.arange(0, n_frames, beat_every), n_frames, sub)
    if tg_row is not None:
        x[LAYOUT.tempogram.start + tg_row] = 1.0
    return x


def test_layout_of_the_debug_config():
    assert LAYOUT == RowLayout(n_mels=16, tempogram_rows=8, sub=8, tempogram_lags=512)
    assert LAYOUT.rows == CONFIG.audio_rows == 26
    assert (LAYOUT.env, LAYOUT.beat, LAYOUT.tempogram) == (16, 17, slice(18, 26))


@pytest.mark.parametrize("factor, period", [(1.25, 16), (0.8, 25)])
def test_stretch_turns_a_pulse_period_p_into_p_over_factor(factor, period, rng):
    src = rows(80, pulse_every=20, rng=rng)  # a pulse every 20 fine frames
    out = time_stretch(src, factor, layout=LAYOUT, length=40 * 8)
    peaks = np.flatnonzero(out[LAYOUT.env] > 0.999)
    assert np.all(np.diff(peaks) == period), peaks  # 20 / 1.25 = 16, 20 / 0.8 = 25
    assert peaks[0] == 0
    assert out.shape == (LAYOUT.rows, 320)


@pytest.mark.parametrize("factor", [1.25, 0.8])
def test_stretch_moves_the_beats_with_the_music(factor):
    src = rows(80, beat_every=4)  # a beat every 4 frames (32 fine frames)
    out = time_stretch(src, factor, layout=LAYOUT, length=40 * 8)
    got = beat_frames_from_rows(out, layout=LAYOUT)
    want = np.unique(np.round(np.arange(0, 80, 4) / factor).astype(int))
    assert got.tolist() == want[want < 40].tolist()
    # beats stay whole video frames
    assert np.all(out[LAYOUT.beat].reshape(40, 8).std(1) == 0)


@pytest.mark.parametrize("factor, row", [(1.25, 4), (0.8, 6)])
def test_stretch_rescales_the_tempogram_lags(factor, row):
    # row 5 lit: a periodicity at lag ~352 fine frames; faster music has it at 352 / factor.
    # The answer is the row whose centre lag times factor lies nearest row 5's centre
    # (row 4: 5.12 rows with 1.25; row 6: 4.70 with 0.8)
    out = time_stretch(rows(80, tg_row=5), factor, layout=LAYOUT, length=40 * 8)
    tg = out[LAYOUT.tempogram]
    assert np.all(tg.argmax(0) == row)


def test_stretch_by_one_changes_nothing_but_the_normalisation(rng):
    src = normalise_rows(rows(40, pulse_every=20, beat_every=4, tg_row=2, rng=rng), layout=LAYOUT)
    out = time_stretch(src, 1.0, layout=LAYOUT)
    np.testing.assert_allclose(out, src, atol=1e-5)


def test_stretch_about_an_offset_reads_beyond_the_clip(rng):
    src = rows(80, pulse_every=20, rng=rng)
    out = time_stretch(src, 1.25, layout=LAYOUT, start=40.0, length=320)
    peaks = np.flatnonzero(out[LAYOUT.env] > 0.999)
    assert peaks[0] == 0 and np.all(np.diff(peaks) == 16)  # source 40 is a pulse
    assert np.abs(out[: LAYOUT.n_mels, -1]).sum() > 0  # real music, not zero padding


def test_jitter_displaces_each_beat_segment_by_a_quarter_beat():
    # beats every 4 frames = 32 fine frames; a pulse in the middle of each segment
    mids = np.arange(16, 80 * 8, 32)
    src = rows(80, pulse_at=mids, beat_every=4)
    out, jit = beat_jitter(
        src, layout=LAYOUT, fps=8.0, rng=np.random.default_rng(1), start=128, length=320
    )
    assert np.all(np.abs(jit.shifts) == 8)  # 32 / 4
    assert set(np.sign(jit.shifts)) == {-1, 1}
    seg_start = jit.bounds[:-1]
    want = []
    for b0, d in zip(seg_start, jit.shifts, strict=True):
        p = b0 + 16 + d - 128
        if 0 <= p < 320:
            want.append(int(p))
    got = np.flatnonzero(out[LAYOUT.env] > 0.999)
    assert got.tolist() == sorted(want)
    # each beat moved by its segment's shift: a whole video frame either way
    beats = beat_frames_from_rows(out, layout=LAYOUT)
    moved = ((seg_start + jit.shifts - 128) / 8).astype(int)
    assert beats.tolist() == sorted(m for m in moved if 0 <= m < 40)


@pytest.mark.parametrize("fraction", [0.125, 0.25, 0.5])
def test_jitter_size_is_the_fraction_of_the_beat(fraction):
    src = rows(80, beat_every=5)  # 40 fine frames per beat
    _, jit = beat_jitter(
        src,
        layout=LAYOUT,
        fps=8.0,
        rng=np.random.default_rng(0),
        start=80,
        length=320,
        fraction=fraction,
    )
    assert np.all(np.abs(jit.shifts) == round(fraction * 40))
    assert np.all(np.diff(jit.bounds) == 40)
    assert jit.bounds[0] <= 80 and jit.bounds[-1] >= 400


def test_jitter_without_beats_uses_the_tempo():
    src = rows(40, pulse_every=32)
    _, jit = beat_jitter(src, layout=LAYOUT, fps=8.0, rng=np.random.default_rng(0), tempo_bpm=120)
    assert np.allclose(np.diff(jit.bounds), 32)  # 0.5 s at 64 fine frames per second
    assert np.all(np.abs(jit.shifts) == 8)


def test_hard_negatives_are_seeded_by_seed_epoch_index(rng):
    src = rows(120, pulse_every=20, beat_every=4, tg_row=3, rng=rng)
    kw = dict(layout=LAYOUT, fps=8.0, start=320, length=320)
    a = hard_negatives(src, rng=rng_for(0, 0, 5), **kw)
    b = hard_negatives(src, rng=rng_for(0, 0, 5), **kw)
    c = hard_negatives(src, rng=rng_for(0, 1, 5), **kw)
    assert a.shape == (3, LAYOUT.rows, 320) and a.dtype == np.float32
    assert negative_kinds() == ("stretch0.8", "stretch1.25", "jitter")
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a[:2], c[:2])  # the stretches are not random
    assert not np.array_equal(a[2], c[2])  # the jitter is
    with pytest.raises(ParameterError):
        hard_negatives(src, rng=rng, stretch=(), n_jitter=0, **kw)


def test_rows_cut_from_a_song_and_renormalised_equal_the_clips_audio_input():
    clock = FrameClock(fps=CONFIG.fps, sub=CONFIG.sub)
    y, _ = synth_music(tempo_bpm=110, duration_s=10.0, sr=clock.sr, seed=3)
    music = music_features(y, clock=clock)
    cfg = CONFIG.audio_config()
    song = audio_input(music, config=cfg)
    start, t = 17, 32
    cut = normalise_rows(song[:, start * 8 : (start + t) * 8], layout=LAYOUT)
    clip = audio_input(music.slice(start, start + t, clock=clock), config=cfg)
    np.testing.assert_allclose(cut, clip, atol=1e-4)


def test_checks(rng):
    src = rows(40, rng=rng)
    with pytest.raises(ParameterError):
        time_stretch(src, 0.0, layout=LAYOUT)
    with pytest.raises(ParameterError):
        time_stretch(src, 1.2, layout=LAYOUT, length=100)  # not a multiple of sub
    with pytest.raises(ParameterError):
        time_stretch(src[:5], 1.2, layout=LAYOUT)
    with pytest.raises(ParameterError):
        beat_jitter(src, layout=LAYOUT, fps=8.0, rng=rng, fraction=0.7)
    with pytest.raises(ParameterError):
        beat_jitter(src, layout=LAYOUT, fps=8.0, rng=rng, start=3, length=64)
