"""The pose track a timeline gives the page: thinned to at most 15 samples a second, rounded,
no body as None, and small."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.features.pose import COCO17, COCO17_BONES, PoseTrack
from mudar.pipelines.timeline import pose_overlay


def _track(n: int, fps: float, *, gaps=(), rng=None) -> PoseTrack:
    rng = rng or np.random.default_rng(0)
    kp = (rng.uniform(0, 1, (n, 17, 2)) * [640, 360]).astype(np.float32)
    conf = rng.uniform(0.2, 1, (n, 17)).astype(np.float32)
    kp[list(gaps)] = np.nan
    conf[list(gaps)] = 0
    kp[1, 3] = np.nan  # one joint not seen in a found frame
    return PoseTrack(
        times_s=np.arange(n) / fps,
        keypoints=kp,
        confidence=conf,
        landmarks=np.zeros((n, 33, 4), np.float32),
        width=640,
        height=360,
        fps=fps,
    )


@pytest.mark.parametrize(("fps", "rate"), [(30.0, 15.0), (25.0, 12.5), (60.0, 15.0), (10.0, 10.0)])
def test_at_most_fifteen_samples_a_second(fps, rate):
    p = pose_overlay(_track(int(4 * fps), fps))
    assert p["rate"] == rate and len(p["times_s"]) == int(4 * rate)
    assert np.all(np.diff(p["times_s"]) == pytest.approx(1 / rate, abs=1e-3))


def test_rounded_with_gaps_as_none():
    track = _track(30, 30.0, gaps=(2, 3))
    p = pose_overlay(track)
    assert p["keypoints"][1] is None and p["confidence"][1] is None  # row 2: no body
    assert p["keypoints"][0][5] == [round(float(v)) for v in track.keypoints[0, 5]]
    assert p["confidence"][0][5] == round(float(track.confidence[0, 5]), 1)
    assert p["found_fraction"] == pytest.approx(28 / 30, abs=1e-3)
    assert p["joints"] == list(COCO17) and p["bones"] == [list(b) for b in COCO17_BONES]
    assert (p["width"], p["height"]) == (640, 360)
    assert all(len(k) == 17 for k in p["keypoints"] if k is not None)


def test_a_joint_not_seen_is_none():
    p = pose_overlay(_track(4, 10.0))
    assert p["keypoints"][1][3] is None and p["keypoints"][1][4] is not None


def test_a_minute_stays_small():
    p = pose_overlay(_track(60 * 30, 30.0))
    assert len(json.dumps(p, separators=(",", ":"))) < 250_000  # as the server sends it


def test_a_bad_rate_is_refused():
    with pytest.raises(ParameterError, match="max_rate"):
        pose_overlay(_track(4, 10.0), max_rate=0)
