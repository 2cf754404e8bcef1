"""The pose track: keypoints from an estimator, gaps where no body is seen, and motion beats.

The arithmetic is tested with a stub estimator (known landmarks in, known keypoints out); the
MediaPipe tests render a dancer whose stops lie on a beat grid and need the ``pose`` extra.
"""

from __future__ import annotations

import mir_eval
import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.features.analysis import Analysis, AnalysisConfig
from mudar.features.geometry import SIDE_GROUPS, consistent_sides
from mudar.features.pose import (
    BLAZEPOSE_TO_COCO17,
    COCO17,
    STILL_SPEED,
    PoseTap,
    PoseTrack,
    estimate_pose,
    joint_speed_curve,
    pose_minima,
    pose_stillness,
)

W, H = 640, 360


class Stub:
    """An estimator that returns the landmarks it is given per call (None: no body)."""

    name = "stub"

    def __init__(self, rows):
        self.rows = iter(rows)

    def __call__(self, rgb):
        return next(self.rows)


def _landmarks(xy: np.ndarray, visibility: float = 0.9) -> np.ndarray:
    """33 BlazePose landmarks with the COCO-17 ones at ``xy`` (17, 2), normalised."""
    lm = np.zeros((33, 4), np.float32)
    lm[:, 3] = 0.1  # landmarks COCO-17 does not use: low visibility
    lm[list(BLAZEPOSE_TO_COCO17), :2] = xy
    lm[list(BLAZEPOSE_TO_COCO17), 3] = visibility
    return lm


def _body(t: float, beats: np.ndarray) -> np.ndarray:
    """A standing figure (17, 2) in normalised picture units whose wrists and ankles swing and
    stop on every beat: their phase eases from one extreme to the other between beats."""
    xy = np.array(
        [
            [0.50, 0.20], [0.49, 0.19], [0.51, 0.19], [0.48, 0.20], [0.52, 0.20],
            [0.46, 0.30], [0.54, 0.30], [0.44, 0.40], [0.56, 0.40], [0.43, 0.50], [0.57, 0.50],
            [0.47, 0.55], [0.53, 0.55], [0.47, 0.70], [0.53, 0.70], [0.47, 0.85], [0.53, 0.85],
        ]
    )  # fmt: skip
    b = np.interp(t, beats, np.arange(len(beats)))
    k, u = np.floor(b), b - np.floor(b)
    extreme = np.where(k % 2 == 0, -1.0, 1.0)  # alternate extremes, eased between: still on beats
    phase = extreme - 2 * extreme * (1 - np.cos(np.pi * u)) / 2
    out = xy.copy()
    out[[9, 10], 1] -= 0.08 * phase  # wrists up and down
    out[[7, 8], 1] -= 0.04 * phase
    out[[15, 16], 0] += 0.02 * phase  # ankles
    return out


def _stub_track(times, beats, *, gaps=()) -> PoseTrack:
    rows = [None if i in gaps else _landmarks(_body(t, beats)) for i, t in enumerate(times)]
    frames = ((t, np.zeros((4, 4, 3), np.uint8)) for t in times)
    return estimate_pose(frames, width=W, height=H, fps=30.0, estimator=Stub(rows), smooth_s=0)


def test_layout_is_aist_keypoints2d():
    assert len(COCO17) == 17 and COCO17[0] == "nose" and COCO17[-1] == "right_ankle"
    assert len(set(BLAZEPOSE_TO_COCO17)) == 17 and max(BLAZEPOSE_TO_COCO17) == 28


def test_keypoints_in_source_pixels_with_gaps():
    times = np.arange(10) / 30.0
    beats = np.array([0.0, 0.5, 1.0])
    track = _stub_track(times, beats, gaps={3, 4})
    assert track.keypoints.shape == (10, 17, 2) and track.landmarks.shape == (10, 33, 4)
    want = _body(times[0], beats) * [W, H]
    np.testing.assert_allclose(track.keypoints[0], want, atol=1e-3)
    assert np.isnan(track.keypoints[3]).all() and (track.confidence[3] == 0).all()
    np.testing.assert_allclose(track.confidence[0], 0.9)
    assert track.found.tolist() == [i not in (3, 4) for i in range(10)]
    assert track.found_fraction == pytest.approx(0.8)


