"""Retrieval metrics against a brute-force reference written with loops, and known answers."""

import numpy as np
import pytest

from mudar.errors import ParameterError
from mudar.eval.retrieval import (
    average_precision,
    first_relevant_rank,
    mean_average_precision,
    median_rank,
    precision_at_k,
    recall_at_k,
    relevance_from_labels,
    retrieval_scores,
)


def brute_force(sim, rel, exclude, ties):
    """Scores of one query at a time: sort a list of (key, relevant) tuples, then count."""
    firsts, precisions, aps = [], {}, []
    for q in range(len(sim)):
        items = [d for d in range(len(sim[q])) if not exclude[q][d]]
        if ties == "pessimistic":  # equal scores: irrelevant first

            def key(d, q=q):
                return (-sim[q][d], bool(rel[q][d]), d)

        else:

            def key(d, q=q):
                return (-sim[q][d], d)

        ranking = [bool(rel[q][d]) for d in sorted(items, key=key)]
        firsts.append(ranking.index(True) + 1)
        for k in (1, 3):
            precisions.setdefault(k, []).append(sum(ranking[:k]) / k)
        hits, total = 0, 0.0
        for r, is_rel in enumerate(ranking, start=1):
            if is_rel:
                hits += 1
                total += hits / r
        aps.append(total / sum(ranking))
    return firsts, precisions, aps


def random_case(rng, q=6, d=9, *, levels=None, with_exclude=False):
    if levels:  # few distinct values: many ties
        sim = rng.integers(0, levels, (q, d)).astype(float)
    else:
        sim = rng.normal(size=(q, d))
    rel = rng.random((q, d)) < 0.3
    exclude = (rng.random((q, d)) < 0.2) if with_exclude else np.zeros((q, d), bool)
    for i in range(q):  # every query keeps one relevant, non-excluded item
        j = rng.integers(d)
        rel[i, j], exclude[i, j] = True, False
    return sim, rel, exclude


@pytest.mark.parametrize("ties", ["pessimistic", "order"])
@pytest.mark.parametrize("levels", [None, 3])
@pytest.mark.parametrize("with_exclude", [False, True])
def test_against_brute_force(rng, ties, levels, with_exclude):
    for _ in range(20):
        sim, rel, exc = random_case(rng, levels=levels, with_exclude=with_exclude)
        firsts, precisions, aps = brute_force(sim.tolist(), rel.tolist(), exc.tolist(), ties)
        kw = {"exclude": exc if with_exclude else None, "ties": ties}
        assert first_relevant_rank(sim, rel, **kw).tolist() == firsts
        np.testing.assert_allclose(average_precision(sim, rel, **kw), aps)
        assert mean_average_precision(sim, rel, **kw) == pytest.approx(np.mean(aps))
        assert median_rank(sim, rel, **kw) == pytest.approx(np.median(firsts))
        for k in (1, 3):
            assert recall_at_k(sim, rel, k=k, **kw) == pytest.approx(np.mean(np.array(firsts) <= k))
            assert precision_at_k(sim, rel, k=k, **kw) == pytest.approx(np.mean(precisions[k]))
        s = retrieval_scores(sim, rel, recall_ks=(1, 3), precision_ks=(3,), **kw)
        assert s["R@3"] == pytest.approx(np.mean(np.array(firsts) <= 3))
        assert s["P@3"] == pytest.approx(np.mean(precisions[3]))
        assert s["mAP"] == pytest.approx(np.mean(aps)) and s["queries"] == len(sim)


def test_known_answers():
    # query 0 finds its item first; query 1 at rank 3 of 4
    sim = np.array([[0.9, 0.1, 0.2, 0.3], [0.9, 0.8, 0.7, 0.1]])
    rel = np.array([[1, 0, 0, 0], [0, 0, 1, 0]], bool)
    assert first_relevant_rank(sim, rel).tolist() == [1, 3]
    assert recall_at_k(sim, rel, k=1) == 0.5 and recall_at_k(sim, rel, k=3) == 1.0
    assert mean_average_precision(sim, rel) == pytest.approx((1 + 1 / 3) / 2)
    assert median_rank(sim, rel) == 2.0


def test_ties_are_pessimistic_or_by_order():
    sim = np.zeros((1, 5))  # a scorer that says nothing
    rel = np.array([[True, False, False, False, False]])
    assert first_relevant_rank(sim, rel).tolist() == [5]
    assert first_relevant_rank(sim, rel, ties="order").tolist() == [1]


def test_exclude_takes_items_out():
    sim = np.array([[0.9, 0.8, 0.1]])
    rel = np.array([[False, True, True]])
    assert first_relevant_rank(sim, rel).tolist() == [2]
    exc = np.array([[True, False, False]])
    assert first_relevant_rank(sim, rel, exclude=exc).tolist() == [1]
    assert mean_average_precision(sim, rel, exclude=exc) == 1.0
    with pytest.raises(ParameterError, match="needs at least 3"):
        precision_at_k(sim, rel, k=3, exclude=exc)


def test_relevance_from_labels():
    rel = relevance_from_labels(["a", "b"], ["b", "a", "a"])
    assert rel.tolist() == [[False, True, True], [True, False, False]]
    with pytest.raises(ParameterError):
        relevance_from_labels([["a"]], ["a"])


def test_bad_inputs():
    sim, rel = np.zeros((2, 3)), np.eye(2, 3, dtype=bool)
    with pytest.raises(ParameterError, match="shape"):
        recall_at_k(sim, rel[:, :2], k=1)
    with pytest.raises(ParameterError, match="boolean"):
        recall_at_k(sim, rel.astype(int), k=1)
    with pytest.raises(ParameterError, match="non-finite"):
        recall_at_k(np.full((2, 3), np.nan), rel, k=1)
    with pytest.raises(ParameterError, match="no relevant"):
        recall_at_k(sim, np.zeros((2, 3), bool), k=1)
    with pytest.raises(ParameterError, match="k must"):
        recall_at_k(sim, rel, k=0)
    with pytest.raises(ParameterError, match="ties"):
        recall_at_k(sim, rel, k=1, ties="random")
    with pytest.raises(ParameterError, match="non-empty"):
        recall_at_k(np.zeros((0, 3)), np.zeros((0, 3), bool), k=1)
