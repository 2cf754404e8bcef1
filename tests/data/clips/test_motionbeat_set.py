"""MotionBeat's training clips: augmentation with known answers (a mirror-symmetric rest pose,
quarter turns, a null augmentation that changes nothing) and seeding."""

import dataclasses

import numpy as np
import pytest
import torch

from mudar.data.clips.augment import Augment, mel_gain
from mudar.data.clips.motionbeat_negatives import RowLayout
from mudar.data.clips.motionbeat_set import MotionBeatSet, prepare_dance
from mudar.models.presets import MOTIONBEAT_PRESETS as PRESETS
from mudar.synthetic.motion import make_motion_dataset

DEBUG = PRESETS["debug"]
NULL = Augment(
    crop_frames=0, mirror_p=0.0, scale=0.0, rotate_deg=0.0, mel_tilt=0.0, mel_band_sigma=0.0
)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    root = tmp_path_factory.mktemp("mbset") / "dances"
    made = make_motion_dataset(root, n=2, seed=7, duration_s=8.0)
    return [prepare_dance(m.folder, config=DEBUG.model, train=DEBUG.train) for m in made]


def test_mel_gain_touches_the_log_mel_only(prepared, rng):
    layout = RowLayout.from_config(DEBUG.model)
    ds = MotionBeatSet(prepared, DEBUG.model, DEBUG.train)
    rows = ds.rows[0][:, :64]
    out = mel_gain(rows, rng=rng, augment=Augment(), layout=layout)
    n = layout.n_mels
    np.testing.assert_array_equal(out[n:], rows[n:])
    shift = out[:n] - rows[:n]
    assert np.abs(shift).max() > 0 and np.allclose(shift, shift[:, :1])  # a gain per band


def test_a_null_augmentation_changes_nothing(prepared):
    plain = MotionBeatSet(prepared, DEBUG.model, DEBUG.train)
    null = MotionBeatSet(prepared, DEBUG.model, DEBUG.train, augment=NULL)
    for i in (0, 4, len(plain) - 1):  # the music's edges too: the negatives read a window
        a, b = plain[i], null[i]
        for k in a:
            torch.testing.assert_close(a[k], b[k], rtol=0, atol=1e-5, msg=k)


def test_augmented_items_are_seeded_and_stay_consistent(prepared):
    train = dataclasses.replace(DEBUG.train, crop_jitter_s=0.5)
    aug = Augment.from_train(train, fps=DEBUG.model.fps)
    assert aug.crop_frames == 4
    ds = MotionBeatSet(prepared, DEBUG.model, train, augment=aug)
    a, b = ds[2], ds[2]
    for k in a:
        torch.testing.assert_close(a[k], b[k], msg=k)
    ds.set_epoch(1)
    c = ds[2]
    assert not torch.equal(a["joints"], c["joints"])
    # whatever the crop, the per-frame targets are those of the clip's frames
    for item in (a, c):
        k, s = int(item["dance"]), int(item["start"])
        t = DEBUG.model.n_frames
        assert 0 <= s <= prepared[k].n_frames - t
        np.testing.assert_array_equal(
            item["kinematic_beats"].numpy(), prepared[k].kinematic_beats[s : s + t]
        )
        assert item["neg_audio"].shape == (3, DEBUG.model.audio_rows, t * DEBUG.model.sub)


def test_a_new_features_version_is_a_new_dance_cache_entry(tmp_path, monkeypatch):
    # the prepared dances hold the music's beats: older analysis code's are not read
    import mudar.data.clips.motionbeat_set as mbset
    from mudar.data.clips.motionbeat_set import DanceCache, dance_settings

    folder = make_motion_dataset(tmp_path / "dances", n=1, seed=7, duration_s=4.0)[0].folder
    cache = DanceCache(tmp_path / "cache")
    before = cache.entry(folder, dance_settings(DEBUG.model, DEBUG.train))
    monkeypatch.setattr(mbset, "FEATURES_VERSION", mbset.FEATURES_VERSION + 1)
    after = cache.entry(folder, dance_settings(DEBUG.model, DEBUG.train))
    assert after != before
