"""GaussVAE architecture as the paper's Methods, heads, configs."""

from __future__ import annotations

import pytest
import torch

from gauss_core.model.heads import Gauss1Head, Gauss2Head
from gauss_core.model.vae import GaussVAE, ModelConfig


@pytest.fixture()
def model():
    torch.manual_seed(0)
    return GaussVAE(ModelConfig(vocab_size=25, max_len=20))


def test_architecture_matches_paper(model):
    enc = model.encoder
    assert [(g.hidden_size, g.bidirectional) for g in enc.grus] == [(128, True), (96, True), (32, True)]
    assert enc.grus[0].input_size == 25 and enc.grus[1].input_size == 256 and enc.grus[2].input_size == 192
    assert enc.to_mu.out_features == 32 and enc.to_logvar.out_features == 32
    dec = model.decoder
    assert (dec.gru1.input_size, dec.gru1.hidden_size, dec.gru1.bidirectional) == (32, 128, True)
    assert (dec.gru2.input_size, dec.gru2.hidden_size, dec.gru2.bidirectional) == (256, 25, True)
    assert (dec.to_logits.in_features, dec.to_logits.out_features) == (50, 25)
    head = model.head.net
    assert isinstance(model.head, Gauss2Head)
    assert [m.out_features for m in head if isinstance(m, torch.nn.Linear)] == [32, 4]
    assert any(isinstance(m, torch.nn.LeakyReLU) for m in head)
    assert [m.p for m in head if isinstance(m, torch.nn.Dropout)] == [0.2]


def test_one_hot_input_is_exact_and_frozen(model):
    w = model.encoder.one_hot.weight
    assert torch.equal(w, torch.eye(25))
    assert not w.requires_grad


def test_forward_shapes_and_eval_uses_latent_mean(model):
    tokens = torch.randint(1, 25, (7, 20))
    model.train()
    out = model(tokens)
    assert out.logits.shape == (7, 20, 25)
    assert out.mu.shape == out.logvar.shape == out.z.shape == (7, 32)
    assert out.properties.shape == (7, 4)
    assert not torch.equal(out.z, out.mu)
    model.eval()
    out = model(tokens)
    assert torch.equal(out.z, out.mu)
    again = model(tokens)
    assert torch.equal(out.logits, again.logits) and torch.equal(out.properties, again.properties)
    assert model.greedy_decode(out.mu).shape == (7, 20)


def test_gauss1_head_takes_structure_vector():
    torch.manual_seed(0)
    m = GaussVAE(ModelConfig(vocab_size=10, max_len=8, head="gauss1", n_labels=7, n_struct=6))
    assert isinstance(m.head, Gauss1Head)
    lin = [x for x in m.head.net if isinstance(x, torch.nn.Linear)]
    assert [(x.in_features, x.out_features) for x in lin] == [(38, 32), (32, 8), (8, 7)]
    assert [x.p for x in m.head.net if isinstance(x, torch.nn.Dropout)] == [0.005, 0.005]
    assert any(isinstance(x, torch.nn.SiLU) for x in m.head.net)
    m.eval()
    tokens = torch.randint(1, 10, (3, 8))
    out = m(tokens, torch.randn(3, 6))
    assert out.properties.shape == (3, 7)
    with pytest.raises(ValueError, match="structural vector"):
        m(tokens)


def test_headless_model_and_config_round_trip():
    cfg = ModelConfig(vocab_size=12, max_len=9, head="none", n_labels=0)
    m = GaussVAE(cfg)
    assert m.head is None and m.predict(torch.zeros(2, 32)) is None
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError):
        ModelConfig.from_dict({**cfg.to_dict(), "bogus": 1})
    with pytest.raises(ValueError):
        GaussVAE(ModelConfig(vocab_size=12, max_len=9, head="gauss3"))


@pytest.mark.parametrize("in_size,hidden,const",
                         [(26, 128, False), (256, 96, False), (32, 128, True), (256, 26, False)])
def test_fast_gru_matches_pytorch_gru_outputs_and_gradients(in_size, hidden, const):
    """gauss_core.model.fastgru (hand-written backward, lean inference) is nn.GRU's maths exactly."""
    from gauss_core.model.fastgru import bigru_infer_time_major, bigru_time_major

    torch.manual_seed(0)
    gru = torch.nn.GRU(in_size, hidden, bidirectional=True, batch_first=True).double()
    steps, batch = 11, 5
    if const:
        x0 = torch.randn(batch, in_size, dtype=torch.double, requires_grad=True)
        ref, _ = gru(x0.unsqueeze(1).expand(-1, steps, -1))
        fast_in = x0
    else:
        x0 = torch.randn(batch, steps, in_size, dtype=torch.double, requires_grad=True)
        ref, _ = gru(x0)
        fast_in = x0.transpose(0, 1)
    weights = torch.randn_like(ref)
    ref_grads = torch.autograd.grad((ref * weights).sum(), [x0, *gru.parameters()])
    out = bigru_time_major(gru, fast_in, steps=steps).transpose(0, 1)
    grads = torch.autograd.grad((out * weights).sum(), [x0, *gru.parameters()])
    assert torch.allclose(out, ref, atol=1e-12)
    for a, b in zip(grads, ref_grads, strict=False):
        assert torch.allclose(a, b, atol=1e-10)
    with torch.no_grad():
        lean = bigru_infer_time_major(gru, fast_in.detach(), steps=steps).transpose(0, 1)
    assert torch.allclose(lean, ref, atol=1e-12)


def test_model_fast_and_native_paths_agree():
    import gauss_core.model.vae as vae

    torch.manual_seed(0)
    m = GaussVAE(ModelConfig(vocab_size=20, max_len=15)).eval()
    tokens = torch.randint(0, 20, (6, 15))
    with torch.no_grad():
        fast = m(tokens)
        vae.FAST_CPU_GRU = False
        try:
            native = m(tokens)
        finally:
            vae.FAST_CPU_GRU = True
    assert torch.allclose(fast.mu, native.mu, atol=1e-5)
    assert torch.allclose(fast.logits, native.logits, atol=1e-5)


def test_spelling_invariance_loss_is_relative_to_the_distance_between_molecules():
    from gauss_core.model.loss import spelling_invariance_loss

    stored = torch.tensor([[0.0, 1.0], [2.0, 2.0]], requires_grad=True)
    random = torch.tensor([[1.0, 1.0], [2.0, 0.0]], requires_grad=True)
    loss = spelling_invariance_loss(random, stored)
    assert loss.item() == pytest.approx(((1 + 0) + (0 + 4)) / 2 / 5)  # mean |r - s|^2 over mean |s_i - s_j|^2
    shrunk = spelling_invariance_loss(3 * random, 3 * stored).item()
    assert shrunk == pytest.approx(loss.item())  # shrinking the latent pays nothing
    loss.backward()
    assert torch.allclose(random.grad, 2 * (random - stored).detach() / 2 / 5)  # pulled onto the stored point
    push = stored.grad[0] @ (stored[0] - stored[1]).detach()
    assert push < 0  # descending the loss moves two molecules apart, never together
    assert spelling_invariance_loss(stored, stored).item() == 0.0
