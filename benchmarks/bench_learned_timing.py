"""Can a detector *learned* from the music find when a dancer accents better than the minima of
the motion energy? Issue 14's question of why MuDaR's timing stays below a learning-free rule.

Run: `.venv/bin/python benchmarks/bench_learned_timing.py --bench OUT [--steps 1500]`, OUT the
folder of a finished `mudar bench` on a beat-locked set with the motion energy (e.g. `mudar bench
--data locked/ --out OUT --test-looks high --preset cpu-energy`): its prepared features and its
splits (training dances; held-out dances in a look no training saw) are reused as they are.

The input is what a model reading the energy sees (`MudarConfig.motion_energy`): the motion
energy at its own rate (4 samples per 8 fps frame, 32 a second), log-scaled by its median. The
learned detector is a small dilated temporal convolution (receptive field 1.8 s) with one output
per sample, trained as the paper trains its rhythm head, from the music alone: binary
cross-entropy against the music's onsets (the paper's labels) or its beats put on the nearest
sample (+-1 sample given half weight), positives weighted 3x. Its rhythm times are its
probability's peaks above a quantile (at least 4 samples apart), refined below the sample. The
rule is :func:`mudar.features.energy.energy_minima` (the `motion-energy` method). All are scored
on the held-out videos by the 70 ms F-measure of their times against the music's onsets and
beats and its gain over the times rolled by half the video (:func:`mudar.eval.timing.score_timing`),
per seed, then the mean over seeds with its 95 % t-interval.

Printed as Markdown.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

QUANTILES = (0.5, 0.7, 0.8)
"""Peak thresholds of the learned detector, as quantiles of its probability on a video."""


def energy_series(analysis) -> tuple[np.ndarray, np.ndarray]:
    """The log energy samples (float32) and their times (s) of an analysis."""
    from mudar.features.energy import sample_times

    e = analysis.dance.energy.astype(np.float64)
    x = e.ravel()
    x = np.log1p(x / (np.median(x) + 1e-9)).astype(np.float32)
    t = sample_times(e.shape[0], fps=analysis.clock.fps, steps=e.shape[1]).ravel()
    return x, t


def sample_targets(times: np.ndarray, t: np.ndarray) -> np.ndarray:
    """1 at the sample nearest each time, 0.5 at its neighbours."""
    rate = 1.0 / (t[1] - t[0])
    y = np.zeros(len(t), np.float32)
    k = np.round((np.asarray(times) - t[0]) * rate).astype(int)
    k = k[(k >= 0) & (k < len(y))]
    for d, w in ((-1, 0.5), (1, 0.5), (0, 1.0)):
        j = np.clip(k + d, 0, len(y) - 1)
        y[j] = np.maximum(y[j], w)
    return y


def detector():
    from torch import nn

    return nn.Sequential(
        nn.Conv1d(1, 16, 9, padding=4),
        nn.ReLU(),
        nn.Conv1d(16, 16, 9, padding=8, dilation=2),
        nn.ReLU(),
        nn.Conv1d(16, 16, 9, padding=16, dilation=4),
        nn.ReLU(),
        nn.Conv1d(16, 1, 1),
    )


def train(series: list[tuple[np.ndarray, np.ndarray]], *, steps: int, seed: int):
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = detector()
    opt = torch.optim.Adam(net.parameters(), 3e-3)
    length, batch = 512, 16
    series = [(x, y) for x, y in series if len(x) > length]
    for _ in range(steps):
        xb, yb = [], []
        for _ in range(batch):
            x, y = series[rng.integers(len(series))]
            s = rng.integers(0, len(x) - length)
            xb.append(x[s : s + length])
            yb.append(y[s : s + length])
        logits = net(torch.from_numpy(np.stack(xb))[:, None])[:, 0]
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, torch.from_numpy(np.stack(yb)), pos_weight=torch.tensor(3.0)
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net.eval()


def detector_times(net, x: np.ndarray, t: np.ndarray, q: float) -> np.ndarray:
    """The peaks of the detector's probability above its ``q`` quantile, at least 4 samples
    apart (the higher kept), refined below the sample; seconds."""
    import torch
    from scipy.signal import find_peaks

    from mudar.features.dance import refine_times

    with torch.no_grad():
        p = torch.sigmoid(net(torch.from_numpy(x)[None, None])[0, 0]).numpy().astype(np.float64)
    k, _ = find_peaks(p, height=np.quantile(p, q), distance=4)
    return refine_times(p, k, fps=1.0 / (t[1] - t[0])) + t[0]


def run_seed(cache, items: dict, split: dict, *, steps: int, seed: int) -> dict:
    from mudar.eval.timing import score_timing
    from mudar.features.energy import energy_minima

    train_ids, test_ids = set(split["train"]), list(split["test"])
    loaded = {i: cache.load(items[i]) for i in (*train_ids, *test_ids) if i in items}
    loaded = {i: a for i, a in loaded.items() if a and a.music and a.dance is not None}
    if any(a.dance.energy is None for a in loaded.values()):
        sys.exit("the bench's features have no motion energy: run it with --preset cpu-energy")
    test = []  # per held-out video: its analysis, energy series and the rule's times
    for i in test_ids:
        a = loaded[i]
        m = energy_minima(a.dance.energy, fps=a.clock.fps)
        test.append((a, *energy_series(a), m[(m >= 0) & (m < a.duration_s)]))
    out = {}
    for target in ("onsets", "beats"):
        series = []
        for i in sorted(train_ids & set(loaded)):  # a set's order changes from run to run
            a = loaded[i]
            x, t = energy_series(a)
            ref = a.music.onset_times if target == "onsets" else a.music.beat_times
            series.append((x, sample_targets(ref, t)))
        net = train(series, steps=steps, seed=seed)
        learned = []  # per held-out video, the detector's times at each threshold
        for _, x, t, _ in test:
            learned.append({q: detector_times(net, x, t, q) for q in QUANTILES})
        for ref_name in ("onsets", "beats"):
            videos = []
            for (a, _, _, minima), by_q in zip(test, learned, strict=True):
                times = {"motion-energy (minima)": minima}
                for q in QUANTILES:
                    times[f"learned on {target}, peaks > q{q:g}"] = by_q[q]
                ref = a.music.onset_times if ref_name == "onsets" else a.music.beat_times
                videos.append((ref, a.duration_s, times))
            for name, s in score_timing(videos, seed=seed).items():
                out.setdefault(name, {})[ref_name] = (s["f1"], s["timing_gain"])
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bench", type=Path, required=True, help="a finished `mudar bench` folder")
    p.add_argument("--steps", type=int, default=1500, help="training steps per detector")
    args = p.parse_args(argv)

    from mudar.data.store.cache import FeatureCache
    from mudar.data.store.prepare import load_manifest
    from mudar.eval.timing import gain_interval

    feat = args.bench / "features"
    splits = sorted((args.bench / "splits").glob("s*/split.json"))
    if not (feat.is_dir() and splits):
        sys.exit(f"{args.bench}: no features/ and splits/ of a `mudar bench` there")
    items = {it["id"]: feat / it["entry"] for it in load_manifest(feat)}
    cache = FeatureCache(feat)
    per_seed = []
    for path in splits:
        seed = int(path.parent.name[1:])
        per_seed.append(
            run_seed(cache, items, json.loads(path.read_text()), steps=args.steps, seed=seed)
        )
        print(f"seed {seed} done", file=sys.stderr, flush=True)

    print(
        f"{len(per_seed)} seed(s); held-out dances of `{args.bench}`; the 70 ms F-measure and "
        "its gain over the times rolled by half the video, mean [95 % t-interval] over seeds\n"
    )
    print("| row | F1 onsets | gain onsets | F1 beats | gain beats |")
    print("|---|---|---|---|---|")
    for name in per_seed[0]:
        cells = []
        for ref in ("onsets", "beats"):
            f1 = np.mean([s[name][ref][0] for s in per_seed])
            g = gain_interval([s[name][ref][1] for s in per_seed])
            mark = " **found**" if g["found"] else ""
            cells += [f"{f1:.3f}", f"{g['mean']:+.3f} [{g['low']:+.3f}, {g['high']:+.3f}]{mark}"]
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
