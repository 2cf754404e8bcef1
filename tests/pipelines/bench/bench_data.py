"""What the bench tests run on: a budget of seconds and five tiny synthetic dances, as they are
or laid out as a beat-locked set."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from mudar.pipelines.bench.plan import Budget
from mudar.synthetic.video import make_dataset

TINY = Budget(
    name="tiny",
    preset="debug",
    epochs=1,
    clip_hop_s=2.0,
    seeds=1,
    ablations=("no-audio", "no-rhythm", "data-50"),
    classify_epochs=2,
    retarget_pairs=1,
    analysis_overrides={"size": 64},  # flow at 64 px: seconds, not minutes
)


def tiny_dances(root: Path) -> Path:
    """Five synthetic dances of 8 s, two genres (so that each genre can be tested)."""
    make_dataset(root, n=5, seed=2, duration_s=8.0, genres=("waltz", "tango"))
    return root


def as_locked(videos: Path, root: Path) -> Path:
    """The dances of ``videos`` laid out as a beat-locked set: two looks of each,
    ``<dance>/video_<look>``."""
    for meta in sorted(videos.glob("*/meta.json")):
        dance = root / meta.parent.name
        dance.mkdir()
        doc = json.loads(meta.read_text())  # the dancer's accents, as make-locked writes them
        doc.update(locked=True, detected_accent_times=[0.5 * k for k in range(1, 16)])
        (dance / "meta.json").write_text(json.dumps(doc))
        video = next(p for p in meta.parent.iterdir() if p.suffix == ".mp4")
        for look in ("front", "side"):
            shutil.copy(video, dance / f"video_{look}.mp4")
    return root
