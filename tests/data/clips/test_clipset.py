"""The training clips: shapes, the video split, the negatives, skipping and reproducibility."""

import dataclasses
import json

import numpy as np
import pytest
import torch

from mudar.clock import FrameClock
from mudar.data.clips.clipset import ClipSet, content_group, music_group, split_videos
from mudar.data.clips.inputs import audio_input, pool_rows
from mudar.data.clips.sampling import avts_shift_allowed
from mudar.data.clips.windows import cut
from mudar.data.store.cache import FeatureCache
from mudar.data.store.prepare import load_manifest, prepare
from mudar.errors import InputError, ParameterError
from mudar.features.analysis import AnalysisConfig
from mudar.models.presets import MUDAR_PRESETS as PRESETS
from mudar.synthetic.video import make_dataset

DEBUG = PRESETS["debug"]
MC, TC = DEBUG.model, DEBUG.train  # 4 s clips (T = 32), 2 s hop, AVTS from epoch 2


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    """4 synthetic 6 s dances with music, prepared with 32 px frames."""
    root = tmp_path_factory.mktemp("clipset")
    make_dataset(root / "data", n=4, seed=0, duration_s=6.0)
    prepare(
        root / "data",
        root / "features",
        config=AnalysisConfig(frame_size=32, size=64),
        progress=False,
    )
    return root / "features"


@pytest.fixture(scope="module")
def ids(features):
    return [it["id"] for it in load_manifest(features)]


@pytest.fixture(scope="module")
def clipset(features, ids):
    return ClipSet(features, ids, MC, TC)


def test_items_have_the_documented_shapes_and_dtypes(clipset):
    t, s, sub = MC.n_frames, MC.frame_size, MC.sub
    want = {
        "frames": ((t, 3, s, s), torch.float32),
        "motion": ((t, MC.motion_dim), torch.float32),
        "audio": ((MC.audio_rows, t * sub), torch.float32),
        "neg_audio": ((MC.audio_rows, t * sub), torch.float32),
        "neg_kind": ((), torch.int64),
        "onsets": ((t,), torch.float32),
        "onset_strength": ((t,), torch.float32),
        "video": ((), torch.int64),
        "music_group": ((), torch.int64),
        "start": ((), torch.int64),
        "neg_video": ((), torch.int64),
        "neg_start": ((), torch.int64),
        "neg_fallback": ((), torch.int64),
    }
    # 4 videos of 48 frames, windows of 32 every 16 frames: 2 clips each
    assert len(clipset) == 8 and clipset.describe()["videos"] == 4
    item = clipset[3]
    assert set(item) == set(want)
    for k, (shape, dtype) in want.items():
        assert tuple(item[k].shape) == shape, k
        assert item[k].dtype == dtype, k
    assert 0 <= item["frames"].min() and item["frames"].max() <= 1
    # one clock: the audio sequence is exactly sub fine frames per video frame
    assert item["audio"].shape[1] == item["frames"].shape[0] * sub == item["motion"].shape[0] * sub
    assert set(item["onsets"].unique().tolist()) <= {0.0, 1.0}
    batch = torch.utils.data.default_collate([clipset[0], clipset[1]])
    assert batch["audio"].shape == (2, MC.audio_rows, t * sub)


def test_split_is_by_video_and_groups_copies(features):
    items = load_manifest(features)
    train, val = split_videos(items, 0.25, seed=0)
    assert len(val) == 1 and not set(train) & set(val)
    assert sorted(train + val) == sorted(it["id"] for it in items)
    assert split_videos(items, 0.25, seed=0) == (train, val)
    assert split_videos(items, 0.0, seed=0) == (sorted(it["id"] for it in items), [])
    # a renamed copy has the same content hash: it always lands beside its original
    copy = dict(items[0], id="copy/video")
    for seed in range(8):
        tr, va = split_videos([*items, copy], 0.5, seed=seed)
        assert (items[0]["id"] in va) == ("copy/video" in va)
        assert not set(tr) & set(va)
    assert content_group(copy) == content_group(items[0])
    with pytest.raises(ParameterError):
        split_videos(items, 1.0, seed=0)


def test_clips_of_a_split_never_cross_it(features, ids):
    train, val = split_videos(load_manifest(features), 0.25, seed=1)
    ts, vs = ClipSet(features, train, MC, TC), ClipSet(features, val, MC, TC)
    assert set(ts.video_ids) == set(train) and set(vs.video_ids) == set(val)
    for i in range(len(ts)):
        assert ts.video_ids[int(ts[i]["neg_video"])] in train
    # a validation set of one video has no AVC negative: AVTS from its own music instead
    item = vs[0]
    assert item["neg_kind"] == 1 and item["neg_fallback"] == 1
    assert vs.describe()["fallbacks"]["avc_one_video"] == 1


