"""The table of dance rhythm methods: every name once, checked once, a new method one entry."""

import dataclasses

import numpy as np
import pytest
import torch

from mudar.errors import ParameterError
from mudar.features.analysis import AnalysisConfig
from mudar.features.extract import analyze
from mudar.methods import DANCE_RHYTHM, LEARNING_FREE
from mudar.pipelines.method import analysis_setup, without_music
from mudar.tasks import rhythm
from mudar.tasks.rhythm import (
    RHYTHM_METHODS,
    RhythmMethod,
    dance_rhythm,
    rhythm_method,
    rhythm_report,
)


@pytest.fixture(scope="module")
def analysis(dance_clip):
    return analyze(dance_clip.path, AnalysisConfig(size=64, energy_steps=4))


def test_the_table_lists_every_name_of_methods_py_in_its_order():
    assert tuple(RHYTHM_METHODS) == DANCE_RHYTHM
    assert all(name == m.name for name, m in RHYTHM_METHODS.items())
    free = tuple(m.name for m in RHYTHM_METHODS.values() if not m.needs_model)
    assert free == LEARNING_FREE
    assert [without_music(m) for m in DANCE_RHYTHM] == [
        "mudar-noaudio",
        "mudar-noaudio",
        "hoof-flux",
        "directogram",
        "motion-energy",
        "pose",
        "timing",
        "timing-beats",
    ]
    assert not any(RHYTHM_METHODS[without_music(m)].uses_music for m in DANCE_RHYTHM)


@pytest.mark.parametrize(
    "call",
    [
        lambda a: dance_rhythm(a, method="nope"),
        lambda a: rhythm_report(a, method="nope"),
        lambda a: analysis_setup("nope"),
    ],
)
def test_an_unknown_name_fails_with_one_line_naming_the_known_ones(analysis, call):
    with pytest.raises(ParameterError) as e:
        call(analysis)
    msg = str(e.value)
    assert "\n" not in msg and "'nope'" in msg
    assert msg.endswith("known: " + ", ".join(DANCE_RHYTHM))


def test_a_caller_names_what_it_checked():
    with pytest.raises(ParameterError, match="^unknown --method 'x'; known: mudar, "):
        rhythm_method("x", what="--method")


def test_a_new_entry_is_usable_without_other_edits(analysis, monkeypatch):
    seen = []

    def every_tenth(a, model):
        seen.append(model)
        frames = np.arange(0, a.n_frames, 10)
        return frames, np.ones(a.n_frames, np.float32)

    monkeypatch.setitem(RHYTHM_METHODS, "every-tenth", RhythmMethod("every-tenth", every_tenth))
    frames, strength = dance_rhythm(analysis, method="every-tenth")
    assert frames.tolist() == list(range(0, analysis.n_frames, 10)) and seen == [None]
    report = rhythm_report(analysis, method="every-tenth")
    assert report["dance"]["method"] == "every-tenth"
    fps = analysis.clock.fps
    assert report["dance"]["rhythm_times"] == [round(f / fps, 3) for f in frames]
    config, model = analysis_setup("every-tenth")
    assert model is None and config.energy_steps == 0
    assert without_music("every-tenth") == "every-tenth"


def test_a_new_entry_with_its_own_times_and_needs(analysis, monkeypatch):
    def stops(a, model):
        return np.array([2]), np.zeros(a.n_frames, np.float32)

    entry = RhythmMethod("stops", stops, needs=("energy",), times=lambda a: np.array([0.123]))
    monkeypatch.setitem(RHYTHM_METHODS, "stops", entry)
    assert rhythm_report(analysis, method="stops")["dance"]["rhythm_times"] == [0.123]
    assert analysis_setup("stops")[0].energy_steps == 4  # it reads the motion energy
    assert analysis_setup("stops")[0].pose_stride == 0


def test_the_pose_method_asks_for_the_pose_track_alone():
    config, model = analysis_setup("pose")
    assert model is None and config.pose_stride == 1 and config.energy_steps == 0


