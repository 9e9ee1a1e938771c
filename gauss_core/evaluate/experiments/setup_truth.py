"""Issue 13.1/13.2: the geometry and the CASSCF setup against references computed by the project itself.

Reads, never computes (the QC runs go through the queue; the scripts named below collect them):
  - the DFT axial references and the cheap geometry paths scored against them (docs/geometry_compare.csv,
    scripts/compare_geometry.py): MAE of r and Spearman of r within each donor class;
  - CASSCF on the DFT geometries against CASSCF on the template distance (docs/casscf_on_dft.csv,
    scripts/casscf_on_dft_geometry.py): how far the first gap moves with the axial distance;
  - the CASSCF basis study (docs/casscf_basis_study.csv, scripts/basis_study.py): each setting's deviation
    from the largest basis tried and its cost;
  - CASSCF of single ligands moved rigidly along the axis (docs/casscf_r_scan.csv, scripts/casscf_r_scan.py):
    the first gap's slope per 0.1 A with nothing but the distance changed, next to the point-charge model's;
  - the CASSCF campaign on the computed-axial-distance geometry (assets/kd/casscf_results_axial_mapped.csv.gz,
    scripts/casscf_campaign.py --collect): how the first gap follows the axial distance within each class, and
    how the point-charge and the calibrated estimate (scaffold-grouped CV) rank it.
A part whose file is missing is left out with the command that makes it; with none of them the section is
skipped with that reason.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gauss_core import paths
from gauss_core.complexes.axial_reference import score_table
from gauss_core.errors import GaussError
from gauss_core.evaluate.experiments.base import ExperimentResult, Numbers, RunContext, md_table, render

EXPERIMENT = "8 geometry and CASSCF setup"
DOCS = paths.REPO_ROOT / "docs"
GEOMETRY_CSV, CASSCF_ON_DFT_CSV, BASIS_CSV = "geometry_compare.csv", "casscf_on_dft.csv", "casscf_basis_study.csv"
R_SCAN_CSV = "casscf_r_scan.csv"  # optional: rigid-shift CASSCF scans of single ligands
SLOPE_UNIT_A = 0.1  # slopes per 0.1 A, as the published ~ -230 cm-1 across ligands
SAME_CONFORMER_CSV = "geometry_compare_same_conformer.csv"  # optional: the method's error without conformer noise
SEARCH_CSV = "geometry_compare_search.csv"  # optional: lowest-energy conformer for both reference and cheap path
CAMPAIGN_FILE = paths.KD_CASSCF_CAMPAIGN  # optional: issue 13.4's campaign
COMMANDS = {GEOMETRY_CSV: "GAUSS_HOME=<campaign> python scripts/compare_geometry.py --export",
            SAME_CONFORMER_CSV: "python scripts/compare_geometry.py --start reference "
                                "--out docs/geometry_compare_same_conformer.csv",
            SEARCH_CSV: "python scripts/compare_geometry.py --builder search --ref-start search "
                        "--out docs/geometry_compare_search.csv",
            CASSCF_ON_DFT_CSV: "python scripts/casscf_on_dft_geometry.py --queue, a worker, then --collect",
            R_SCAN_CSV: "python scripts/casscf_r_scan.py --queue SMILES..., a worker, then --collect",
            BASIS_CSV: "python scripts/basis_study.py --n 10, a worker, then --collect",
            CAMPAIGN_FILE.name: "python scripts/casscf_campaign.py --collect --geometry axial-mapped --builder search "
                                "--out assets/kd/casscf_results_axial_mapped.csv.gz"}
CLASS_NAMES = {1: "neutral O", 2: "neutral N", 3: "anionic O", 4: "anionic N"}
DFT = "dft-pbe-def2svp-y-axial"


def _read(folder: Path, name: str) -> pd.DataFrame | None:
    path = folder / name
    return pd.read_csv(path, keep_default_na=False, na_values=[""]) if path.exists() else None


def geometry_part(table: pd.DataFrame, numbers: Numbers, start: str = "") -> str:
    scores = score_table(table)
    for row in scores.itertuples(index=False):
        numbers.add(EXPERIMENT, f"axial r MAE vs DFT, {row.path}{start} (n={row.n})", row.MAE_A, "<= 0.03 A",
                    bool(row.MAE_A <= 0.03), f"{DFT} references vs the cheap path")
        for cls in (1, 2, 3, 4):
            rho = getattr(row, f"spearman_class{cls}")
            if np.isnan(rho):  # < 3 references in the class: said once below, not as a row per path
                continue
            numbers.add(EXPERIMENT, f"Spearman of r within class {cls}, {row.path}{start} "
                                    f"(n={getattr(row, f'n_class{cls}')})", rho, ">= 0.8",
                        bool(rho >= 0.8 - 1e-9), f"{DFT} references vs the cheap path")  # 0.8 is 0.79999...
    counts = [int(getattr(scores.iloc[0], f"n_class{cls}")) for cls in (1, 2, 3, 4)] if len(scores) else []
    short = [cls for cls, n in zip((1, 2, 3, 4), counts, strict=True) if n < 3]
    if short:
        numbers.add(EXPERIMENT, f"Spearman of r within class {', '.join(map(str, short))}{start}: n/a, fewer than "
                                f"3 references (references per class 1-4: {'/'.join(map(str, counts))})",
                    float("nan"), ">= 0.8", None, f"{DFT} references")
    cols = ["path", "n", "MAE_A"] + [c for k in (1, 2, 3, 4) for c in (f"spearman_class{k}", f"n_class{k}")]
    cpu = [f"{c.removesuffix('_cpu_s')}: median {table[c].median():.1f} s" for c in table.columns
           if c.endswith("_cpu_s")]
    return md_table(scores, cols) + ("\n\nCPU per complex (xtb included): " + "; ".join(cpu) if cpu else "")


def casscf_on_dft_part(table: pd.DataFrame, numbers: Numbers) -> str:
    done = table[table.gap1_dft_geometry_cm1.notna()]
    if len(done):
        numbers.add(EXPERIMENT, f"first gap, CASSCF on DFT minus template geometry: median |change| (n={len(done)})",
                    float(done.dgap1_cm1.abs().median()), "", None, "casscf-openmolcas on both geometries")
    return md_table(table, ["smiles", "ligand_class", "r_template_A", "r_dft_A", "dr_A", "gap1_template_geometry_cm1",
                            "gap1_dft_geometry_cm1", "dgap1_cm1"])


def _max_abs(frame: pd.DataFrame, column: str) -> float:
    """Largest |value| of a column (NaN when absent or empty: a table collected before the column existed)."""
    values = pd.to_numeric(frame[column], errors="coerce").abs() if column in frame else pd.Series(dtype=float)
    return float(values.max()) if values.notna().any() else float("nan")


def basis_part(table: pd.DataFrame, numbers: Numbers) -> str:
    """Per setting: its deviation from the largest basis finished for the same ligand (the `reference` column of
    scripts/basis_study.py --collect), over every ligand where both exist; results kept from an earlier queue
    (state "done (earlier queue)") count like today's."""
    from gauss_core.ligands.build import smiles_class

    done = table[table.state.astype(str).str.startswith("done")].copy()
    done["cls"] = [smiles_class(s) for s in done["smiles"]]
    geometry = done["xyz"].fillna("") if "xyz" in done else pd.Series("", index=done.index)
    # CPU cost against MB on the same ligand and geometry (medians of different ligand sets do not compare)
    mb_cpu = done[done.setting == "MB"].assign(g=geometry).set_index(["smiles", "g"])["molcas_cpu_s"]
    done["cpu_x_mb"] = [row.molcas_cpu_s / mb_cpu.get((row.smiles, g), np.nan)
                        for row, g in zip(done.itertuples(index=False), geometry, strict=True)]
    rows = []
    for setting, g in done.groupby("setting", sort=False):
        c = g[g.max_dev_pct.notna() & (g.setting != g.get("reference", ""))]
        by_class = " · ".join(f"{CLASS_NAMES[k]} {_max_abs(c[c.cls == k], 'max_dev_pct'):.1f}"
                              for k in sorted(CLASS_NAMES) if (c.cls == k).any())
        rows.append({"setting": setting, "complexes": len(g), "compared": c.smiles.nunique(),
                     "references": ", ".join(sorted(set(c.get("reference", pd.Series(dtype=str)).dropna()))),
                     "mean_abs_dev_gap1_pct": float(c.dev_gap1_pct.abs().mean()) if len(c) else float("nan"),
                     "max_abs_dev_pct": float(c.max_dev_pct.abs().max()) if len(c) else float("nan"),
                     # context for weak donors, whose first gap is a few cm-1 (scripts/basis_study.add_deviations)
                     "max_abs_dev_gap1_cm1": _max_abs(c, "dev_gap1_cm1"),
                     "max_dev_of_splitting_pct": _max_abs(c, "max_dev_of_splitting_pct"),
                     "max_abs_dev_pct_by_class": by_class,
                     "median_cpu_s": float(g.molcas_cpu_s.median()),
                     "median_cpu_x_MB": float(g.cpu_x_mb.median()) if g.cpu_x_mb.notna().any() else float("nan")})
    out = pd.DataFrame(rows)
    for r in out.itertuples(index=False):
        numbers.add(EXPERIMENT, f"basis {r.setting}: max |deviation| of any gap from the largest basis of the same "
                                f"ligand ({r.compared} complexes)", r.max_abs_dev_pct, "<= 5 %",
                    None if np.isnan(r.max_abs_dev_pct) else bool(r.max_abs_dev_pct <= 5), "casscf-openmolcas")
    return md_table(out)


