"""Calibration of the fast path against LoProp: per-property Pearson r, R^2 and Spearman rho of each
cheap descriptor, and leave-one-out cross-validated linear models on several descriptors.

`python -m gauss_core.proxies.calibration XTB.csv LOPROP.csv` prints the markdown tables used in
docs/proxy_calibration.md.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gauss_core.proxies import fast
from gauss_core.stats import pearson, r2, spearman

# LoProp targets (atomic domain = the paper's labels; "bond" = atomic + half of the donor's bond domains).
TARGETS = ("q_donor_e", "mu_donor_au", "alpha_donor_au3", "mu_donor_bond_au", "alpha_donor_bond_au3")
CANDIDATES = {
    "q_donor_e": (fast.RAW_Q_GFN2, fast.RAW_Q_CM5, fast.RAW_Q_GFN1),
    "mu_donor_au": (fast.RAW_MU_GFN2, fast.RAW_MU_GFN2_LP, fast.RAW_LP, fast.RAW_Q_GFN2, fast.RAW_Q_CM5,
                    fast.RAW_ALPHA_D4),
    "alpha_donor_au3": (fast.RAW_ALPHA_D4, fast.RAW_ALPHA_D4_BOND, fast.RAW_Q_GFN2, fast.RAW_Q_CM5),
    "mu_donor_bond_au": (fast.RAW_MU_GFN2, fast.RAW_MU_GFN2_LP, fast.RAW_LP, fast.RAW_Q_CM5),
    "alpha_donor_bond_au3": (fast.RAW_ALPHA_D4, fast.RAW_ALPHA_D4_BOND, fast.RAW_Q_CM5),
}
# Small descriptor sets for the cross-validated linear estimates (few features: ~60 calibration points).
MODEL_FEATURES = {
    "q_donor_e": ("donor_Z", fast.RAW_Q_CM5, fast.RAW_Q_GFN2),
    "mu_donor_au": ("donor_Z", "ligand_charge", fast.RAW_Q_CM5, fast.RAW_N_H, fast.RAW_N_NEIGHBOURS,
                    fast.RAW_LP, fast.RAW_MU_GFN2),
    "alpha_donor_au3": ("donor_Z", "ligand_charge", fast.RAW_ALPHA_D4, fast.RAW_Q_CM5, fast.RAW_N_H,
                        fast.RAW_N_NEIGHBOURS),
}


# Features of the bundled fast path (MMFF geometry, GFN2 via tblite, no GFN1): the recipe's linear estimates.
RECIPE_FEATURES: dict[str, tuple[str, ...]] = {
    "mu_donor_au": ("donor_Z", "ligand_charge", fast.RAW_N_H, fast.RAW_N_NEIGHBOURS, fast.RAW_LP,
                    fast.RAW_MU_GFN2),
    "alpha_donor_au3": ("donor_Z", "ligand_charge", fast.RAW_ALPHA_D4, fast.RAW_N_H, fast.RAW_N_NEIGHBOURS,
                        fast.RAW_Q_GFN2),
}


# A LoProp-calibrated charge is written as an extra column (q_donor_loprop_est_e); q_donor_e stays the raw
# GFN2 Mulliken charge, which orders CASSCF KD gaps better than LoProp's own charge (issue 3 numbers).
Q_ESTIMATE_FEATURES: tuple[str, ...] = ("donor_Z", "ligand_charge", fast.RAW_Q_GFN2, fast.RAW_N_H,
                                        fast.RAW_N_NEIGHBOURS)


@dataclass
class Fit:
    """Least-squares linear model target ~ intercept + sum(coef * feature)."""

    target: str
    features: tuple[str, ...]
    intercept: float
    coefs: tuple[float, ...]
    loo_r: float
    loo_r2: float
    n: int


def merge(xtb: pd.DataFrame, loprop: pd.DataFrame) -> pd.DataFrame:
    """Ligands labelled by both paths (successful rows only), LoProp columns suffixed `_loprop`."""
    ok_x = xtb[xtb.get("error").isna()] if "error" in xtb else xtb
    ok_l = loprop[loprop.get("error").isna()] if "error" in loprop else loprop
    targets = [t for t in TARGETS if t in ok_l.columns]
    renamed = ok_l[["smiles", *targets]].rename(columns={t: f"{t}_loprop" for t in targets})
    return ok_x.merge(renamed, on="smiles")


def correlation_table(both: pd.DataFrame) -> pd.DataFrame:
    """One row per (LoProp target, cheap descriptor): n, Pearson r, R^2 of the linear fit, Spearman rho."""
    rows = []
    for target, cands in CANDIDATES.items():
        if f"{target}_loprop" not in both:
            continue
        y = both[f"{target}_loprop"]
        for cand in cands:
            pair = pd.DataFrame({"x": both[cand], "y": y}).dropna()
            if len(pair) < 3:
                continue
            r = pearson(pair.x, pair.y)
            rho = spearman(pair.x, pair.y)
            rows.append({"loprop_target": target, "xtb_descriptor": cand, "n": len(pair), "pearson_r": r,
                         "r2_linear": r * r, "spearman_rho": rho})
    return pd.DataFrame(rows)


def loo_fit(both: pd.DataFrame, target: str, features: tuple[str, ...]) -> Fit:
    """Linear least squares with leave-one-out predictions (honest r and R^2 for a small set)."""
    y_col = f"{target}_loprop"
    data = both[[y_col, *features]].dropna()
    X = np.column_stack([np.ones(len(data)), data[list(features)].to_numpy(float)])
    y = data[y_col].to_numpy(float)
    pred = np.empty_like(y)
    for i in range(len(y)):
        mask = np.arange(len(y)) != i
        w, *_ = np.linalg.lstsq(X[mask], y[mask], rcond=None)
        pred[i] = X[i] @ w
    w, *_ = np.linalg.lstsq(X, y, rcond=None)
    return Fit(target, tuple(features), float(w[0]), tuple(float(v) for v in w[1:]),
               pearson(pred, y), r2(y, pred), len(y))


def fit_recipe(both: pd.DataFrame, features: dict[str, tuple[str, ...]] | None = None) -> dict:
    """Recipe dict (see fast.load_recipe): q = raw GFN2 Mulliken charge; mu and alpha = linear estimates of
    LoProp's atomic-domain values fitted on `both`, with their leave-one-out r and R^2 recorded."""
    recipe: dict[str, Any] = {"q_donor_e": {"raw": fast.RAW_Q_GFN2}, "provenance": "xtb-gfn2", "extra": {}}
    extra: dict[str, tuple[str, tuple[str, ...]]] = (
        {} if features is not None else {"q_donor_loprop_est_e": ("q_donor_e", Q_ESTIMATE_FEATURES)})
    for column, (target, feats) in extra.items():
        fit = loo_fit(both, target, feats)
        recipe["extra"][column] = {
            "linear": {"intercept": fit.intercept, "coefs": dict(zip(fit.features, fit.coefs, strict=False))},
            "fit": {"target": f"LoProp PBE/ANO-R1 {target} (atomic domain)", "n": fit.n,
                    "loo_pearson_r": round(fit.loo_r, 4), "loo_r2": round(fit.loo_r2, 4)},
        }
    for target, feats in (features or RECIPE_FEATURES).items():
        fit = loo_fit(both, target, feats)
        recipe[target] = {
            "linear": {"intercept": fit.intercept, "coefs": dict(zip(fit.features, fit.coefs, strict=False))},
            "fit": {"target": f"LoProp PBE/ANO-R1 {target} (atomic domain)", "n": fit.n,
                    "loo_pearson_r": round(fit.loo_r, 4), "loo_r2": round(fit.loo_r2, 4)},
        }
    return recipe


