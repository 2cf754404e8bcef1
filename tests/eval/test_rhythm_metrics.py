import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.eval.rhythm import event_f_measure


def brute_force_matches(ref, est, window):
    """Maximum one-to-one matching by trying every assignment (tiny inputs only)."""
    import itertools

    a, b = (ref, est) if len(ref) <= len(est) else (est, ref)
    best = 0
    for perm in itertools.permutations(range(len(b)), len(a)):
        best = max(best, sum(abs(a[i] - b[j]) <= window for i, j in enumerate(perm)))
    return best


def test_one_to_one_matching_against_brute_force(rng):
    for _ in range(30):
        ref = np.sort(rng.uniform(0, 2, rng.integers(1, 6)))
        est = np.sort(rng.uniform(0, 2, rng.integers(1, 6)))
        s = event_f_measure(ref, est, window_s=0.125)
        m = brute_force_matches(ref, est, 0.125)
        assert s.precision == pytest.approx(m / len(est))
        assert s.recall == pytest.approx(m / len(ref))


def test_predicting_everything_is_not_rewarded():
    ref = np.array([1.0])
    est = np.arange(0, 2, 0.125)  # every frame at 8 fps
    s = event_f_measure(ref, est, window_s=0.125)
    assert s.recall == 1.0 and s.precision == pytest.approx(1 / 16)


def test_empty_and_bad_inputs():
    assert event_f_measure([], [], window_s=0.05).f1 == 1.0
    assert event_f_measure([1.0], [], window_s=0.05).f1 == 0.0
    with pytest.raises(ParameterError):
        event_f_measure([1.0], [1.0], window_s=-1)
    with pytest.raises(ParameterError):
        event_f_measure([[1.0]], [1.0], window_s=0.1)