def test_avc_negatives_come_from_other_videos(clipset):
    clipset.set_epoch(0)
    for i in range(len(clipset)):
        item = clipset[i]
        assert item["neg_kind"] == 0
        assert item["neg_video"] != item["video"]


def test_avts_negatives_are_allowed_shifts_of_the_same_music(clipset):
    clipset.set_epoch(TC.avts_from_epoch)
    n_avts = 0
    try:
        for i in range(len(clipset)):
            item = clipset[i]
            v, start = int(item["video"]), int(item["start"])
            a = clipset.analyses[v]
            if item["neg_kind"] == 0:  # no allowed shift fits: counted fallback
                assert item["neg_fallback"] == 1
                continue
            assert item["neg_video"] == v
            shift = int(item["neg_start"]) - start
            assert avts_shift_allowed(shift, fps=MC.fps, tempo_bpm=a.music.tempo_bpm)
            # the negative is the real music of the shifted window, not wrapped round
            assert 0 <= start + shift and start + shift + MC.n_frames <= a.n_frames
            shifted = cut(a, start + shift, start + shift + MC.n_frames).music
            want = audio_input(shifted, config=MC)
            assert np.array_equal(item["neg_audio"].numpy(), want)
            n_avts += 1
    finally:
        clipset.set_epoch(0)
    assert n_avts >= len(clipset) // 2


def test_items_are_reproducible_from_seed_epoch_index(features, ids, clipset):
    other = ClipSet(features, ids, MC, TC)  # a fresh set: nothing shared but the seed
    for i in range(len(clipset)):
        a, b = clipset[i], other[i]
        for k in a:
            assert torch.equal(a[k], b[k]), k
    # another epoch draws other negatives (in general: compare over all items)
    other.set_epoch(1)
    negs0 = [(int(clipset[i]["neg_video"]), int(clipset[i]["neg_start"])) for i in range(8)]
    negs1 = [(int(other[i]["neg_video"]), int(other[i]["neg_start"])) for i in range(8)]
    assert negs0 != negs1
    # another seed too
    reseeded = ClipSet(features, ids, MC, dataclasses.replace(TC, seed=5))
    assert negs0 != [
        (int(reseeded[i]["neg_video"]), int(reseeded[i]["neg_start"])) for i in range(8)
    ]


def test_audio_input_rows(clipset):
    a = clipset.analyses[0]
    music = cut(a, 0, MC.n_frames).music
    x = audio_input(music, config=MC)
    m, sub = MC.n_mels, MC.sub
    assert x.shape == (MC.audio_rows, MC.n_frames * sub) and x.dtype == np.float32
    assert abs(x[:m].mean()) < 1e-4 and x[:m].std() == pytest.approx(1.0, abs=1e-3)
    assert x[m].max() == pytest.approx(1.0) and x[m].min() >= 0
    assert np.array_equal(x[m + 1], np.repeat(music.beats, sub))
    tg = pool_rows(music.tempogram, MC.tempogram_rows)
    assert np.allclose(x[m + 2 :], np.repeat(tg, sub, axis=1))
    with pytest.raises(ParameterError):
        audio_input(music, config=dataclasses.replace(MC, clock=FrameClock(sub=4)))


def test_silent_and_short_videos_are_skipped_and_counted(features, ids, tmp_path):
    """A hand-made feature folder: the 4 dances, one of them silent, one cut to 3 s."""
    cache_in, cache_out = FeatureCache(features), FeatureCache(tmp_path)
    items = []
    for k, it in enumerate(load_manifest(features)):
        a = cache_in.load(features / it["entry"])
        if k == 0:
            a = dataclasses.replace(a, music=None)
        elif k == 1:
            a = cut(a, 0, 24)
        entry = f"items/{k:020d}-test.npz"
        cache_out.save(tmp_path / entry, a)
        items.append(dict(it, entry=entry, n_frames=a.n_frames, has_music=a.music is not None))
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "shard-0-of-1.json").write_text(json.dumps({"items": items}))
    cs = ClipSet(tmp_path, ids, MC, TC)
    d = cs.describe()
    assert d["videos"] == 2 and d["clips"] == 4
    assert d["skipped"] == {"no_music": 1, "too_short": 1}
    assert d["memory_mb"] > 0
    with pytest.raises(InputError):
        ClipSet(tmp_path, ["nope"], MC, TC)


def test_mismatched_features_are_refused(features, ids):
    with pytest.raises(ParameterError):
        ClipSet(features, ids, dataclasses.replace(MC, hoof_bins=16), TC)
    # another frame size is resized on loading
    big = dataclasses.replace(MC, frame_size=64)
    assert ClipSet(features, ids[:2], big, TC)[0]["frames"].shape[-2:] == (64, 64)


