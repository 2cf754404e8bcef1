"""Made-up labelled EmbeddingSets for the classification tests (tasks/test_classify*.py)."""

from __future__ import annotations

import numpy as np

from mudar.tasks.embed import EmbeddingSet

E, T = 16, 8


def make_emb(
    files_per_label: dict[str, int], *, seed: int = 0, clips: int = 3, e: int = E, t: int = T
) -> EmbeddingSet:
    """Separable classes: each label has its own mean direction in both frame embeddings."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(99).normal(size=(len(files_per_label), e))
    files, labels, clip_file, rows_v, rows_a = [], [], [], [], []
    for c, (lab, n) in enumerate(files_per_label.items()):
        for i in range(n):
            f = len(files)
            files.append(f"{lab}_{i}.mp4")
            labels.append(lab)
            for _ in range(clips):
                clip_file.append(f)
                rows_v.append(centres[c] + 0.5 * rng.normal(size=(t, e)))
                rows_a.append(-centres[c] + 0.5 * rng.normal(size=(t, e)))
    n = len(clip_file)
    visual = np.stack(rows_v).astype(np.float16)
    audio = np.stack(rows_a).astype(np.float16)
    pooled = visual.mean(1).astype(np.float32)
    return EmbeddingSet(
        files=files,
        labels=labels,
        fps=8.0,
        clip_file=np.array(clip_file, np.int64),
        clip_start_s=np.zeros(n),
        clip_len=np.full(n, t, np.int64),
        audio=pooled,
        visual=pooled,
        audio_frames=audio,
        visual_frames=visual,
        has_audio=np.ones(n, bool),
        has_video=np.ones(n, bool),
        onsets=(rng.random((n, t)) < 0.2).astype(np.uint8),
        visual_rhythm=rng.random((n, t)).astype(np.float32),
        visual_peaks=np.zeros((n, t), np.uint8),
        file_audio=np.zeros((len(files), e), np.float32),
        file_visual=np.zeros((len(files), e), np.float32),
    )
