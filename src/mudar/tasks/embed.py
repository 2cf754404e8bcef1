"""``mudar embed``: what every downstream task reads — per clip and per file, the audio and visual
embeddings of the implicit pathway and the two rhythms of the explicit one.

A file is cut into clips of the model's length (8 s) every ``hop_s`` seconds (default: one clip
length, so clips do not overlap; the last clip is aligned to the end of the file, and a file
shorter than a clip gives one shorter clip, zero-padded). For each clip:

- ``audio`` / ``visual``: the L2-normalised clip embeddings (zeros where the file has no music
  or no pictures; ``has_audio`` / ``has_video`` say which rows are real);
- ``audio_frames`` / ``visual_frames``: the per-frame outputs of the implicit transformers
  (float16), for heads that pool over time themselves;
- ``onsets``: the music's onset maxima per frame (0/1), the music rhythm;
- ``visual_rhythm``: the learned model's per-frame rhythm probability *without the music* (the
  audio dropout path), so that a dance's rhythm never comes from its own soundtrack;
- ``visual_peaks``: its rhythm frames (0/1), the peaks the model's calibrated threshold keeps.

Per file, ``file_audio`` / ``file_visual`` are the means of its clips' embeddings, normalised.
Tasks (classify, retrieve) read an :class:`EmbeddingSet`; they never decode media (the files
are analysed by :mod:`mudar.pipelines.embed`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from mudar.data.clips.inputs import batch_inputs
from mudar.data.clips.windows import cut, sliding_windows
from mudar.data.store.cache import save_npz
from mudar.errors import InputError, ParameterError, nothing_done
from mudar.features.dance import peak_decision

FORMAT = "mudar-embeddings-1"


@dataclass
class EmbeddingSet:
    """Embeddings and rhythms of N clips from F files (E = embedding size, T = clip frames).

    Attributes
    ----------
    files : list of str, length F
    labels : list of str, length F
        Genre labels ("" where unknown).
    fps : float
        Frame rate of the rhythms, frames per second.
    clip_file : np.ndarray, int64, shape (N,)
        File index of each clip.
    clip_start_s : np.ndarray, float64, shape (N,)
        Start of each clip in its file, seconds.
    clip_len : np.ndarray, int64, shape (N,)
        Frames of each clip that hold data (T, or fewer for a file shorter than a clip).
    audio, visual : np.ndarray, float32, shape (N, E)
    audio_frames, visual_frames : np.ndarray, float16, shape (N, T, E)
    has_audio, has_video : np.ndarray, bool, shape (N,)
    onsets, visual_peaks : np.ndarray, uint8, shape (N, T)
    visual_rhythm : np.ndarray, float32, shape (N, T)
    file_audio, file_visual : np.ndarray, float32, shape (F, E)
    skipped : list of (str, str)
        Files that could not be embedded and why (not saved).
    """

    files: list[str]
    labels: list[str]
    fps: float
    clip_file: np.ndarray
    clip_start_s: np.ndarray
    clip_len: np.ndarray
    audio: np.ndarray
    visual: np.ndarray
    audio_frames: np.ndarray
    visual_frames: np.ndarray
    has_audio: np.ndarray
    has_video: np.ndarray
    onsets: np.ndarray
    visual_rhythm: np.ndarray
    visual_peaks: np.ndarray
    file_audio: np.ndarray
    file_visual: np.ndarray
    skipped: list[tuple[str, str]] = field(default_factory=list)

    _ARRAYS = (
        "clip_file",
        "clip_start_s",
        "clip_len",
        "audio",
        "visual",
        "audio_frames",
        "visual_frames",
        "has_audio",
        "has_video",
        "onsets",
        "visual_rhythm",
        "visual_peaks",
        "file_audio",
        "file_visual",
    )

    def __len__(self) -> int:
        return len(self.clip_file)

    @property
    def clip_labels(self) -> list[str]:
        return [self.labels[i] for i in self.clip_file]

    def save(self, path: str | os.PathLike) -> Path:
        """Write an ``.npz`` atomically (nothing half-written)."""

        arrays = {k: getattr(self, k) for k in self._ARRAYS}
        arrays["files"] = np.array(self.files, dtype=str)
        arrays["labels"] = np.array(self.labels, dtype=str)
        arrays["fps"] = np.float64(self.fps)
        arrays["format"] = np.array(FORMAT)
        save_npz(path, arrays)
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> EmbeddingSet:
        """Read an ``.npz`` written by :meth:`save`.

        Raises
        ------
        InputError
            Missing file, or not a mudar embeddings file.
        """
        p = Path(path)
        if not p.is_file():
            raise InputError(f"{p}: no such embeddings file")
        try:
            with np.load(p, allow_pickle=False) as z:
                if "format" not in z or str(z["format"]) != FORMAT:
                    raise InputError(
                        f"{p}: not a mudar embeddings file (make one with mudar embed)"
                    )
                return cls(
                    files=[str(s) for s in z["files"]],
                    labels=[str(s) for s in z["labels"]],
                    fps=float(z["fps"]),
                    **{k: z[k] for k in cls._ARRAYS},
                )
        except (OSError, ValueError, KeyError) as e:
            raise InputError(f"{p}: cannot read embeddings ({type(e).__name__})") from None


def embed_analysis(
    model, analysis, *, hop_s: float | None = None, batch_size: int = 8
) -> dict[str, np.ndarray]:
    """The per-clip arrays of one analysed file (keys as :class:`EmbeddingSet`'s clip arrays).

    Parameters
    ----------
    model : MuDaR
    analysis : Analysis
        Of the whole file, on the model's frame clock, with RGB frames when it has video.
    hop_s : float, optional
        Seconds between clip starts; default the clip length.
    """

    cfg = model.config
    has_video = analysis.dance is not None and analysis.frames is not None
    has_audio = analysis.music is not None
    cfg.check_analysis(analysis, video=has_video)
    if not (has_video or has_audio):
        raise InputError(f"{analysis.path}: neither pictures nor music to embed")
    meta = getattr(model, "meta", None) or {}
    threshold = float(meta["threshold"]) if meta.get("threshold") is not None else 0.0
    T, E = cfg.n_frames, cfg.dim
    windows = sliding_windows(
        analysis.n_frames, fps=cfg.fps, window_s=cfg.clip_s, hop_s=hop_s or cfg.clip_s
    )
    n = len(windows)
    out = {
        "clip_start_s": np.array([a / cfg.fps for a, _ in windows], np.float64),
        "clip_len": np.array([b - a for a, b in windows], np.int64),
        "audio": np.zeros((n, E), np.float32),
        "visual": np.zeros((n, E), np.float32),
        "audio_frames": np.zeros((n, T, E), np.float16),
        "visual_frames": np.zeros((n, T, E), np.float16),
        "has_audio": np.full(n, has_audio),
        "has_video": np.full(n, has_video),
        "onsets": np.zeros((n, T), np.uint8),
        "visual_rhythm": np.zeros((n, T), np.float32),
        "visual_peaks": np.zeros((n, T), np.uint8),
    }
    model.eval()
    for i in range(0, n, batch_size):
        chunk = windows[i : i + batch_size]
        clips = [cut(analysis, a, b) for a, b in chunk]
        frames, motion, audio = batch_inputs(clips, cfg, video=has_video, audio=has_audio)
        with torch.no_grad():
            emb = model.embed(frames, audio, motion=motion)
        prob = emb.rhythm.numpy() if has_video else None
        rows = slice(i, i + len(chunk))
        if has_audio:
            out["audio"][rows] = emb.audio_emb.numpy()
            out["audio_frames"][rows] = emb.audio_frames.numpy()
        if has_video:
            out["visual"][rows] = emb.visual_emb.numpy()
            out["visual_frames"][rows] = emb.visual_frames.numpy()
        for k, c in enumerate(clips):
            j, m = i + k, c.n_frames
            if has_audio:
                out["onsets"][j, :m] = c.music.onsets[:m]
            if has_video:
                p = prob[k, :m]
                out["visual_rhythm"][j, :m] = p
                out["visual_peaks"][j, peak_decision(p, fps=cfg.fps, threshold=threshold)] = 1
    return out


def _file_mean(x: np.ndarray) -> np.ndarray:
    m = x.mean(0)
    norm = float(np.linalg.norm(m))
    return (m / norm if norm > 0 else m).astype(np.float32)


def embedding_set(
    model,
    analysed,
    *,
    hop_s: float | None = None,
    skipped: list[tuple[str, str]] | None = None,
    progress: bool = False,
) -> EmbeddingSet:
    """Embed files that are already analysed (no decoding): the second half of
    :func:`mudar.pipelines.embed.embed_files`, for callers that hold the analyses (``mudar
    bench``).

    Parameters
    ----------
    model : MuDaR or a baseline of :mod:`mudar.models.baselines`
    analysed : iterable of (file, label, analysis)
        ``analysis`` an :class:`~mudar.features.analysis.Analysis` on the model's frame clock,
        or a callable returning one (loaded only when its turn comes); ``label`` may be None.
    hop_s : float, optional
        Seconds between clips; default one clip length.
    skipped : list of (str, str), optional
        Files already left out (and why); those that fail here are added.
    progress : bool
        Show a progress bar over the files.

    Returns
    -------
    EmbeddingSet

    Raises
    ------
    InputError
        If no file could be embedded.
    """

    skipped = list(skipped or [])
    analysed = list(analysed)
    total = len(analysed) + len(skipped)
    files, file_labels, parts = [], [], []
    for p, label, analysis in tqdm(analysed, desc="embed", unit="file", disable=not progress):
        if callable(analysis):
            analysis = analysis()
        if analysis is None:
            skipped.append((str(p), "its features cannot be read"))
            continue
        try:
            part = embed_analysis(model, analysis, hop_s=hop_s)
        except (InputError, ParameterError) as e:
            skipped.append((str(p), str(e)))
            continue
        part["clip_file"] = np.full(len(part["clip_len"]), len(files), np.int64)
        files.append(str(p))
        file_labels.append(label or "")
        parts.append(part)
    if not parts:
        raise nothing_done(skipped, total, what="embedded")
    clip = {k: np.concatenate([pt[k] for pt in parts]) for k in parts[0]}
    return EmbeddingSet(
        files=files,
        labels=file_labels,
        fps=float(model.config.fps),
        file_audio=np.stack([_file_mean(pt["audio"]) for pt in parts]),
        file_visual=np.stack([_file_mean(pt["visual"]) for pt in parts]),
        skipped=skipped,
        **clip,
    )
