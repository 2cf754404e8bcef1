"""What the two-stream classifier reads for a batch of clips of an EmbeddingSet.

Both sources answer the same three questions of the training loop
(:func:`mudar.tasks.classify.fit_two_stream`): which modules train beside the classifier
(``modules``), how to set their train / eval mode (``set_train``), and the classifier's logits
for some clips (``logits``).

- :class:`EmbeddingInputs` (``frozen`` mode): the embeddings and rhythms of the set, as they
  are; nothing but the classifier trains.
- :class:`MediaInputs` (``finetune`` mode): the MuDaR implicit pathway runs on each batch, from
  the cached whole-file analyses, and trains with the classifier.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from mudar.data.clips.inputs import model_inputs
from mudar.data.clips.windows import cut
from mudar.data.store.cached import cached_analyses


class EmbeddingInputs:
    """Frozen mode: the classifier's inputs straight from an EmbeddingSet."""

    def __init__(self, emb):
        self.t = {
            "visual_frames": torch.from_numpy(np.asarray(emb.visual_frames, np.float32)),
            "visual_rhythm": torch.from_numpy(np.asarray(emb.visual_rhythm, np.float32)),
            "audio_frames": torch.from_numpy(np.asarray(emb.audio_frames, np.float32)),
            "onsets": torch.from_numpy(np.asarray(emb.onsets, np.float32)),
        }
        self.lengths = torch.from_numpy(np.asarray(emb.clip_len, np.int64))
        self.has_video = torch.from_numpy(np.asarray(emb.has_video, bool))
        self.has_audio = torch.from_numpy(np.asarray(emb.has_audio, bool))

    def modules(self) -> list[torch.nn.Module]:
        return []

    def set_train(self, train: bool) -> None:
        pass

    def logits(self, model, idx: torch.Tensor, generator=None) -> torch.Tensor:
        return model(
            **{k: v[idx] for k, v in self.t.items()},
            lengths=self.lengths[idx],
            has_video=self.has_video[idx],
            has_audio=self.has_audio[idx],
            generator=generator,
        )


class MediaInputs:
    """Fine-tuning mode: the MuDaR implicit pathway runs on each batch, from cached analyses.

    Clips are cut and padded exactly as :func:`mudar.tasks.embed.embed_analysis` does.
    """

    def __init__(self, emb, encoder, analyses):
        self.emb, self.encoder, self.analyses = emb, encoder, analyses
        self.onsets = torch.from_numpy(np.asarray(emb.onsets, np.float32))
        self.lengths = torch.from_numpy(np.asarray(emb.clip_len, np.int64))
        self.has_video = torch.from_numpy(np.asarray(emb.has_video, bool))
        self.has_audio = torch.from_numpy(np.asarray(emb.has_audio, bool))

    def modules(self) -> list[torch.nn.Module]:
        """The implicit pathway: the parts whose weights fine-tuning changes."""
        e = self.encoder
        return [
            e.visual_encoder,
            e.visual_proj,
            *([e.visual_motion_proj] if e.visual_motion_proj is not None else []),
            e.visual_transformer,
            e.audio_encoder,
            e.audio_transformer,
        ]

    def set_train(self, train: bool) -> None:
        self.encoder.eval()
        if train:
            for m in self.modules():
                m.train()
            for m in self.encoder.modules():  # small batches: keep the trained statistics
                if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                    m.eval()

    def _media(self, idx: torch.Tensor):
        cfg, emb = self.encoder.config, self.emb
        t, s, b = cfg.n_frames, cfg.frame_size, len(idx)
        frames = torch.zeros(b, t, 3, s, s)
        motion = torch.zeros(b, t, cfg.motion_dim)
        audio = torch.zeros(b, cfg.audio_rows, t * cfg.sub)
        for k, i in enumerate(idx.tolist()):
            start = round(float(emb.clip_start_s[i]) * cfg.fps)
            c = cut(self.analyses[int(emb.clip_file[i])], start, start + int(emb.clip_len[i]))
            f, m, a = model_inputs(
                c, cfg, video=bool(emb.has_video[i]), audio=bool(emb.has_audio[i])
            )
            if f is not None:
                frames[k], motion[k] = f, m
            if a is not None:
                audio[k] = a
        return frames, motion, audio

    def logits(self, model, idx: torch.Tensor, generator=None) -> torch.Tensor:
        enc = self.encoder
        frames, motion, audio = self._media(idx)
        f_rgb = enc.encode_frames(frames)
        v_frames, _ = enc.implicit_visual(f_rgb, motion)
        a_frames, _ = enc.implicit_audio(enc.audio_encoder(audio))
        with torch.no_grad():  # the explicit pathway as mudar embed runs it: without the music
            rhythm = enc.head.predict(enc.head_output(f_rgb.detach(), motion)).float()
        return model(
            v_frames,
            rhythm,
            a_frames,
            self.onsets[idx],
            lengths=self.lengths[idx],
            has_video=self.has_video[idx],
            has_audio=self.has_audio[idx],
            generator=generator,
        )


# --- the cached analyses (fine-tuning) --------------------------------------------------------


def analysis_config_for(model_config):
    """The :class:`AnalysisConfig` ``mudar embed`` analyses files with for a MuDaR config."""
    return model_config.analysis_config()


def load_analyses(emb, cache_dir: str | os.PathLike, encoder) -> list:
    """The cached whole-file :class:`Analysis` of every file of ``emb``, on ``encoder``'s clock.

    Raises
    ------
    InputError
        A file missing from the cache (or from disk).
    """
    return list(cached_analyses(emb.files, cache_dir, analysis_config_for(encoder.config)))
