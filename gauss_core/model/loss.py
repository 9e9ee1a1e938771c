"""GAUSS loss (paper, section IV): Loss = Loss_recon + alpha * Loss_KL(normalised) + Loss_DNN.

- Loss_recon: token cross-entropy averaged over every position of the fixed-length sequence (pad
  positions included: the decoder must learn where the SMILES ends).
- Loss_KL: KL(q(z|x) || N(0, I)) summed over latent dimensions and divided by the latent size
  ("normalised"), averaged over the batch; alpha = 0.01.
- Loss_DNN: mean squared error over standardised labels, counted only over observed label entries
  (mask), so unlabelled rows contribute nothing whatever placeholder values they carry. Optional per-target
  weights (default all 1, the paper's pooled mean) let a sparse target count as much as a dense one.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

KL_WEIGHT = 0.01


@dataclass
class LossTerms:
    """The total loss and its parts (tensors; call .item() to log)."""

    total: torch.Tensor
    recon: torch.Tensor
    kl: torch.Tensor
    prop: torch.Tensor
    n_observed: int


def reconstruction_loss(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """Mean token cross-entropy. Args: logits (B, L, V), tokens (B, L) int64."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens.reshape(-1))


def normalised_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL divergence to the standard normal, per latent dimension, batch mean."""
    kl = -0.5 * (1.0 + logvar - mu.pow(2) - logvar.exp())
    return kl.sum(dim=1).mean() / mu.shape[1]


def masked_mse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor,
               weights: torch.Tensor | None = None) -> tuple[torch.Tensor, int]:
    """(Weighted) mean squared error over observed entries only.

    Args:
        pred, target: (B, K) standardised values; target may hold anything (NaN, -1e6) where unobserved.
        mask: (B, K) bool, True where the label is observed.
        weights: (K,) per-target weights, or None (all 1): sum(w_k * err^2) / sum(w_k) over observed entries.
    Returns:
        (mse, number of observed entries); mse is 0 (with gradient graph intact) when nothing is observed.
    """
    mask = mask.bool()
    n = int(mask.sum())
    # torch.where keeps NaN/placeholder targets out of the arithmetic entirely (0 * NaN would be NaN).
    diff = torch.where(mask, pred - torch.where(mask, target, torch.zeros_like(target)), torch.zeros_like(pred))
    if n == 0:
        return (diff * 0.0).sum(), 0
    if weights is None:
        return diff.pow(2).sum() / n, n
    w = weights.to(diff.dtype).unsqueeze(0)
    return (diff.pow(2) * w).sum() / (mask.to(diff.dtype) * w).sum(), n


def gauss_loss(
    logits: torch.Tensor,
    tokens: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    pred: torch.Tensor | None = None,
    target: torch.Tensor | None = None,
    mask: torch.Tensor | None = None,
    kl_weight: float = KL_WEIGHT,
    label_weights: torch.Tensor | None = None,
) -> LossTerms:
    """Total GAUSS loss of one batch. Property term is skipped when pred is None (plain VAE); label_weights:
    see masked_mse."""
    recon = reconstruction_loss(logits, tokens)
    kl = normalised_kl(mu, logvar)
    if pred is not None and target is not None and mask is not None:
        prop, n_obs = masked_mse(pred, target, mask, label_weights)
    else:
        prop, n_obs = torch.zeros((), device=logits.device), 0
    total = recon + kl_weight * kl + prop
    return LossTerms(total=total, recon=recon, kl=kl, prop=prop, n_observed=n_obs)


def spelling_invariance_loss(mu_random: torch.Tensor, mu_stored: torch.Tensor) -> torch.Tensor:
    """Squared latent distance from a random spelling to its stored spelling, relative to the squared
    distance between different molecules of the batch (each stored mean vs the next one's).

    Relative, because an absolute distance can be lowered by shrinking the whole latent space (a first
    CPU run did: after one epoch both distances had fallen by a third, their ratio barely). The stored side
    of the numerator is detached: the random spelling is pulled onto the molecule's point; the denominator
    keeps its gradient, so different molecules are not pulled together.
    """
    pulled = ((mu_random - mu_stored.detach()) ** 2).sum(-1).mean()
    apart = ((mu_stored - mu_stored.roll(1, 0)) ** 2).sum(-1).mean()
    return pulled / apart.clamp_min(1e-8)
