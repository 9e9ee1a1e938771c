"""How well the KD estimates rank the project's CASSCF results (report section "KD mapping set and CASSCF").

* cf-pointcharge: the KD mapping set's estimate (est_kd_gap1_cm1, kept by kd_mapping.with_casscf) against the
  CASSCF first gap of the same ligand: Spearman and Pearson r, MAE and mean signed error, overall, without
  the estimates that fail the fidelity rules R1/R2 (fidelity.exclusion_reason), and per ligand class when a
  class has at least MIN_PER_CLASS ligands.
* calibrated estimate: only its cross-validated numbers as stored in the calibration file (fitted on these
  CASSCF results, so an in-sample comparison would flatter it and is never made here).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from gauss_core import columns as C
from gauss_core import provenance
from gauss_core.evaluate.common import kd_labelled
from gauss_core.stats import pearson, spearman

MIN_PER_CLASS = 10
MIN_PAIRS = 5   # fewer pairs give no correlation (only n, MAE and bias)
EST_GAP1 = f"est_{C.KD_GAP_COLUMNS[0]}"


def ranking_stats(estimate, reference) -> dict:
    """n, Spearman rho, Pearson r, MAE and mean signed error (estimate - reference) on the finite pairs."""
    e, r = np.asarray(estimate, dtype=float), np.asarray(reference, dtype=float)
    ok = np.isfinite(e) & np.isfinite(r)
    e, r = e[ok], r[ok]
    n = int(len(e))
    if n < MIN_PAIRS or e.std() == 0 or r.std() == 0:
        return {"n": n, "spearman": float("nan"), "pearson": float("nan"),
                "mae_cm1": float(np.abs(e - r).mean()) if n else float("nan"),
                "bias_cm1": float((e - r).mean()) if n else float("nan")}
    return {"n": n, "spearman": spearman(e, r), "pearson": pearson(e, r),
            "mae_cm1": float(np.abs(e - r).mean()), "bias_cm1": float((e - r).mean())}


def estimate_vs_casscf(kd: pd.DataFrame | None) -> pd.DataFrame:
    """Ligands with both a CASSCF first gap and a cf-pointcharge estimate: smiles, ligand_class, casscf_gap1_cm1,
    est_gap1_cm1, kd_provenance (the CASSCF tag), excluded (fidelity rules on the estimate)."""
    from gauss_core.evaluate.fidelity import exclusion_reason

    kd = kd_labelled(kd)
    cols = ["smiles", C.LIGAND_CLASS, "casscf_gap1_cm1", "est_gap1_cm1", C.KD_PROVENANCE, "excluded"]
    if len(kd) == 0 or EST_GAP1 not in kd:
        return pd.DataFrame(columns=cols)
    cas = kd[kd[C.KD_PROVENANCE].map(lambda t: provenance.is_casscf(str(t)))]
    cas = cas[cas["est_kd_provenance"].astype(str) == provenance.CF_POINTCHARGE].dropna(subset=[EST_GAP1])
    est = cas[[f"est_{c}" for c in C.KD_GAP_COLUMNS]].set_axis(list(C.KD_GAP_COLUMNS), axis=1)
    est["flags"] = cas.get("flags", "")
    return pd.DataFrame({"smiles": cas[C.SMILES], C.LIGAND_CLASS: cas.get(C.LIGAND_CLASS),
                         "casscf_gap1_cm1": cas[C.KD_GAP_COLUMNS[0]], "est_gap1_cm1": cas[EST_GAP1],
                         C.KD_PROVENANCE: cas[C.KD_PROVENANCE],
                         "excluded": [exclusion_reason(r) for r in est.to_dict("records")]}).reset_index(drop=True)


def comparison_table(pairs: pd.DataFrame) -> pd.DataFrame:
    """ranking_stats per group: all, without rule-excluded estimates (when any), each class with enough ligands."""
    rows = [{"group": "all", **ranking_stats(pairs["est_gap1_cm1"], pairs["casscf_gap1_cm1"])}]
    kept = pairs[pairs["excluded"].fillna("") == ""]
    if len(kept) < len(pairs):
        rows.append({"group": f"without {len(pairs) - len(kept)} estimate(s) failing rules R1/R2",
                     **ranking_stats(kept["est_gap1_cm1"], kept["casscf_gap1_cm1"])})
    if C.LIGAND_CLASS in pairs:
        for cls, g in pairs.dropna(subset=[C.LIGAND_CLASS]).groupby(C.LIGAND_CLASS):
            if len(g) >= MIN_PER_CLASS:
                rows.append({"group": f"class {int(cls)}", **ranking_stats(g["est_gap1_cm1"], g["casscf_gap1_cm1"])})
    return pd.DataFrame(rows)


def calibration_cv(path: Path | None) -> dict | None:
    """The calibrated estimate's cross-validated accuracy from its file (None when there is no file):
    name, n_train, cv_mae_gap1_cm1, cv_mae_cm1 (all gaps), cv_r_gap1 (Pearson), cf_only_r_gap1, provenance,
    plus any further cv_* entries the file holds (e.g. a Spearman or per-class numbers)."""
    if path is None or not Path(path).exists():
        return None
    data = json.loads(Path(path).read_text())
    per_gap = data.get("cv_mae_per_gap_cm1") or [float("nan")]
    out = {"name": data.get("name", "kd-calibrated"), "n_train": data.get("n_train"),
           "cv_mae_gap1_cm1": per_gap[0], "cv_mae_cm1": data.get("cv_mae_cm1"), "cv_r_gap1": data.get("cv_r_gap1"),
           "cf_only_r_gap1": data.get("cf_only_r_gap1"), "training_provenance": data.get("training_provenance", []),
           "feature_geometry": data.get("feature_geometry", ""), "file": Path(path).name}
    out.update({k: v for k, v in data.items() if k.startswith("cv_") and k not in out and k != "cv_mae_per_gap_cm1"})
    out.setdefault("cv_per_class", {})
    out.setdefault("cv_gap1_pairs", [])
    out["cf_only_spearman_gap1"] = data.get("cf_only_spearman_gap1", float("nan"))
    return out


def calibration_cv_figure(cal: dict, path: Path) -> Path | None:
    """Out-of-fold calibrated first gap against CASSCF (from the calibration file); None without pairs."""
    from gauss_core.evaluate.common import plt, save_figure

    pairs = pd.DataFrame(cal.get("cv_gap1_pairs") or [], columns=["smiles", "casscf", "cv_pred"])
    if len(pairs) < MIN_PAIRS:
        return None
    from gauss_core.ligands.build import CLASS_NAMES, smiles_class

    pyplot = plt()
    fig, ax = pyplot.subplots(figsize=(5.5, 4.5))
    per_class = cal.get("cv_per_class") or {}
    # by class: the pooled numbers hide that some classes are ranked and others are not
    for cls, g in pairs.groupby(pairs["smiles"].map(smiles_class)):
        row = per_class.get(str(cls), {})
        rho = f", Spearman {row['spearman_gap1']:.2f}" if np.isfinite(row.get("spearman_gap1", np.nan)) else ""
        ax.scatter(g["casscf"], g["cv_pred"], s=14, label=f"{CLASS_NAMES.get(cls, 'class ?')} (n {len(g)}{rho})")
    ax.legend(fontsize=7, loc="upper left")
    hi = float(np.nanmax(pairs[["casscf", "cv_pred"]].to_numpy(dtype=float)))
    ax.plot([0, hi], [0, hi], "k--", lw=0.8)
    ax.set_xlabel("CASSCF first KD gap (cm⁻¹)")
    ax.set_ylabel("calibrated ESTIMATE, out-of-fold (cm⁻¹)")
    s = ranking_stats(pairs["cv_pred"], pairs["casscf"])
    ax.set_title(f"{cal['name']}, cross-validated: Spearman {s['spearman']:.2f}, Pearson {s['pearson']:.2f}, "
                 f"MAE {s['mae_cm1']:.0f} cm⁻¹ (n {s['n']})", fontsize=9)
    return save_figure(fig, path, f"each point predicted by a ridge fitted without it ({cal['file']}); "
                                  "never an in-sample fit")


def comparison_figure(pairs: pd.DataFrame, stats: pd.DataFrame, path: Path) -> Path:
    """Estimated against CASSCF first gap, coloured by class; rule-excluded estimates as crosses."""
    from gauss_core.evaluate.common import plt, save_figure

    pyplot = plt()
    fig, ax = pyplot.subplots(figsize=(5.5, 4.5))
    kept = pairs[pairs["excluded"].fillna("") == ""]
    bad = pairs[pairs["excluded"].fillna("") != ""]
    for cls, g in kept.groupby(kept[C.LIGAND_CLASS].fillna(0).astype(int)):
        ax.scatter(g["casscf_gap1_cm1"], g["est_gap1_cm1"], s=14, label=f"class {cls}" if cls else "class ?")
    if len(bad):
        ax.scatter(bad["casscf_gap1_cm1"], bad["est_gap1_cm1"], marker="x", c="grey", s=20,
                   label="estimate fails R1/R2")
    ax.legend(fontsize=8)
    hi = float(np.nanmax(pairs[["casscf_gap1_cm1", "est_gap1_cm1"]].to_numpy(dtype=float))) if len(pairs) else 1.0
    ax.plot([0, hi], [0, hi], "k--", lw=0.8)
    ax.set_xlabel("CASSCF first KD gap (cm⁻¹)")
    ax.set_ylabel("cf-pointcharge ESTIMATE first KD gap (cm⁻¹)")
    s = stats.iloc[0]
    ax.set_title(f"estimate vs CASSCF: Spearman {s['spearman']:.2f}, Pearson {s['pearson']:.2f}, MAE "
                 f"{s['mae_cm1']:.0f} cm⁻¹ (n {int(s['n'])})", fontsize=9)
    tags = ", ".join(sorted(set(pairs[C.KD_PROVENANCE].astype(str))))
    return save_figure(fig, path, f"x: CASSCF ({tags}); y: crystal-field point-charge estimate of the KD mapping set")
