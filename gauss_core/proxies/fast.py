"""The fast path: cheap xTB descriptors of the donor atom, one ligand in ~0.1 s.

`xtb_descriptors` computes every raw descriptor (both GFN1 and GFN2); the choice of which descriptor
fills each label column is the recipe (`load_recipe`), applied when a label table is written, so the
choice can change (docs/proxy_calibration.md) without recomputing anything.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gauss_core import paths, provenance
from gauss_core.proxies.structure import embed_ligand
from gauss_core.proxies.xtb import XtbConfig, run_xtb

# Raw descriptor names stored in the cache (units in the names).
RAW_Q_GFN2 = "q_gfn2_mulliken_e"
RAW_Q_CM5 = "q_gfn1_cm5_e"
RAW_Q_GFN1 = "q_gfn1_mulliken_e"
RAW_MU_GFN2 = "mu_gfn2_atomic_au"
RAW_ALPHA_D4 = "alpha_gfn2_d4_au3"
RAW_ALPHA_D4_BOND = "alpha_gfn2_d4_bond_au3"   # donor alpha(0) + half of each bonded neighbour's
RAW_CN = "covcn_gfn2"
RAW_Q_NEIGHBOURS = "q_neighbours_gfn2_e"      # summed GFN2 charge of the donor's bonded neighbours
RAW_GAP = "homo_lumo_gap_gfn2_eV"
RAW_N_NEIGHBOURS = "n_donor_neighbours"       # bonded atoms of the donor (H included)
RAW_N_H = "n_donor_h"                         # hydrogens on the donor
RAW_LP = "lone_pair_vector_norm"              # |sum of unit vectors neighbour -> donor|: lone-pair asymmetry
RAW_MU_GFN2_LP = "mu_gfn2_lp_projection_au"   # GFN2 atomic dipole along that lone-pair direction
RAW_COLUMNS = (RAW_Q_GFN2, RAW_Q_CM5, RAW_Q_GFN1, RAW_MU_GFN2, RAW_ALPHA_D4, RAW_ALPHA_D4_BOND, RAW_CN,
               RAW_Q_NEIGHBOURS, RAW_GAP, RAW_N_NEIGHBOURS, RAW_N_H, RAW_LP, RAW_MU_GFN2_LP)


@dataclass(frozen=True)
class FastConfig:
    """Fast-path settings; the defaults are the bundled configuration (MMFF geometry, GFN2 via tblite).

    optimise: GFN2 optimisation of the MMFF geometry with the xtb program (costs ~3x; see
    bench/bench_label.py). opt_level: xtb --opt level; "crude" gives donor charges within 0.002 e of
    "normal" at half the cost (measured on 60 ligands). gfn1: also run GFN1 (xtb program) for CM5 charges.
    backend: "auto" (tblite in-process when installed and no optimisation, else the xtb program),
    "tblite" or "xtb". seed: conformer seed.
    """

    optimise: bool = False
    opt_level: str = "crude"
    gfn1: bool = False
    backend: str = "auto"
    seed: int = 0x5EED
    timeout_s: float = 120.0
    max_scc_iterations: int = 250

    def use_tblite(self) -> bool:
        if self.backend == "xtb" or self.optimise:
            return False
        from gauss_core.proxies.tb import tblite_available
        if self.backend == "tblite" and not tblite_available():
            from gauss_core.errors import MissingProgramError
            raise MissingProgramError("tblite/dftd4 Python packages not installed: pip install -r requirements.txt "
                                      "or use backend='xtb'")
        return tblite_available()


# Default recipe (raw descriptors). The bundled recipe, assets/labels/fast_recipe.json, replaces entries
# with LoProp-calibrated linear estimates (fitted by gauss_core.proxies.calibration; see
# docs/proxy_calibration.md). Entry forms: {"raw": NAME} or {"linear": {"intercept": b, "coefs": {NAME: w}}}.
DEFAULT_RECIPE: dict = {
    "q_donor_e": {"raw": RAW_Q_GFN2},
    "mu_donor_au": {"raw": RAW_MU_GFN2},
    "alpha_donor_au3": {"raw": RAW_ALPHA_D4},
    "provenance": provenance.XTB_GFN2,
}
RECIPE_PATH = paths.ASSETS / "labels" / "fast_recipe.json"
_recipe_cache: dict[str, tuple[float, dict]] = {}


def load_recipe(path: Path = RECIPE_PATH) -> dict:
    """The label recipe: the bundled JSON when present, else DEFAULT_RECIPE (re-read when the file changes)."""
    path = Path(path)
    if not path.exists():
        return DEFAULT_RECIPE
    mtime = path.stat().st_mtime
    cached = _recipe_cache.get(str(path))
    if cached is None or cached[0] != mtime:
        cached = (mtime, {**DEFAULT_RECIPE, **json.loads(path.read_text())})
        _recipe_cache[str(path)] = cached
    return cached[1]


def _entry_value(raw: dict, entry: dict) -> float:
    if "raw" in entry:
        value = raw.get(entry["raw"], math.nan)
        return float(value) if value is not None else math.nan
    lin = entry["linear"]
    total = float(lin["intercept"])
    for name, weight in lin["coefs"].items():
        value = raw.get(name)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return math.nan
        total += float(weight) * float(value)
    return total


def _bonded_neighbours(coords: np.ndarray, symbols: tuple[str, ...]) -> list[int]:
    """Atoms bonded to atom 0 by distance (covalent radii + 0.45 A); geometry keeps the SMILES order."""
    radii = {"H": 0.31, "C": 0.76, "N": 0.71, "O": 0.66, "F": 0.57, "S": 1.05, "Cl": 1.02, "P": 1.07}
    d = np.linalg.norm(coords - coords[0], axis=1)
    r0 = radii.get(symbols[0], 0.75)
    return [i for i in range(1, len(symbols)) if d[i] < r0 + radii.get(symbols[i], 0.75) + 0.45]


def xtb_descriptors(smiles: str, config: FastConfig = FastConfig()) -> dict:
    """All fast-path raw descriptors of the donor (atom 0) of one ligand.

    Args:
        smiles: donor-first SMILES.
        config: FastConfig.
    Returns:
        dict: smiles, donor_Z, ligand_charge, geometry_method and RAW_COLUMNS values (NaN when GFN1 is off).
    Raises:
        LabellingError subclasses (invalid SMILES, no embedding, xtb failure) with the reason.
    """
    geometry = embed_ligand(smiles, seed=config.seed)
    gfn2 = XtbConfig(gfn=2, timeout_s=config.timeout_s, max_scc_iterations=config.max_scc_iterations,
                     opt_level=config.opt_level)
    if config.use_tblite():
        from gauss_core.proxies.tb import gfn2_singlepoint
        r2 = gfn2_singlepoint(geometry, config.max_scc_iterations)
    else:
        r2 = run_xtb(geometry, gfn2, optimise=config.optimise)  # properties at the final geometry
    if config.optimise:
        geometry = geometry.with_coords(r2.array("coords_A"), f"{geometry.method}+gfn2-opt-{config.opt_level}")
    out = {
        "smiles": smiles,
        "donor_Z": geometry.donor_Z,
        "ligand_charge": geometry.charge,
        "geometry_method": geometry.method,
    }
    neighbours = _bonded_neighbours(geometry.coords_A, geometry.symbols)
    dip = r2.atomic_dipoles_au[0] if r2.atomic_dipoles_au is not None else np.full(3, np.nan)
    out[RAW_Q_GFN2] = float(r2.charges_e[0])
    out[RAW_MU_GFN2] = (float(np.linalg.norm(dip)) if r2.atomic_dipole_norms_au is None
                        else float(r2.atomic_dipole_norms_au[0]))
    alpha0 = r2.array("alpha0_au3")
    out[RAW_ALPHA_D4] = float(alpha0[0])
    out[RAW_ALPHA_D4_BOND] = float(alpha0[0] + 0.5 * sum(alpha0[i] for i in neighbours))
    out[RAW_CN] = float(r2.array("cov_cn")[0])
    out[RAW_Q_NEIGHBOURS] = float(sum(r2.charges_e[i] for i in neighbours))
    out[RAW_GAP] = float(r2.homo_lumo_gap_eV)
    out[RAW_N_NEIGHBOURS] = len(neighbours)
    out[RAW_N_H] = sum(1 for i in neighbours if geometry.symbols[i] == "H")
    units = [(geometry.coords_A[0] - geometry.coords_A[i]) / np.linalg.norm(geometry.coords_A[0] - geometry.coords_A[i])
             for i in neighbours]
    lp = np.sum(units, axis=0) if units else np.zeros(3)
    out[RAW_LP] = float(np.linalg.norm(lp))
    # NaN with tblite (it gives only |dipole|)
    out[RAW_MU_GFN2_LP] = float(dip @ lp / np.linalg.norm(lp)) if np.linalg.norm(lp) > 1e-6 else 0.0
    out["gfn2_backend"] = "tblite" if config.use_tblite() else "xtb"
    if config.gfn1:
        r1 = run_xtb(geometry, XtbConfig(gfn=1, timeout_s=config.timeout_s,
                                         max_scc_iterations=config.max_scc_iterations))
        out[RAW_Q_CM5] = float(r1.array("cm5_charges_e")[0])
        out[RAW_Q_GFN1] = float(r1.charges_e[0])
    else:
        out[RAW_Q_CM5] = out[RAW_Q_GFN1] = float("nan")
    return out


def apply_recipe(raw: dict, recipe: dict | None = None) -> dict:
    """Label columns (q_donor_e, mu_donor_au, alpha_donor_au3) and provenance from raw descriptors."""
    recipe = load_recipe() if recipe is None else recipe
    labels = {col: _entry_value(raw, recipe[col]) for col in ("q_donor_e", "mu_donor_au", "alpha_donor_au3")}
    for col, entry in recipe.get("extra", {}).items():  # extra columns, e.g. a LoProp-calibrated charge
        labels[col] = _entry_value(raw, entry)
    labels["provenance"] = recipe.get("provenance", provenance.XTB_GFN2)
    return labels
