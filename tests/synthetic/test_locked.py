"""The beat-locked set: matching accents to beats, the warp, and one dance written."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from mudar.data.readers.dataset import dance_group
from mudar.errors import InputError, ParameterError
from mudar.eval.bas import nearest_distances
from mudar.features.kinematic import ROOT_JOINTS, kinematic_beats
from mudar.pipelines.locked import is_complete, lock_dance
from mudar.synthetic.locked import (
    match_accents,
    motion_accents,
    music_targets,
    plan_lock,
)
from mudar.synthetic.motion import dance_joints, make_motion_dance
from mudar.synthetic.warp import TimeWarp, fit_warp, resample_joints

FPS = 25.0
LO, HI = 0.8, 1.25


def _music(beats, onsets=(), strength=None, n=200):
    """What :func:`plan_lock` reads of a MusicFeatures (8 fps per-frame strength)."""
    return SimpleNamespace(
        beat_times=np.asarray(beats, float),
        onset_times=np.asarray(onsets, float),
        onset_strength=np.ones(n, np.float32) if strength is None else strength,
    )


def _dense_slope(warp: TimeWarp, t1: float) -> np.ndarray:
    g = np.linspace(0, t1, 4000)
    return warp.slope(g), np.diff(warp(g))


# --- matching ---------------------------------------------------------------------------------


def test_accents_on_the_targets_all_match():
    t = np.arange(0.5, 10, 0.6)
    ia, ib = match_accents(t, t)
    assert np.array_equal(ia, np.arange(len(t))) and np.array_equal(ib, ia)


def test_matching_is_monotone_and_every_segment_within_the_speed_range(rng):
    for _ in range(5):
        a = np.sort(rng.uniform(0, 20, 30))
        b = np.arange(0.3, 20, 0.55)
        ia, ib = match_accents(a, b, speed_range=(LO, HI))
        assert len(ia) > 5
        assert np.all(np.diff(ia) > 0) and np.all(np.diff(ib) > 0)
        slope = np.diff(a[ia]) / np.diff(b[ib])
        assert np.all(slope >= LO - 1e-9) and np.all(slope <= HI + 1e-9)
        assert a[ia[0]] >= LO * b[ib[0]] - 1e-9  # reachable from output time 0


def test_accents_too_close_for_the_speed_limits_are_skipped():
    # accents 0.2 s apart cannot both go onto beats 0.5 s apart at <= 1.25x
    a = np.array([1.0, 1.2, 2.0, 2.5])
    b = np.array([1.0, 1.5, 2.0, 2.5])
    ia, ib = match_accents(a, b)
    assert 1 not in ia.tolist() or 0 not in ia.tolist()
    assert len(ia) == 3


def test_matching_bad_inputs():
    with pytest.raises(ParameterError, match="increasing"):
        match_accents([1.0, 0.5], [1.0])
    with pytest.raises(ParameterError, match="speed_range"):
        match_accents([1.0], [1.0], speed_range=(1.2, 1.5))
    with pytest.raises(ParameterError, match="weights"):
        match_accents([1.0], [1.0, 2.0], [1.0])
    assert [len(x) for x in match_accents([], [1.0])] == [0, 0]


def test_music_targets_keep_beats_and_strong_onsets_away_from_them():
    strength = np.zeros(80, np.float32)
    strength[[8, 12, 20]] = [0.9, 0.2, 0.9]  # frames at 8 fps: 1.0 s, 1.5 s, 2.5 s
    music = _music([1.0, 2.0, 3.0], onsets=[1.02, 1.5, 2.5], strength=strength)
    t, w, is_beat = music_targets(music, fps=8.0, onset_weight=0.5)
    # 1.02 is on a beat, 1.5 is weak: only 2.5 joins the beats
    assert t.tolist() == [1.0, 2.0, 2.5, 3.0]
    assert is_beat.tolist() == [True, True, False, True]
    assert w[2] == pytest.approx(0.45)
    t0, _, _ = music_targets(music, fps=8.0, onset_weight=0.0)
    assert t0.tolist() == [1.0, 2.0, 3.0]


# --- the warp ---------------------------------------------------------------------------------


def test_warp_passes_through_its_knots_is_monotone_smooth_and_flat_curved_there(rng):
    tau = np.cumsum(rng.uniform(0.4, 1.0, 12))
    s = np.cumsum(np.diff(tau, prepend=0) * rng.uniform(0.85, 1.2, 12))
    w = TimeWarp(np.stack([tau, s], axis=1))
    assert np.allclose(w(tau), s)
    g = np.linspace(tau[0], tau[-1], 20001)
    v = w(g)
    d = w.slope(g)
    assert np.all(np.diff(v) > 0)
    # the slope is the derivative, and continuous (no jump at the knots)
    assert np.allclose(np.gradient(v, g)[1:-1], d[1:-1], atol=2e-3)
    assert np.max(np.abs(np.diff(d))) < 1e-2
    # no curvature at the knots: the slope is stationary there
    h = 1e-4
    curv = (w.slope(tau[1:-1] + h) - w.slope(tau[1:-1] - h)) / (2 * h)
    assert np.max(np.abs(curv)) < 1e-2
    assert np.allclose(w.inverse(w(g[::100])), g[::100], atol=1e-3)


def test_fit_warp_holds_the_speed_limits_everywhere(rng):
    for _ in range(5):
        a = np.sort(rng.uniform(0, 30, 45))
        b = np.arange(0.3, 30, 0.5)
        ia, ib = match_accents(a, b, speed_range=(LO, HI))
        warp, kept = fit_warp(a[ia], b[ib], source_end_s=31.0, speed_range=(LO, HI))
        assert kept.sum() >= 0.7 * len(ia)
        d, ds = _dense_slope(warp, warp.knots[-1, 0])
        assert d.min() >= LO - 1e-6 and d.max() <= HI + 1e-6
        assert np.all(ds > 0)
        assert np.allclose(warp(b[ib][kept]), a[ia][kept])
        assert warp(0.0) >= 0 and warp(warp.knots[-1, 0]) == pytest.approx(31.0)


def test_no_match_is_the_identity():
    warp, kept = fit_warp([], [], source_end_s=5.0)
    assert len(kept) == 0
    assert np.allclose(warp(np.linspace(0, 5, 11)), np.linspace(0, 5, 11))


def test_resample_joints_at_the_identity_is_the_motion(rng):
    j = rng.normal(size=(40, 23, 3)).cumsum(axis=0)
    warp, _ = fit_warp([], [], source_end_s=39 / FPS)
    assert np.allclose(resample_joints(j, fps=FPS, warp=warp, n_frames=40), j, atol=1e-4)


# --- known answers on made-up dances ----------------------------------------------------------


def _plan(joints, beats, music_s=None):
    dur = len(joints) / FPS if music_s is None else music_s
    return plan_lock(joints, fps=FPS, music=_music(beats), music_fps=8.0, music_duration_s=dur)


def test_a_motion_already_on_the_beats_is_left_nearly_unchanged(rng):
    beats = np.arange(0.4, 12, 0.6)
    j = dance_joints(beats, n_frames=300, fps=FPS, rng=rng)
    plan = _plan(j, beats)
    d, _ = _dense_slope(plan.warp, (plan.n_frames - 1) / FPS)
    # the smoothed speed's minima sit up to 1/3 frame off the beats where the swing widens
    # (downbeats): the warp corrects that much and no more
    assert d.min() > 0.95 and d.max() < 1.05
    assert (
        np.max(np.abs(plan.warp(np.arange(plan.n_frames) / FPS) - np.arange(plan.n_frames) / FPS))
        < 0.03
    )
    assert plan.n_frames >= 295
    warped = resample_joints(j, fps=FPS, warp=plan.warp, n_frames=plan.n_frames)
    assert np.max(np.abs(warped - j[: plan.n_frames])) < 3.0  # cm, against a 30 cm arm swing
    assert len(plan.matched) >= 0.9 * len(beats)


def test_a_motion_at_1_1x_the_tempo_is_stretched_by_1_1(rng):
    beats = np.arange(0.5, 16, 0.6)
    fast = 0.5 + (beats - 0.5) / 1.1  # the dancer's beats, 1.1x the music's tempo
    j = dance_joints(fast, n_frames=325, fps=FPS, rng=rng)
    plan = _plan(j, beats, music_s=16.0)
    mid = np.linspace(1.0, (plan.n_frames - 1) / FPS - 1.0, 200)
    assert np.median(plan.warp.slope(mid)) == pytest.approx(1 / 1.1, abs=0.01)
    assert plan.n_frames / len(j) == pytest.approx(1.1, abs=0.03)


def test_warped_accents_land_on_their_targets_within_a_frame(rng):
    beats = np.arange(0.4, 14, 0.55)
    own = beats + 0.2 + rng.uniform(-0.08, 0.08, len(beats))  # a dancer late, and unsteady
    j = dance_joints(own, n_frames=350, fps=FPS, rng=rng)
    plan = _plan(j, beats)
    warped = resample_joints(j, fps=FPS, warp=plan.warp, n_frames=plan.n_frames)
    detected = kinematic_beats(warped, fps=FPS, root=ROOT_JOINTS["dwm23"])
    targets = plan.targets_s[plan.matched[:, 1]]
    assert len(targets) >= 0.8 * len(beats)
    assert np.max(nearest_distances(targets, detected)) <= 1 / FPS + 1e-9
    d, _ = _dense_slope(plan.warp, (plan.n_frames - 1) / FPS)
    assert d.min() >= LO - 1e-6 and d.max() <= HI + 1e-6
    # the source's accents, before, sit off the beats
    before = kinematic_beats(j, fps=FPS, root=ROOT_JOINTS["dwm23"])
    assert np.median(nearest_distances(before, beats)) > 2 / FPS


def test_motion_accents_are_the_kinematic_beats_refined(rng):
    beats = np.arange(0.31, 6, 0.57)
    j = dance_joints(beats, n_frames=150, fps=FPS, rng=rng, noise_cm=0.0)
    t, depth = motion_accents(j, fps=FPS)
    frames = kinematic_beats(j, fps=FPS, root=ROOT_JOINTS["dwm23"])
    assert len(t) == len(frames) and np.all(np.abs(t - frames) <= 0.5 / FPS + 1e-9)
    # sub-frame: closer to the true beats than the frames are
    assert np.mean(nearest_distances(t, beats)) < np.mean(nearest_distances(frames, beats))
    assert np.all(depth > 0.05)


# --- one dance on disk ------------------------------------------------------------------------


def test_lock_dance_writes_a_complete_dance(tmp_path):
    src = make_motion_dance(tmp_path / "src" / "D_1", tempo_bpm=100.0, duration_s=5.0).folder
    out = tmp_path / "out" / "D_1"
    meta = lock_dance(src, out, looks=("small", "fps12"))
    assert is_complete(out, ("small", "fps12")) and not is_complete(out, ("dwm",))
    on_disk = json.loads((out / "meta.json").read_text())
    assert on_disk["locked"] is True and on_disk["looks"] == ["small", "fps12"]
    assert on_disk["bodies"] == {"small": "mannequin", "fps12": "mannequin"}
    # a dance whose videos show another body than the look's (written before the mannequin:
    # no "bodies", stick figures) is not complete, so make_locked renders it again
    del on_disk["bodies"]
    (out / "meta.json").write_text(json.dumps(on_disk))
    assert not is_complete(out, ("small",))
    on_disk["bodies"] = {"small": "mannequin"}
    (out / "meta.json").write_text(json.dumps(on_disk))
    assert is_complete(out, ("small",))
    with np.load(out / "motion.npz") as z:
        assert z["joints"].shape == (meta["n_frames"], 23, 3) and float(z["fps"]) == FPS
    lo, hi = meta["speed_range"]
    assert 0.8 - 1e-6 <= lo <= hi <= 1.25 + 1e-6
    assert meta["lock"]["after"]["true"] > meta["lock"]["after"]["half"] + 0.3
    from mudar.io import probe

    info = probe(out / "video_small.mp4")
    assert (info.width, info.height) == (160, 160) and info.has_audio
    assert info.duration_s == pytest.approx(meta["duration_s"], abs=0.1)
    assert not list(out.glob(".*part"))


def test_lock_dance_bad_inputs(tmp_path):
    with pytest.raises(InputError, match="not a dance folder"):
        lock_dance(tmp_path / "nope", tmp_path / "o")
    d = tmp_path / "bad"
    d.mkdir()
    (d / "motion.npz").write_text("not an npz")
    with pytest.raises(InputError, match="motion.npz"):
        lock_dance(d, tmp_path / "o")
    src = make_motion_dance(tmp_path / "short", tempo_bpm=100.0, duration_s=3.0).folder
    (src / "audio.ogg").unlink()
    with pytest.raises(InputError, match="audio.ogg"):
        lock_dance(src, tmp_path / "o")
    with pytest.raises(ParameterError, match="unknown look"):
        lock_dance(src, tmp_path / "o", looks=("nope",))


def test_dance_group_keeps_the_looks_of_a_dance_together():
    from mudar.data.clips.clipset import split_videos

    ids = [f"DANCE_{i}/video_{lk}" for i in range(6) for lk in ("dwm", "side", "small")]
    train, val = split_videos(ids, 0.34, seed=1, group=dance_group)
    assert {dance_group(v) for v in train}.isdisjoint({dance_group(v) for v in val})
    assert dance_group({"id": "DANCE_3/video_side"}) == "DANCE_3"


def test_real_dwm_dance_locks(shared_data, tmp_path):
    src = shared_data / "dwm" / "DANCE_C_2"
    if not (src / "motion.npz").is_file():
        pytest.skip(f"{src} not found")
    meta = lock_dance(src, tmp_path / "C_2", looks=("small",), seconds=12.0)
    target = np.asarray(meta["target_times"])
    detected = np.asarray(meta["detected_accent_times"])
    assert len(target) >= 4
    # at least 90% of the matched accents are re-detected within a frame of their target
    assert np.mean(nearest_distances(target, detected) <= 1 / FPS + 1e-6) >= 0.9
    lock = meta["lock"]
    assert lock["after"]["true"] > lock["after"]["half"] + 0.2
    assert lock["after"]["true"] > lock["before"]["true"]
