"""The report's last section: the KD mapping set, the CASSCF results (bundled file + queue), how well the
point-charge estimate ranks them and the calibrated estimate's cross-validated accuracy (casscf_check.py)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from gauss_core import columns as C
from gauss_core import provenance
from gauss_core.evaluate.common import kd_labelled, provenance_text
from gauss_core.evaluate.experiments.base import ExperimentResult, Numbers, RunContext, fmt, md_table, render

# CV numbers named in the text already; any other cv_* field of the calibration file is listed as "further"
NAMED_CV = ("cv_mae_gap1_cm1", "cv_mae_cm1", "cv_r_gap1", "cv_spearman_gap1", "cv_per_class", "cv_gap1_pairs")


def run(ctx: RunContext) -> ExperimentResult:
    from gauss_core.evaluate.casscf_check import (MIN_PAIRS, calibration_cv, calibration_cv_figure, comparison_figure,
                                                  comparison_table, estimate_vs_casscf)

    inputs = ctx.inputs
    kd = kd_labelled(inputs.kd)
    cas = inputs.casscf if inputs.casscf is not None else pd.DataFrame(columns=[C.SMILES, C.KD_PROVENANCE,
                                                                                "casscf_source"])
    sources = cas["casscf_source"].value_counts().to_dict() if len(cas) else {}
    numbers = Numbers()
    numbers.add("KD mapping", "ligands with CASSCF (bundled file + queue)", int(len(cas)), ">= 100", len(cas) >= 100,
                provenance_text(cas[C.KD_PROVENANCE]) + (f"; sources {sources}" if sources else ""))
    if len(kd) == 0 or C.KD_PROVENANCE not in kd:
        return ExperimentResult(numbers.rows, {"mapping": False, "n_casscf": len(cas), "sources": sources})
    is_cas = kd[C.KD_PROVENANCE].map(lambda t: provenance.is_casscf(str(t)))
    est_prov = (kd["est_kd_provenance"] if "est_kd_provenance" in kd else kd.loc[~is_cas, C.KD_PROVENANCE]).dropna()
    n_est = int(len(est_prov))
    numbers.add("KD mapping", "ligands with a KD estimate", n_est, ">= 2000", n_est >= 2000, provenance_text(est_prov))
    data = {"mapping": True, "n_casscf": len(cas), "sources": sources, "n_est": n_est,
            "est_provenance": provenance_text(est_prov),
            "per_class": kd[C.LIGAND_CLASS].value_counts().sort_index().to_dict() if C.LIGAND_CLASS in kd else {},
            "modes": kd.get(C.KD_MODE, pd.Series(dtype=str)).dropna().value_counts().to_dict(),
            "casscf_provenance": provenance_text(cas[C.KD_PROVENANCE]),
            "casscf_per_class": (cas[C.LIGAND_CLASS].value_counts().sort_index().to_dict()
                                 if C.LIGAND_CLASS in cas and len(cas) else {})}
    pairs = estimate_vs_casscf(inputs.kd)
    pairs.to_csv(ctx.data("estimate_vs_casscf.csv"), index=False)
    data["n_pairs"] = len(pairs)
    if len(pairs) >= MIN_PAIRS:
        stats = comparison_table(pairs)
        stats.to_csv(ctx.data("estimate_vs_casscf_stats.csv"), index=False)
        fig = comparison_figure(pairs, stats, ctx.figure("kd_estimate_vs_casscf.png"))
        prov = "cf-pointcharge (KD mapping set) vs " + provenance_text(pairs[C.KD_PROVENANCE])
        for _, r in stats.iterrows():
            for key, label in (("spearman", "Spearman rho"), ("pearson", "Pearson r"), ("mae_cm1", "MAE (cm-1)")):
                numbers.add("KD mapping", f"{label}, estimate vs CASSCF first gap, {r['group']} (n {int(r['n'])})",
                            float(r[key]), "", None, prov)
        data.update(stats=stats, comparison_figure=ctx.rel(fig))
    cal = calibration_cv(ctx.config.kd_calibration)
    data["calibration"] = cal
    if cal is not None:
        prov = (f"{cal['name']}: {cal['file']}, cross-validated on {cal['n_train']} CASSCF complexes "
                f"({', '.join(cal['training_provenance'])})")
        numbers.add("KD mapping", f"calibrated estimate, CV MAE first gap (cm-1), n {cal['n_train']}",
                    cal["cv_mae_gap1_cm1"], "", None, prov)
        numbers.add("KD mapping", f"calibrated estimate, CV Pearson r first gap, n {cal['n_train']}", cal["cv_r_gap1"],
                    "", None, prov)
        if np.isfinite(cal.get("cv_spearman_gap1", float("nan"))):
            numbers.add("KD mapping", f"calibrated estimate, CV Spearman rho first gap, n {cal['n_train']}",
                        cal["cv_spearman_gap1"], "", None, prov)
        cv_fig = calibration_cv_figure(cal, ctx.figure("kd_calibrated_cv.png"))
        data["calibration_figure"] = ctx.rel(cv_fig) if cv_fig is not None else None
    return ExperimentResult(numbers.rows, data)


def section(result: ExperimentResult) -> str:
    d = result.data
    if not d["mapping"]:
        return render("casscf_no_mapping", n_casscf=d["n_casscf"], sources=d["sources"] or "none")
    text = render("casscf", n_est=d["n_est"], est_provenance=d["est_provenance"], per_class=d["per_class"],
                  modes=d["modes"], n_casscf=d["n_casscf"], casscf_provenance=d["casscf_provenance"],
                  sources=d["sources"] or "none", casscf_per_class=d["casscf_per_class"])
    if "stats" in d:
        text += render("casscf_comparison", table=md_table(d["stats"]), figure=d["comparison_figure"])
    else:
        text += render("casscf_too_few_pairs", n_pairs=d["n_pairs"])
    cal = d["calibration"]
    if cal is None:
        return text + render("casscf_no_calibration")
    spearman = (f"; Spearman rho {fmt(cal['cv_spearman_gap1'])} (point-charge gap alone "
                f"{fmt(cal['cf_only_spearman_gap1'])})" if "cv_spearman_gap1" in cal else
                "; the file stores no CV Spearman or per-class numbers (refit it)")
    extra = {k: v for k, v in cal.items() if k.startswith("cv_") and k not in NAMED_CV}
    text += render("casscf_calibration", name=cal["name"], geometry=cal["feature_geometry"] or "?",
                   n_train=cal["n_train"], file=cal["file"], mae_gap1=fmt(cal["cv_mae_gap1_cm1"]),
                   r_gap1=fmt(cal["cv_r_gap1"]), mae=fmt(cal["cv_mae_cm1"]), cf_r_gap1=fmt(cal["cf_only_r_gap1"]),
                   spearman=spearman, extra=f"; further CV numbers: {json.dumps(extra)}" if extra else "")
    if cal["cv_per_class"]:
        per_class = pd.DataFrame([{"class": k, **v} for k, v in cal["cv_per_class"].items()])
        text += render("casscf_calibration_per_class", table=md_table(per_class))
    if d.get("calibration_figure") is not None:
        text += render("casscf_calibration_figure", figure=d["calibration_figure"])
    return text
