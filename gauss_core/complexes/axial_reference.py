"""DFT axial-distance references: collect them from the queue, bundle them, and judge cheap geometry paths.

A reference row is one finished `dft-axial` job (complexes.dft_reference): the ligand, its donor class, the
Y(III)-analogue DFT distance r_dft_A (mean of the two axial donors), the job's flags and its final xyz.
`compare_cheap_paths` relaxes each reference ligand with the cheap options and scores the distance they
give against r_dft_A: MAE, and Spearman within each donor class (what ranking within a class needs).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from rdkit import Chem

from gauss_core.complexes.assemble import DISTANCES, assemble, ligand_info
from gauss_core.complexes.axial_map import (axial_distances, bundled_map, map_references, moved_axial_ligands,
                                            reference_key)
from gauss_core.complexes.relax import relax
from gauss_core.complexes.structure import Complex
from gauss_core.errors import DataFormatError
from gauss_core.procs import cpu_seconds_with_children
from gauss_core.provenance import DFT_AXIAL_Y
from gauss_core.ligands import smiles_class
from gauss_core.stats import spearman

REFERENCE_COLUMNS = ("smiles", "ligand_class", "r_dft_A", "r_dft_1_A", "r_dft_2_A", "r_start_A", "steps",
                     "converged", "flags", "cpu_s", "provenance", "xyz", "start_builder")
# references exported before the builder was a job parameter started from a random molSimplify conformer
LEGACY_START_BUILDER = "auto"


def reference_rows_from_jobs(jobs: Iterable) -> pd.DataFrame:
    """One row per finished dft-axial job (objects with .kind, .state, .smiles, .result, .directory)."""
    rows = []
    for job in jobs:
        if job.kind != "dft-axial" or job.state != "done" or not job.result:
            continue
        res = job.result
        xyz_path = Path(job.directory) / "complex_dft.xyz"
        r1, r2 = res["r_axial_A"]
        rows.append({"smiles": job.smiles, "ligand_class": smiles_class(job.smiles), "r_dft_A": res["r_mean_A"],
                     "r_dft_1_A": r1, "r_dft_2_A": r2, "r_start_A": float(np.mean(res["r_start_A"])),
                     "steps": res["steps"], "converged": res["converged"], "flags": ";".join(res["flags"]),
                     "cpu_s": res["cpu_s"], "provenance": res["provenance"],
                     "xyz": xyz_path.read_text() if xyz_path.exists() else "",
                     "start_builder": res.get("builder", LEGACY_START_BUILDER)})
    return pd.DataFrame(rows, columns=list(REFERENCE_COLUMNS))


def load_references(path: Path) -> pd.DataFrame:
    """The bundled reference table; raises DataFormatError naming missing columns."""
    table = pd.read_csv(path, keep_default_na=False)
    if "start_builder" not in table.columns:
        table["start_builder"] = LEGACY_START_BUILDER
    missing = [c for c in REFERENCE_COLUMNS if c not in table.columns]
    if missing:
        raise DataFormatError(f"{path}: missing column(s) {', '.join(missing)}; regenerate it with "
                              "`python scripts/compare_geometry.py --export`")
    return table


def _axial_r(cx) -> float:
    return float(np.mean(axial_distances(cx)))


# The cheap paths that relax: column stem -> relax mode.
RELAXED_PATHS = {"gfn2_axial": "axial", "gfnff_axial": "axial-ff"}


def complex_from_reference(smiles: str, xyz: str, r_start_A: float) -> Complex:
    """The reference's own DFT structure as a Complex (topology from a fresh build, coordinates from `xyz`),
    with each axial ligand moved back as a rigid body to `r_start_A`, where the DFT optimisation began.

    Starting a cheap path here removes the conformer from the comparison: what is left is the method's error
    on the axial distance of the same ligand conformation DFT saw. Moving back to the DFT start keeps the
    answer from leaking in: a cheap relaxation that stops early would otherwise sit near r_dft by construction.

    Raises:
        DataFormatError: the xyz does not hold this ligand's complex in build order (other atoms, or a bond
            of the topology stretched beyond 1.3x the covalent radii).
    """
    cx = assemble(smiles, builder="rdkit")
    lines = [ln.split() for ln in xyz.strip().splitlines()[2:]]
    symbols = [ln[0] for ln in lines]
    if symbols != cx.symbols:
        raise DataFormatError(f"reference xyz of {smiles} lists other atoms than its build: re-export it "
                              "(scripts/compare_geometry.py --export)")
    coords = np.array([[float(v) for v in ln[1:4]] for ln in lines])
    table = Chem.GetPeriodicTable()
    for i, j, _ in cx.bonds:
        limit = 1.3 * (table.GetRcovalent(symbols[i]) + table.GetRcovalent(symbols[j]))
        if np.linalg.norm(coords[i] - coords[j]) > limit:
            raise DataFormatError(f"reference xyz of {smiles}: atoms {i} and {j} are bonded in the build but "
                                  f"{np.linalg.norm(coords[i] - coords[j]):.2f} A apart there (atom order differs)")
    coords = moved_axial_ligands(cx, coords, lambda r: r_start_A)
    return cx.copy(coords=coords, geometry_provenance=f"{DFT_AXIAL_Y} ligand conformer at r {r_start_A:.3f} A")


def cheap_distances(smiles: str, builder: str = "auto", start: Complex | None = None) -> dict:
    """Axial distance of each cheap path for one ligand, with the CPU seconds (xtb included) it took.

    builder: "rdkit" is seeded and repeatable; molSimplify ("auto") builds a different conformer on each call,
    which moves the cheap distance of a flexible ligand by up to ~0.3 A (docs/geometry.md); "search" takes
    the lowest-energy conformer (complexes/conformers.py).
    start: relax this structure instead of a new build (complex_from_reference: same conformer as DFT)."""
    info = ligand_info(smiles)
    out: dict[str, float | str] = {"r_template_A": DISTANCES.axial(info.donor_element, info.charge)}
    t = cpu_seconds_with_children()
    cx = start if start is not None else assemble(smiles, builder=builder)
    out["build_cpu_s"] = cpu_seconds_with_children() - t  # the conformer search of builder "search" runs xtb
    for stem, mode in RELAXED_PATHS.items():
        t = cpu_seconds_with_children()
        try:
            relaxed = relax(cx, mode=mode)
            out[f"r_{stem}_A"] = _axial_r(relaxed)
            out[f"{stem}_flags"] = ";".join(relaxed.flags)
        except Exception as exc:  # one failed relaxation is a data point, not the end of the comparison
            out[f"r_{stem}_A"] = float("nan")
            out[f"{stem}_flags"] = f"failed: {exc}".splitlines()[0]
        out[f"{stem}_cpu_s"] = cpu_seconds_with_children() - t
    return out


def loo_class_linear(x: np.ndarray, y: np.ndarray, cls: np.ndarray) -> np.ndarray:
    """Leave-one-out prediction of y from x by a per-class linear map (slope shared, offset per class).

    Sharing the slope keeps the map fit on a handful of references per class; the per-class offset
    absorbs the class-dependent shortening of the axial bond by the cheap method.
    """
    pred = np.full(len(y), np.nan)
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        if cls[i] not in set(cls[keep]):
            continue
        pred[i] = _predict(fit_class_linear(x[keep], y[keep], cls[keep]), x[i], int(cls[i]))
    return pred


def fit_class_linear(x: np.ndarray, y: np.ndarray, cls: np.ndarray) -> dict[int, tuple[float, float]]:
    """Shared slope, one offset per class: {class: (slope, intercept)}."""
    classes = sorted({int(c) for c in cls})
    design = np.column_stack([x] + [(cls == c).astype(float) for c in classes])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return {c: (float(coef[0]), float(coef[1 + k])) for k, c in enumerate(classes)}


def _predict(fit: dict[int, tuple[float, float]], x: float, cls: int) -> float:
    slope, intercept = fit[cls]
    return slope * x + intercept


def compare_cheap_paths(refs: pd.DataFrame, log: Callable[[str], None] = lambda m: None,
                        builder: str = "auto", from_reference: bool = False) -> pd.DataFrame:
    """Per reference: DFT r and the r of each cheap path (template, GFN2 / GFN-FF axial, each + correction).

    from_reference: start each cheap path from the reference's own structure (same conformer as DFT) instead
    of a new build; this measures the method alone, a new build measures what the product would do."""
    rows = []
    for i, ref in enumerate(refs.itertuples(index=False)):
        start = complex_from_reference(ref.smiles, ref.xyz, ref.r_start_A) if from_reference else None
        cheap = cheap_distances(ref.smiles, builder=builder, start=start)
        rows.append({"smiles": ref.smiles, "ligand_class": int(ref.ligand_class), "r_dft_A": ref.r_dft_A,
                     "dft_flags": ref.flags, "start_builder": getattr(ref, "start_builder", LEGACY_START_BUILDER),
                     **cheap})
        log(f"{i + 1}/{len(refs)} {ref.smiles}: DFT {ref.r_dft_A:.3f}, GFN2 axial {cheap['r_gfn2_axial_A']:.3f}, "
            f"GFN-FF axial {cheap['r_gfnff_axial_A']:.3f}")
    table = pd.DataFrame(rows)
    for stem in RELAXED_PATHS:
        ok = table[f"r_{stem}_A"].notna().to_numpy()
        corr = np.full(len(table), np.nan)
        corr[ok] = loo_class_linear(table[f"r_{stem}_A"].to_numpy()[ok], table.r_dft_A.to_numpy()[ok],
                                    table.ligand_class.to_numpy()[ok])
        table[f"r_{stem}_corrected_A"] = corr
    # the product's own path, geometry "axial-mapped": GFN2 axial + the bundled map, as shipped (not refitted
    # here, so a reference that was not among the map's fit is an out-of-sample test of it)
    try:
        fit = bundled_map()
        table["r_gfn2_axial_mapped_A"] = [fit.apply(r, int(c)) if np.isfinite(r) else np.nan
                                          for r, c in zip(table.r_gfn2_axial_A, table.ligand_class, strict=True)]
        table["axial_map"] = fit.method
        fitted = map_references()
        if fitted:
            table["in_map_fit"] = [reference_key(s, b) in fitted
                                   for s, b in zip(table.smiles, table.start_builder, strict=True)]
    except DataFormatError:
        pass
    return table


def correction_json(table: pd.DataFrame, stem: str = "gfnff_axial", fitted_on: str = "") -> dict:
    """The per-class linear map of one cheap path fitted on all references, in the file format the
    bond-length labeller and the "axial-mapped" geometry read (complexes.axial_map.load_r_correction):
    {"method", "classes": {"1": [slope, intercept], ...}, "n_references", ...}. The method name carries the
    number of references, so a refit on more of them is a new, distinguishable geometry.
    fitted_on: how the cheap path was started (e.g. "the reference's own conformer")."""
    ok = table[f"r_{stem}_A"].notna()
    x, y = table.loc[ok, f"r_{stem}_A"].to_numpy(), table.loc[ok, "r_dft_A"].to_numpy()
    cls = table.loc[ok, "ligand_class"].to_numpy()
    fit = fit_class_linear(x, y, cls)
    loo = loo_class_linear(x, y, cls)
    n = int(ok.sum())
    builders = table.loc[ok, "start_builder"] if "start_builder" in table else [LEGACY_START_BUILDER] * n
    return {"method": f"dft-class-linear-n{n}",
            "classes": {str(c): [slope, icpt] for c, (slope, icpt) in fit.items()},
            "path": f"xtb-{stem.replace('_', '-')}", "n_references": n,
            "n_per_class": {str(c): int((cls == c).sum()) for c in sorted(fit)},
            "loo_mae_A": round(float(np.nanmean(np.abs(loo - y))), 4), "fitted_on": fitted_on,
            "reference": DFT_AXIAL_Y, "form": "r_dft = slope * r_cheap + intercept[class], slope shared",
            "references": sorted(reference_key(s, b) for s, b in zip(table.loc[ok, "smiles"], builders, strict=True))}


PATHS = {"template (fixed per class)": "r_template_A", "GFN2 axial free": "r_gfn2_axial_A",
         "GFN2 axial + per-class linear map (LOO)": "r_gfn2_axial_corrected_A",
         "GFN-FF axial free": "r_gfnff_axial_A",
         "GFN-FF axial + per-class linear map (LOO)": "r_gfnff_axial_corrected_A",
         "GFN2 axial + bundled map (geometry axial-mapped)": "r_gfn2_axial_mapped_A"}


def score_table(table: pd.DataFrame) -> pd.DataFrame:
    """MAE and within-class Spearman of each cheap path (of those the table has) against DFT."""
    out = []
    scored: list[tuple[str, str, bool | None]] = [(name, col, None) for name, col in PATHS.items()]
    if "in_map_fit" in table.columns:
        scored.append(("GFN2 axial + bundled map, references outside its fit", "r_gfn2_axial_mapped_A", False))
    for name, col, in_fit in scored:
        if col not in table.columns:
            continue
        row: dict = {"path": name}
        sub = table[table[col].notna()]
        if in_fit is not None:
            sub = sub[sub["in_map_fit"].astype(bool) == in_fit]
        row["n"] = len(sub)
        row["MAE_A"] = float(np.mean(np.abs(sub[col] - sub.r_dft_A))) if len(sub) else float("nan")
        for cls in (1, 2, 3, 4):
            c = sub[sub.ligand_class == cls]
            row[f"spearman_class{cls}"] = spearman(c[col].to_numpy(), c.r_dft_A.to_numpy()) if len(c) >= 3 \
                else float("nan")
            row[f"n_class{cls}"] = len(c)
        out.append(row)
    return pd.DataFrame(out)


def to_json(table: pd.DataFrame) -> str:
    return json.dumps(table.to_dict(orient="records"), indent=1, default=float)
