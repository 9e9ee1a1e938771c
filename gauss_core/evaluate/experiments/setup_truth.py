"""Issue 13.1/13.2: the geometry and the CASSCF setup against references computed by the project itself.

Reads, never computes (the QC runs go through the queue; the scripts named below collect them):
  - the DFT axial references and the cheap geometry paths scored against them (docs/geometry_compare.csv,
    scripts/compare_geometry.py): MAE of r and Spearman of r within each donor class;
  - CASSCF on the DFT geometries against CASSCF on the template distance (docs/casscf_on_dft.csv,
    scripts/casscf_on_dft_geometry.py): how far the first gap moves with the axial distance;
  - the CASSCF basis study (docs/casscf_basis_study.csv, scripts/basis_study.py): each setting's deviation
    from the largest basis tried and its cost.
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
SAME_CONFORMER_CSV = "geometry_compare_same_conformer.csv"  # optional: the method's error without conformer noise
SEARCH_CSV = "geometry_compare_search.csv"  # optional: lowest-energy conformer for both reference and cheap path
COMMANDS = {GEOMETRY_CSV: "GAUSS_HOME=<campaign> python scripts/compare_geometry.py --export",
            SAME_CONFORMER_CSV: "python scripts/compare_geometry.py --start reference "
                                "--out docs/geometry_compare_same_conformer.csv",
            SEARCH_CSV: "python scripts/compare_geometry.py --builder search --ref-start search "
                        "--out docs/geometry_compare_search.csv",
            CASSCF_ON_DFT_CSV: "python scripts/casscf_on_dft_geometry.py --queue, a worker, then --collect",
            BASIS_CSV: "python scripts/basis_study.py --n 10, a worker, then --collect"}
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
                        bool(rho >= 0.8), f"{DFT} references vs the cheap path")
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


def basis_part(table: pd.DataFrame, numbers: Numbers) -> str:
    done = table[table.state == "done"]
    complete = done.groupby("smiles").filter(lambda g: len(g) == done.setting.nunique())
    rows = []
    for setting, g in done.groupby("setting", sort=False):
        c = complete[complete.setting == setting]
        rows.append({"setting": setting, "complexes": len(g), "complete_sets": c.smiles.nunique(),
                     "mean_abs_dev_gap1_pct": float(c.dev_gap1_pct.abs().mean()) if len(c) else float("nan"),
                     "max_abs_dev_pct": float(c.max_dev_pct.abs().max()) if len(c) else float("nan"),
                     "median_cpu_s": float(g.molcas_cpu_s.median())})
    out = pd.DataFrame(rows)
    for r in out.itertuples(index=False):
        numbers.add(EXPERIMENT, f"basis {r.setting}: max |deviation| of any gap from the largest basis "
                                f"({r.complete_sets} complexes)", r.max_abs_dev_pct, "<= 5 %",
                    None if np.isnan(r.max_abs_dev_pct) else bool(r.max_abs_dev_pct <= 5), "casscf-openmolcas")
    return md_table(out)


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
    if len(missing) == 3:
        raise GaussError("no geometry or CASSCF-setup results in " + str(folder) + ": " + "; ".join(missing))
    return ExperimentResult(numbers.rows, {"parts": parts, "missing": "; ".join(missing) or "none"})


def section(result: ExperimentResult) -> str:
    p = result.data["parts"]
    return render("setup_truth", geometry=p[GEOMETRY_CSV], same_conformer=p[SAME_CONFORMER_CSV], search=p[SEARCH_CSV],
                  casscf_on_dft=p[CASSCF_ON_DFT_CSV], basis=p[BASIS_CSV],
                  missing=result.data["missing"])
