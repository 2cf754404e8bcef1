""" "None of these": the open-set rule of a genre classifier (mudar.tasks.classify_open), on
made-up embeddings; the shipped classifier's own level, and the text of ``classify predict``."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from labelled_sets import make_emb

from mudar.cli.classify import _genre_line
from mudar.errors import ParameterError
from mudar.models.checkpoint import default_classifier_path
from mudar.models.classifier import ClassifierConfig
from mudar.tasks.classify import load_classifier, predict, save_classifier, train_classifier
from mudar.tasks.classify_open import (
    NO_CALIBRATION,
    NO_MUSIC,
    calibrate_open_set,
    clip_statistics,
    held_out_distances,
)

FAST = ClassifierConfig(hidden=32, fc=32)
GENRES = {"waltz": 8, "tango": 6, "rumba": 6}


@pytest.fixture(scope="module")
def trained():
    """A classifier of 20 made-up dances (3 genres) and 6 new dances of the same genres."""
    train = make_emb(GENRES, seed=0)
    return train_classifier(train, config=FAST, epochs=20, seed=0), train


def test_a_dance_of_a_known_genre_is_accepted(trained):
    clf, _ = trained
    new = make_emb({"waltz": 2, "tango": 2, "rumba": 2}, seed=1)  # not trained on
    recs = predict(clf, new).records()
    assert [r["known"] for r in recs] == [True] * 6
    for r, truth in zip(recs, new.labels, strict=True):
        assert r["label"] == r["closest"] == truth and r["none_of_these"] is False
        assert 0 <= r["distance"] <= r["threshold"] and "note" not in r


def test_clearly_unlike_features_are_none_of_these(trained):
    clf, _ = trained
    odd = make_emb({"waltz": 3}, seed=2)
    rng = np.random.default_rng(5)
    # a new dance: frames that wander four times as far over time, around another point
    shape = odd.visual_frames.shape
    odd.visual_frames = (2.0 + 2.0 * rng.normal(size=shape)).astype(np.float16)
    odd.audio_frames = (-2.0 + 2.0 * rng.normal(size=shape)).astype(np.float16)
    recs = predict(clf, odd).records()
    for r in recs:
        assert r["none_of_these"] is True and r["known"] is False and r["label"] is None
        assert r["closest"] in clf.labels and r["distance"] > 2 * r["threshold"]
    line = _genre_line({**recs[0], "file": "odd.mp4"})
    assert line == f"odd.mp4: none of these (closest: {recs[0]['closest']})"


def test_the_level_keeps_the_share_of_held_out_training_dances(trained):
    clf, train = trained
    o = clf.open_set
    assert o.accept == 0.95 and o.calibration["n_dances"] == 20
    assert o.calibration["n_clips"] == len(train)
    held, files = held_out_distances(train)
    assert list(files) == list(range(20))
    assert o.calibration["accepted"] == pytest.approx(np.mean(held <= o.threshold), abs=1e-4)
    assert np.mean(held <= o.threshold) >= 0.95 and np.mean(held < o.threshold) < 1
    # the level is a held-out dance's own distance (the 95th percentile, rounded up)
    assert o.threshold == pytest.approx(np.sort(held)[19])  # ceil(0.95 * 19) = 19
    looser = calibrate_open_set(train, accept=0.5)
    assert looser.threshold < o.threshold
    with pytest.raises(ParameterError, match="accept"):
        calibrate_open_set(train, accept=0)


def test_held_out_distances_equal_the_brute_force_ones():
    emb = make_emb({"a": 3, "b": 2}, seed=4, clips=4)
    x, both = clip_statistics(emb)
    assert both.all() and x.shape == (len(emb), 4 * emb.visual_frames.shape[-1])
    z = (x - x.mean(0)) / x.std(0)
    files = np.asarray(emb.clip_file)
    clip_d = np.array(
        [
            min(np.sqrt(np.mean((z[i] - z[j]) ** 2)) for j in range(len(z)) if files[j] != files[i])
            for i in range(len(z))
        ]
    )
    want = [np.median(clip_d[files == f]) for f in range(len(emb.files))]
    np.testing.assert_allclose(held_out_distances(emb)[0], want, rtol=1e-9)
    # a clip's spread over its frames counts: the mean alone would not tell these apart
    flat = make_emb({"a": 1}, seed=4, clips=1)
    m = flat.visual_frames.astype(np.float64).mean(1, keepdims=True)
    x_flat, _ = clip_statistics(flat)
    flat.visual_frames = np.repeat(m, flat.visual_frames.shape[1], axis=1).astype(np.float16)
    x_still, _ = clip_statistics(flat)
    e = m.shape[-1]
    np.testing.assert_allclose(x_still[:, :e], x_flat[:, :e], atol=1e-2)
    assert np.all(x_still[:, e : 2 * e] < 1e-2) and np.all(x_flat[:, e : 2 * e] > 0.1)


def test_the_level_is_stored_and_reloaded_with_the_classifier(trained, tmp_path):
    clf, train = trained
    back = load_classifier(save_classifier(clf, tmp_path / "genre.cls"))
    assert back.open_set.threshold == clf.open_set.threshold
    assert back.open_set.calibration == clf.open_set.calibration
    new = make_emb({"waltz": 1, "rumba": 1}, seed=3)
    np.testing.assert_allclose(
        back.open_set.file_distances(new), clf.open_set.file_distances(new), rtol=2e-3
    )
    assert [r["known"] for r in predict(back, new).records()] == [True, True]


def test_an_older_classifier_file_loads_and_says_it_cannot_tell(trained, tmp_path):
    clf, _ = trained
    path = save_classifier(clf, tmp_path / "genre.cls")
    doc = torch.load(path, weights_only=True)
    del doc["open_set"]  # as written before the rule existed
    torch.save(doc, path)
    old = load_classifier(path)
    assert old.open_set is None
    rec = predict(old, make_emb({"waltz": 1}, seed=1)).records()[0]
    assert rec["known"] is None and rec["none_of_these"] is False and rec["note"] == NO_CALIBRATION
    assert rec["label"] == rec["closest"] == "waltz" and rec["distance"] is None
    assert rec["threshold"] is None
    p = rec["scores"]["waltz"]
    assert _genre_line(rec) == f"{rec['file']}: waltz ({p:.2f}; {NO_CALIBRATION})"


def test_a_dance_without_music_is_not_judged(trained):
    clf, _ = trained
    silent = make_emb({"tango": 1}, seed=1)
    silent.has_audio[:] = False
    rec = predict(clf, silent).records()[0]
    assert rec["known"] is None and rec["note"] == NO_MUSIC
    assert rec["label"] == rec["closest"] and rec["distance"] is None
    # a set without two dances that have music calibrates nothing
    assert calibrate_open_set(silent) is None
    assert (
        calibrate_open_set(make_emb({"a": 1, "b": 1}), np.array([True] * 3 + [False] * 3)) is None
    )


def test_the_shipped_classifier_has_its_level():
    clf = load_classifier(default_classifier_path())
    cal = clf.open_set.calibration
    assert (cal["n_dances"], cal["n_clips"]) == (35, 299) and cal["accepted"] >= 0.95
    assert 0 < clf.open_set.threshold < 5 and clf.open_set.accept == 0.95
    assert clf.open_set.reference.shape == (299, 4 * clf.config.dim)


def test_classify_predict_says_none_of_these_for_a_synthetic_dance(capsys, tmp_path):
    """The shipped classifier on the web page's demo dance (a rendered figure that stops on
    every beat of a drum track): it used to answer "rumba 0.98"."""
    from mudar.cli.main import main
    from mudar.serve.app import make_demo_media  # writes media only: no web extra needed

    video = make_demo_media(tmp_path / "demo", duration_s=6.0) / "dance-120bpm.mp4"
    argv = ["classify", "predict", "--model", str(default_classifier_path()), str(video)]
    argv += ["--cache", str(tmp_path / "cache"), "--quiet", "--jobs", "1"]
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "genres known: chacha, rumba, tango, waltz (else: none of these)"
    assert out[1].startswith(f"{video}: none of these (closest: ") and len(out) == 2
    assert main([*argv, "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["none_of_these"] is True and rec["known"] is False and rec["label"] is None
    assert rec["distance"] > rec["threshold"] and rec["closest"] in rec["genres"]
    assert rec["scores"][rec["closest"]] > 0.5  # what the softmax alone would have said