def test_augmented_items_get_a_reproducible_look_and_the_same_music(features, ids, clipset):
    aug = ClipSet(features, ids, MC, TC, augment=True)
    a, plain = aug[3], clipset[3]
    assert not torch.allclose(a["frames"], plain["frames"])
    assert float(a["frames"].min()) >= 0.0 and float(a["frames"].max()) <= 1.0
    b = MC.hoof_bins
    hoof_mass = a["motion"][:, :b].sum(1)
    torch.testing.assert_close(hoof_mass, plain["motion"][:, :b].sum(1))
    # the motion energy is relative to its clip: a look leaves it as it is
    torch.testing.assert_close(a["motion"][:, b + 1 :], plain["motion"][:, b + 1 :])
    for k in ("audio", "neg_audio", "onsets", "neg_start", "neg_video"):
        torch.testing.assert_close(a[k], plain[k])  # the look is drawn after the negative
    torch.testing.assert_close(aug[3]["frames"], a["frames"])  # same (seed, epoch, index)
    aug.set_epoch(1)
    assert not torch.allclose(aug[3]["frames"], a["frames"])  # a new look each epoch


def test_an_energy_model_reads_the_energy_and_refuses_features_without_it(
    features, ids, tmp_path_factory
):
    energy_model = dataclasses.replace(MC, motion_energy=4)
    with pytest.raises(ParameterError, match="--motion-energy"):
        ClipSet(features, ids, energy_model, TC)
    root = tmp_path_factory.mktemp("clipset_energy")
    make_dataset(root / "data", n=4, seed=0, duration_s=6.0)
    config = AnalysisConfig(frame_size=32, size=64, energy_steps=4)
    prepare(root / "data", root / "features", config=config, progress=False)
    energy_ids = [it["id"] for it in load_manifest(root / "features")]
    item = ClipSet(root / "features", energy_ids, energy_model, TC)[3]
    b = MC.hoof_bins
    assert item["motion"].shape == (MC.n_frames, b + 1 + 4)
    assert torch.all(item["motion"][:, b + 1 :] >= 0) and item["motion"][:, b + 1 :].std() > 0
    aug = ClipSet(root / "features", energy_ids, energy_model, TC, augment=True)[3]
    torch.testing.assert_close(aug["motion"][:, b + 1 :], item["motion"][:, b + 1 :])


def test_the_paper_clip_mode_and_avc_rule_reach_the_clips(features, ids):
    middle = ClipSet(
        features, ids, MC, dataclasses.replace(TC, clip_mode="middle", avc_rule="paper")
    )
    assert len(middle) == len(middle.video_ids)  # one clip per video: the middle one
    for v, start in middle.clips:
        n = middle.analyses[v].n_frames
        assert abs((start + MC.n_frames / 2) - n / 2) <= 1  # centred on the video's middle
    item = middle[0]  # AVC under Eq. 16's rule
    assert int(item["neg_video"]) != int(item["video"]) or int(item["neg_fallback"]) == 1


def test_looks_of_one_dance_are_one_piece_of_music(features, ids):
    """Two looks of a dance (same music, other pictures) are one music group: an AVC negative
    comes from other music, and the group reaches the batch for InfoNCE."""
    cache = FeatureCache(features)
    manifest = {it["id"]: it for it in load_manifest(features)}
    a = {i: cache.load(features / manifest[i]["entry"]) for i in ids}
    other_look = dataclasses.replace(a[ids[0]], frames=1.0 - a[ids[0]].frames)
    videos = [*a.items(), (ids[0] + "-side", other_look)]
    cs = ClipSet.from_videos(videos, MC, TC)
    groups = cs.video_groups
    assert groups[0] == groups[-1] == music_group(a[ids[0]])
    assert len(set(groups)) == len(ids)  # the other dances have their own music
    cs.set_epoch(0)
    for i in range(len(cs)):
        item = cs[i]
        assert item["music_group"] == groups[int(item["video"])]
        assert groups[int(item["neg_video"])] != groups[int(item["video"])]


