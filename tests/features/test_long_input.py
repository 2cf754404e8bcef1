"""Long input: the music features and the decoders work block by block, so memory beyond their
output does not grow with the length, and the blocks give the numbers of the whole."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from mudar.clock import DEFAULT_CLOCK
from mudar.features import dsp
from mudar.features.dsp import onsets
from mudar.features.music import (
    FMIN,
    N_FFT,
    TOP_DB,
    _pooled_tempogram,
    melspectrogram,
    music_features,
)
from mudar.features.tempo import tempogram
from mudar.io.audio import load_audio
from mudar.io.write import write_audio
from mudar.synthetic.video import synth_music

SR, HOP = DEFAULT_CLOCK.sr, DEFAULT_CLOCK.hop


def _song(minutes: float) -> np.ndarray:
    """Drums at 120 BPM, 8 s repeated (cheap to make at any length), float32."""
    y, _ = synth_music(tempo_bpm=120.0, duration_s=8.0, sr=SR, seed=0)
    return np.tile(y, int(np.ceil(minutes * 60 / 8)))[: round(minutes * 60 * SR)]


def _working_mb(fn, *args, **kw) -> tuple[float, object]:
    """Peak traced memory of ``fn`` beyond what it returns, MB (numpy reports to tracemalloc)."""
    tracemalloc.start()
    try:
        out = fn(*args, **kw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    arrays = out.to_arrays().values() if hasattr(out, "to_arrays") else np.atleast_1d(out)
    kept = sum(np.asarray(a).nbytes for a in arrays)
    return (peak - kept) / 1e6, out


def test_music_features_working_memory_does_not_grow_with_the_length():
    short, long = _song(3.0), _song(12.0)
    mb_short, _ = _working_mb(music_features, short, clock=DEFAULT_CLOCK)
    mb_long, f = _working_mb(music_features, long, clock=DEFAULT_CLOCK)
    # four times the length: the blocks (about 2 min of fine frames) stay the same size; the
    # whole STFT, flux and fine tempogram of 12 min would be about 400 MB
    assert mb_long < 1.3 * mb_short + 5, (mb_short, mb_long)
    assert mb_long < 120, mb_long
    assert abs(f.tempo_bpm - 120.0) < 1.0


def test_blocks_equal_the_whole(rng):
    y = _song(5.0)[: 5 * 60 * SR - 1234]  # ragged end: the last block is not full
    power = dsp.stft_power(y, n_fft=N_FFT, hop_length=HOP, pad_mode="reflect")
    pieces = list(dsp.stft_power_blocks(y, n_fft=N_FFT, hop_length=HOP, pad_mode="reflect"))
    assert len(pieces) > 1
    np.testing.assert_array_equal(np.concatenate([p for _, p in pieces], axis=1), power)
    fb = dsp.mel_filterbank(sr=SR, n_fft=N_FFT, n_mels=128, fmin=FMIN, fmax=None)
    whole = dsp.power_to_db(fb @ power, ref=np.max, top_db=TOP_DB).astype(np.float32)
    # the filterbank product of a block and of the whole may round differently in the last
    # float32 bit (BLAS picks its kernel by matrix size): equal to float32 precision in dB
    np.testing.assert_allclose(melspectrogram(y, sr=SR, hop_length=HOP), whole, rtol=0, atol=1e-4)

    n = 2500  # video frames: 20000 fine frames, three blocks of the tempogram
    env = rng.random(n * DEFAULT_CLOCK.sub).astype(np.float32)
    tg = tempogram(env, sr=SR, hop_length=HOP, win_length=512)
    pooled, mean = _pooled_tempogram(env, clock=DEFAULT_CLOCK, n=n, win_length=512)
    np.testing.assert_array_equal(pooled, DEFAULT_CLOCK.pool(tg, n, reduce="mean"))
    np.testing.assert_allclose(mean, tg.mean(axis=1, dtype=np.float64), rtol=1e-12)

    S = rng.standard_normal((128, 20000)).astype(np.float32)
    ref = onsets._max_filter_bands(S, 3)
    flux = np.mean(np.maximum(0.0, S[:, 2:] - ref[:, :-2]), axis=0)
    env = dsp.onset_strength(S, n_fft=N_FFT, hop_length=HOP, lag=2, max_size=3, center=False)
    np.testing.assert_array_equal(env[2:], flux)


@pytest.mark.parametrize("n", [0, 1, 5, 8191, 8192, 20001])
def test_even_blocks_cover_without_a_short_tail(n):
    blocks = dsp.even_blocks(n, 8192)
    assert [i for a, b in blocks for i in range(a, b)] == list(range(n))
    if n >= 2 * 8192:
        assert min(b - a for a, b in blocks) >= 8192


def test_load_audio_holds_the_samples_once(tmp_path):
    y = _song(4.0)
    path = write_audio(tmp_path / "song.wav", y, sr=SR)
    mb, out = _working_mb(load_audio, path, sr=SR)
    assert out.shape == y.shape
    # the chunks and their concatenation would be twice the output (15 MB) on top of it
    assert mb < 6, mb
