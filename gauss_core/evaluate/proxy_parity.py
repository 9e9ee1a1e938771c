"""Experiment 3 (Fig. 6c): parity of the proxy head on held-out labelled ligands, R^2 per property.

Held-out = labelled ligands that are not in the evaluated model's training split (so their labels were
never seen). Predictions: latent mean -> head (gauss_core.latent.predict_proxies). donor_Z is compared
with the ligand set's donor atom. R^2 = 1 - SS_res / SS_tot (gauss_core.stats.r2).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gauss_core import columns as C
from gauss_core.evaluate.common import EvalInputs
from gauss_core.stats import r2

CHARGE_R2_TARGET = 0.9


@dataclass(frozen=True)
class ParityConfig:
    n_heldout: int = 2000
    seed: int = 0

    @classmethod
    def quick(cls) -> ParityConfig:
        return cls(n_heldout=60)


def parity_table(inputs: EvalInputs, config: ParityConfig) -> pd.DataFrame:
    """One row per held-out ligand: smiles, true_<label> and pred_<label> for each head output."""
    from gauss_core.evaluate.learning_curve import heldout_labelled
    from gauss_core.latent import encode_smiles_checked, predict_proxies

    smiles = heldout_labelled(inputs, config.n_heldout, config.seed)
    z, errors = encode_smiles_checked(inputs.loaded, smiles, check_chemistry=False)
    keep = [i for i, e in enumerate(errors) if e is None]
    smiles = [smiles[i] for i in keep]
    pred = predict_proxies(inputs.loaded, z[keep]).reset_index(drop=True)
    out = pd.DataFrame({C.SMILES: smiles})
    lig = inputs.ligands.set_index(C.SMILES).reindex(smiles)
    labels = inputs.labels.reindex(smiles) if inputs.labels is not None else None
    for name in inputs.loaded.label_names:
        if labels is not None and name in labels.columns:
            true = labels[name].to_numpy(dtype=float)
        else:
            true = np.full(len(smiles), np.nan)
        if name == C.DONOR_Z:
            true = np.where(np.isnan(true), lig[C.DONOR_Z].to_numpy(dtype=float), true)
        out[f"true_{name}"] = true
        out[f"pred_{name}"] = pred[name].to_numpy(dtype=float)
    return out


def parity_scores(table: pd.DataFrame, label_names) -> pd.DataFrame:
    """R^2, MAE and n per label (rows where the true value is known)."""
    rows = []
    for name in label_names:
        t, p = table[f"true_{name}"].to_numpy(float), table[f"pred_{name}"].to_numpy(float)
        ok = np.isfinite(t)
        rows.append({"label": name, "n": int(ok.sum()), "r2": r2(t[ok], p[ok]),
                     "mae": float(np.mean(np.abs(t[ok] - p[ok]))) if ok.any() else float("nan")})
    return pd.DataFrame(rows)


def parity_figure(table: pd.DataFrame, scores: pd.DataFrame, path: Path, labels_provenance: str) -> Path:
    """Fig. 6c-style parity plots, one panel per continuous proxy (donor_Z, binary, is left out as in the paper)."""
    from gauss_core.evaluate.common import plt, save_figure

    names = [n for n in scores["label"] if n != C.DONOR_Z and scores.set_index("label").loc[n, "n"] > 0]
    if not names:
        names = list(scores["label"])
    pyplot = plt()
    fig, axes = pyplot.subplots(1, len(names), figsize=(4 * len(names), 3.8), squeeze=False)
    for ax, name in zip(axes[0], names, strict=False):
        t, p = table[f"true_{name}"], table[f"pred_{name}"]
        ok = t.notna()
        ax.scatter(t[ok], p[ok], s=6, alpha=0.5)
        if ok.any():
            lo, hi = float(min(t[ok].min(), p[ok].min())), float(max(t[ok].max(), p[ok].max()))
            ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
        s = scores.set_index("label").loc[name]
        ax.set_title(f"{name}: R² {s['r2']:.3f} (n = {int(s['n'])})", fontsize=9)
        ax.set_xlabel(f"label ({labels_provenance})")
        ax.set_ylabel("GAUSS-II head prediction")
    fig.suptitle("Proxy-head parity on held-out labelled ligands (Fig. 6c)", fontsize=10)
    return save_figure(fig, path, f"labels: {labels_provenance}; predictions: gauss2-prediction; held-out = not in "
                                  "the model's training split")