def r_slopes(table: pd.DataFrame, min_points: int = 3, calibrated=None) -> pd.DataFrame:
    """Per (ligand, ligand basis) of a rigid-shift scan: least-squares slope against the axial distance r of the
    CASSCF first and seventh gap and of the point-charge first gap on the same geometries (cm-1 per 0.1 A),
    over the finished points (at least `min_points`); with a CalibratedModel, also the slope of its first gap
    predicted from each point's stored descriptors."""
    out = []
    done = table.dropna(subset=["gap1_cm1"]).copy() if len(table) else table
    series = {"casscf_gap1": "gap1_cm1", "casscf_gap7": "gap7_cm1", "point_charge_gap1": "cf_gap1_cm1"}
    if calibrated is not None:
        series["calibrated_gap1"] = "calibrated_gap1_cm1"
        if len(done):
            done["calibrated_gap1_cm1"] = calibrated.predict(done)[:, 0]
    for (smi, basis), grp in done.groupby(["smiles", "ligand_basis"]):
        if len(grp) < min_points:
            continue
        r = grp["r_A"].to_numpy(dtype=float)
        row = {"smiles": smi, "ligand_class": int(grp["ligand_class"].iloc[0]), "ligand_basis": basis,
               "points": len(grp), "r_min_A": r.min(), "r_max_A": r.max(),
               "gap1_at_r_min_cm1": float(grp.loc[grp["r_A"].idxmin(), "gap1_cm1"])}
        for name, col in series.items():
            y = pd.to_numeric(grp[col], errors="coerce").to_numpy(dtype=float) if col in grp else np.full(len(r),
                                                                                                       np.nan)
            ok = np.isfinite(y)
            row[f"slope_{name}_per_0.1A"] = (float(np.polyfit(r[ok], y[ok], 1)[0]) * SLOPE_UNIT_A
                                             if ok.sum() >= min_points else float("nan"))
        out.append(row)
    return pd.DataFrame(out)