def markdown(both: pd.DataFrame) -> str:
    """Markdown tables: correlations per descriptor and LOO linear estimates."""
    table = correlation_table(both)
    lines = ["| LoProp target | xTB descriptor | n | Pearson r | R² (linear) | Spearman ρ |",
             "|---|---|---|---|---|---|"]
    for _, row in table.iterrows():
        lines.append(f"| {row.loprop_target} | {row.xtb_descriptor} | {row.n} | {row.pearson_r:+.3f} | "
                     f"{row.r2_linear:.3f} | {row.spearman_rho:+.3f} |")
    lines += ["", "| LoProp target | features (linear, leave-one-out) | n | LOO r | LOO R² |", "|---|---|---|---|---|"]
    q_bundle = {"q_donor_e": Q_ESTIMATE_FEATURES}
    for target, feats in [*MODEL_FEATURES.items(), *q_bundle.items(), *RECIPE_FEATURES.items()]:
        if not all(f in both and both[f].notna().any() for f in feats):
            continue
        fit = loo_fit(both, target, feats)
        lines.append(f"| {target} | {', '.join(feats)} | {fit.n} | {fit.loo_r:+.3f} | {fit.loo_r2:.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Usage: python -m gauss_core.proxies.calibration XTB.csv LOPROP.csv [--write-recipe recipe.json]"""
    import json
    argv = sys.argv[1:] if argv is None else argv
    xtb, loprop = pd.read_csv(argv[0]), pd.read_csv(argv[1])
    both = merge(xtb, loprop)
    print(f"{len(both)} ligands labelled by both paths\n")
    print(markdown(both))
    if "--write-recipe" in argv:
        out = argv[argv.index("--write-recipe") + 1]
        with open(out, "w") as fh:
            json.dump(fit_recipe(both), fh, indent=2)
        print(f"\nrecipe written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
