"""Training clips for MuDaR: a torch Dataset over a prepared feature folder.

Each video's :class:`~mudar.features.analysis.Analysis` is loaded once and kept in memory; clips
are sliding windows of ``MudarConfig.clip_s`` seconds over each video, cut on the fly. An item
is everything one triplet needs: the dance (RGB frames and motion), its music (the stacked
audio input), a negative music clip (AVC or AVTS, :mod:`mudar.data.clips.sampling`) and the explicit
targets (music onsets per frame). Negatives are drawn from ``rng_for(seed, epoch, index)``, so
an item is a function of ``(index, epoch)`` only.

Memory: per second of video the set holds ``fps * frame_size**2 * 3`` bytes of frames (98 KB
at 8 fps and 64 px), a log-mel of ``n_mels * fps * sub * 4`` bytes (33 KB) and small per-frame
arrays (the tempogram is pooled to ``tempogram_rows`` rows on loading). The 37 minutes of the
dwm set (17,724 frames) take about 280 MB at 64 px (208 MB of it frames), 3.3 GB at the paper's
256 px; :meth:`ClipSet.describe` reports the figure. DataLoader workers started by fork share
these arrays copy-on-write.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from mudar.data.clips.augment import apply_look, draw_look
from mudar.data.clips.inputs import model_inputs, pool_rows, resize_frames
from mudar.data.clips.sampling import (
    AVC,
    AVTS,
    MAX_SIMILARITY,
    MAX_TRIES,
    draw_avc_negative,
    draw_avts_shift,
    negative_kind,
    rng_for,
)
from mudar.data.clips.windows import cut, training_windows
from mudar.data.readers.dataset import dance_group, is_locked
from mudar.data.store.cache import FeatureCache
from mudar.data.store.prepare import load_manifest
from mudar.errors import InputError, ParameterError
from mudar.features.analysis import Analysis
from mudar.models.config import MudarConfig, TrainConfig

NEG_KINDS = {AVC: 0, AVTS: 1}
"""``neg_kind`` of an item: 0 for an AVC negative, 1 for AVTS."""


# --- splitting --------------------------------------------------------------------------------


def content_group(item: dict) -> str:
    """The group of a manifest item: its file's content hash, so copies of a video go together.

    Cache entries are named ``<content hash>-<config key>.npz`` (see
    :class:`~mudar.data.store.cache.FeatureCache`); an item without an entry is its own group.
    """
    entry = item.get("entry")
    if entry:
        return Path(entry).name.split("-", 1)[0]
    return str(item["id"])


MUSIC_KEY_FRAMES = 64
"""Frames of the onset envelope that identify a soundtrack (:func:`music_group`)."""


def music_group(a: Analysis) -> int:
    """An id of a video's soundtrack: the same for every video with the same music.

    The looks of one dance of a beat-locked set (or the camera views of one performance) share
    their music; as training pairs they are one song, not several: an AVC negative must come
    from other music, and InfoNCE must not count the same music of another look as a negative.
    The id hashes the first :data:`MUSIC_KEY_FRAMES` frames of the onset envelope (rounded,
    so that two encodings of one recording agree), a 63-bit integer that is the same in every
    process (DDP ranks, shards).
    """
    env = np.round(np.asarray(a.music.onset_strength[:MUSIC_KEY_FRAMES], np.float64), 3)
    digest = hashlib.blake2b(env.astype(np.float32).tobytes(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def video_group(items: Sequence[dict]) -> Callable[[dict], str]:
    """How to group ``items`` before a split: by dance when they are all videos of a beat-locked
    set (:func:`mudar.data.readers.dataset.is_locked`: its looks of one dance go together), else by
    content (:func:`content_group`)."""
    if items and all(is_locked(dict(it)) for it in items):
        return dance_group
    return content_group


def split_videos(
    items: Sequence[dict] | Sequence[str],
    val_fraction: float,
    seed: int,
    *,
    group: Callable[[dict], str] = content_group,
) -> tuple[list[str], list[str]]:
    """Split videos (never clips) into training and validation ids.

    Videos are grouped first, so that one video never lands on both sides even when it is
    listed twice (renamed copies have the same content, hence the same group, by default;
    pass ``group`` to also keep, say, the camera views of one performance together). The groups
    are shuffled by ``seed`` and ``round(val_fraction * n_groups)`` of them go to validation
    (at least one when ``val_fraction > 0``, and never all of them).

    Parameters
    ----------
    items : sequence of dict or str
        Manifest items (:func:`mudar.data.store.prepare.load_manifest`) or bare ids.
    val_fraction : float
        In ``[0, 1)``.
    seed : int
    group : callable, optional
        Manifest item -> group key.

    Returns
    -------
    train_ids, val_ids : list of str
        Sorted.

    Raises
    ------
    ParameterError
        If ``val_fraction`` is outside ``[0, 1)``.
    """
    if not 0 <= val_fraction < 1:
        raise ParameterError(f"val_fraction must be in [0, 1), got {val_fraction}")
    items = [{"id": it} if isinstance(it, str) else it for it in items]
    groups: dict[str, list[str]] = {}
    for it in items:
        groups.setdefault(group(it), []).append(str(it["id"]))
    keys = sorted(groups)
    n_val = round(val_fraction * len(keys))
    if val_fraction > 0 and len(keys) > 1:
        n_val = min(max(n_val, 1), len(keys) - 1)
    else:
        n_val = 0
    order = np.random.default_rng(seed).permutation(len(keys))
    val_keys = {keys[i] for i in order[:n_val]}
    train = sorted({i for k in keys if k not in val_keys for i in groups[k]})
    val = sorted({i for k in val_keys for i in groups[k]})
    return train, val


SPLITS = ("auto", "official", "random")
"""How :func:`choose_split` splits: ``official`` (the dataset's own, AIST++), ``random``
(:func:`split_videos`), or ``auto`` (official when the items carry one)."""


def choose_split(
    items: Sequence[dict], how: str, val_fraction: float, seed: int
) -> tuple[list[str], list[str], str]:
    """Training and validation ids of prepared videos, by the dataset's split or at random.

    The official split is the ``split`` of each manifest item (``mudar prepare`` on an AIST++
    tree writes its cross-modal split there): ``train`` items train, ``val`` items validate,
    ``test`` items and unlisted ones are left out (``mudar eval`` scores the test ones).

    Parameters
    ----------
    items : sequence of dict
        Manifest items (:func:`mudar.data.store.prepare.load_manifest`).
    how : {"auto", "official", "random"}
    val_fraction, seed
        Of the random split (:func:`split_videos`).

    Returns
    -------
    train_ids, val_ids : list of str
        Sorted.
    used : str
        ``official`` or ``random``.

    Raises
    ------
    ParameterError
        Unknown ``how``, or ``official`` for items without a split.
    InputError
        An official split without training videos.
    """
    if how not in SPLITS:
        raise ParameterError(f"split must be one of {', '.join(SPLITS)}, got {how!r}")
    official = any(it.get("split") for it in items)
    if how == "official" and not official:
        raise ParameterError(
            "--split official needs a dataset with an official split (an AIST++ tree with "
            "splits/crossmodal_*.txt, prepared by mudar prepare)"
        )
    if how == "random" or not official:
        return (*split_videos(items, val_fraction, seed, group=video_group(items)), "random")
    train = sorted(str(it["id"]) for it in items if it.get("split") == "train")
    val = sorted(str(it["id"]) for it in items if it.get("split") == "val")
    if not train:
        raise InputError("the official split has no training video among the prepared ones")
    return train, val, "official"


# --- the dataset ------------------------------------------------------------------------------


class EpochClips(Dataset):
    """A map-style dataset of ``clips`` whose negatives are drawn for an epoch: Lightning's
    epoch hook calls :meth:`set_epoch` (the curriculum and the seeds follow it)."""

    clips: list
    epoch: int = 0

    def set_epoch(self, epoch: int) -> None:
        """Draw the negatives of ``epoch`` from now on."""
        if epoch < 0:
            raise ParameterError(f"epoch must be >= 0, got {epoch}")
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.clips)


class ClipSet(EpochClips):
    """Training triplets from a prepared feature folder.

    Parameters
    ----------
    features_dir : path-like
        Output of ``mudar prepare`` (features with RGB frames: ``frame_size > 0``).
    item_ids : sequence of str
        Manifest ids of the videos to use (e.g. one side of :func:`split_videos`).
    config : MudarConfig
        Clip length, frame rate, frame size and input sizes.
    train : TrainConfig
        Window hop, seed and the curriculum (``avts_from_epoch``).
    epoch : int
        Epoch of the negatives; change it with :meth:`set_epoch`.
    max_shift_s : float, optional
        Largest AVTS shift, seconds; default half a clip.
    max_similarity : float
        Threshold of the AVC rhythm-similarity rule
        (:data:`mudar.data.clips.sampling.MAX_SIMILARITY`).
    max_tries : int
        AVC candidates drawn before the fallback.
    augment : bool
        Give each clip a random look (framing and colour, :mod:`mudar.data.clips.augment`), drawn
        from the item's generator after its negative: for training sets only.
    videos : iterable of (str, Analysis or None), optional
        The videos themselves, instead of ``features_dir`` and ``item_ids`` (see
        :meth:`from_videos`).

    Attributes
    ----------
    video_ids : list of str
        The videos kept; an item's ``video`` indexes this list.
    clips : list of (int, int)
        ``(video, start frame)`` of each clip.
    clip_onsets : np.ndarray, float32, shape (N, T)
        Music onsets of each clip, for the AVC rule.
    skipped : collections.Counter
        Videos left out, by reason: ``no_music`` (silent: no training pair),
        ``too_short`` (under one clip), ``no_video`` (audio only), ``unreadable``.
    fallbacks : collections.Counter
        Negatives that could not follow the rule, counted in this process (with DataLoader
        workers, count the items' ``neg_fallback`` instead): ``avc_similar`` (no candidate
        below the similarity threshold: the least similar one was used), ``avts_no_shift``
        (no allowed shift fits: AVC used instead), ``avc_one_video`` (no other video: AVTS
        used instead).

    manifest : sequence of dict, optional
        The items of ``features_dir``'s manifest, when the caller has read it already
        (:func:`mudar.data.store.prepare.load_manifest`; a training run reads it once).

    Raises
    ------
    InputError
        Unknown ids, or no manifest.
    ParameterError
        Features that do not fit ``config`` (:meth:`MudarConfig.check_analysis
        <mudar.models.config.MudarConfig.check_analysis>` as trained: another clock, no RGB
        frames, another number of HOOF bins ...).
    """

    def __init__(
        self,
        features_dir: str | os.PathLike,
        item_ids: Sequence[str],
        config: MudarConfig,
        train: TrainConfig,
        *,
        epoch: int = 0,
        max_shift_s: float | None = None,
        max_similarity: float = MAX_SIMILARITY,
        max_tries: int = MAX_TRIES,
        augment: bool = False,
        videos: Iterable[tuple[str, Analysis | None]] | None = None,
        manifest: Sequence[dict] | None = None,
    ):
        self.features_dir = Path(features_dir) if features_dir is not None else None
        self.augment = bool(augment)
        self.config = config
        self.train = train
        self.epoch = 0
        self.set_epoch(epoch)
        self.max_similarity = max_similarity
        self.max_tries = max_tries
        self.clip_frames = config.n_frames
        shift_s = config.clip_s / 2 if max_shift_s is None else max_shift_s
        self.max_shift = max(1, round(shift_s * config.fps))
        self.skipped: Counter = Counter()
        self.fallbacks: Counter = Counter()
        if videos is None:
            videos = self._manifest_videos(item_ids, manifest)
        self._add_videos(videos)

    @classmethod
    def from_videos(
        cls,
        videos: Iterable[tuple[str, Analysis | None]],
        config: MudarConfig,
        train: TrainConfig,
        **options,
    ) -> ClipSet:
        """The clips of analyses already in memory (e.g. read from shards by
        :class:`mudar.data.clips.stream.ShardClips`), in the order given; ``options`` as for the
        constructor. A ``None`` analysis counts as unreadable."""
        return cls(None, (), config, train, videos=videos, **options)

    def _manifest_videos(
        self, item_ids: Sequence[str], items: Sequence[dict] | None = None
    ) -> Iterator[tuple[str, Analysis | None]]:
        """``(id, analysis)`` of the manifest items (read when not given), sorted by id, those
        that cannot give clips counted in :attr:`skipped` without loading their features."""
        if items is None:
            items = load_manifest(self.features_dir)
        manifest = {it["id"]: it for it in items}
        unknown = [i for i in item_ids if i not in manifest]
        if unknown:
            raise InputError(
                f"{self.features_dir}: {len(unknown)} id(s) not in the manifest, e.g. {unknown[:3]}"
            )
        cache = FeatureCache(self.features_dir)
        for vid in sorted(set(item_ids)):
            item = manifest[vid]
            reason = self._item_reason(item)
            if reason:
                self.skipped[reason] += 1
                continue
            yield vid, cache.load(self.features_dir / item["entry"])

    def _item_reason(self, item: dict) -> str | None:
        """Why a manifest item cannot give clips, read before its features are loaded."""
        if not item.get("has_music", True):
            return "no_music"
        if not item.get("has_dance", True):
            return "no_video"
        if int(item.get("n_frames", self.clip_frames)) < self.clip_frames:
            return "too_short"
        return None

    def _add_videos(self, videos: Iterable[tuple[str, Analysis | None]]) -> None:
        """Keep the usable videos and cut their clips."""
        config, train = self.config, self.train
        self.video_ids: list[str] = []
        self.video_groups: list[int] = []
        self.analyses: list[Analysis] = []
        self.clips: list[tuple[int, int]] = []
        for vid, analysis in videos:
            if analysis is None:
                self.skipped["unreadable"] += 1
                continue
            reason = self._check(vid, analysis)
            if reason:
                self.skipped[reason] += 1
                continue
            v = len(self.video_ids)
            self.video_ids.append(vid)
            self.video_groups.append(music_group(analysis))
            self.analyses.append(self._compact(analysis))
            for start, _ in training_windows(
                analysis.n_frames,
                fps=config.fps,
                window_s=config.clip_s,
                hop_s=train.clip_hop_s,
                mode=train.clip_mode,
            ):
                self.clips.append((v, start))
        t = self.clip_frames
        self.clip_onsets = np.zeros((len(self.clips), t), dtype=np.float32)
        for i, (v, s) in enumerate(self.clips):
            self.clip_onsets[i] = self.analyses[v].music.onsets[s : s + t]
        self.clip_videos = np.array([v for v, _ in self.clips], dtype=np.int64)
        self.clip_groups = np.array([self.video_groups[v] for v, _ in self.clips], dtype=np.int64)

    def subset(self, video_ids: Iterable[str], **options) -> ClipSet:
        """The clips of the videos ``video_ids`` that this set holds (others are left out), in
        a new set on the same analyses: nothing is read again. ``options`` as for the
        constructor (no augmentation unless asked)."""
        keep = set(video_ids)
        videos = [(v, a) for v, a in zip(self.video_ids, self.analyses, strict=True) if v in keep]
        return ClipSet.from_videos(videos, self.config, self.train, **options)

    # - loading

    def _check(self, vid: str, a: Analysis) -> str | None:
        """Why a loaded analysis cannot be used (a skip reason), or None; raises on a mismatch
        that would make every video unusable (:meth:`MudarConfig.check_analysis`, as trained)."""
        if a.music is None:
            return "no_music"
        if a.dance is None:
            return "no_video"
        if a.n_frames < self.clip_frames:
            return "too_short"
        self.config.check_analysis(a, name=vid, training=True)
        return None

    def _compact(self, a: Analysis) -> Analysis:
        """Keep only what items need, at the model's sizes: frames resized once, mel and
        tempogram pooled to the model's rows (pooling before the per-clip normalisation gives
        the same input as pooling each clip)."""
        c = self.config
        music = dataclasses.replace(
            a.music,
            mel=pool_rows(a.music.mel, c.n_mels),
            tempogram=pool_rows(a.music.tempogram, c.tempogram_rows),
        )
        return dataclasses.replace(a, music=music, frames=resize_frames(a.frames, c.frame_size))

    # - epochs

    # - items

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        """Clip ``index`` with its negative for the current epoch.

        Returns
        -------
        dict of str to torch.Tensor
            ``frames`` float32 (T, 3, S, S) RGB in [0, 1]; ``motion`` float32 (T, B + 1);
            ``audio`` and ``neg_audio`` float32 (R, T * sub) (:func:`model_inputs`);
            ``neg_kind`` int64 (0 AVC, 1 AVTS: the kind actually used); ``onsets`` float32 (T,)
            music onset maxima; ``onset_strength`` float32 (T,); ``video`` int64;
            ``music_group`` int64 (:func:`music_group`: the videos with this music);
            ``start`` int64 (first frame); ``neg_video`` int64 and ``neg_start`` int64 (where
            the negative music comes from); ``neg_fallback`` int64 (1 when the negative could
            not follow its rule, see :attr:`fallbacks`).
        """
        if not 0 <= index < len(self.clips):
            raise IndexError(f"clip {index} out of range 0:{len(self.clips)}")
        v, start = self.clips[index]
        t = self.clip_frames
        clip = cut(self.analyses[v], start, start + t)
        rng = rng_for(self.train.seed, self.epoch, index)
        kind, neg_v, neg_start, fallback = self._negative(rng, index)
        neg = cut(self.analyses[neg_v], neg_start, neg_start + t)
        frames, motion, audio = model_inputs(clip, self.config)
        neg_audio = model_inputs(neg, self.config, video=False)[2]
        if self.augment:  # a random look for this clip (mudar.data.clips.augment)
            frames, motion = apply_look(frames, motion, draw_look(rng), bins=self.config.hoof_bins)
        return {
            "frames": frames,
            "motion": motion,
            "audio": audio,
            "neg_audio": neg_audio,
            "neg_kind": torch.tensor(NEG_KINDS[kind], dtype=torch.int64),
            "onsets": torch.from_numpy(clip.music.onsets.astype(np.float32)),
            "onset_strength": torch.from_numpy(clip.music.onset_strength.astype(np.float32)),
            "video": torch.tensor(v, dtype=torch.int64),
            "music_group": torch.tensor(self.video_groups[v], dtype=torch.int64),
            "start": torch.tensor(start, dtype=torch.int64),
            "neg_video": torch.tensor(neg_v, dtype=torch.int64),
            "neg_start": torch.tensor(neg_start, dtype=torch.int64),
            "neg_fallback": torch.tensor(int(fallback), dtype=torch.int64),
        }

    def _negative(self, rng: np.random.Generator, index: int) -> tuple[str, int, int, bool]:
        """(kind used, video, start frame, fallback) of clip ``index``'s negative music."""
        v, start = self.clips[index]
        kind = negative_kind(self.epoch, self.train.avts_from_epoch)
        has_other = len(set(self.video_groups)) > 1  # other music, not only another look
        fallback = False
        if kind == AVC and not has_other:
            self.fallbacks["avc_one_video"] += 1
            kind, fallback = AVTS, True
        if kind == AVTS:
            a = self.analyses[v]
            shift = draw_avts_shift(
                rng,
                n_frames=a.n_frames,
                fps=self.config.fps,
                tempo_bpm=a.music.tempo_bpm,
                max_shift=self.max_shift,
                start=start,
                clip_frames=self.clip_frames,
            )
            if shift is not None:
                return AVTS, v, start + shift, fallback
            if not has_other:
                raise ParameterError(
                    f"clip {index} of {self.video_ids[v]} has no negative: one piece of music "
                    "only, and no time shift that Eq. 17 allows fits in it"
                )
            self.fallbacks["avts_no_shift"] += 1
            fallback = True
        draw = draw_avc_negative(
            rng,
            index,
            self.clip_groups,
            self.clip_onsets,
            max_similarity=self.max_similarity,
            max_tries=self.max_tries,
            rule=self.train.avc_rule,
            alpha=self.train.avc_alpha,
        )
        if draw.fallback:
            self.fallbacks["avc_similar"] += 1
        neg_v, neg_start = self.clips[draw.index]
        return AVC, neg_v, neg_start, fallback or draw.fallback

    # - reporting

    def memory_bytes(self) -> int:
        """Bytes of the arrays held in memory (frames, music and dance features)."""
        total = self.clip_onsets.nbytes
        for a in self.analyses:
            total += a.frames.nbytes
            total += sum(np.asarray(x).nbytes for x in a.music.to_arrays().values())
            total += sum(np.asarray(x).nbytes for x in a.dance.to_arrays().values())
        return int(total)

    def describe(self) -> dict:
        """Counts for a log line: videos, clips, skipped videos by reason, fallbacks so far,
        memory held (MB), the clip length (frames), epoch and the current negative kind."""
        return {
            "videos": len(self.video_ids),
            "clips": len(self.clips),
            "skipped": dict(self.skipped),
            "fallbacks": dict(self.fallbacks),
            "memory_mb": round(self.memory_bytes() / 2**20, 1),
            "clip_frames": self.clip_frames,
            "epoch": self.epoch,
            "negatives": negative_kind(self.epoch, self.train.avts_from_epoch),
        }