def r_scan_part(table: pd.DataFrame, numbers: Numbers) -> str:
    from gauss_core.kd.calibration import CalibratedModel, CalibrationError

    try:  # the shipped calibrated estimate applied along the same scans: does it move the gap as CASSCF does?
        calibrated = CalibratedModel.load(paths.KD_CALIBRATION)
    except CalibrationError:
        calibrated = None
    slopes = r_slopes(table, calibrated=calibrated)
    if slopes.empty:
        return "no ligand has 3 finished points yet."
    for row in slopes.to_dict("records"):
        numbers.add(EXPERIMENT, f"CASSCF first gap per 0.1 A, rigid shift of {row['smiles']} "
                                f"({CLASS_NAMES.get(row['ligand_class'])}, {row['points']} points)",
                    row["slope_casscf_gap1_per_0.1A"], "", None, f"casscf-openmolcas, {row['ligand_basis']}")
    return md_table(slopes.assign(ligand_class=slopes.ligand_class.map(CLASS_NAMES)))


def campaign_part(table: pd.DataFrame, numbers: Numbers) -> str:
    """CASSCF on the computed-axial-distance geometry: per class, the spread of r and E1, Spearman of E1 with -r
    and with the point-charge first gap of the same geometry; then the calibrated estimate refitted on these
    results, scaffold-grouped CV (when there are enough of them)."""
    from gauss_core import columns
    from gauss_core.kd.calibration import MIN_CASSCF_ROWS, CalibrationError, fit_calibration
    from gauss_core.ligands import smiles_class
    from gauss_core.stats import spearman

    gap1 = columns.KD_GAP_COLUMNS[0]
    data = table[table[gap1].notna()].copy()
    data["ligand_class"] = [smiles_class(s) for s in data[columns.SMILES]]
    source = "casscf-openmolcas on " + ", ".join(sorted({str(g).split(" [")[0] for g in data.kd_geometry_source}))
    rows = []
    for cls, g in data.groupby("ligand_class"):
        r, e1, cf = (g[c].to_numpy(dtype=float) for c in ("r_Dy_L_mean_A", gap1, "cf_gap1_cm1"))
        rho_r = spearman(-r, e1) if len(g) >= 3 else float("nan")
        rho_cf = spearman(cf, e1) if len(g) >= 3 else float("nan")
        rows.append({"class": CLASS_NAMES.get(int(cls), cls), "n": len(g), "r_min_A": r.min(), "r_max_A": r.max(),
                     "gap1_min_cm1": e1.min(), "gap1_max_cm1": e1.max(), "spearman_gap1_vs_minus_r": rho_r,
                     "spearman_gap1_vs_point_charge": rho_cf})
        if not np.isnan(rho_r):
            numbers.add(EXPERIMENT, f"CASSCF first gap vs -r within {CLASS_NAMES.get(int(cls))} (n={len(g)})", rho_r,
                        "", None, source)
    text = md_table(pd.DataFrame(rows))
    try:
        feats = [columns.SMILES, *[f for f in columns.KD_ESTIMATE_FEATURES if f in data]]
        model = fit_calibration(data[feats], data)  # the descriptors each job stored on its own geometry
    except CalibrationError as exc:
        return text + f"\n\nCalibrated estimate on these results: not fitted yet ({exc})."
    per = ", ".join(f"{CLASS_NAMES.get(int(c))} {v['spearman_gap1']:.2f} (n={v['n']})"
                    for c, v in sorted(model.cv_per_class.items()))
    numbers.add(EXPERIMENT, f"calibrated estimate on the new geometry, CV Spearman of E1 (n={model.n_train})",
                model.cv_spearman_gap1, ">= 0.85", bool(model.cv_spearman_gap1 >= 0.85), source)
    for c, v in sorted(model.cv_per_class.items()):
        numbers.add(EXPERIMENT, f"calibrated estimate on the new geometry, CV Spearman of E1 within "
                                f"{CLASS_NAMES.get(int(c))} (n={v['n']})", v["spearman_gap1"], ">= 0.6",
                    None if np.isnan(v["spearman_gap1"]) else bool(v["spearman_gap1"] >= 0.6), source)
    return (text + f"\n\nCalibrated estimate refitted on these {model.n_train} results ({model.cv_grouping}; "
            f"at least {MIN_CASSCF_ROWS} needed): CV Spearman of the first gap {model.cv_spearman_gap1:.2f} overall "
            f"(point-charge gap alone {model.cf_only_spearman_gap1:.2f}), within class: {per}; CV MAE "
            f"{model.cv_mae_per_gap_cm1[0]:.0f} cm-1 on the first gap.")