def test_avc_rule_and_alpha_reach_the_draw(features, ids, monkeypatch):
    import mudar.data.clips.clipset as clipset_module

    seen = []
    real = clipset_module.draw_avc_negative

    def spy(*args, **kwargs):
        seen.append((kwargs["rule"], kwargs["alpha"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(clipset_module, "draw_avc_negative", spy)
    paper = ClipSet(features, ids, MC, dataclasses.replace(TC, avc_rule="paper", avc_alpha=0.3))
    paper[0]  # epoch 0 < avts_from_epoch: an AVC negative
    assert seen == [("paper", 0.3)]
    # Eq. 16 with alpha = 1 keeps no candidate (s_rhy = Hamming - T <= 0): every draw falls
    # back; the IoU rule does not read alpha
    strict = ClipSet(features, ids, MC, dataclasses.replace(TC, avc_rule="paper", avc_alpha=1.0))
    assert all(int(strict[i]["neg_fallback"]) == 1 for i in range(len(strict)))
    assert strict.fallbacks["avc_similar"] == len(strict)
    iou = ClipSet(features, ids, MC, dataclasses.replace(TC, avc_rule="iou", avc_alpha=1.0))
    plain = ClipSet(features, ids, MC, TC)
    for i in range(len(iou)):
        torch.testing.assert_close(iou[i]["neg_audio"], plain[i]["neg_audio"])


def test_features_of_another_window_or_hoof_vote_are_refused(features, ids):
    """The paper preset's Hamming window and literal HOOF on default features: one clear error,
    not a model silently trained on the wrong analysis."""
    for change in ({"stft_window": "hamming"}, {"hoof_vote": "literal"}):
        with pytest.raises(ParameterError, match="prepare them with --stft-window"):
            ClipSet(features, ids, dataclasses.replace(MC, **change), TC)


def test_training_split_keeps_the_looks_of_a_locked_dance_together(tmp_path):
    from mudar.data.clips.clipset import choose_split, video_group
    from mudar.data.readers.dataset import dance_group

    items = []
    for d in range(6):
        (tmp_path / f"D{d}").mkdir()
        (tmp_path / f"D{d}" / "meta.json").write_text('{"locked": true}')
        for look in ("dwm", "side"):
            path = tmp_path / f"D{d}" / f"video_{look}.mp4"
            items.append({"id": f"D{d}/video_{look}", "path": str(path), "entry": f"h{d}{look}-c"})
    assert video_group(items) is dance_group
    train, val, how = choose_split(items, "auto", 0.34, 0)
    assert how == "random" and val
    assert not {dance_group(i) for i in train} & {dance_group(i) for i in val}
    # without the lock beside them the same names are plain videos, grouped by content
    assert video_group([{**it, "path": "elsewhere.mp4"} for it in items]) is content_group


def test_an_item_is_the_model_inputs_of_its_clip_as_inference_makes_them(features, ids, clipset):
    """Training items, the old inline assembly and inference's inputs agree for one clip."""
    from mudar.data.clips.inputs import batch_inputs, frames_input, model_inputs, motion_input

    cache, entries = (
        FeatureCache(features),
        {it["id"]: it["entry"] for it in load_manifest(features)},
    )
    t = MC.n_frames
    for i in (0, 3, len(clipset) - 1):
        item = clipset[i]
        v, start = clipset.clips[i]
        # the old ClipSet path, on the set's compacted analysis
        kept = cut(clipset.analyses[v], start, start + t)
        old = (
            frames_input(kept.frames),
            torch.from_numpy(motion_input(kept, energy=MC.motion_energy)),
            torch.from_numpy(audio_input(kept.music, config=MC)),
        )
        # inference: the clip of the analysis as read, through batch_inputs
        raw = cache.load(features / entries[clipset.video_ids[v]])
        clip = cut(raw, start, start + t)
        inference = [x[0] for x in batch_inputs([clip], MC)]
        for k, name in enumerate(("frames", "motion", "audio")):
            torch.testing.assert_close(item[name], old[k])
            torch.testing.assert_close(item[name], inference[k], rtol=1e-5, atol=1e-5)
            torch.testing.assert_close(model_inputs(clip, MC)[k], inference[k])
        nv, ns = int(item["neg_video"]), int(item["neg_start"])
        neg = clipset.analyses[nv].music.slice(ns, ns + t, clock=clipset.analyses[nv].clock)
        torch.testing.assert_close(item["neg_audio"], torch.from_numpy(audio_input(neg, config=MC)))


def test_a_given_manifest_is_not_read_again(features, ids, clipset, monkeypatch):
    from mudar.data.clips import clipset as module

    items = load_manifest(features)

    def refuse(d):
        raise AssertionError("read again")

    monkeypatch.setattr(module, "load_manifest", refuse)
    again = ClipSet(features, ids, MC, TC, manifest=items)
    assert again.video_ids == clipset.video_ids and again.clips == clipset.clips


def test_a_subset_shares_the_analyses_and_gives_the_items_of_a_fresh_set(
    features, ids, clipset, monkeypatch
):
    some = ids[1:3]
    fresh = ClipSet(features, some, MC, TC)
    monkeypatch.setattr(FeatureCache, "load", lambda self, entry: pytest.fail("read again"))
    sub = clipset.subset(some)
    assert sub.video_ids == fresh.video_ids and sub.clips == fresh.clips
    held = dict(zip(clipset.video_ids, clipset.analyses, strict=True))
    assert all(a.frames is held[v].frames for v, a in zip(sub.video_ids, sub.analyses, strict=True))
    for i in range(len(sub)):
        for k, x in sub[i].items():
            torch.testing.assert_close(x, fresh[i][k])
