"""``mudar bench --data DIR [--quick] [--seeds N] --out DIR``: the paper's tables, rebuilt.

``--methods`` adds what the default leaves out: ``pose`` (the pose extra) and ``timing``, the
learned timing model, trained per seed on the music's beats of the training dances and scored in
the rhythm table beside the rules; the tables then say whether it gains more than the best rule
(``gain_70ms_beats``, paired by seed). On a beat-locked set::

    mudar bench --data LOCKED --out runs/timing --test-looks high --ablations none \
        --methods timing,motion-energy,pose,hoof-flux,directogram
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mudar.methods import BENCH, BENCH_ABLATIONS, BENCH_DEFAULT


def add_parser(sub) -> None:
    p = sub.add_parser(
        "bench",
        help="train and score every method; tables of mean +- std over seeds",
        description=(
            "Train MuDaR and the baselines (multisensory, avts, lla) under one budget on each "
            "seed's training dances, score them and the learning-free methods (hoof-flux, "
            "directogram, motion-energy; pose with --methods) on its held-out dances, and write "
            "OUT/tables.json, "
            "OUT/tables.md and OUT/report.html: visual rhythm (without music at inference), genre "
            "classification, sync and genre retrieval, retargeting BAS and speed, with "
            "MuDaR's ablations. Resumable: trained runs are kept in OUT/runs. The full bench "
            "takes <= 60 min on 2 cores, --quick <= 10 min. A run that fails is reported and "
            "skipped (exit status 1; the tables hold the others). --methods ...,timing adds the "
            "learned timing model (trained per seed on the music's beats of the training dances, "
            "on the pose track too where the bench measures it: with pose) and a line: it minus "
            "the best rule in gain_70ms_beats, paired by seed, with a 95 % interval."
        ),
    )
    # required, but checked in run: one line when missing (argparse would add its usage)
    p.add_argument(
        "--data", metavar="DIR", help="folder of dance videos or of prepared features (required)"
    )
    p.add_argument("--out", required=True, metavar="DIR", help="bench folder")
    p.add_argument(
        "--quick", action="store_true", help="tiny budget, one seed, four ablations (smoke run)"
    )
    p.add_argument("--seeds", type=int, help="number of seeds (default 3, with --quick 1)")
    p.add_argument(
        "--methods",
        help=f"comma-separated subset of {','.join(BENCH)} (default: "
        f"{','.join(BENCH_DEFAULT)}; timing: the learned timing model)",
    )
    p.add_argument(
        "--ablations",
        help=f"comma-separated MuDaR ablations among {','.join(BENCH_ABLATIONS)}, or 'none' "
        "(default: the budget's)",
    )
    p.add_argument(
        "--preset",
        help="MuDaR's preset for every learned run (default cpu), e.g. cpu-energy: the cpu "
        "preset with the motion energy in the motion input",
    )
    p.add_argument(
        "--test-looks",
        metavar="LOOKS",
        help="on a beat-locked set (mudar make-locked): comma-separated looks held out of "
        "training; the test dances are scored in these looks only (default: every look on "
        "both sides, split by dance all the same)",
    )
    p.add_argument("--json", action="store_true", help="print tables.json instead of tables.md")
    p.add_argument("--jobs", type=int, default=2, help="worker processes for feature extraction")
    p.add_argument(
        "--threads",
        type=int,
        help="torch threads (default: one per core, or one when the machine is already busy)",
    )
    p.add_argument("--no-progress", action="store_true", help="no log lines on stderr")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mudar.errors import InputError, ParameterError
    from mudar.pipelines.bench.plan import budget_for
    from mudar.pipelines.bench.run import run_bench

    if args.data is None:
        raise ParameterError("--data DIR is required: a folder of dance videos or of features")
    data = Path(args.data)
    if not data.is_dir():
        raise InputError(f"{data}: no such folder of dance videos; give one with --data DIR")
    methods = None
    if args.methods:
        methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    ablations = None
    if args.ablations is not None:
        ablations = [a.strip() for a in args.ablations.split(",") if a.strip() not in ("", "none")]
    budget = budget_for(quick=args.quick, preset=args.preset, ablations=ablations)
    result = run_bench(
        data,
        args.out,
        budget=budget,
        seeds=args.seeds,
        methods=methods,
        jobs=args.jobs,
        threads=args.threads,
        progress=not args.no_progress,
        test_looks=[x.strip() for x in (args.test_looks or "").split(",") if x.strip()],
    )
    if args.json:
        print(json.dumps(result.tables, indent=1))
    else:
        print((result.out / "tables.md").read_text(encoding="utf-8"))
    sys.stdout.flush()
    return 0 if not result.meta["failed"] else 1
