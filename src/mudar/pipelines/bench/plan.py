"""What a bench runs: the methods, the seeds, the ablations, the budget, and which dances each
seed holds out for testing.

Every learned method trains under the same budget (preset, epochs, clip hop, seed), so a
difference in the tables comes from the method. A seed fixes the split of the dances into
training and test dances (grouped by dance, never by clip, test dances from every genre that has
at least two), the training run's own seed and the floors' random draws.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from mudar.data.clips.clipset import video_group
from mudar.data.readers.dataset import dance_group, look_of
from mudar.errors import ParameterError
from mudar.methods import BENCH, BENCH_DEFAULT, LEARNED, RHYTHM_HEADS, RHYTHM_MODELS
from mudar.models.presets import get_preset

MOTIONBEAT_TABLES = (
    "motionbeat_beats",
    "motionbeat_genre",
    "motionbeat_retrieval",
    "motionbeat_retrieval_song",
    "motionbeat_train",
)
"""The tables of the MotionBeat step (when its method is chosen and the data has motion)."""

TABLES = (
    "rhythm",
    "classification",
    "retrieval_sync",
    "retrieval_genre",
    "retarget",
    "speed",
)
"""The keys of ``tables.json``, one per table."""

HEADS = RHYTHM_HEADS[1:]
"""Rhythm heads of the Table 1 ablation (the default, focal, is the ``mudar`` row)."""


@dataclass(frozen=True)
class Ablation:
    """One MuDaR ablation.

    Attributes
    ----------
    row : str
        Its row in the tables.
    trained : bool
        False: a variant of the main ``mudar`` run at evaluation (no training of its own).
    model_overrides : dict
        ``MudarConfig`` fields of its training run.
    train_fraction : float
        Share of the training dances it trains on.
    tables : tuple of str
        The tables it appears in.
    train_overrides : dict
        ``TrainConfig`` fields of its training run.
    """

    row: str
    trained: bool
    model_overrides: Mapping = field(default_factory=dict)
    train_fraction: float = 1.0
    tables: tuple[str, ...] = ()
    train_overrides: Mapping = field(default_factory=dict)


_SCALED = ("rhythm", "classification", "retrieval_sync", "retrieval_genre")

ABLATIONS: dict[str, Ablation] = {
    # the rhythm with the music at inference (the explicit pathway's audio branch on)
    "no-audio": Ablation("mudar-audio", False, tables=("rhythm",)),
    # the two-stream classifier without rhythm inputs; retrieval by embeddings only (lambda3=1)
    "no-rhythm": Ablation(
        "mudar-norhythm", False, tables=("classification", "retrieval_sync", "retrieval_genre")
    ),
    **{f"head-{h}": Ablation(f"mudar-{h}", True, {"head": h}, tables=("rhythm",)) for h in HEADS},
    # the paper's triplet loss (Eq. 18) as the implicit loss, where the cpu preset uses InfoNCE
    "triplet": Ablation(
        "mudar-triplet", True, tables=_SCALED, train_overrides={"implicit_loss": "triplet"}
    ),
    "data-25": Ablation("mudar-data25", True, train_fraction=0.25, tables=_SCALED),
    "data-50": Ablation("mudar-data50", True, train_fraction=0.5, tables=_SCALED),
    # not in the full bench (time): why MuDaR trails AVTS at classification
    # AVTS's contrastive loss as the implicit loss (the loss is the one difference left)
    "contrastive": Ablation(
        "mudar-contrastive", True, tables=_SCALED, train_overrides={"implicit_loss": "contrastive"}
    ),
    # the rhythm head's gradient kept out of the shared encoders
    "detach": Ablation("mudar-detach", True, {"explicit_detach": True}, tables=_SCALED),
}
"""Ablations by name (``Budget.ablations``; ``mudar bench --ablations`` picks others)."""

FULL_ABLATIONS = (
    "no-audio",
    "no-rhythm",
    "head-bce",
    "head-regression",
    "head-crf",
    "triplet",
    "data-25",
    "data-50",
)
"""The ablations of the full bench: the issue's, and the paper's own loss."""

TABLES_OF = {
    "mudar": TABLES,
    # no rhythm head, so no visual rhythm and nothing to retarget with
    **{m: ("classification", "retrieval_sync", "retrieval_genre", "speed") for m in LEARNED[1:]},
    # a rhythm and nothing else: no embeddings
    "timing": ("rhythm",),
}
"""The tables each learned method is scored for."""


@dataclass(frozen=True)
class Budget:
    """How much every learned method gets, and how much evaluation is done.

    Attributes
    ----------
    name : str
    preset : str
        Model and training preset (:data:`mudar.models.presets.MUDAR_PRESETS`).
    epochs : int
    clip_hop_s : float
        Seconds between training windows (fewer clips per epoch when larger).
    seeds : int
        Default number of seeds.
    ablations : tuple of str
        Keys of :data:`ABLATIONS`.
    classify_epochs : int
        Epochs of the genre classifier.
    retarget_pairs : int
        Retargeting pairs of each kind (same genre, other genre) per seed.
    test_fraction : float
        Share of each genre's dances held out for testing.
    model_overrides, train_overrides : dict
        Further ``MudarConfig`` / ``TrainConfig`` fields of every training run.
    analysis_overrides : dict
        ``AnalysisConfig`` fields of the prepared features (e.g. ``{"size": 64}`` for a fast
        test).
    motionbeat_preset : str
        MotionBeat preset (:data:`mudar.models.presets.MOTIONBEAT_PRESETS`) of the MotionBeat step.
    motionbeat_epochs : int, optional
        Its epochs; default the preset's.
    timing_steps : int
        Training steps of the learned timing model
        (:class:`~mudar.training.timing.TimingTrainConfig`).
    timing_members : int
        Timing models trained per seed, their probabilities averaged
        (:class:`~mudar.models.timing.TimingEnsemble`; the shipped model's recipe is three).
    """

    name: str
    epochs: int
    clip_hop_s: float
    seeds: int
    ablations: tuple[str, ...]
    preset: str = "cpu"
    classify_epochs: int = 40
    retarget_pairs: int = 6
    test_fraction: float = 0.3
    model_overrides: Mapping = field(default_factory=dict)
    train_overrides: Mapping = field(default_factory=dict)
    analysis_overrides: Mapping = field(default_factory=dict)
    motionbeat_preset: str = "cpu"
    motionbeat_epochs: int | None = None
    timing_steps: int = 1500
    timing_members: int = 3

    def __post_init__(self) -> None:

        get_preset("mudar", self.preset)  # unknown preset: a ParameterError naming the known ones
        least = (self.epochs, self.seeds, self.classify_epochs, self.timing_steps)
        if min(*least, self.timing_members) < 1:
            raise ParameterError(
                "epochs, seeds, classify_epochs, timing_steps and timing_members must be >= 1"
            )
        if not self.clip_hop_s > 0:
            raise ParameterError(f"clip_hop_s must be > 0, got {self.clip_hop_s}")
        if not 0 < self.test_fraction < 1:
            raise ParameterError(f"test_fraction must be in (0, 1), got {self.test_fraction}")
        unknown = sorted(set(self.ablations) - set(ABLATIONS))
        if unknown:
            raise ParameterError(
                f"unknown ablation(s) {', '.join(unknown)}; known: {', '.join(ABLATIONS)}"
            )

    @property
    def avts_from_epoch(self) -> int:
        """The curriculum's switch to AVTS negatives, at the cpu preset's share (11 of 16)."""
        return max(1, round(self.epochs * 11 / 16))

    def train_overrides_for(self, seed: int) -> dict:
        """``TrainConfig`` fields of a training run of ``seed``."""
        return {
            "epochs": self.epochs,
            "clip_hop_s": self.clip_hop_s,
            "avts_from_epoch": self.avts_from_epoch,
            **dict(self.train_overrides),
            "seed": seed,
        }

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        for k in ("model_overrides", "train_overrides", "analysis_overrides"):
            d[k] = dict(d[k])
        d["ablations"] = list(d["ablations"])
        return d


QUICK = Budget(
    name="quick",
    epochs=2,
    clip_hop_s=8.0,
    seeds=1,
    ablations=("no-audio", "no-rhythm", "head-crf", "data-25"),
    classify_epochs=20,
    retarget_pairs=3,
    motionbeat_epochs=2,
    timing_steps=200,
    timing_members=1,
)
"""``mudar bench --quick``: every method, two epochs over non-overlapping windows, one seed,
the two ablations that need no training and two that do (measured, preparing the features
included: 4.2 min on 2 quiet cores, 6.5-7.7 min on 2 cores shared at a load of 6-9); the timing
model, where chosen, one model of 200 steps (about 30 s on 2 shared cores)."""

FULL = Budget(
    name="full",
    epochs=4,
    clip_hop_s=5.0,
    seeds=3,
    ablations=FULL_ABLATIONS,
    classify_epochs=40,
    retarget_pairs=6,
    motionbeat_epochs=4,
)
"""``mudar bench``: four epochs over windows every 5 s (3 s overlap), three seeds, the
ablations of :data:`FULL_ABLATIONS`: 30 training runs of about 64 steps each (3.2x the quick
ones). Measured with the MotionBeat step: 28.4 min on 2 quiet cores (2 torch threads), 58.6 min
with one thread on 2 cores shared with other jobs (README). The timing model, where chosen, trains
bench_timing.py's 1500 steps (about 3.3 min a seed on 2 shared cores)."""


def budget_for(
    *, quick: bool = False, preset: str | None = None, ablations: Sequence[str] | None = None
) -> Budget:
    """:data:`QUICK` or :data:`FULL`, with MuDaR's ``preset`` and ``ablations`` replaced where
    given (an unknown one: a :class:`~mudar.errors.ParameterError`)."""
    budget = QUICK if quick else FULL
    if preset:
        budget = dataclasses.replace(budget, preset=preset)
    if ablations is not None:
        budget = dataclasses.replace(budget, ablations=tuple(ablations))
    return budget


@dataclass(frozen=True)
class Run:
    """One training run of one seed.

    Attributes
    ----------
    name : str
        Its row in the tables (``mudar``, ``avts``, ``mudar-crf``, ...).
    method : str
        What is trained: one of :data:`LEARNED` (by ``mudar train``) or of
        :data:`~mudar.methods.RHYTHM_MODELS` (by its own recipe,
        :mod:`mudar.pipelines.bench.timing`).
    seed : int
    model_overrides, train_overrides : dict
    train_fraction : float
        Share of the seed's training dances (data-size ablation).
    tables : tuple of str
        The tables the run is scored for.
    """

    name: str
    method: str
    seed: int
    model_overrides: Mapping = field(default_factory=dict)
    train_fraction: float = 1.0
    tables: tuple[str, ...] = TABLES
    train_overrides: Mapping = field(default_factory=dict)

    @property
    def dirname(self) -> str:
        """Its folder under ``OUT/runs``."""
        return f"{self.name}-s{self.seed}"

    @property
    def is_main(self) -> bool:
        """The run of a method itself (not an ablation)."""
        return self.name == self.method


@dataclass(frozen=True)
class Plan:
    """Everything a bench will do.

    Attributes
    ----------
    budget : Budget
    methods : tuple of str
        Among :data:`BENCH`.
    seeds : tuple of int
    runs : tuple of Run
        Grouped by seed, main runs first.
    """

    budget: Budget
    methods: tuple[str, ...]
    seeds: tuple[int, ...]
    runs: tuple[Run, ...]

    @property
    def ablations(self) -> tuple[str, ...]:
        """The ablations run (none without ``mudar``)."""
        return self.budget.ablations if "mudar" in self.methods else ()

    def runs_for(self, seed: int) -> list[Run]:
        return [r for r in self.runs if r.seed == seed]

    def to_dict(self) -> dict:
        return {
            "budget": self.budget.to_dict(),
            "methods": list(self.methods),
            "seeds": list(self.seeds),
            "ablations": list(self.ablations),
            "runs": [r.dirname for r in self.runs],
        }


def make_plan(
    budget: Budget, *, seeds: int | None = None, methods: Sequence[str] | None = None
) -> Plan:
    """The runs of a bench.

    Parameters
    ----------
    budget : Budget
    seeds : int, optional
        Number of seeds (0, 1, ...); default ``budget.seeds``.
    methods : sequence of str, optional
        Among :data:`BENCH`; default :data:`mudar.methods.BENCH_DEFAULT` (all but those of an
        extra). The ablations are MuDaR's: without ``mudar``, none.

    Returns
    -------
    Plan

    Raises
    ------
    ParameterError
        Unknown methods, no method, fewer than one seed.
    """
    chosen = tuple(BENCH_DEFAULT) if methods is None else tuple(dict.fromkeys(methods))
    unknown = [m for m in chosen if m not in BENCH]
    if unknown:
        raise ParameterError(f"unknown method(s) {', '.join(unknown)}; known: {', '.join(BENCH)}")
    if not chosen:
        raise ParameterError("no method to bench")
    n = budget.seeds if seeds is None else seeds
    if n < 1:
        raise ParameterError(f"seeds must be >= 1, got {n}")
    chosen = tuple(m for m in BENCH if m in chosen)  # table order
    runs = []
    for seed in range(n):
        for m in (*LEARNED, *RHYTHM_MODELS):
            if m in chosen:
                runs.append(Run(m, m, seed, tables=TABLES_OF[m]))
        if "mudar" not in chosen:
            continue
        for key in budget.ablations:
            a = ABLATIONS[key]
            if a.trained:
                runs.append(
                    Run(
                        a.row,
                        "mudar",
                        seed,
                        model_overrides=dict(a.model_overrides),
                        train_fraction=a.train_fraction,
                        tables=a.tables,
                        train_overrides=dict(a.train_overrides),
                    )
                )
    return Plan(budget=budget, methods=chosen, seeds=tuple(range(n)), runs=tuple(runs))


# --- which dances -------------------------------------------------------------------------------


def split_dances(
    items: Sequence[Mapping],
    *,
    test_fraction: float,
    seed: int,
    test_looks: Sequence[str] | None = None,
) -> tuple[list[str], list[str]]:
    """Split dances (never clips) into training and test ids, stratified by genre.

    Dances are grouped first (:func:`mudar.data.clips.clipset.video_group`): copies of one video go
    together, and so do all the looks of one dance of a beat-locked set (every video
    ``<dance>/video_<look>.mp4`` beside a ``meta.json`` that says it is locked). Within each
    genre the groups are shuffled (seeded) and ``round(test_fraction * n)`` of them, at least
    one and never all, are held out; a genre of a single dance cannot be both trained and
    tested and stays in training.

    Parameters
    ----------
    items : sequence of dict
        Manifest items (``id``, ``label``, ``entry``;
        :func:`mudar.data.store.prepare.load_manifest`).
    test_fraction : float
        In (0, 1).
    seed : int
    test_looks : sequence of str, optional
        Looks of a locked set held out of training: the training dances are trained on in the
        other looks only and the test dances are scored in these looks only (looks never seen
        in training). Default: every look on both sides (still split by dance).

    Returns
    -------
    train_ids, test_ids : list of str
        Sorted.

    Raises
    ------
    ParameterError
        ``test_fraction`` outside (0, 1), no genre with two dances (nothing can be tested),
        ``test_looks`` on a set that is not a locked set, or looks it lacks or that leave
        nothing to train on.
    """

    if not 0 < test_fraction < 1:
        raise ParameterError(f"test_fraction must be in (0, 1), got {test_fraction}")
    group = video_group(items)
    looks = {str(it["id"]): look_of(dict(it)) for it in items}
    if test_looks:
        check_looks(test_looks, list(looks))
        if group is not dance_group:
            raise ParameterError(
                "test looks need a beat-locked set (the meta.json beside each video says "
                '"locked": true, as mudar make-locked writes it)'
            )
    groups: dict[str, list[Mapping]] = {}
    for it in items:
        groups.setdefault(group(dict(it)), []).append(it)
    by_genre: dict[str, list[str]] = {}
    for key in sorted(groups):
        by_genre.setdefault(str(groups[key][0].get("label") or ""), []).append(key)
    rng = np.random.default_rng(seed)
    test_keys: set[str] = set()
    for genre in sorted(by_genre):
        keys = by_genre[genre]
        if len(keys) < 2:
            continue
        n_test = min(max(round(test_fraction * len(keys)), 1), len(keys) - 1)
        test_keys.update(keys[i] for i in rng.permutation(len(keys))[:n_test])
    if not test_keys:
        raise ParameterError("no genre has two dances: nothing can be held out for testing")
    held = set(test_looks or ())

    def side(key: str, test: bool) -> list[str]:
        ids = [str(it["id"]) for it in groups[key]]
        if not held:
            return ids
        return [i for i in ids if (looks[i] in held) == test]

    train = sorted(i for k in groups if k not in test_keys for i in side(k, False))
    test = sorted(i for k in test_keys for i in side(k, True))
    return train, test


def check_looks(test_looks: Sequence[str], ids: Sequence[str]) -> None:
    """Raise :class:`ParameterError` unless ``test_looks`` are looks of a locked set (every id
    ``<dance>/video_<look>``) that leave another look to train on."""
    looks = [look_of(str(i)) for i in ids]
    if not looks or any(lk is None for lk in looks):
        raise ParameterError(
            "test looks need a beat-locked set (videos <dance>/video_<look>.mp4, made by "
            "mudar make-locked)"
        )
    have = sorted(set(looks))
    missing = sorted(set(test_looks) - set(have))
    if missing:
        raise ParameterError(
            f"look(s) {', '.join(missing)} not in the set; it has {', '.join(have)}"
        )
    if set(have) <= set(test_looks):
        raise ParameterError(
            f"test looks {', '.join(test_looks)} leave no look to train on (the set has "
            f"{', '.join(have)})"
        )


def subsample_dances(
    ids: Sequence[str], labels: Mapping[str, str], *, fraction: float, seed: int
) -> list[str]:
    """A share of the training dances, stratified by genre and nested across fractions.

    Each genre's dances are put in a seeded order and the first ``ceil(fraction * n)`` (at
    least one) are kept, so the 25 % subset lies inside the 50 % one of the same seed.

    Parameters
    ----------
    ids : sequence of str
    labels : mapping of id to genre
    fraction : float
        In (0, 1].
    seed : int

    Returns
    -------
    list of str
        Sorted.
    """
    if not 0 < fraction <= 1:
        raise ParameterError(f"fraction must be in (0, 1], got {fraction}")
    by_genre: dict[str, list[str]] = {}
    for i in sorted(ids):
        by_genre.setdefault(str(labels.get(i) or ""), []).append(i)
    rng = np.random.default_rng([seed, 25])
    keep: list[str] = []
    for genre in sorted(by_genre):
        members = by_genre[genre]
        order = rng.permutation(len(members))
        keep += [members[j] for j in order[: max(1, math.ceil(fraction * len(members) - 1e-9))]]
    return sorted(keep)


def retarget_pairs(genre: Mapping[str, str], n: int, seed: int) -> list[tuple[str, str, str]]:
    """``n`` (dance, music, kind) pairs of the same genre and ``n`` of different genres, seeded.

    Parameters
    ----------
    genre : mapping of dance id to genre
    n : int
        Pairs of each kind (fewer when fewer exist).
    seed : int

    Returns
    -------
    list of (str, str, str)
        ``kind`` is ``"same genre"`` or ``"other genre"``.
    """
    rng = np.random.default_rng(seed)
    ids = sorted(genre)
    same = [(i, j) for i in ids for j in ids if i != j and genre[i] == genre[j]]
    other = [(i, j) for i in ids for j in ids if genre[i] != genre[j]]
    out = []
    for kind, cands in (("same genre", same), ("other genre", other)):
        for k in rng.choice(len(cands), size=min(n, len(cands)), replace=False):
            out.append((*cands[k], kind))
    return out