def test_the_timing_method_measures_the_pose_track_for_a_file_but_can_do_without():
    from mudar.tasks.rhythm import measure_needs

    plain = AnalysisConfig(size=64)
    config, _ = analysis_setup("timing")  # the shipped model reads the pose track
    assert config.energy_steps == 4 and config.pose_stride == 1
    assert measure_needs(plain, ["timing"]).pose_stride == 1
    # the bench measures it only for a method that needs it
    bench = measure_needs(plain, ["timing", "motion-energy"], optional=False)
    assert bench.energy_steps == 4 and bench.pose_stride == 0
    assert measure_needs(plain, ["timing", "pose"], optional=False).pose_stride == 1


def test_a_method_needing_a_model_says_so(analysis):
    with pytest.raises(ParameterError, match="'mudar-noaudio' needs a model"):
        dance_rhythm(analysis, method="mudar-noaudio")


def test_the_motion_energy_minima_are_computed_once_per_file(dance_clip, monkeypatch):
    from mudar.features import energy
    from mudar.tasks.sync import sync_offset

    calls = []
    real = energy.energy_minima

    def counted(e, *, fps):
        calls.append(id(e))
        return real(e, fps=fps)

    monkeypatch.setattr(energy, "energy_minima", counted)
    a = analyze(dance_clip.path, AnalysisConfig(size=64, energy_steps=4))
    report = rhythm_report(a, method="motion-energy")
    sync_offset(a, method="motion-energy", max_offset_s=1.0)
    assert len(calls) == 1
    fresh = dataclasses.replace(a)  # the same arrays: still once
    assert rhythm_report(fresh, method="motion-energy") == report and len(calls) == 1
    expected = real(a.dance.energy, fps=a.clock.fps)
    expected = expected[(expected >= 0) & (expected < a.n_frames / a.clock.fps)]
    assert report["dance"]["rhythm_times"] == [round(float(t), 3) for t in expected]
    other = analyze(dance_clip.path, AnalysisConfig(size=64, energy_steps=4))
    rhythm_report(other, method="motion-energy")
    assert len(calls) == 2  # another file (another analysis) is measured again


def test_the_memo_lets_go_of_an_analysis(dance_clip):
    import gc

    a = analyze(dance_clip.path, AnalysisConfig(size=64, energy_steps=4))
    rhythm.stop_times(a)
    key = id(a.dance.energy)
    assert key in rhythm._STOPS
    del a
    gc.collect()
    assert key not in rhythm._STOPS


def test_the_timing_method_picks_among_the_stops_with_its_threshold(analysis, tmp_path):
    from mudar.models.checkpoint import save_timing
    from mudar.models.timing import TimingConfig, TimingModel
    from mudar.tasks.rhythm import stop_times

    model = TimingModel(TimingConfig(hidden=8, dilations=(1,), heads=0, threshold=0.5))
    path = save_timing(model, tmp_path / "t.pt")
    config, loaded = analysis_setup("timing", checkpoint=path)
    assert config.energy_steps == 4 and config.pose_stride == 1 and config.frame_size == 0
    assert loaded.config == model.config
    stops = stop_times(analysis)
    frames, strength = dance_rhythm(analysis, method="timing", model=loaded)
    assert strength.shape == (analysis.n_frames,) and 0 <= strength.min() <= strength.max() <= 1

    def kept(th: float) -> np.ndarray:
        m = TimingModel(dataclasses.replace(model.config, threshold=th))
        m.load_state_dict(model.state_dict())
        report = rhythm_report(analysis, method="timing", model=m.eval())
        return np.array(report["dance"]["rhythm_times"])

    # a threshold below every probability keeps every stop, at its time (below the frame)
    np.testing.assert_allclose(kept(0.001), np.round(stops, 3), atol=1e-6)
    assert len(kept(0.999)) == 0
    middle = float(np.median(strength[strength > 0]))
    some = kept(middle)
    assert 0 < len(some) < len(stops) and np.isin(some, np.round(stops, 3)).all()
    with pytest.raises(ParameterError, match="'timing' needs a model"):
        dance_rhythm(analysis, method="timing")


