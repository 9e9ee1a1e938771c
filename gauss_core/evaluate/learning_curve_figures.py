"""Figures of the learning curves (learning_curve.py): Fig. 2b (reconstruction) and Fig. 6b (proxy-head R^2)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gauss_core import columns as C


def reconstruction_figure(curve: pd.DataFrame, path: Path, target: float = 0.90, budget: str = "") -> Path:
    """Fig. 2b-style plot: exact and per-token reconstruction accuracy against training-set size."""
    from gauss_core.evaluate.common import plt, save_figure

    pyplot = plt()
    fig, ax = pyplot.subplots(figsize=(5.5, 4))
    small = curve[curve["model"] != "evaluated checkpoint"]
    ax.plot(small["n_train"], 100 * small["recon_exact"], "o-", label="exact (small models)")
    ax.plot(small["n_train"], 100 * small["recon_token"], "s--", label="per token (small models)")
    for _, r in small.iterrows():
        ax.annotate(f"{int(r['batches'])} b", (r["n_train"], 100 * r["recon_exact"]), fontsize=7,
                    textcoords="offset points", xytext=(4, 4))
    full = curve[curve["model"] == "evaluated checkpoint"]
    if len(full):
        ax.plot(full["n_train"], 100 * full["recon_exact"], "*", ms=14, color="C3",
                label=f"evaluated checkpoint (exact, {int(full['batches'].iloc[0])} batches)")
    ax.axhline(100 * target, color="grey", ls=":", label=f"target {100 * target:.0f}%")
    ax.set_xscale("log")
    ax.set_xlabel("training ligands")
    ax.set_ylabel("reconstruction accuracy on the fixed test set (%)")
    ax.set_ylim(0, 105)
    ax.legend(fontsize=8)
    ax.set_title("Learning curve (Fig. 2b)")
    return save_figure(fig, path, f"small models, real trainer, {budget}; 'b' = batches at the reported check; "
                                  f"test n = {int(curve['n_test'].iloc[0]) if len(curve) else 0}")


def label_curve_figure(curve: pd.DataFrame, path: Path, budget: str = "") -> Path:
    """Fig. 6b-style plot: R^2 per proxy on held-out labelled ligands against labelled training ligands."""
    from gauss_core.evaluate.common import plt, save_figure

    pyplot = plt()
    fig, ax = pyplot.subplots(figsize=(5.5, 4))
    for name in C.PROXY_COLUMNS:
        col = f"r2_{name}"
        if col in curve and curve[col].notna().any():
            ax.plot(curve["n_labelled"], curve[col], "o-", label=name)
    ax.set_xscale("log")
    ax.set_xlabel("labelled training ligands")
    ax.set_ylabel("R² on held-out labelled ligands")
    ax.set_ylim(min(0.0, float(np.nanmin(curve.filter(like="r2_").to_numpy(dtype=float))) if len(curve) else 0), 1.02)
    ax.legend(fontsize=8)
    ax.set_title("Proxy-head learning curve (Fig. 6b)")
    return save_figure(fig, path, "labels: fast proxy labels (xtb-gfn2) where present; donor_Z from the ligand set; "
                                  f"each model trained {budget}")
