"""The dance videos ``mudar prepare`` analyses for an AIST++ tree, one per sequence.

A sequence becomes an ordinary video with its music as the sound track, so the rest of the
pipeline (decode -> features -> model) is the one of every dataset:

- with ``videos/`` (the AIST Dance DB videos): the video of one camera (``c01`` by default),
  its pictures copied packet for packet, its sound replaced by the sequence's wav;
- without: the keypoints drawn by the skeleton renderer (:mod:`mudar.synthetic.skeleton`,
  COCO-17, a small look at 25 fps) with the wav muxed in.

Either way the music starts at the first picture (AIST++ music offset 0) and is cut at the end
of the motion. The videos are written under ``FEATURES/media/`` once (atomically; a run that
finds one reuses it) and their manifest ids are the sequence names, their labels the genres,
their ``split`` the official cross-modal split.
"""

from __future__ import annotations

import os
import re
import traceback
from pathlib import Path

import numpy as np
from tqdm import tqdm

from mudar.data.readers.aist import DEFAULT_CAMERA, AistSequence, load_sequence, read_aist_tree
from mudar.data.readers.dataset import VideoItem
from mudar.data.readers.keypoints import MotionClip
from mudar.data.store.engines import run_tasks
from mudar.errors import InputError, MudarError, ParameterError
from mudar.methods import DEFAULT_LOOK

__all__ = ["DEFAULT_LOOK", "MEDIA", "aist_items", "render_sequence", "upright_joints"]

MEDIA = "media"
"""Folder of a feature folder where the AIST++ videos are written."""


_ANKLE_CM = 8.0  # height of the ankle joint above the floor


def upright_joints(clip: MotionClip) -> np.ndarray:
    """COCO-17 joints turned y up, with the floor at y = 0 (what the renderer expects).

    ``clip.up_axis`` is rotated onto y (a proper rotation, no mirror); the floor is put
    ``8 cm`` below the ankles' lowest 2 % of heights.

    Returns
    -------
    np.ndarray, float64, shape (T, 17, 3)
        Centimetres.
    """
    j = np.asarray(clip.joints, dtype=np.float64)
    x, y, z = j[..., 0], j[..., 1], j[..., 2]
    if clip.up_axis == 2:  # z up: rotate -90 degrees about x
        j = np.stack([x, z, -y], axis=-1)
    elif clip.up_axis == 0:  # x up: rotate +90 degrees about z
        j = np.stack([-y, x, z], axis=-1)
    floor = float(np.percentile(j[:, 15:17, 1].min(axis=1), 2)) - _ANKLE_CM
    j = j.copy()
    j[..., 1] -= floor
    return j


def render_sequence(
    seq: AistSequence, dest: str | os.PathLike, *, look: str = DEFAULT_LOOK
) -> Path:
    """Draw a sequence's keypoints as a dance video with its music, into ``dest`` (.mp4).

    Raises
    ------
    InputError, DecodeError
        Bad keypoints or an unreadable wav.
    """
    from mudar.io.write import write_video
    from mudar.synthetic.skeleton import get_look, render_frames

    clip = load_sequence(seq)
    style = get_look(look)
    y, sr = _music(seq, clip.duration_s)
    frames = render_frames(upright_joints(clip), fps=clip.fps, look=style, skeleton="coco17")
    Path(dest).parent.mkdir(parents=True, exist_ok=True)
    return write_video(dest, frames, fps=style.fps, audio=y, sr=sr, preset="veryfast")


def camera_video(seq: AistSequence, root: Path, dest: str | os.PathLike, *, camera: str) -> Path:
    """The camera's AIST Dance DB video of ``seq`` with its wav as the sound, into ``dest``.

    Raises
    ------
    InputError, DecodeError
        No such video, or an unreadable video or wav.
    """
    from mudar.io import probe
    from mudar.io.remux import remux_with_audio

    src = seq.video(root, camera)
    if not src.is_file():
        raise InputError(f"no video {src.name} of camera {camera} in {src.parent}")
    y, sr = _music(seq, probe(src).duration_s)
    Path(dest).parent.mkdir(parents=True, exist_ok=True)
    return remux_with_audio(src, dest, y, sr=sr)