def test_timing_beats_is_a_steady_beat_through_the_same_models_probabilities(analysis, tmp_path):
    """``timing-beats`` runs the timing model once and keeps one pulse a beat; on the same
    analysis ``timing`` still gives its own points (each has its own cache)."""
    from mudar.models.checkpoint import save_timing
    from mudar.models.timing import TimingConfig, TimingModel

    torch.manual_seed(0)
    model = TimingModel(TimingConfig(hidden=8, dilations=(1, 2), heads=0, head="dense"))
    path = save_timing(model, tmp_path / "t.pt")
    config, loaded = analysis_setup("timing-beats", checkpoint=path)
    assert config.energy_steps == 4 and config.pose_stride == 1
    frames, strength = dance_rhythm(analysis, method="timing-beats", model=loaded)
    assert strength.shape == (analysis.n_frames,)
    beats = np.array(
        rhythm_report(analysis, method="timing-beats", model=loaded)["dance"]["rhythm_times"]
    )
    points = np.array(
        rhythm_report(analysis, method="timing", model=loaded)["dance"]["rhythm_times"]
    )
    again = rhythm_report(analysis, method="timing-beats", model=loaded)["dance"]["rhythm_times"]
    np.testing.assert_array_equal(beats, again)
    assert len(beats) >= 3 and not np.array_equal(beats, points)
    gaps = np.diff(beats)
    assert gaps.std() < 0.25 * gaps.mean()  # steady: one tempo throughout
    candidates = TimingModel(TimingConfig(hidden=8, dilations=(1,), heads=0))
    with pytest.raises(ParameterError, match="dense head"):
        dance_rhythm(analysis, method="timing-beats", model=candidates.eval())
    with pytest.raises(ParameterError, match="'timing-beats' needs a model"):
        dance_rhythm(analysis, method="timing-beats")


def _with_a_pose_track(analysis, seed: int = 0):
    """``analysis`` with a made-up pose track at 25 fps (a body that wanders)."""
    from mudar.features.pose import PoseTrack

    rng = np.random.default_rng(seed)
    t = np.arange(0, analysis.duration_s, 1 / 25)
    kp = (100 + rng.standard_normal((len(t), 17, 2)).cumsum(0)).astype(np.float32)
    conf = rng.uniform(0.2, 1.0, (len(t), 17)).astype(np.float32)
    track = PoseTrack(t, kp, conf, np.zeros((len(t), 0, 4), np.float32), 160, 160, 25.0)
    return dataclasses.replace(analysis, pose=track)


@pytest.mark.parametrize("pose", [False, True])
def test_the_timing_inputs_of_an_analysis_are_the_ones_the_method_runs_on(analysis, pose):
    """One function turns an analysis into the timing model's inputs: the rhythm method and the
    bench's training both call it, and it builds what ``timing_inputs`` builds by hand."""
    import torch

    from mudar.features.candidates import timing_inputs
    from mudar.features.pose import joint_speed_curve
    from mudar.models.timing import TimingConfig, TimingModel, predict_times
    from mudar.tasks.rhythm import timing_inputs_of

    a = _with_a_pose_track(analysis) if pose else analysis
    fps = a.clock.fps
    by_hand = timing_inputs(a.dance.energy, fps=fps)
    if pose:
        track = a.pose
        by_hand = timing_inputs(
            a.dance.energy,
            fps=fps,
            pose_times=track.times_s,
            pose_speed=joint_speed_curve(track),
            pose_keypoints=track.keypoints,
            pose_confidence=track.confidence,
        )
        assert by_hand.sequence[:, 2:].any()  # the pose channels are read
    x = timing_inputs_of(a, use_pose=True)
    for field in ("sequence", "times", "positions", "scalars"):
        np.testing.assert_array_equal(getattr(x, field), getattr(by_hand, field))
    assert (x.rate, x.offset_s) == (by_hand.rate, by_hand.offset_s)
    # without use_pose the track is not read
    plain = timing_inputs_of(a, use_pose=False)
    np.testing.assert_array_equal(plain.sequence, timing_inputs(a.dance.energy, fps=fps).sequence)

    torch.manual_seed(1)
    config = TimingConfig(hidden=8, dilations=(1, 2), heads=2, threshold=0.3, head="dense")
    model = TimingModel(dataclasses.replace(config, use_pose=True)).eval()
    times = np.array(rhythm_report(a, method="timing", model=model)["dance"]["rhythm_times"])
    expected, _ = predict_times(model, x)
    expected = expected[(expected >= 0) & (expected < a.n_frames / fps)]
    np.testing.assert_allclose(times, np.round(expected, 3), atol=1e-9)
    assert len(times) > 0
