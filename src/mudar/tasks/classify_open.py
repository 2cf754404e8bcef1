""" "None of these": whether a dance is like the dances a genre classifier was trained on.

A softmax over the known genres answers one of them whatever it is shown: on synthetic figures,
noise and dances with their frames shuffled in time the shipped classifier's top probability is
0.6 to 1.0, and a cross-validated max-softmax, max-logit or energy score does not tell them
from held-out ballroom dances (``benchmarks/bench_genre_open.py``). So a classifier carries an
open-set rule beside its head, calibrated on its own training dances:

- a clip's **statistics**: the mean and the spread (standard deviation over its frames) of its
  visual and of its audio frame embeddings (4E numbers), standardised per number with the
  training clips' mean and scale;
- its **distance**: the root-mean-square difference per number to the nearest training clip
  (nearest-neighbour novelty); a file's distance is the median of its clips';
- the **level**: each training dance is scored as if held out (its clips against the clips of
  the *other* dances), and the level is the smallest that keeps ``accept`` (0.95,
  :data:`mudar.methods.GENRE_ACCEPT`) of them. A file farther than the level is "none of these".

The spread matters: the mean frame embedding of anything unlike the training set (a figure,
noise) lies *near* the training clips, closer than one dance is to another, but its embeddings
vary over time unlike a dance's. Only clips with both pictures and music are scored: on the
pictures alone the distances do not separate those inputs from dances, so a file without music
gets no answer (None), nor does a classifier without a calibration (older files).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mudar.errors import ParameterError
from mudar.methods import GENRE_ACCEPT

__all__ = [
    "NO_CALIBRATION",
    "NO_MUSIC",
    "OpenSet",
    "calibrate_open_set",
    "clip_statistics",
    "held_out_distances",
    "open_set_record",
]

RULE = "nearest-clip distance of the frame embeddings' mean and spread, median per file"
NO_CALIBRATION = (
    "'none of these' not judged: this classifier has no level for it (written before it); "
    "retrain it with `mudar classify train`"
)
NO_MUSIC = "'none of these' not judged: it is judged on the dance with its music, and this has none"
_CHUNK = 256  # query clips per block of the distance matrix


def clip_statistics(emb) -> tuple[np.ndarray, np.ndarray]:
    """Mean and spread over the frames of each clip's visual and audio frame embeddings.

    Parameters
    ----------
    emb : EmbeddingSet
        ``visual_frames``, ``audio_frames`` (N, T, E), ``clip_len`` (N,).

    Returns
    -------
    (np.ndarray, np.ndarray)
        float64 (N, 4E): visual mean, visual spread, audio mean, audio spread; bool (N,): the
        clips that have both streams (the others' rows are not to be read).
    """
    n, t = emb.visual_frames.shape[:2]
    valid = (np.arange(t)[None, :] < np.asarray(emb.clip_len)[:, None])[..., None]
    count = valid.sum(1)
    out = []
    for x in (emb.visual_frames, emb.audio_frames):
        x = np.asarray(x, np.float64)
        mean = (x * valid).sum(1) / count
        spread = np.sqrt((((x - mean[:, None]) ** 2) * valid).sum(1) / count)
        out += [mean, spread]
    both = np.asarray(emb.has_video, bool) & np.asarray(emb.has_audio, bool)
    return np.concatenate(out, axis=1), both


def _nearest(q: np.ndarray, r: np.ndarray, q_group=None, r_group=None) -> np.ndarray:
    """RMS distance of each row of ``q`` to its nearest row of ``r`` (not of its own group)."""
    out = np.empty(len(q))
    r2 = (r**2).sum(1)
    for s in range(0, len(q), _CHUNK):
        qq = q[s : s + _CHUNK]
        d2 = (qq**2).sum(1)[:, None] + r2[None, :] - 2.0 * qq @ r.T
        if q_group is not None:
            d2[q_group[s : s + _CHUNK, None] == r_group[None, :]] = np.inf
        out[s : s + _CHUNK] = d2.min(1) if d2.shape[1] else np.inf
    return np.sqrt(np.maximum(out, 0.0) / q.shape[1])


def _file_medians(d: np.ndarray, clip_file: np.ndarray, n_files: int) -> np.ndarray:
    out = np.full(n_files, np.nan)
    for f in np.unique(clip_file):
        x = d[clip_file == f]
        x = x[np.isfinite(x)]
        if len(x):
            out[f] = np.median(x)
    return out


@dataclass
class OpenSet:
    """The "none of these" rule of a classifier (see the module doc).

    Attributes
    ----------
    reference : np.ndarray, float32, shape (M, 4E)
        Standardised statistics of the training clips.
    mean, scale : np.ndarray, float32, shape (4E,)
        The standardisation.
    threshold : float
        The level: a file farther than it is "none of these".
    accept : float
        The share of held-out training dances the level was set to keep.
    calibration : dict
        What it was calibrated on: ``rule``, ``n_dances``, ``n_clips``, ``accepted`` (the
        share of training dances within the level, each held out).
    """

    reference: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    threshold: float
    accept: float
    calibration: dict = field(default_factory=dict)

    def distances(self, emb) -> np.ndarray:
        """Distance of each clip of ``emb`` to the training clips, float64 (N,); NaN for a
        clip without pictures or music."""
        x, both = clip_statistics(emb)
        if x.shape[1] != self.reference.shape[1]:
            raise ParameterError(
                f"clip statistics of {x.shape[1]} numbers, the calibration has "
                f"{self.reference.shape[1]}: embed with the classifier's own model"
            )
        d = np.full(len(x), np.nan)
        if both.any():
            z = (x[both] - self.mean) / self.scale
            d[both] = _nearest(z, self.reference.astype(np.float64))
        return d

    def file_distances(self, emb) -> np.ndarray:
        """Per file of ``emb``, the median of its clips' distances, float64 (F,); NaN for a
        file without a clip that has both pictures and music."""
        clip_file = np.asarray(emb.clip_file, np.int64)
        return _file_medians(self.distances(emb), clip_file, len(emb.files))

    def to_doc(self) -> dict:
        """The dict a classifier file stores (tensors and plain values, for ``weights_only``)."""
        import torch

        return {
            "reference": torch.from_numpy(self.reference.astype(np.float16)),
            "mean": torch.from_numpy(self.mean.astype(np.float32)),
            "scale": torch.from_numpy(self.scale.astype(np.float32)),
            "threshold": float(self.threshold),
            "accept": float(self.accept),
            "calibration": dict(self.calibration),
        }

    @classmethod
    def from_doc(cls, doc: dict | None) -> OpenSet | None:
        """The rule stored by :meth:`to_doc`; None for a file written without one."""
        if not doc:
            return None
        return cls(
            reference=np.asarray(doc["reference"].float().numpy(), np.float32),
            mean=np.asarray(doc["mean"].numpy(), np.float32),
            scale=np.asarray(doc["scale"].numpy(), np.float32),
            threshold=float(doc["threshold"]),
            accept=float(doc["accept"]),
            calibration=dict(doc.get("calibration") or {}),
        )


def _training(emb, clips) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The standardised statistics of the training clips that have both streams, which clips
    they are (bool, (N,)), and the standardisation (mean, scale)."""
    x, both = clip_statistics(emb)
    keep = both if clips is None else both & np.asarray(clips, bool)
    if not keep.any():
        return x[keep], keep, np.zeros(x.shape[1]), np.ones(x.shape[1])
    mean, scale = x[keep].mean(0), np.maximum(x[keep].std(0), 1e-6)
    return (x[keep] - mean) / scale, keep, mean, scale


def held_out_distances(emb, clips: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each dance of ``clips`` scored as if held out: its clips' distances to the nearest clip
    of another dance of ``clips``, in the standardisation of ``clips``.

    Parameters
    ----------
    emb : EmbeddingSet
    clips : np.ndarray, bool, shape (N,), optional
        The training clips (default all); a dance is a file.

    Returns
    -------
    (np.ndarray, np.ndarray)
        Per file of ``emb``, float64 (F,): the median distance of its clips (NaN for a file with
        none of ``clips`` that has both streams); and the indices of the files scored.
    """
    z, keep, _, _ = _training(emb, clips)
    return _held_out(z, np.asarray(emb.clip_file, np.int64)[keep], len(emb.files))


def _held_out(z: np.ndarray, clip_file: np.ndarray, n_files: int):
    d = _nearest(z, z, clip_file, clip_file)
    return _file_medians(d, clip_file, n_files), np.unique(clip_file)


def calibrate_open_set(
    emb, clips: np.ndarray | None = None, *, accept: float = GENRE_ACCEPT
) -> OpenSet | None:
    """The "none of these" rule of a classifier trained on ``clips`` of ``emb``.

    Parameters
    ----------
    emb : EmbeddingSet
        The embeddings the classifier was trained on (made by the model it embeds new files
        with).
    clips : np.ndarray, bool, shape (N,), optional
        Its training clips (default all).
    accept : float
        Share of the training dances, each held out, that the level keeps, in (0, 1].

    Returns
    -------
    OpenSet or None
        None when fewer than 2 training dances have clips with both pictures and music (no
        dance can be held out against another).

    Raises
    ------
    ParameterError
        ``accept`` outside (0, 1].
    """
    if not 0 < accept <= 1:
        raise ParameterError(f"accept must be in (0, 1], got {accept}")
    z, keep, mean, scale = _training(emb, clips)
    held_out, files = _held_out(z, np.asarray(emb.clip_file, np.int64)[keep], len(emb.files))
    scores = held_out[files]
    if len(files) < 2 or not np.isfinite(scores).all():
        return None
    threshold = float(np.quantile(scores, accept, method="higher"))
    return OpenSet(
        reference=z.astype(np.float32),
        mean=mean.astype(np.float32),
        scale=scale.astype(np.float32),
        threshold=threshold,
        accept=float(accept),
        calibration={
            "rule": RULE,
            "n_dances": int(len(files)),
            "n_clips": int(keep.sum()),
            "accepted": round(float(np.mean(scores <= threshold)), 4),
        },
    )


def open_set_record(open_set: OpenSet | None, distance: float, closest: str) -> dict:
    """The "none of these" keys of one file's prediction.

    Returns
    -------
    dict
        ``label`` (``closest``, or None when none of these), ``closest``, ``known`` (True,
        False, or None when it cannot be told), ``none_of_these``, ``distance`` and
        ``threshold`` (None where there are none) and, when it cannot be told, ``note`` (why).
    """
    rec = {"label": closest, "closest": closest, "known": None, "none_of_these": False}
    rec["distance"] = round(float(distance), 4) if np.isfinite(distance) else None
    rec["threshold"] = round(open_set.threshold, 4) if open_set is not None else None
    if open_set is None:
        rec["note"] = NO_CALIBRATION
    elif rec["distance"] is None:
        rec["note"] = NO_MUSIC
    else:
        rec["known"] = bool(distance <= open_set.threshold)
        rec["none_of_these"] = not rec["known"]
        if rec["none_of_these"]:
            rec["label"] = None
    return rec
