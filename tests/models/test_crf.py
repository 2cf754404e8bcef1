"""The linear-chain CRF against brute-force enumeration of every label sequence."""

from __future__ import annotations

import itertools

import pytest
import torch

from mudar.errors import ParameterError
from mudar.models.crf import LinearChainCRF


def make_crf(n_labels: int, seed: int = 0) -> LinearChainCRF:
    g = torch.Generator().manual_seed(seed)
    crf = LinearChainCRF(n_labels).double()
    with torch.no_grad():
        crf.transitions.copy_(torch.randn(n_labels, n_labels, generator=g, dtype=torch.float64))
        crf.start.copy_(torch.randn(n_labels, generator=g, dtype=torch.float64))
        crf.end.copy_(torch.randn(n_labels, generator=g, dtype=torch.float64))
    return crf


def brute_score(crf: LinearChainCRF, e: torch.Tensor, y: tuple[int, ...]) -> torch.Tensor:
    """The score of one sequence, term by term (``e`` is (n, L) of the valid frames)."""
    s = crf.start[y[0]] + e[0, y[0]]
    for t in range(1, len(y)):
        s = s + crf.transitions[y[t - 1], y[t]] + e[t, y[t]]
    return s + crf.end[y[-1]]


def brute(crf: LinearChainCRF, e: torch.Tensor):
    """log Z, the best sequence, and the scores of all sequences of one item (n, L)."""
    n, n_labels = e.shape
    seqs = list(itertools.product(range(n_labels), repeat=n))
    scores = torch.stack([brute_score(crf, e, y) for y in seqs])
    return torch.logsumexp(scores, 0), seqs[int(scores.argmax())], seqs, scores


@pytest.mark.parametrize("n_labels,t", [(2, 1), (2, 4), (3, 3), (2, 5), (3, 5)])
def test_log_partition_score_viterbi_match_brute_force(n_labels, t):
    crf = make_crf(n_labels, seed=t)
    g = torch.Generator().manual_seed(100 + t)
    e = torch.randn(3, t, n_labels, generator=g, dtype=torch.float64)
    log_z = crf.log_partition(e)
    best = crf.viterbi(e)
    for i in range(3):
        z_ref, best_ref, seqs, scores = brute(crf, e[i])
        torch.testing.assert_close(log_z[i], z_ref)
        assert tuple(best[i].tolist()) == best_ref
        # score of a few sequences, batched
        for k in (0, len(seqs) // 2, len(seqs) - 1):
            y = torch.tensor(seqs[k])[None]
            torch.testing.assert_close(crf.score(e[i : i + 1], y)[0], scores[k])


def test_nll_is_minus_log_probability_and_probabilities_sum_to_one():
    crf = make_crf(2)
    e = torch.randn(1, 4, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    seqs = list(itertools.product(range(2), repeat=4))
    labels = torch.tensor(seqs)
    nll = crf.nll(e.expand(len(seqs), 4, 2), labels)
    torch.testing.assert_close(torch.exp(-nll).sum(), torch.tensor(1.0, dtype=torch.float64))
    assert bool((nll > 0).all())


def test_masked_batch_equals_each_sequence_alone():
    crf = make_crf(3, seed=5)
    g = torch.Generator().manual_seed(7)
    e = torch.randn(3, 5, 3, generator=g, dtype=torch.float64)
    lengths = [5, 3, 1]
    mask = torch.tensor([[i < n for i in range(5)] for n in lengths])
    labels = torch.randint(0, 3, (3, 5), generator=g)
    log_z = crf.log_partition(e, mask)
    nll = crf.nll(e, labels, mask)
    best = crf.viterbi(e, mask)
    for i, n in enumerate(lengths):
        z_ref, best_ref, _, _ = brute(crf, e[i, :n])
        torch.testing.assert_close(log_z[i], z_ref)
        s_ref = brute_score(crf, e[i, :n], tuple(labels[i, :n].tolist()))
        torch.testing.assert_close(nll[i], z_ref - s_ref)
        assert tuple(best[i, :n].tolist()) == best_ref
        assert best[i, n:].eq(0).all()


def test_gradient_of_log_partition_is_the_marginals():
    crf = make_crf(2, seed=3)
    e = torch.randn(1, 4, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    e.requires_grad_(True)
    crf.log_partition(e).sum().backward()
    _, _, seqs, scores = brute(crf, e[0].detach())
    p = torch.softmax(scores, 0)
    marg = torch.zeros(4, 2, dtype=torch.float64)
    for prob, y in zip(p, seqs, strict=True):
        for t, label in enumerate(y):
            marg[t, label] += prob
    torch.testing.assert_close(e.grad[0], marg)


def test_parameters_get_gradients():
    crf = LinearChainCRF(2)
    e = torch.randn(2, 5, 2, requires_grad=True)
    crf.nll(e, torch.randint(0, 2, (2, 5))).mean().backward()
    assert all(p.grad is not None for p in crf.parameters())
    assert e.grad is not None


def test_bad_inputs():
    crf = LinearChainCRF(2)
    e = torch.zeros(2, 4, 2)
    with pytest.raises(ParameterError):
        LinearChainCRF(1)
    with pytest.raises(ParameterError):
        crf.log_partition(torch.zeros(2, 4, 3))
    with pytest.raises(ParameterError):  # first frame masked
        crf.log_partition(e, torch.tensor([[0, 1, 1, 1], [1, 1, 1, 1]]))
    with pytest.raises(ParameterError):  # a hole in the mask
        crf.viterbi(e, torch.tensor([[1, 0, 1, 1], [1, 1, 1, 1]]))
    with pytest.raises(ParameterError):
        crf.nll(e, torch.zeros(2, 3, dtype=torch.long))


@pytest.mark.parametrize("n_labels,t", [(2, 4), (3, 3)])
def test_marginals_match_brute_force(n_labels, t):
    torch.manual_seed(1)
    crf = LinearChainCRF(n_labels)
    with torch.no_grad():
        for prm in crf.parameters():
            prm.normal_()
    e = torch.randn(1, t, n_labels)
    _, _, seqs, scores = brute(crf, e[0])
    p = torch.softmax(scores, 0)
    ref = torch.zeros(t, n_labels)
    for y, py in zip(seqs, p, strict=True):
        for k, lab in enumerate(y):
            ref[k, lab] += py
    got = crf.marginals(e)[0]
    torch.testing.assert_close(got, ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(got.sum(-1), torch.ones(t))
