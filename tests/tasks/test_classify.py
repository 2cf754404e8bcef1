"""Dance classification: training, prediction, files, the CLI's train and predict."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from labelled_sets import make_emb

import media_factory as mf
from mudar.cli.main import main
from mudar.data.readers.dataset import find_videos
from mudar.errors import InputError, ParameterError
from mudar.models.checkpoint import load_model
from mudar.models.classifier import ClassifierConfig
from mudar.pipelines.classify import AUDIO_ONLY
from mudar.pipelines.embed import embed_files
from mudar.tasks.classify import (
    SCHEDULES,
    load_classifier,
    predict,
    save_classifier,
    train_classifier,
)

FAST = ClassifierConfig(hidden=32, fc=32)


def test_learns_separable_classes_and_generalises():
    train = make_emb({"waltz": 4, "tango": 3, "rumba": 3}, seed=0)
    test = make_emb({"waltz": 2, "tango": 2, "rumba": 2}, seed=1)
    clf = train_classifier(train, config=FAST, epochs=40, seed=0)
    assert clf.labels == ["rumba", "tango", "waltz"]
    pred = predict(clf, test)
    assert pred.clip_proba.shape == (len(test), 3)
    np.testing.assert_allclose(pred.clip_proba.sum(1), 1, atol=1e-5)
    assert np.mean(np.array(pred.clip_labels()) == np.array(test.clip_labels)) >= 0.95
    assert pred.file_labels() == test.labels
    rec = pred.records()[0]
    assert set(rec) == {
        *("file", "label", "scores", "genres"),
        *("closest", "known", "none_of_these", "distance", "threshold"),
    }
    assert rec["known"] is True and rec["label"] == rec["closest"] == test.labels[0]
    assert set(rec["scores"]) == set(clf.labels) and rec["genres"] == list(clf.labels)


def test_training_is_seeded_and_leaves_the_global_rng_alone():
    emb = make_emb({"a": 2, "b": 2})
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    one = train_classifier(emb, config=FAST, epochs=2, seed=5)
    assert torch.rand(1) == before
    two = train_classifier(emb, config=FAST, epochs=2, seed=5)
    for k, v in one.model.state_dict().items():
        torch.testing.assert_close(v, two.model.state_dict()[k])


def test_paper_schedule_is_sec_4_2(monkeypatch):
    """Adam 4e-3, /10 after epochs 20 and 50, batch 64, 70 epochs: the rate of every epoch
    and the batch size are recorded from inside the training loop."""
    rates, batches = [], []
    real_step = torch.optim.Adam.step

    def step(self, *a, **k):
        rates.append(self.param_groups[0]["lr"])
        return real_step(self, *a, **k)

    real_split = torch.Tensor.split

    def split(self, size, *a, **k):
        batches.append(size)
        return real_split(self, size, *a, **k)

    monkeypatch.setattr(torch.optim.Adam, "step", step)
    monkeypatch.setattr(torch.Tensor, "split", split)
    emb = make_emb({"a": 2, "b": 2})  # fewer clips than 64: one step an epoch
    clf = train_classifier(emb, config=FAST, seed=0, schedule="paper")
    info = clf.info
    assert (info["schedule"], info["epochs"], info["lr"], info["batch_size"]) == (
        "paper",
        70,
        4e-3,
        64,
    )
    assert len(rates) == 70 and set(batches) == {64}
    np.testing.assert_allclose(rates[:20], 4e-3)
    np.testing.assert_allclose(rates[20:50], 4e-4)
    np.testing.assert_allclose(rates[50:], 4e-5)
    # the default schedule is unchanged: 40 epochs, /10 after 20 and 30, batch 32
    rates.clear()
    batches.clear()
    clf = train_classifier(emb, config=FAST, seed=0)
    assert clf.info["schedule"] == "scaled" and clf.info["epochs"] == 40
    assert len(rates) == 40 and set(batches) == {32}
    np.testing.assert_allclose(rates[19:21], [4e-3, 4e-4])
    np.testing.assert_allclose(rates[29:31], [4e-4, 4e-5])
    assert SCHEDULES["scaled"].epochs == 40
    with pytest.raises(ParameterError):
        train_classifier(emb, config=FAST, schedule="fast")


def test_labels_are_checked():
    emb = make_emb({"a": 2, "b": 2})
    emb.labels[1] = ""
    with pytest.raises(InputError, match="no label"):
        train_classifier(emb, epochs=1)
    one = make_emb({"a": 3})
    with pytest.raises(InputError, match="at least 2 labels"):
        train_classifier(one, epochs=1)
    # a train_mask can leave the unlabelled file out
    mask = emb.clip_file != 1
    assert train_classifier(emb, config=FAST, epochs=1, train_mask=mask).labels == ["a", "b"]
    with pytest.raises(ParameterError, match="mode"):
        train_classifier(emb, mode="magic")
    with pytest.raises(ParameterError, match="fine-tuning needs"):
        train_classifier(emb, train_mask=mask, mode="finetune")


def test_save_load_roundtrip(tmp_path):
    emb = make_emb({"a": 2, "b": 2})
    clf = train_classifier(emb, config=ClassifierConfig(rhythm=False), epochs=2)
    path = save_classifier(clf, tmp_path / "sub" / "genre.cls")
    back = load_classifier(path)
    assert back.labels == clf.labels and back.config == clf.config and back.mode == "frozen"
    np.testing.assert_array_equal(predict(back, emb).clip_proba, predict(clf, emb).clip_proba)
    assert not list(path.parent.glob(".*.part"))
    with pytest.raises(ParameterError, match="holds no embedding model"):
        back.encoder_model()
    torch.save({"format": "other"}, tmp_path / "x.cls")
    with pytest.raises(ParameterError, match="not a mudar classifier"):
        load_classifier(tmp_path / "x.cls")
    (tmp_path / "junk.cls").write_text("junk")
    with pytest.raises(InputError, match="cannot read"):
        load_classifier(tmp_path / "junk.cls")
    with pytest.raises(InputError, match="no such"):
        load_classifier(tmp_path / "missing.cls")


# --- on synthetic videos, with a real (untrained) model -----------------------------------------


def test_finetune_trains_the_encoder_and_predicts(
    video_emb, debug_checkpoint, video_cache, tmp_path
):
    encoder = load_model(debug_checkpoint)
    before = {k: v.clone() for k, v in encoder.state_dict().items()}
    clf = train_classifier(
        video_emb, config=FAST, epochs=1, mode="finetune", encoder=encoder, cache_dir=video_cache
    )
    for k, v in encoder.state_dict().items():  # the caller's model is left as it was
        torch.testing.assert_close(v, before[k])
    tuned = clf.encoder["state_dict"]
    assert not torch.equal(tuned["visual_proj.weight"], before["visual_proj.weight"])
    for k in tuned:  # the explicit pathway is not trained
        if k.startswith(("head.", "injector.")):
            assert torch.equal(tuned[k], before[k]), k
    back = load_classifier(save_classifier(clf, tmp_path / "ft.cls"))
    assert back.mode == "finetune"
    assert clf.open_set is None and back.open_set is None  # its encoder embeds unlike emb
    emb = embed_files(
        video_emb.files[:1], model=back.encoder_model(), cache_dir=video_cache, progress=False
    )
    assert predict(back, emb).file_proba.shape == (1, len(clf.labels))


def run_cli(argv: list[str]) -> int:
    """``mudar classify ...`` as the program runs it."""
    return main([str(a) for a in argv])


def test_cli_train_predict_end_to_end(
    capsys, video_emb, debug_checkpoint, synthetic_videos, video_cache, text_mp4, tmp_path
):
    cls = tmp_path / "genre.cls"
    common = [
        "--checkpoint",
        str(debug_checkpoint),
        "--cache",
        str(video_cache),
        "--quiet",
        "--jobs",
        "1",
    ]
    code = run_cli(
        ["classify", "train", "--data", str(synthetic_videos), "--out", str(cls), "--epochs", "3"]
        + common
    )
    out = capsys.readouterr().out
    assert code == 0 and cls.is_file() and "classifier of 4 genres" in out
    videos = [str(it.path) for it in find_videos(synthetic_videos)]
    song = mf.make_cover_art_song(tmp_path, "song.mp3")  # audio, though it holds a picture
    argv = ["classify", "predict", "--model", str(cls), *videos[:2], str(song), str(text_mp4)]
    rest = ["--cache", str(video_cache), "--quiet", "--jobs", "1"]
    code = run_cli(argv + ["--json"] + rest)
    captured = capsys.readouterr()
    assert code == 0
    recs = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["file"] for r in recs] == videos[:2]
    labels = load_classifier(cls).labels
    for r in recs:  # its own training dances: none is "none of these"
        assert r["known"] is True and r["label"] in labels and set(r["scores"]) == set(labels)
        assert r["genres"] == labels
        assert sum(r["scores"].values()) == pytest.approx(1, abs=1e-3)
    assert captured.err.splitlines() == [
        f"mudar: skipped {song}: {AUDIO_ONLY}",
        f"mudar: skipped {text_mp4}: not a media file FFmpeg can read "
        "(Invalid data found when processing input)",
        "mudar: 2 of 4 file(s) skipped",
    ]
    # the text names the genres it can answer; a song alone: one line, exit 2
    code = run_cli(["classify", "predict", "--model", str(cls), videos[0]] + rest)
    out = capsys.readouterr().out
    assert code == 0 and out.startswith(
        f"genres known: {', '.join(labels)} (else: none of these)\n"
    )
    code = run_cli(["classify", "predict", "--model", str(cls), str(song), "--quiet"])
    assert code == 2 and capsys.readouterr().err == f"mudar: error: {song}: {AUDIO_ONLY}\n"
    # nothing readable: one error line naming the file, exit 2
    code = run_cli(["classify", "predict", "--model", str(cls), str(text_mp4), "--quiet"])
    assert code == 2 and capsys.readouterr().err.startswith(f"mudar: error: {text_mp4}: not a")


def test_cli_errors_are_one_line(
    capsys, video_emb, debug_checkpoint, synthetic_videos, video_cache, tmp_path
):
    lone = tmp_path / "lone"
    lone.mkdir()
    shutil.copy(find_videos(synthetic_videos)[0].path, lone / "dance.mp4")  # no meta.json
    common = [
        "--checkpoint",
        str(debug_checkpoint),
        "--cache",
        str(video_cache),
        "--quiet",
        "--jobs",
        "1",
    ]
    code = run_cli(
        ["classify", "train", "--data", str(lone), "--out", str(tmp_path / "x.cls")] + common
    )
    err = capsys.readouterr().err
    assert code == 2 and "no label" in err and len(err.strip().splitlines()) == 1
    code = run_cli(["classify", "predict", "--model", str(tmp_path / "none.cls"), str(lone)])
    assert code == 2 and "no such classifier" in capsys.readouterr().err
    # embeddings of another model than --checkpoint's
    small = make_emb({"a": 2, "b": 2}).save(tmp_path / "small.npz")
    code = run_cli(
        ["classify", "train", "--data", str(small), "--out", str(tmp_path / "y.cls")] + common
    )
    assert code == 2 and "give the --checkpoint that made them" in capsys.readouterr().err
