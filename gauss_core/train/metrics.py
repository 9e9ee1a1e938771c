"""Held-out metrics: reconstruction accuracy (exact canonical match and per token), per-label R^2, KL.

Definitions:
- recon_exact: fraction of test SMILES whose greedy decode (latent mean, argmax per position) has the
  same canonical kekulised SMILES (gauss_core.chem.canonical_kekule) as the input; an invalid decode
  counts as a miss.
- recon_token: fraction of non-pad input positions whose argmax token equals the input token.
- r2_<label>: 1 - SS_res/SS_tot over the test rows where that label is observed (de-standardisation
  does not change R^2); NaN when fewer than 2 observed rows.
- kl: normalised KL (per latent dimension), recon_ce: token cross-entropy, prop_mse: masked MSE of
  standardised labels, loss: their weighted sum as in training.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from gauss_core import stats
from gauss_core.chem import canonical_kekule
from gauss_core.model.loss import KL_WEIGHT, gauss_loss
from gauss_core.model.vae import GaussVAE
from gauss_core.tokens import Vocabulary
from gauss_core.train.data import TensorSet

EVAL_BATCH = 256  # small batches keep the CPU GRU steps in cache (see gauss_core.latent.inference)


_CANONICAL_CACHE: dict[str, str | None] = {}


def _canonical_input(smiles: str) -> str | None:
    # The held-out inputs are the same every epoch: canonicalise each once per process.
    if smiles not in _CANONICAL_CACHE:
        if len(_CANONICAL_CACHE) > 500_000:
            _CANONICAL_CACHE.clear()
        _CANONICAL_CACHE[smiles] = canonical_kekule(smiles)
    return _CANONICAL_CACHE[smiles]


def exact_match_rate(inputs: list[str], decoded: list[str]) -> float:
    """Fraction of pairs with equal canonical kekulised SMILES (invalid decodes never match)."""
    if not inputs:
        return float("nan")
    hits = 0
    for a, b in zip(inputs, decoded, strict=False):
        if b == a:  # identical strings need no RDKit round trip (when a is valid)
            hits += _canonical_input(a) is not None
            continue
        cb = canonical_kekule(b) if b else None
        if cb is not None and cb == _canonical_input(a):
            hits += 1
    return hits / len(inputs)


@torch.no_grad()
def evaluate(model: GaussVAE, data: TensorSet, vocab: Vocabulary, label_names: list[str],
             kl_weight: float = KL_WEIGHT, batch_size: int = EVAL_BATCH) -> dict[str, Any]:
    """Held-out metrics of `model` on `data` (eval mode: z = latent mean, no dropout).

    Returns:
        dict with n_test, loss, recon_ce, kl, prop_mse, recon_token, recon_exact, r2_<label> (and r2_mean).
    """
    was_training = model.training
    model.eval()
    n = len(data)
    if n == 0:
        model.train(was_training)
        return {"n_test": 0}
    device = next(model.parameters()).device
    sums = {"loss": 0.0, "recon_ce": 0.0, "kl": 0.0, "prop_mse": 0.0}
    correct = total = 0
    argmax_all = np.empty((n, vocab.max_len), dtype=np.int64)
    preds = []
    for start in range(0, n, batch_size):
        sl = slice(start, min(start + batch_size, n))
        tokens = data.tokens[sl].to(device)
        out = model(tokens, data.struct[sl].to(device) if data.struct.shape[1] else None)
        terms = gauss_loss(out.logits, tokens, out.mu, out.logvar, out.properties,
                           data.labels[sl].to(device), data.mask[sl].to(device), kl_weight)
        w = (sl.stop - sl.start) / n
        sums["loss"] += terms.total.item() * w
        sums["recon_ce"] += terms.recon.item() * w
        sums["kl"] += terms.kl.item() * w
        sums["prop_mse"] += terms.prop.item() * w  # per-batch masked mean, weighted by rows (approximate)
        am = out.logits.argmax(dim=-1)
        nonpad = tokens != 0
        correct += int(((am == tokens) & nonpad).sum())
        total += int(nonpad.sum())
        argmax_all[sl] = am.cpu().numpy()
        if out.properties is not None:
            preds.append(out.properties.float().cpu().numpy())
    model.train(was_training)
    decoded = vocab.decode_batch(argmax_all)
    metrics: dict[str, Any] = {"n_test": n, **sums}
    metrics["recon_token"] = correct / max(total, 1)
    metrics["recon_exact"] = exact_match_rate(data.smiles, decoded)
    if preds:
        pred = np.concatenate(preds)
        labels = data.labels.numpy()
        mask = data.mask.numpy()
        r2s = []
        for k, name in enumerate(label_names):
            m = mask[:, k]
            r2 = stats.r2(labels[m, k], pred[m, k])
            metrics[f"r2_{name}"] = r2
            metrics[f"n_{name}"] = int(m.sum())
            if not np.isnan(r2):
                r2s.append(r2)
        metrics["r2_mean"] = float(np.mean(r2s)) if r2s else float("nan")
    return metrics