def aist_items(
    root: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    camera: str = DEFAULT_CAMERA,
    look: str = DEFAULT_LOOK,
    shard: tuple[int, int] = (0, 1),
    jobs: int = 1,
    engine: str = "local",
    address: str | None = None,
    progress: bool = False,
    initializer=None,
) -> tuple[list[VideoItem], list[tuple[str, str]]]:
    """The videos of an AIST++ tree's sequences, made under ``out_dir/media`` when missing.

    Parameters
    ----------
    root : path-like
        The AIST++ tree.
    out_dir : path-like
        The feature folder.
    camera : str
        Camera of the AIST Dance DB videos, when the tree has ``videos/``.
    look : str
        Look of the rendered keypoints otherwise (:data:`mudar.synthetic.skeleton.LOOKS`).
    shard : (I, N)
        Only every N-th sequence from the I-th.
    jobs, engine, address
        As for :func:`mudar.data.store.prepare.prepare`.
    progress : bool
        Show a progress bar.
    initializer : callable, optional
        Run once in each worker (see :func:`mudar.data.store.engines.run_tasks`).

    Returns
    -------
    items : list of VideoItem
        ``id`` the sequence name, ``label`` its genre, ``split`` its official split.
    skipped : list of (str, str)
        (file, reason) of the sequences left out: the tree's own (bad names, no music) and
        those whose video could not be made (a corrupt pickle, a missing camera video).

    Raises
    ------
    InputError
        Not an AIST++ tree, or no usable sequence.
    ParameterError
        A camera that is not ``c01`` .. ``c09``, or an unknown look.
    """
    from mudar.synthetic.skeleton import get_look

    if not re.fullmatch(r"c0[1-9]", camera):
        raise ParameterError(f"camera must be one of c01 .. c09 (AIST's views), got {camera!r}")
    root = Path(root)
    tree = read_aist_tree(root)
    get_look(look)  # an unknown look is the user's error, not a skipped sequence per file
    i, n = shard
    seqs = tree.sequences[i::n]
    folder = Path(out_dir) / MEDIA / (camera if tree.has_videos else f"rendered-{look}")
    by_name = {s.name: s for s in seqs}
    tasks = [
        (s, str(root), str(folder / f"{s.name}.mp4"), camera if tree.has_videos else None, look)
        for s in seqs
    ]
    items, skipped = [], list(tree.skipped[i::n])
    bar = tqdm(total=len(tasks), desc="aist++ videos", unit="seq", disable=not progress)
    results = run_tasks(
        make_media_one, tasks, engine=engine, jobs=jobs, address=address, initializer=initializer
    )
    for name, status, payload in results:
        bar.update()
        seq = by_name[name]
        if status == "skip":
            skipped.append((str(seq.keypoints), payload))
            continue
        items.append(VideoItem(path=Path(payload), id=name, label=seq.genre, split=seq.split))
    bar.close()
    items.sort(key=lambda it: it.id)
    return items, skipped


def make_media_one(
    seq: AistSequence, root: str, dest: str, camera: str | None, look: str
) -> tuple[str, str, str]:
    """(name, 'done' | 'skip', video path or reason): the video of one sequence. Never raises."""
    try:
        if not Path(dest).is_file():  # written atomically: a file there is complete
            if camera is None:
                render_sequence(seq, dest, look=look)
            else:
                camera_video(seq, Path(root), dest, camera=camera)
        return seq.name, "done", dest
    except MudarError as e:
        return seq.name, "skip", str(e)
    except Exception as e:  # a bug must not stop a batch; it is reported
        last = traceback.extract_tb(e.__traceback__)[-1]
        return (
            seq.name,
            "skip",
            f"internal error {type(e).__name__}: {e} ({last.filename}:{last.lineno})",
        )


def _music(seq: AistSequence, duration_s: float) -> tuple[np.ndarray, int]:
    """The wav's first ``duration_s`` seconds, at a rate AAC can carry."""
    from mudar.io.audio import load_audio_track
    from mudar.io.write import AAC_RATES

    track = load_audio_track(seq.music)
    if track is None:
        raise InputError(f"{seq.music}: no audio stream")
    y, sr = track
    if sr not in AAC_RATES:
        y, sr = load_audio_track(seq.music, sr=44100)
    y = y[: max(1, int(round(duration_s * sr)))]
    return y, sr
