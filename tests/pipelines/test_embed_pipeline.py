"""`mudar embed` (``mudar.pipelines.embed``): clip embeddings and rhythms of videos and songs,
saved and loaded."""

import numpy as np
import pytest

from mudar.cli.main import main
from mudar.data.readers.dataset import find_videos
from mudar.errors import InputError
from mudar.models.checkpoint import load_model
from mudar.pipelines.embed import embed_files
from mudar.tasks.embed import EmbeddingSet


@pytest.fixture(scope="module")
def embedded(debug_checkpoint, synthetic_videos, tmp_path_factory, text_mp4, audio_wav):
    items = find_videos(synthetic_videos)
    paths = [str(it.path) for it in items] + [str(audio_wav), str(text_mp4)]
    labels = [it.label for it in items] + [None, None]
    cache = tmp_path_factory.mktemp("cache")
    emb = embed_files(
        paths, checkpoint=debug_checkpoint, labels=labels, cache_dir=cache, progress=False
    )
    return emb, items, cache


def test_shapes_and_masks(embedded, debug_checkpoint, audio_wav, text_mp4):
    emb, items, _ = embedded
    cfg = load_model(debug_checkpoint).config
    assert emb.files[: len(items)] == [str(it.path) for it in items]
    assert emb.files[-1] == str(audio_wav)
    assert [p for p, _ in emb.skipped] == [str(text_mp4)]
    n, t, e = len(emb), cfg.n_frames, cfg.dim
    assert emb.audio.shape == emb.visual.shape == (n, e)
    assert emb.onsets.shape == emb.visual_rhythm.shape == emb.visual_peaks.shape == (n, t)
    assert emb.file_audio.shape == (len(emb.files), e)
    assert emb.audio_frames.shape == emb.visual_frames.shape == (n, t, e)
    # 10 s in clips of 4 s (debug preset): at 0, 4 and 6 s (the last aligned to the end)
    per_file = np.bincount(emb.clip_file)
    assert per_file[: len(items)].tolist() == [3] * len(items)
    assert emb.clip_start_s[:3].tolist() == [0.0, 4.0, 6.0]
    # the song has music and no pictures; every video has both
    song = emb.clip_file == len(emb.files) - 1
    assert emb.has_audio.all() and not emb.has_video[song].any() and emb.has_video[~song].all()
    assert np.allclose(np.linalg.norm(emb.audio, axis=1), 1, atol=1e-5)
    assert np.allclose(np.linalg.norm(emb.visual[~song], axis=1), 1, atol=1e-5)
    assert not emb.visual[song].any() and not emb.visual_peaks[song].any()
    assert emb.labels[: len(items)] == [it.label for it in items] and emb.labels[-1] == ""
    # rhythms: music onsets are the analysis' onsets; the visual rhythm is a probability
    assert emb.onsets[~song].sum() > 0
    assert ((emb.visual_rhythm >= 0) & (emb.visual_rhythm <= 1)).all()
    assert emb.visual_peaks[~song].sum() > 0


def test_save_load_roundtrip(embedded, tmp_path):
    emb = embedded[0]
    path = emb.save(tmp_path / "emb.npz")
    back = EmbeddingSet.load(path)
    assert back.files == emb.files and back.labels == emb.labels and back.fps == emb.fps
    for k in EmbeddingSet._ARRAYS:
        np.testing.assert_array_equal(getattr(back, k), getattr(emb, k))
    with pytest.raises(InputError, match="not a mudar embeddings"):
        np.savez(tmp_path / "other.npz", x=np.zeros(3))
        EmbeddingSet.load(tmp_path / "other.npz")
    with pytest.raises(InputError, match="no such"):
        EmbeddingSet.load(tmp_path / "missing.npz")


def test_cli_embeds_a_folder_and_reports_bad_files(
    capsys, embedded, debug_checkpoint, synthetic_videos, text_mp4, tmp_path
):
    _, items, cache = embedded
    out = tmp_path / "emb.npz"
    argv = ["embed", str(synthetic_videos), str(text_mp4), "-o", str(out), "--quiet"]
    code = main([*argv, "--checkpoint", str(debug_checkpoint), "--cache", str(cache)])
    captured = capsys.readouterr()
    assert code == 0
    assert f"{len(items)} file(s), {3 * len(items)} clip(s); 1 skipped" in captured.out
    assert "skipped" in captured.err and "Traceback" not in captured.err
    assert EmbeddingSet.load(out).labels == [it.label for it in items]


def test_cli_nothing_to_embed_is_one_clean_line(capsys, debug_checkpoint, text_mp4, tmp_path):
    out = tmp_path / "emb.npz"
    code = main(
        ["embed", str(text_mp4), "-o", str(out), "--quiet", "--checkpoint", str(debug_checkpoint)]
    )
    err = capsys.readouterr().err
    assert err == f"mudar: error: {text_mp4}: " + err.split(": ", 3)[-1]  # one line, the file's
    assert code == 2 and "not a media file" in err and err.count("\n") == 1
    assert not out.exists()
    assert main(["embed", str(tmp_path / "nope"), "-o", str(out)]) == 2