def test_round_trip_and_clip():
    times = np.arange(60) / 30.0
    track = _stub_track(times, np.array([0.0, 1.0, 2.0]), gaps={7})
    back = PoseTrack.from_arrays(track.to_arrays())
    np.testing.assert_array_equal(back.keypoints, track.keypoints)
    assert (back.width, back.height, back.fps, back.estimator) == (W, H, 30.0, "stub")
    part = track.clip(0.5, 1.0)
    assert len(part) == 15 and part.times_s[0] == pytest.approx(0.0)


def test_a_track_must_be_consistent():
    with pytest.raises(ParameterError, match="keypoints"):
        PoseTrack(
            np.zeros(3), np.zeros((2, 17, 2)), np.zeros((3, 17)), np.zeros((3, 33, 4)), 1, 1, 30
        )
    with pytest.raises(ParameterError, match="stride"):
        PoseTap(stride=0, estimator=Stub([]))


def test_stride_keeps_every_kth_frame():
    rows = [_landmarks(_body(0.0, np.array([0.0, 1.0])))] * 4
    tap = PoseTap(stride=3, estimator=Stub(rows))
    for i in range(10):
        tap(i / 30.0, np.zeros((4, 4, 3), np.uint8))
    track = tap.track(width=W, height=H, fps=30.0)
    np.testing.assert_allclose(track.times_s, [0.0, 0.1, 0.2, 0.3])
    assert track.fps == pytest.approx(10.0)


def _swapped(xy: np.ndarray) -> np.ndarray:
    """The body with every left joint's label on its right twin, and back (seen from behind)."""
    out = xy.copy()
    for left, right in SIDE_GROUPS:
        out[list(left)], out[list(right)] = xy[list(right)], xy[list(left)]
    return out


@pytest.mark.parametrize("gaps", [set(), {10, 11, 12}])
def test_sides_the_estimator_swaps_are_swapped_back(gaps):
    # frames 10-24 come with left and right swapped (from a gap on, in the second case); the
    # left side's visibility is 0.9, the right's 0.6, so the confidences show they move too
    times, beats = np.arange(60) / 30.0, np.array([0.0, 0.5, 1.0, 1.5, 2.0])
    vis = np.full(17, 0.9)
    for _, right in SIDE_GROUPS:
        vis[list(right)] = 0.6

    def rows(swap: bool) -> list:
        out = []
        for i, t in enumerate(times):
            xy, v = _body(t, beats), vis
            if swap and 10 <= i < 25:
                xy, v = _swapped(xy), _swapped(vis[:, None])[:, 0]
            lm = _landmarks(xy)
            lm[list(BLAZEPOSE_TO_COCO17), 3] = v
            out.append(None if i in gaps else lm)
        return out

    def track(swap: bool) -> PoseTrack:
        frames = ((t, np.zeros((4, 4, 3), np.uint8)) for t in times)
        return estimate_pose(frames, width=W, height=H, fps=30.0, estimator=Stub(rows(swap)))

    fixed, truth = track(True), track(False)
    np.testing.assert_allclose(fixed.keypoints, truth.keypoints, atol=1e-4)
    np.testing.assert_allclose(fixed.confidence, truth.confidence)
    np.testing.assert_allclose(joint_speed_curve(fixed), joint_speed_curve(truth), atol=1e-6)
    # the estimator's own landmarks stay as it gave them
    assert not np.allclose(fixed.landmarks[15], truth.landmarks[15])


def test_a_one_frame_slip_is_taken_out_before_the_gaussian():
    times = np.arange(60) / 30.0
    beats = np.array([0.0, 0.5, 1.0, 1.5, 2.0])

    def track(slip: bool, **kw) -> PoseTrack:
        rows = []
        for i, t in enumerate(times):
            xy = _body(t, beats)
            if slip and i == 30:
                xy[9] += 0.2  # the left wrist, a fifth of the picture away for one frame
            rows.append(_landmarks(xy))
        frames = ((t, np.zeros((4, 4, 3), np.uint8)) for t in times)
        return estimate_pose(frames, width=W, height=H, fps=30.0, estimator=Stub(rows), **kw)

    truth, slipped = track(False), track(True)
    assert np.abs(slipped.keypoints[:, 9] - truth.keypoints[:, 9]).max() < 1.0  # pixels
    raw = track(True, median_s=0.0)
    assert np.abs(raw.keypoints[30, 9] - truth.keypoints[30, 9]).max() > 10.0