def run(ctx: RunContext) -> ExperimentResult:
    folder = Path(ctx.config.setup_truth_dir or DOCS)
    numbers = Numbers()
    parts, missing = {}, []
    for name, part in ((GEOMETRY_CSV, geometry_part), (CASSCF_ON_DFT_CSV, casscf_on_dft_part), (BASIS_CSV, basis_part)):
        table = _read(folder, name)
        if table is None or table.empty:
            missing.append(f"`{name}` (make it with {COMMANDS[name]})")
            parts[name] = "not available yet."
        else:
            parts[name] = part(table, numbers)
    for name, start in ((SAME_CONFORMER_CSV, ", DFT's conformer"), (SEARCH_CSV, ", lowest-energy conformer")):
        table = _read(folder, name)
        parts[name] = (geometry_part(table, numbers, start=start) if table is not None and not table.empty
                       else f"not available yet (make it with `{COMMANDS[name]}`).")
    scan = _read(folder, R_SCAN_CSV)
    parts[R_SCAN_CSV] = (r_scan_part(scan, numbers) if scan is not None and not scan.empty
                         else f"not available yet (make it with `{COMMANDS[R_SCAN_CSV]}`).")
    campaign = pd.read_csv(CAMPAIGN_FILE) if CAMPAIGN_FILE.exists() else None
    parts[CAMPAIGN_FILE.name] = (campaign_part(campaign, numbers) if campaign is not None and len(campaign)
                                 else f"not available yet (make it with `{COMMANDS[CAMPAIGN_FILE.name]}`).")
    if len(missing) == 3:
        raise GaussError("no geometry or CASSCF-setup results in " + str(folder) + ": " + "; ".join(missing))
    return ExperimentResult(numbers.rows, {"parts": parts, "missing": "; ".join(missing) or "none"})


def section(result: ExperimentResult) -> str:
    p = result.data["parts"]
    return render("setup_truth", geometry=p[GEOMETRY_CSV], same_conformer=p[SAME_CONFORMER_CSV], search=p[SEARCH_CSV],
                  casscf_on_dft=p[CASSCF_ON_DFT_CSV], basis=p[BASIS_CSV], campaign=p[CAMPAIGN_FILE.name],
                  r_scan=p.get(R_SCAN_CSV, "not available yet."),
                  missing=result.data["missing"])
