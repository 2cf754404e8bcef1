"""Import-light numpy versions of the librosa 0.11 routines behind the rhythm features.

``import librosa.onset`` / ``librosa.beat`` / ``librosa.feature`` takes seconds in a fresh
process (numba compiles its kernels at import, and scipy.signal and scipy.stats come along),
while the computation on a minute of audio takes a fraction of a second. These functions repeat
librosa's arithmetic step by step, in the same order and precision, so that they return the same
numbers (bit for bit on real music, from the STFT to the beat tracker's cumulative score) and the
same peak and beat frames; ``tests/features/test_dsp.py`` holds them to librosa. Only numpy
is imported.

Each function names the librosa routine it follows. Frames are columns: frame ``j`` of a
centred analysis is centred at sample ``j * hop_length``. By question:

- :mod:`~mudar.features.dsp.spectrum`: windows, STFT power, mel filterbank, decibels;
- :mod:`~mudar.features.dsp.onsets`: the onset (spectral flux) envelope and its peaks;
- :mod:`~mudar.features.dsp.beats`: the autocorrelation tempogram and the beat tracker.
"""

from __future__ import annotations

from mudar.features.dsp.beats import autocorrelation_tempogram, beat_track, next_fast_len_real
from mudar.features.dsp.onsets import even_blocks, onset_strength, peak_pick
from mudar.features.dsp.spectrum import (
    WINDOWS,
    hamming_window,
    hann_window,
    mel_filterbank,
    power_to_db,
    stft_power,
    stft_power_blocks,
)

__all__ = [
    "WINDOWS",
    "autocorrelation_tempogram",
    "beat_track",
    "even_blocks",
    "hamming_window",
    "hann_window",
    "mel_filterbank",
    "next_fast_len_real",
    "onset_strength",
    "peak_pick",
    "power_to_db",
    "stft_power",
    "stft_power_blocks",
]