def test_consistent_sides_keeps_a_track_without_swaps():
    beats = np.array([0.0, 0.5, 1.0, 1.5, 2.0])
    xy = np.stack([_body(t, beats) for t in np.arange(60) / 30.0]) * [W, H]
    xy[5:8] = np.nan  # a gap
    np.testing.assert_array_equal(consistent_sides(xy), xy)
    with pytest.raises(ParameterError, match="17"):
        consistent_sides(np.zeros((5, 16, 2)))


def test_motion_beats_lie_on_the_grid():
    """Stops placed on a beat grid (0.55 s, off the frame grid) give minima on it, below the
    frame; the half-beat shifted grid is missed."""
    beats = 0.31 + 0.55 * np.arange(20)
    times = np.arange(int(11.0 * 30)) / 30.0
    track = _stub_track(times, beats)
    got = pose_minima(track)
    inner = beats[(beats > 0.5) & (beats < times[-1] - 0.5)]
    f_on = mir_eval.onset.f_measure(inner, got, window=0.02)[0]
    f_off = mir_eval.onset.f_measure(inner + 0.275, got, window=0.07)[0]
    assert f_on > 0.95 and f_off < 0.1, (f_on, f_off)


def test_no_body_gives_no_beats_and_no_stillness():
    times = np.arange(30) / 30.0
    track = _stub_track(times, np.array([0.0, 1.0]), gaps=set(range(30)))
    assert track.found_fraction == 0.0
    assert np.isnan(joint_speed_curve(track)).all()
    assert pose_minima(track).size == 0
    assert not pose_stillness(track, n_frames=8, fps=8.0).any()


def test_stillness_peaks_at_the_stops():
    beats = 0.25 + 0.5 * np.arange(12)
    times = np.arange(int(6.0 * 30)) / 30.0
    still = pose_stillness(_stub_track(times, beats), n_frames=48, fps=8.0)
    assert still.shape == (48,) and 0 <= still.min() and still.max() <= 1
    on = still[np.round(beats[1:-1] * 8).astype(int)].mean()
    off = still[np.round((beats[1:-1] + 0.25) * 8).astype(int)].mean()
    assert on > off + 0.3, (on, off)


def test_a_still_body_is_not_stretched_into_a_rhythm():
    """The keypoint jitter of a body that stands still (0.6 px, smoothed as the analysis does:
    a 95th-percentile speed like a still dwm picture's) stays a stillness near 1, not a curve
    stretched over [0, 1]; a dancing body keeps its full range."""
    times = np.arange(int(6.0 * 30)) / 30.0
    rng = np.random.default_rng(0)
    body = _body(0.0, np.array([0.0, 1.0]))
    rows = [_landmarks(body + rng.normal(0, 0.001, body.shape)) for _ in times]
    frames = ((t, np.zeros((4, 4, 3), np.uint8)) for t in times)
    track = estimate_pose(frames, width=W, height=H, fps=30.0, estimator=Stub(rows))
    speed = joint_speed_curve(track)
    assert np.nanpercentile(speed, 95) < STILL_SPEED  # it is still by the measure
    still = pose_stillness(track, n_frames=48, fps=8.0)[1:-1]  # the ends: no speed, 0
    assert still.min() > 0.3 and still.max() - still.min() < 0.4
    dancing = pose_stillness(_stub_track(times, 0.25 + 0.5 * np.arange(12)), n_frames=48, fps=8.0)
    assert dancing.min() < 0.05 and dancing.max() > 0.9


