"""Masked GAUSS loss: unlabelled entries contribute nothing, whatever their placeholder values."""

from __future__ import annotations

import math

import pytest
import torch

from gauss_core.model.loss import gauss_loss, masked_mse, normalised_kl, reconstruction_loss


def _batch(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    pred = torch.randn(8, 4, generator=g, requires_grad=True)
    target = torch.randn(8, 4, generator=g)
    mask = torch.zeros(8, 4, dtype=torch.bool)
    mask[:3] = True          # rows 0-2 fully labelled
    mask[5, 1] = True        # one label of row 5
    return pred, target, mask


@pytest.mark.parametrize("placeholder", [float("nan"), -1000000.0, 0.0, 1e30, "random"])
def test_unlabelled_entries_do_not_change_loss_or_gradients(placeholder):
    pred, target, mask = _batch()
    ref_loss, n_ref = masked_mse(pred, target, mask)
    (ref_grad,) = torch.autograd.grad(ref_loss, pred)
    poisoned = target.clone()
    if placeholder == "random":
        poisoned[~mask] = torch.randn(int((~mask).sum())) * 1e6
    else:
        poisoned[~mask] = placeholder
    loss, n = masked_mse(pred, poisoned, mask)
    (grad,) = torch.autograd.grad(loss, pred)
    assert n == n_ref == 13
    assert torch.isfinite(loss)
    assert loss.item() == pytest.approx(ref_loss.item(), rel=0, abs=0)
    assert torch.equal(grad, ref_grad)
    assert torch.all(grad[~mask] == 0)


def test_masked_mse_is_mean_over_observed_entries_only():
    pred = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    target = torch.tensor([[0.0, float("nan")], [1.0, -1e6]])
    mask = torch.tensor([[True, False], [True, False]])
    loss, n = masked_mse(pred, target, mask)
    assert n == 2
    assert loss.item() == pytest.approx((1.0 + 4.0) / 2)


def test_weighted_masked_mse_counts_each_observed_entry_by_its_target_weight():
    pred = torch.tensor([[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]])
    target = torch.tensor([[0.0, 0.0], [1.0, float("nan")], [0.0, 0.0]])
    mask = torch.tensor([[True, True], [True, False], [False, False]])
    plain, _ = masked_mse(pred, target, mask)
    ones, _ = masked_mse(pred, target, mask, torch.tensor([1.0, 1.0]))
    assert ones.item() == pytest.approx(plain.item()) == pytest.approx((1.0 + 4.0 + 4.0) / 3)
    weighted, n = masked_mse(pred, target, mask, torch.tensor([1.0, 10.0]))
    assert n == 3
    assert weighted.item() == pytest.approx((1.0 + 4.0 + 10.0 * 4.0) / (1.0 + 1.0 + 10.0))


def test_no_observed_label_gives_zero_and_finite_gradient():
    pred = torch.randn(4, 4, requires_grad=True)
    target = torch.full((4, 4), float("nan"))
    loss, n = masked_mse(pred, target, torch.zeros(4, 4, dtype=torch.bool))
    loss.backward()
    assert n == 0 and loss.item() == 0.0
    assert torch.all(pred.grad == 0)


def test_kl_is_zero_at_prior_and_normalised_per_dimension():
    mu = torch.zeros(5, 32)
    logvar = torch.zeros(5, 32)
    assert normalised_kl(mu, logvar).item() == pytest.approx(0.0)
    mu1 = torch.ones(5, 32)  # KL per dim = 0.5 * mu^2 = 0.5
    assert normalised_kl(mu1, logvar).item() == pytest.approx(0.5)


def test_reconstruction_loss_is_token_cross_entropy():
    tokens = torch.tensor([[1, 2, 0]])
    logits = torch.full((1, 3, 3), -1e4)
    logits[0, 0, 1] = logits[0, 1, 2] = logits[0, 2, 0] = 0.0
    assert reconstruction_loss(logits, tokens).item() == pytest.approx(0.0, abs=1e-6)
    uniform = torch.zeros(1, 3, 3)
    assert reconstruction_loss(uniform, tokens).item() == pytest.approx(math.log(3))


def test_total_loss_weights_kl_by_001_and_adds_property_term():
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(4, 6, 5, generator=g)
    tokens = torch.randint(0, 5, (4, 6), generator=g)
    mu, logvar = torch.randn(4, 32, generator=g), torch.randn(4, 32, generator=g)
    pred, target = torch.randn(4, 4, generator=g), torch.randn(4, 4, generator=g)
    mask = torch.rand(4, 4, generator=g) > 0.5
    mask[0, 0] = True
    terms = gauss_loss(logits, tokens, mu, logvar, pred, target, mask)
    expected = terms.recon + 0.01 * terms.kl + terms.prop
    assert terms.total.item() == pytest.approx(expected.item())
    assert terms.prop.item() > 0
    plain = gauss_loss(logits, tokens, mu, logvar)
    assert plain.prop.item() == 0.0 and plain.total.item() == pytest.approx((terms.recon + 0.01 * terms.kl).item())
