"""The RGB injector: Tile + Linear, AGVA (Eq. 5-8), the audio dropout gate (Eq. 9-10), Eq. 14."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from mudar.errors import ParameterError
from mudar.models.config import MudarConfig
from mudar.models.injector import AGVA, AudioDropoutGate, RGBInjector, TileLinear, n_without_audio


@pytest.fixture
def tiny(tiny: MudarConfig) -> MudarConfig:
    """Narrower than the shared one (f_rgb has C = 6 channels on a 4 x 4 grid, d = 8), and a
    quarter of the clips without audio."""
    return dataclasses.replace(
        tiny, encoder_channels=(4, 6), audio_channels=(4,), dim=8, audio_dropout=0.25
    )


def agva_by_hand(m: AGVA, f_rgb: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """Eq. 5-8 written out with loops over frames, grid cells and channels."""

    def lin(layer, x):  # y_i = sum_j W_ij x_j + b_i
        rows, cols = layer.weight.shape
        y = [sum(layer.weight[i, j] * x[j] for j in range(cols)) for i in range(rows)]
        if layer.bias is not None:
            y = [y[i] + layer.bias[i] for i in range(len(y))]
        return torch.stack(y)

    n, c, h, w = f_rgb.shape
    out = []
    for i in range(n):
        cells = [f_rgb[i, :, y, x] for y in range(h) for x in range(w)]  # v_k, row-major
        k_n = len(cells)
        # Eq. 5: m_c = sigmoid(W_c relu(W_b mean_k relu(U_a a) * relu(U_v v_k)))
        ua = torch.relu(lin(m.u_a_c, a[i]))
        joint = sum(ua * torch.relu(lin(m.u_v_c, v)) for v in cells) / k_n
        m_c = torch.sigmoid(lin(m.w_c, torch.relu(lin(m.w_b, joint))))
        # Eq. 6: v_k' = (1 + m_c) * v_k
        cells_c = [(1 + m_c) * v for v in cells]
        ua_s = torch.relu(lin(m.u_a_s, a[i]))
        if m.order == "paper":
            # Eq. 7 as written: m_s = softmax_k(tanh(W2 . (relu(U_v' v_k') * relu(U_a' a))))
            logits = torch.stack(
                [torch.tanh(lin(m.w_s, torch.relu(lin(m.u_v_s, v)) * ua_s)[0]) for v in cells_c]
            )
        else:
            # legacy: m_s = softmax_k(W2 . tanh(relu(U_v' v_k') * relu(U_a' a)))
            logits = torch.stack(
                [lin(m.w_s, torch.tanh(torch.relu(lin(m.u_v_s, v)) * ua_s))[0] for v in cells_c]
            )
        e = torch.exp(logits - logits.max())
        m_s = e / e.sum()
        # Eq. 8: v = sum_k m_s[k] v_k'
        out.append(sum(m_s[k] * cells_c[k] for k in range(k_n)))
    return torch.stack(out)


@pytest.mark.parametrize("order", ["paper", "legacy"])
def test_agva_equals_a_transcription_of_eq_5_to_8(order):
    torch.manual_seed(0)
    m = AGVA(channels=4, audio_dim=3, order=order).double()
    f_rgb = torch.randn(2, 4, 2, 3, dtype=torch.float64)
    a = torch.randn(2, 3, dtype=torch.float64)
    with torch.no_grad():
        got, m_c, m_s = m(f_rgb, a, return_maps=True)
        want = agva_by_hand(m, f_rgb, a)
    torch.testing.assert_close(got, want)
    assert m_c.shape == (2, 4) and bool(((m_c > 0) & (m_c < 1)).all())
    assert m_s.shape == (2, 2, 3)
    torch.testing.assert_close(m_s.sum((1, 2)), torch.ones(2, dtype=torch.float64))


def test_agva_orders_differ_and_paper_is_the_default():
    torch.manual_seed(0)
    paper = AGVA(channels=4, audio_dim=3)
    legacy = AGVA(channels=4, audio_dim=3, order="legacy")
    legacy.load_state_dict(paper.state_dict())  # same weights, other order
    f, a = torch.randn(2, 4, 3, 3), torch.randn(2, 3)
    assert paper.order == "paper" and MudarConfig().agva_order == "paper"
    with torch.no_grad():
        assert not torch.allclose(paper(f, a), legacy(f, a))
    with pytest.raises(ParameterError):
        AGVA(channels=4, audio_dim=3, order="sideways")
    with pytest.raises(ParameterError):
        MudarConfig(agva_order="sideways")


def test_config_without_agva_order_reads_as_legacy(tiny):
    d = tiny.to_dict()
    del d["agva_order"]
    assert MudarConfig.from_dict(d).agva_order == "legacy"
    assert MudarConfig.from_dict(tiny.to_dict()).agva_order == "paper"
    assert RGBInjector(MudarConfig.from_dict(d)).gate.agva.order == "legacy"


def test_shipped_checkpoint_keeps_its_agva():
    """The shipped model (no ``agva_order`` stored) runs AGVA in the form it was trained with:
    its own AGVA equals the legacy transcription, not the paper's, on its own weights."""
    from mudar.models.checkpoint import default_checkpoint_path, load_model

    path = default_checkpoint_path()
    if not path.is_file():
        pytest.skip(f"no shipped checkpoint at {path}")
    stored = torch.load(path, map_location="cpu", weights_only=True)
    assert "agva_order" not in stored["config"]
    model = load_model(path)
    agva = model.injector.gate.agva
    assert model.config.agva_order == "legacy" and agva.order == "legacy"
    torch.manual_seed(0)
    c = model.config.encoder_channels[-1]
    f = torch.randn(2, c, 2, 2, dtype=torch.float64)
    a = torch.randn(2, model.config.dim, dtype=torch.float64)
    agva = agva.double()
    with torch.no_grad():
        got = agva(f, a)
        torch.testing.assert_close(got, agva_by_hand(agva, f, a))
        agva.order = "paper"
        assert not torch.allclose(got, agva(f, a))


