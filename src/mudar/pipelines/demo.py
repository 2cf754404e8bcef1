"""The demo: every task of mudar on synthetic dances with known beats (and on the real dwm
dances when ``../shared/data/dwm`` is there), gathered in one HTML page.

Sections: rhythm (music and dance, scored against the ground truth), retrieval (sync: each
music clip must find its own dance clip), classification (grouped k-fold, confusion matrix)
and retargeting (a dance re-timed onto other music, with before/after rhythm plots).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

from mudar.data.readers.dataset import find_videos
from mudar.eval.retrieval import retrieval_scores
from mudar.eval.rhythm import event_f_measure
from mudar.features.dance import rhythm_times
from mudar.features.extract import analyze
from mudar.models.checkpoint import default_checkpoint_path
from mudar.pipelines.embed import embed_files
from mudar.pipelines.retarget import retarget_files
from mudar.pipelines.retarget_options import RetargetOptions
from mudar.report.html import table, write_page
from mudar.report.plots import plot_confusion, plot_retarget, plot_rhythm
from mudar.synthetic.video import make_clip, make_dataset
from mudar.tasks.classify_cv import (
    MAJORITY,
    NO_RHYTHM,
    TITLES,
    TWO_STREAM,
    grouped_kfold_accuracy,
)
from mudar.tasks.retrieve import (
    DEFAULT_LAMBDA3,
    embedding_similarity,
    hybrid_similarity,
    rhythm_similarity_matrix,
)
from mudar.training.train import train

# (name, tempo, camera pan): a spread of tempi, one with a moving camera
DEMO_CLIPS = (
    ("slow-90bpm", 90.0, False),
    ("medium-120bpm", 120.0, False),
    ("fast-150bpm", 150.0, False),
    ("panning-camera-110bpm", 110.0, True),
)


def _log(msg: str) -> None:
    print(f"demo: {msg}", file=sys.stderr, flush=True)


def rhythm_section(out: Path, *, duration_s: float, seed: int) -> tuple[str, list]:
    """Rhythm of the demo clips against their ground truth: (html, clips)."""

    rows, figures, clips = [], [], []
    for i, (name, tempo, pan) in enumerate(tqdm(DEMO_CLIPS, desc="rhythm", unit="clip")):
        clip = make_clip(
            out / "data",
            name=name,
            tempo_bpm=tempo,
            duration_s=duration_s,
            camera_pan=pan,
            seed=seed + i,
        )
        clips.append(clip)
        a = analyze(clip.path)
        fps = a.clock.fps
        dance_t = rhythm_times(a.dance.rhythm_frames, fps=fps)
        dance = event_f_measure(clip.motion_beat_times, dance_t, window_s=1.0 / fps)
        beats = event_f_measure(clip.beat_times, a.music.beat_times, window_s=0.07)
        rows.append(
            {
                "clip": name,
                "true tempo (BPM)": f"{tempo:.0f}",
                "estimated tempo (BPM)": f"{a.music.tempo_bpm:.1f}",
                "music beats F (70 ms)": beats.f1,
                "dance rhythm F (±1 frame)": dance.f1,
                "dance rhythm points": len(dance_t),
            }
        )
        png = plot_rhythm(
            a,
            out / f"{name}.png",
            true_beats=clip.motion_beat_times,
            title=f"{name}: music rhythm (top) and dance rhythm (bottom)",
        )
        figures.append(
            f"<h3>{name}</h3><video src='data/{Path(clip.path).name}' controls width=320></video>"
            f"<img src='{png.name}'>"
        )
    intro = (
        "<p>Synthetic dance videos: a stick figure whose motion changes direction on the beats "
        "of a drum track (with timing jitter, a textured backdrop, and in one clip a panning "
        "camera). mudar finds the music rhythm (superflux onsets, beats, tempo) from the sound "
        "and the dance rhythm (optical flow &rarr; HOOF &rarr; hoof-flux) from the pictures "
        "alone, and scores both against the ground truth.</p>"
    )
    return intro + table(rows) + "".join(figures), clips


def demo_model(out: Path, data: Path) -> tuple[str, str]:
    """(checkpoint path, description): the shipped model, else a ``debug`` model trained here."""

    shipped = default_checkpoint_path()
    if shipped.is_file():
        return str(shipped), "the shipped model (cpu preset, trained on the dwm dances)"

    _log("no shipped model: training a debug model on the demo dances (about a minute)")
    r = train(data, out / "model-run", preset="debug", progress=False)
    return str(r.model_path), "a debug model trained on the demo's synthetic dances just now"


def retrieval_section(emb) -> str:
    """Sync retrieval (music clip -> its own dance clip) with the hybrid, embedding-only,
    rhythm-only and random scores."""

    keep = np.flatnonzero(emb.has_audio & emb.has_video)
    se = embedding_similarity(emb.audio[keep], emb.visual[keep])
    length = emb.clip_len[keep]
    sr = rhythm_similarity_matrix(
        emb.onsets[keep], emb.visual_rhythm[keep], onsets_len=length, visual_len=length
    )
    sims = {
        f"hybrid (λ3={DEFAULT_LAMBDA3:g})": hybrid_similarity(se, sr),
        "embedding only (w/o rhy)": se,
        "rhythm only": sr,
        "random": np.random.default_rng(0).random(se.shape),
    }
    rel = np.eye(len(keep), dtype=bool)
    rows = []
    for name, s in sims.items():
        r = retrieval_scores(s, rel)
        rows.append({"method": name, **{k: v for k, v in r.items() if not isinstance(v, dict)}})
    return (
        f"<p>Music &rarr; dance, {len(keep)} clips of {len(set(emb.clip_file[keep].tolist()))} "
        "dances: each music clip must find its own dance clip among all of them. S_hyb = "
        "λ3&middot;S_e + (1-λ3)&middot;S_r (Eq. 21): S_e the cosine of the embeddings, S_r the "
        "correlation of the music onsets with the visual rhythm (best over ±2 frames).</p>"
        + table(rows)
    )


def classification_section(emb, out: Path) -> str:
    """Grouped k-fold genre classification of the demo dances, with a confusion matrix."""

    k = min(4, len(emb.files))
    report = grouped_kfold_accuracy(
        emb, folds=k, seed=0, methods=(TWO_STREAM, NO_RHYTHM, MAJORITY), epochs=30
    )
    rows = [
        {
            "method": TITLES[name],
            "clip accuracy": s["clip_acc_mean"],
            "file accuracy": s["file_acc_mean"],
            "file balanced accuracy": s["file_balanced_acc"],
        }
        for name, s in report.summary().items()
    ]
    png = plot_confusion(
        report.confusion(TWO_STREAM),
        report.labels,
        out / "confusion.png",
        title="two-stream classifier, files of all test folds",
    )
    return (
        f"<p>Genre of each synthetic dance ({len(emb.files)} dances, {k} folds grouped by "
        "dance): the two-stream classifier on frozen embeddings and rhythms, without the "
        "rhythms, and the majority class.</p>"
        + table(rows)
        + f"<img src='{png.name}' style='max-width:420px'>"
    )


def retarget_section(video: Path, music: Path, out: Path, *, checkpoint: str, name: str) -> str:
    """Retarget ``video`` onto ``music`` (the default options: dtw) and plot the rhythms before
    and after."""

    dest = out / f"{name}.mp4"
    r = retarget_files(
        video,
        music,
        dest,
        options=RetargetOptions(),
        checkpoint=checkpoint,
        progress=False,
        keep_rhythms=True,
    )
    times = {k: np.asarray(v) for k, v in r["rhythm_times"].items()}
    duration = r["duration_s"]
    png = plot_retarget(
        times["music_after"],
        times["dance"][times["dance"] < duration],
        times["dance_after"],
        out / f"{name}.png",
        duration_s=duration,
        title=f"{Path(video).name} onto the music of {Path(music).name} ({r['method']})",
    )
    keys = (
        "bas_before",
        "bas_before_new_song",
        "bas_after",
        "offset_before_new_song_s",
        "offset_after_s",
        "min_speed",
    )
    row = {k: r[k] for k in (*keys, "max_speed") if r.get(k) is not None}
    return (
        f"<video src='{dest.name}' controls width=320></video><img src='{png.name}'>"
        + table([row])
        + f"<p>BAS: FACT/AIST++ form, σ = {r['sigma_s']:g} s, measured on the written file's "
        "re-detected rhythms.</p>"
    )


def run_demo(
    out: str | os.PathLike,
    *,
    seed: int = 0,
    duration_s: float = 12.0,
    dwm: str | os.PathLike | None = None,
) -> Path:
    """Run every task and write ``out/index.html``; returns its path."""

    out = Path(out)
    sections = []
    _log("rhythm of the synthetic clips")
    body, clips = rhythm_section(out, duration_s=duration_s, seed=seed)
    sections.append(("Rhythm: music and dance, against the ground truth", body))

    _log("a small synthetic dataset for the learned tasks")
    data = out / "dataset"
    make_dataset(data, n=8, seed=seed, duration_s=10.0)
    checkpoint, about = demo_model(out, data)
    items = find_videos(data)
    cache = out / "cache"
    emb = embed_files(
        [str(it.path) for it in items],
        checkpoint=checkpoint,
        labels=[it.label for it in items],
        cache_dir=cache,
        progress=False,
    )
    sections.append(("Model", f"<p>Embeddings and visual rhythms from {about}.</p>"))
    _log("retrieval")
    sections.append(("Retrieval: which dance fits this music?", retrieval_section(emb)))
    _log("classification")
    sections.append(("Classification: genre", classification_section(emb, out)))
    _log("retargeting")
    sections.append(
        (
            "Retargeting: the 90 BPM dance onto the 150 BPM music",
            retarget_section(
                Path(clips[0].path),
                Path(clips[2].path),
                out,
                checkpoint=checkpoint,
                name="retargeted",
            ),
        )
    )
    if dwm is not None and Path(dwm).is_dir():
        _log(f"real dances in {dwm}")
        sections.append(("Real dances (dwm)", dwm_section(Path(dwm), out)))
    page = write_page(out / "index.html", "mudar demo", sections)
    return page


def dwm_section(dwm: Path, out: Path) -> str:
    """The rhythm of one real dance, and one real dance retargeted onto another's music."""

    dances = sorted(p for p in dwm.glob("DANCE_*") if (p / "video.mp4").is_file())
    if len(dances) < 2:
        return "<p>(fewer than two dances found)</p>"
    video, music = dances[0] / "video.mp4", dances[-1] / "audio.ogg"
    a = analyze(video)
    png = plot_rhythm(a, out / "dwm-rhythm.png", title=f"{dances[0].name}: music and dance rhythm")
    body = f"<h3>{dances[0].name}</h3><img src='{png.name}'>"
    body += f"<h3>{dances[0].name} onto the music of {dances[-1].name}</h3>"
    body += retarget_section(video, music, out, checkpoint="", name="dwm-retargeted")
    return (
        "<p>Real ballroom dances (motion capture rendered as video). Their motion is not locked "
        "to the music frame by frame (benchmarks/bench_dwm_timing.py), so rhythm alignment "
        "here is a harder, honest test.</p>" + body
    )
