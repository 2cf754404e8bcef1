"""The learned timing model in the bench: trained on each seed's training dances, scored in the
rhythm table on its test dances.

The recipe of ``benchmarks/bench_timing.py`` and of the shipped model: the model
(:mod:`mudar.models.timing`, the dense head; ``Budget.timing_members`` models trained with
different seeds, their probabilities averaged, three in the full budget) is trained on every
video the seed trains on (with test looks, never one of those looks) but those of a fifth of
its training dances (seeded), on which its threshold is chosen
(:func:`mudar.training.timing.choose_threshold`); the labels are each video's music beats as
mudar's own music analysis finds them (no hand labels). It reads the pose track where the
bench's analyses have one (``--methods ...,pose`` measures it), else the motion energy alone,
with torch on one thread. On a beat-locked set with test looks, the videos it trains on bring
the free pose track ``make-locked --pose`` wrote beside them, as the shipped model was trained
(:func:`mudar.pipelines.bench.data.with_pose_tracks`); the test looks' tracks are always the
estimator's, as a user's video's are. It never hears the music: its test dances are timed from
the motion only, like every row of the rhythm table.

The trained model is ``OUT/runs/timing-s<seed>/model.pt`` (a timing checkpoint,
:func:`mudar.models.checkpoint.save_timing`) beside its ``run.json``: a bench run again keeps it
(one of another number of members, from before ``timing_members``, is trained again).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

from mudar.atomic import write_text
from mudar.data.clips.clipset import split_videos, video_group
from mudar.errors import ParameterError
from mudar.methods import TIMING_ROWS
from mudar.models.checkpoint import load_timing, save_timing
from mudar.models.timing import TimingConfig
from mudar.pipelines.bench import rhythm
from mudar.pipelines.bench.plan import Plan, Run
from mudar.pipelines.bench.scoring import Seed
from mudar.tasks.rhythm import dance_rhythm, rhythm_seconds, timing_inputs_of
from mudar.training.timing import TimingTrainConfig, choose_threshold, train_ensemble

THRESHOLD_FRACTION = 0.2
"""Share of the seed's training dances its threshold is chosen on (none of their videos is
trained on)."""


def threshold_split(ctx: Seed) -> tuple[list[str], list[str]]:
    """The seed's training videos to fit on, and those of a fifth of its training dances (all
    the looks of a dance together, seeded by the seed; at least one dance, never all) to
    choose the threshold on.

    Raises
    ------
    ParameterError
        Fewer than two training dances.
    """
    items = [ctx.items[i] for i in ctx.train_ids]
    fit, held = split_videos(items, THRESHOLD_FRACTION, ctx.seed, group=video_group(items))
    if not fit or not held:
        raise ParameterError(
            "the timing model needs two training dances: one to train on, one for its threshold"
        )
    return fit, held


def reads_pose(ctx: Seed) -> bool:
    """Whether the seed's analyses all have a pose track (the bench measured it)."""
    return all(ctx.analyses[i].pose is not None for i in ctx.ids)


def ensure_timing(
    run: Run, ctx: Seed, plan: Plan, features: Path, out: Path, run_dir: Path
) -> dict:
    """Train the seed's timing model unless its ``model.pt`` is there; returns its ``run.json``.

    The arguments are those of :func:`mudar.pipelines.bench.run.ensure_trained` (``features``
    and ``out`` unused: the analyses are in ``ctx``).
    """
    info_path, model_path = run_dir / "run.json", run_dir / "model.pt"
    n_members = plan.budget.timing_members
    if model_path.is_file():
        try:
            info = json.loads(info_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            info = {}
        if info.get("members", 1) == n_members:
            return info  # else a model of another recipe: trained again
    (run_dir / "results.json").unlink(missing_ok=True)  # the scores of a model trained again
    t0 = time.perf_counter()
    fit, held = threshold_split(ctx)
    use_pose = reads_pose(ctx)

    def labelled(ids: list[str]) -> list:
        # the music's beats of each video supervise; the model reads the motion alone
        return [
            (timing_inputs_of(a, use_pose=use_pose), a.music.beat_times)
            for a in (ctx.analyses[i] for i in ids)
        ]

    steps = plan.budget.timing_steps
    model, losses = train_ensemble(
        labelled(fit),
        TimingConfig(use_pose=use_pose, head="dense"),
        TimingTrainConfig(steps=steps, seed=ctx.seed),
        n_members,
    )
    model, held_f = choose_threshold(model, labelled(held))
    group = video_group([ctx.items[i] for i in ctx.train_ids])
    info = {
        "run": run.dirname,
        "method": run.method,
        "seconds": round(time.perf_counter() - t0, 1),
        "steps": steps,
        "members": n_members,
        "use_pose": use_pose,
        # whose pose tracks it learned from: the renders' free ones, or an estimator's
        "train_pose": dict(Counter(ctx.analyses[i].pose.estimator for i in fit))
        if use_pose
        else {},
        "labels": "beats",
        "train_dances": len({group(ctx.items[i]) for i in fit}),
        "threshold_dances": len({group(ctx.items[i]) for i in held}),
        "n_train_videos": len(fit),
        "n_threshold_videos": len(held),
        "threshold": model.config.threshold,
        "threshold_f1_70ms": round(held_f, 4),
        "loss_first": round(sum(losses[:50]) / len(losses[:50]), 4),
        "loss_last": round(sum(losses[-50:]) / len(losses[-50:]), 4),
    }
    write_text(info_path, json.dumps(info, indent=1))
    save_timing(model, model_path, meta={**info, "threshold_ids": held})  # last: it marks done
    return info


def score_timing(run: Run, ctx: Seed, plan: Plan, info: dict, model_path: Path) -> dict:
    """The model's rows of the rhythm table on the seed's test dances (:data:`TIMING_ROWS`: its
    rhythm points, and the dance's beats through its probabilities): their frames and their
    times below the frame, scored like every other row
    (:func:`mudar.pipelines.bench.rhythm.rhythm_rows`: +-1 frame and 70 ms against the music's
    onsets and beats, each with its shifted control), the music never heard."""
    model = load_timing(model_path)
    test = ctx.test_analyses
    videos, timed = [], []
    for a in test:
        frames, times = {}, {}
        for row in TIMING_ROWS:
            frames[row], strength = dance_rhythm(a, method=row, model=model)
            times[row] = rhythm_seconds(a, row, frames[row], strength, model=model)
        videos.append((a.music.onsets, frames))
        timed.append((a.music.onset_times, a.duration_s, times, a.music.beat_times))
    rows = rhythm.rhythm_rows(videos, seed=ctx.seed, fps=test[0].clock.fps, timed=timed)
    return {"rhythm": rows}