def test_agva_spatial_attention_follows_the_audio():
    """Different audio gives different spatial maps for the same frame."""
    torch.manual_seed(1)
    m = AGVA(channels=4, audio_dim=3)
    f = torch.randn(1, 4, 3, 3).expand(2, 4, 3, 3)
    _, _, m_s = m(f, torch.randn(2, 3), return_maps=True)
    assert not torch.allclose(m_s[0], m_s[1])


def test_tile_linear_is_linear_on_the_flattened_map():
    torch.manual_seed(0)
    m = TileLinear(3, 2, 2, 5)
    x = torch.randn(4, 3, 2, 2)
    torch.testing.assert_close(m(x), x.reshape(4, 12) @ m.linear.weight.T + m.linear.bias)
    with pytest.raises(ParameterError):
        m(torch.randn(4, 3, 2, 3))


@pytest.mark.parametrize(
    "b,p,drop,has_audio,want",
    [
        (16, 0.25, True, True, 4),
        (7, 0.25, True, True, 1),  # floor(1.75)
        (3, 0.25, True, True, 0),  # floor(0.75)
        (16, 0.25, False, True, 0),  # evaluation
        (16, 0.25, True, False, 16),  # no audio
        (16, 0.25, False, False, 16),
        (10, 0.0, True, True, 0),
    ],
)
def test_n_without_audio_eq_10(b, p, drop, has_audio, want):
    assert n_without_audio(b, p, drop=drop, has_audio=has_audio) == want


def test_gate_splits_the_batch_as_eq_10():
    torch.manual_seed(0)
    gate = AudioDropoutGate(channels=6, height=4, width=4, audio_dim=8, dim=8, p=0.25)
    b, t = 7, 3
    f = torch.randn(b, t, 6, 4, 4)
    a = torch.randn(b, t, 8)
    out, n = gate(f, a, drop=True)
    assert n == math.floor(b * 0.25) == 1 and out.shape == (b, t, 8)
    tile = gate.tile_linear(f.flatten(0, 1)).view(b, t, 8)
    agva = gate.agva_proj(gate.agva(f.flatten(0, 1), a.flatten(0, 1))).view(b, t, 8)
    torch.testing.assert_close(out[:n], tile[:n])  # the first floor(b p) clips: Linear(Tile)
    torch.testing.assert_close(out[n:], agva[n:])  # the others: AGVA
    # the first clips do not hear their audio
    a2 = a.clone()
    a2[:n] = torch.randn(n, t, 8)
    torch.testing.assert_close(gate(f, a2, drop=True)[0], out)
    # evaluation: every clip through AGVA; no audio: every clip through Linear(Tile)
    out_eval, n_eval = gate(f, a, drop=False)
    assert n_eval == 0
    torch.testing.assert_close(out_eval, agva)
    out_silent, n_silent = gate(f, None, drop=False)
    assert n_silent == b
    torch.testing.assert_close(out_silent, tile)


def test_gate_rejects_p_out_of_range():
    with pytest.raises(ParameterError):
        AudioDropoutGate(6, 4, 4, 8, 8, p=1.0)


def test_injector_shapes_and_gradients(tiny):
    torch.manual_seed(0)
    inj = RGBInjector(tiny).train()
    b, t = 4, tiny.n_frames  # floor(4 * 0.25) = 1 clip without audio, 3 with
    f = torch.randn(b, t, 6, 4, 4, requires_grad=True)
    a = torch.randn(b, t, tiny.dim, requires_grad=True)
    out = inj(f, a, drop=True)
    assert out.shape == (b, t, tiny.dim)
    out.pow(2).mean().backward()
    missing = [k for k, p in inj.named_parameters() if p.grad is None]
    assert not missing
    assert f.grad is not None and a.grad is not None
    # flat (B*T, C, h, w) maps, with and without audio
    inj.eval()
    with torch.no_grad():
        torch.testing.assert_close(inj(f.flatten(0, 1), a), inj(f, a))
        torch.testing.assert_close(inj(f.flatten(0, 1), None), inj(f, None))


def test_injector_self_attention_mixes_frames_eq_14(tiny):
    """A change in one frame's map reaches the other frames' features (Eq. 14)."""
    torch.manual_seed(0)
    inj = RGBInjector(tiny).eval()
    f = torch.randn(1, tiny.n_frames, 6, 4, 4)
    g = f.clone()
    g[0, 0] += 1.0
    with torch.no_grad():
        d = (inj(f, None) - inj(g, None)).abs().sum(-1)[0]
    assert bool((d > 0).all())


def test_injector_bad_shapes(tiny):
    inj = RGBInjector(tiny)
    t = tiny.n_frames
    with pytest.raises(ParameterError):
        inj(torch.randn(2, t, 6, 4, 5), None)
    with pytest.raises(ParameterError):
        inj(torch.randn(2, t, 6, 4, 4), torch.randn(2, t + 1, tiny.dim))
    with pytest.raises(ParameterError):
        inj(torch.randn(2 * t + 1, 6, 4, 4), None)
