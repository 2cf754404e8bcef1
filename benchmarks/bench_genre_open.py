""" "None of these" of the genre classifier: held-out ballroom dances kept, other inputs refused.

Run: `.venv/bin/python benchmarks/bench_genre_open.py [--emb EMB.npz] [--classifier CLS]
[--cache DIR] [--ood DIR] [--softmax]`

The classifier (default: the shipped ``genre-cpu.cls``) embeds with its own MuDaR model. Its
"none of these" rule (:mod:`mudar.tasks.classify_open`) is scored on:

- **known genres, held out by dance**: the 35 dwm dances of ../shared/data/dwm (``--emb``: their
  EmbeddingSet, made by the classifier's model; default: embedded now, features cached in
  ``--cache``). Nested: each dance is tested against a level calibrated on the other 34 alone
  (their own held-out distances), so no dance helps set the level it is judged by. Reported for
  all 35 and for the 5 the MuDaR model itself never trained on (its ``val_videos``), which are
  the fairest stand-in for a new ballroom dance;
- **other inputs** (written into ``--ood``, default a temporary folder, and embedded): the web
  page's demo dances (a rendered figure that stops on every beat of a drum track), that figure
  in five other looks (the dwm look among them), the older stick figures of
  ``mudar.synthetic.video`` (three styles), noise pictures with drums, and three dwm dances with
  their frames shuffled in time or their first frame held, each with its own music. A dwm
  dance with synthetic drums instead of its music is listed apart: the dance is ballroom, the
  music is not, so neither answer is wrong.

Beside the rule: the classifier's top softmax probability on the other inputs, and with
``--softmax`` the max-softmax, max-logit and energy scores held out by dance (a head trained on
4 of 5 folds of dances scores the fifth; the shipped head scores the other inputs), with the
level that keeps 95 % of the held-out dances and the AUROC against the other inputs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DWM = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dwm"

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_classify import dwm_embeddings  # noqa: E402  (the dwm dances' embeddings, as there)

SECONDS = 16.0
DRUMS = "dwm dance, synthetic drums"


def make_inputs(folder: Path, *, seconds: float = SECONDS) -> dict[str, list[Path]]:
    """Write the other inputs into ``folder``; returns their paths by kind."""
    from mudar.io.audio import load_audio
    from mudar.io.video import iter_decoded
    from mudar.io.write import write_video
    from mudar.serve.app import make_demo_media
    from mudar.synthetic.motion import dance_joints
    from mudar.synthetic.skeleton import LOOKS, render_frames
    from mudar.synthetic.soundtrack import synth_music
    from mudar.synthetic.video import make_clip

    folder.mkdir(parents=True, exist_ok=True)
    fps, sr = 25.0, 22050
    kinds: dict[str, list[Path]] = {}
    demo = make_demo_media(folder / "demo", duration_s=10.0)
    kinds["the page's demo dances (a figure)"] = sorted(demo.glob("*.mp4"))
    figures = []
    for i, (look, tempo) in enumerate(
        (("dwm", 100), ("colours", 128), ("back", 84), ("stick", 140), ("high", 110))
    ):
        music, beats = synth_music(tempo_bpm=tempo, duration_s=seconds, sr=sr, seed=10 + i)
        j = dance_joints(
            beats, n_frames=round(seconds * fps), fps=fps, rng=np.random.default_rng(i)
        )
        frames = render_frames(j, fps=fps, look=LOOKS[look])
        out = folder / f"figure-{look}.mp4"
        figures.append(write_video(out, frames, fps=LOOKS[look].fps, audio=music, sr=sr))
    kinds["the figure in 5 other looks"] = figures
    sticks = []
    for i, (style, tempo) in enumerate(((None, 120), ("waltz", 90), ("tango", 130))):
        name = f"stick-{style or 'default'}-{tempo}bpm"
        clip = make_clip(
            folder / "stick",
            name=name,
            tempo_bpm=tempo,
            duration_s=seconds,
            seed=20 + i,
            genre=style,
        )
        sticks.append(Path(clip.path))
    kinds["stick figures (3 styles)"] = sticks
    rng = np.random.default_rng(0)
    music, _ = synth_music(tempo_bpm=120, duration_s=seconds, sr=sr, seed=30)
    noise = (rng.integers(0, 256, (240, 320, 3), dtype=np.uint8) for _ in range(int(seconds * fps)))
    kinds["noise pictures, drums"] = [
        write_video(folder / "noise.mp4", noise, fps=fps, audio=music, sr=sr)
    ]
    shuffled, still, drums = [], [], []
    span = 1.5 * seconds
    drum_track, _ = synth_music(tempo_bpm=120, duration_s=span, sr=sr, seed=40)
    for name in ("DANCE_W_5", "DANCE_C_4", "DANCE_R_3"):
        src = DWM / name / "video.mp4"
        frames = [f for t, f in iter_decoded(src) if t < span]
        own = load_audio(src, sr=sr)[: int(span * sr)]
        order = np.random.default_rng(1).permutation(len(frames))
        shuffled.append(
            write_video(
                folder / f"shuffled-{name}.mp4",
                (frames[k] for k in order),
                fps=25.0,
                audio=own,
                sr=sr,
            )
        )
        held = (frames[0] for _ in frames)
        still.append(write_video(folder / f"still-{name}.mp4", held, fps=25.0, audio=own, sr=sr))
        drums.append(
            write_video(
                folder / f"drums-{name}.mp4", iter(frames), fps=25.0, audio=drum_track, sr=sr
            )
        )
    kinds["dwm frames shuffled in time, own music"] = shuffled
    kinds["dwm first frame held, own music"] = still
    kinds[DRUMS] = drums
    return kinds


def nested_held_out(emb) -> tuple[np.ndarray, np.ndarray]:
    """Per dance: its distance and the level calibrated on the other dances alone."""
    from mudar.tasks.classify_open import calibrate_open_set

    clip_file = np.asarray(emb.clip_file)
    dist, level = np.full(len(emb.files), np.nan), np.full(len(emb.files), np.nan)
    for f in range(len(emb.files)):
        rule = calibrate_open_set(emb, clip_file != f)
        dist[f], level[f] = rule.file_distances(emb)[f], rule.threshold
    return dist, level


def auroc(inside: np.ndarray, outside: np.ndarray) -> float:
    """P(an outside score > an inside one), ties half."""
    a, b = np.asarray(inside)[:, None], np.asarray(outside)[None, :]
    return float(np.mean((b > a) + 0.5 * (b == a)))


def softmax_scores(clf, emb, other, *, folds: int = 5, seed: int = 0):
    """Held-out (by dance, k folds) and other inputs' novelty scores of the head's logits:
    {name: (held-out per dance, other per file)}; higher is more novel. A genre of one dance
    is in every training fold and never scored (as in bench_classify.py)."""
    import torch

    from mudar.eval.classification import file_means
    from mudar.tasks.classify import train_classifier
    from mudar.tasks.classify_inputs import EmbeddingInputs

    def logits(model, e) -> np.ndarray:
        with torch.no_grad():
            return EmbeddingInputs(e).logits(model.eval(), torch.arange(len(e))).numpy()

    clip_file = np.asarray(emb.clip_file)
    genres, counts = np.unique(emb.labels, return_counts=True)
    lone = np.isin(np.array(emb.clip_labels), genres[counts == 1])  # tango: always trained on
    order = np.random.default_rng(seed).permutation(len(emb.files))
    held = np.zeros((len(emb), len(clf.labels)))
    for part in np.array_split(order, folds):
        test = np.isin(clip_file, part)
        head = train_classifier(emb, train_mask=~test | lone)
        full = np.full((len(emb), len(clf.labels)), -1e4)  # a genre the fold lacks: never
        full[:, [clf.labels.index(g) for g in head.labels]] = logits(head.model, emb)
        held[test] = full[test]
    out_logits = logits(clf.model, other)

    def scores(x: np.ndarray) -> dict[str, np.ndarray]:
        m = x.max(1, keepdims=True)
        p = np.exp(x - m)
        return {
            "max softmax": -(p / p.sum(1, keepdims=True)).max(1),
            "max logit": -x.max(1),
            "energy": -(m[:, 0] + np.log(p.sum(1))),
        }

    a, b = scores(held), scores(out_logits)
    tested = np.unique(clip_file[~lone])  # the lone genre's dance is never held out
    return {
        k: (
            file_means(a[k][:, None], clip_file, len(emb.files))[tested, 0],
            file_means(b[k][:, None], np.asarray(other.clip_file), len(other.files))[:, 0],
        )
        for k in a
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--emb", help="EmbeddingSet of the dwm dances (default: embed them now)")
    ap.add_argument("--classifier", help="classifier file (default: the shipped genre-cpu.cls)")
    ap.add_argument("--cache", help="feature cache (default: a temporary folder)")
    ap.add_argument("--ood", help="folder for the other inputs (default: a temporary folder)")
    ap.add_argument("--softmax", action="store_true", help="also the held-out softmax scores")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()

    from mudar.models.checkpoint import default_classifier_path
    from mudar.pipelines.embed import embed_files
    from mudar.tasks.classify import load_classifier, predict
    from mudar.tasks.classify_open import calibrate_open_set

    if args.emb is None and not DWM.is_dir():
        print(f"skipped: {DWM} not found (the benchmark needs the shared dwm data)")
        return 0
    t0 = time.perf_counter()
    clf = load_classifier(args.classifier or default_classifier_path())
    encoder = clf.encoder_model()
    cache = Path(args.cache or tempfile.mkdtemp(prefix="mudar-features-"))
    emb = dwm_embeddings(encoder, emb_file=args.emb, cache=cache, jobs=args.jobs)
    rule = clf.open_set or calibrate_open_set(emb)
    kinds = make_inputs(Path(args.ood or tempfile.mkdtemp(prefix="mudar-genre-open-")))
    paths = [p for ps in kinds.values() for p in ps]
    other = embed_files([str(p) for p in paths], model=encoder, cache_dir=cache, jobs=args.jobs)
    dist = rule.file_distances(other)
    top = predict(clf, other).file_proba.max(1)
    by_path = {Path(f).resolve(): i for i, f in enumerate(other.files)}

    nested, level = nested_held_out(emb)
    names = [Path(f).parent.name for f in emb.files]
    fresh = {v.split("/")[0] for v in (encoder.meta or {}).get("val_videos", [])}
    unseen = np.array([n in fresh for n in names])
    kept = nested <= level
    print(
        f"\nrule: {rule.calibration.get('rule')}; level {rule.threshold:.3f} (keeps "
        f"{rule.accept:.0%} of the training dances held out; calibrated on "
        f"{rule.calibration.get('n_dances')} dances, {rule.calibration.get('n_clips')} clips)\n"
    )
    print("| inputs | files | none of these | distance (median) | top softmax (median) |")
    print("|---|---|---|---|---|")
    print(
        f"| dwm dances, each held out (nested) | {len(kept)} | {np.sum(~kept)} "
        f"(kept {kept.mean():.0%}) | {np.median(nested):.3f} | |"
    )
    if unseen.any():
        print(
            f"| of which the MuDaR model never trained on | {unseen.sum()} | "
            f"{np.sum(~kept[unseen])} (kept {kept[unseen].mean():.0%}) | "
            f"{np.median(nested[unseen]):.3f} | |"
        )
    refused, total, scores = 0, 0, []
    for kind, ps in kinds.items():
        idx = [by_path[p.resolve()] for p in ps]
        d = dist[idx]
        print(
            f"| {kind} | {len(idx)} | {np.sum(d > rule.threshold)} | {np.median(d):.3f} | "
            f"{np.median(top[idx]):.2f} |"
        )
        if kind != DRUMS:
            refused += int(np.sum(d > rule.threshold))
            total += len(idx)
            scores += list(d)
    print(
        f"\nother inputs refused: {refused} of {total} ({refused / total:.0%}); kept "
        f"held-out dances: {kept.sum()} of {len(kept)} ({kept.mean():.0%}); AUROC of the "
        f"distance (held-out dances against other inputs): {auroc(nested, scores):.3f}"
    )
    if args.softmax:
        ids = [by_path[p.resolve()] for k, ps in kinds.items() if k != DRUMS for p in ps]
        print("\n| held-out score | AUROC | other inputs refused at the 95 % level |")
        print("|---|---|---|")
        for name, (a, b) in softmax_scores(clf, emb, other).items():
            cut = np.quantile(a, 0.95, method="higher")
            print(f"| {name} | {auroc(a, b[ids]):.3f} | {np.mean(b[ids] > cut):.0%} |")
    print(f"\n{time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