def test_pose_stride_is_part_of_the_config_key():
    plain = AnalysisConfig()
    assert "pose_stride" not in plain.to_dict()
    assert AnalysisConfig(pose_stride=1).key() != plain.key()
    assert AnalysisConfig.from_dict(AnalysisConfig(pose_stride=2).to_dict()).pose_stride == 2
    with pytest.raises(ParameterError, match="pose_stride"):
        AnalysisConfig(pose_stride=-1)


def test_an_analysis_keeps_its_track():
    track = _stub_track(np.arange(16) / 8.0, np.array([0.0, 1.0, 2.0]))
    a = Analysis(path="x", config=AnalysisConfig(pose_stride=1), n_frames=16, pose=track)
    back = Analysis.from_arrays(a.to_arrays())
    np.testing.assert_array_equal(back.pose.keypoints, track.keypoints)


# --- with MediaPipe ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mediapipe():
    return pytest.importorskip(
        "mediapipe", reason="the pose track needs the pose extra: pip install 'mudar[pose]'"
    )


@pytest.fixture(scope="module")
def grid_dance(tmp_path_factory, mediapipe):
    """A rendered dancer (synthetic motion: arms still on every beat, 96 BPM) with its beats,
    seen from the side (the arms swing forward and back: from the front, mostly in depth)."""
    from mudar.io.write import write_video
    from mudar.synthetic.motion import dance_joints
    from mudar.synthetic.skeleton import LOOKS, render_frames

    fps, beats = 25.0, 0.4 + 0.625 * np.arange(16)
    joints = dance_joints(beats, n_frames=int(9.0 * fps), fps=fps)
    path = tmp_path_factory.mktemp("pose") / "grid.mp4"
    write_video(path, render_frames(joints, fps=fps, look=LOOKS["side"]), fps=fps)
    return path, beats


def test_mediapipe_finds_the_rendered_dancer_and_its_beats(grid_dance):
    from mudar.features.extract import analyze
    from mudar.tasks.rhythm import rhythm_report

    path, beats = grid_dance
    a = analyze(path, AnalysisConfig(pose_stride=1))
    assert a.pose.found_fraction >= 0.9
    assert a.pose.estimator.startswith("mediapipe-pose-full")
    report = rhythm_report(a, method="pose")["dance"]
    assert report["dancer_found"] and report["body_found"] >= 0.9
    got = np.array(report["rhythm_times"])
    inner = beats[(beats > 0.5) & (beats < 8.5)]
    f = mir_eval.onset.f_measure(inner, got, window=0.07)[0]
    f_shift = mir_eval.onset.f_measure(inner + 0.3125, got, window=0.07)[0]
    assert f >= 0.7 and f > f_shift + 0.4, (f, f_shift)


def test_a_video_with_nobody_is_a_clean_result(tmp_path, mediapipe):
    from mudar.features.extract import analyze
    from mudar.io.write import write_video
    from mudar.tasks.rhythm import rhythm_report

    rng = np.random.default_rng(0)
    frames = (rng.integers(0, 255, (120, 160, 3), dtype=np.uint8) for _ in range(40))
    path = write_video(tmp_path / "noise.mp4", frames, fps=20.0)
    report = rhythm_report(analyze(path, AnalysisConfig(pose_stride=1)), method="pose")["dance"]
    assert report["dancer_found"] is False and report["rhythm_times"] == []


def test_a_long_video_shows_its_progress(grid_dance, capfd):
    from mudar.features.extract import analyze

    analyze(grid_dance[0], AnalysisConfig(pose_stride=3), music=False, progress=True)
    err = capfd.readouterr().err
    assert "pose" in err and "frame" in err


def test_without_the_extra_one_line_names_the_pip_command(monkeypatch, short_video, capsys):
    import sys

    from mudar.cli.main import main
    from mudar.features.pose import MediaPipePose
    from mudar.optional import MissingDependency

    # as if not installed (its submodules too: an earlier test may have imported them)
    for name in [m for m in sys.modules if m == "mediapipe" or m.startswith("mediapipe.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "mediapipe", None)
    with pytest.raises(MissingDependency, match=r"pip install 'mudar\[pose\]'"):
        MediaPipePose()
    assert main(["rhythm", str(short_video), "--method", "pose"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install 'mudar[pose]'" in err[0], err
