"""Starting orbitals with the Dy 4f in the active space: the 4f-selected GUESSORB guess.

GUESSORB orders its orbitals by a model-Hamiltonian energy. In [Dy(H2O)5L2]+ the Dy 4f lie among the ligand
lone pairs (around -0.5 Eh), so with `Inactive = n` the active window n+1..n+7 often holds ligand orbitals
while the 4f sit inside the inactive block. RASSCF then spends most of its iterations rotating them into
place: measured on a neutral-O complex, 40 iterations from GUESSORB against 18 after the swap below, with the
same converged energy (to 1e-8 Eh) and the same Kramers-doublet energies (to 0.01 cm-1) and g-tensors.

The fix reads the GUESSORB orbitals (the `$Project.guessorb.h5` file OpenMolcas writes), measures each
orbital's Mulliken population on the Dy f functions, and swaps the seven most 4f-like orbitals of the low
window into the active positions with RASSCF's ALTEr keyword. Needs h5py (a dependency of the project).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from gauss_core.kd.molcas_input import MolcasRunError

# How far above the active window a 4f orbital may sit in the GUESSORB order and still be taken.
WINDOW_MARGIN = 20
# Below this Dy-f population an orbital is not a 4f orbital; fewer than 7 above it means no swap is made.
MIN_4F_POPULATION = 0.3


def dy_f_population(h5_path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(Mulliken population of each orbital on the Dy f functions, orbital energies), in file order."""
    import h5py

    try:
        with h5py.File(h5_path, "r") as f:
            n = int(f.attrs["NBAS"][0])
            ids = f["BASIS_FUNCTION_IDS"][:]
            coeffs = f["MO_VECTORS"][:].reshape(n, n)  # one orbital per row
            overlap = f["AO_OVERLAP_MATRIX"][:].reshape(n, n)
            labels = [bytes(x).decode().strip().upper() for x in f["CENTER_LABELS"][:]]
            energies = f["MO_ENERGIES"][:]
    except (OSError, KeyError) as exc:
        raise MolcasRunError(f"cannot read the GUESSORB orbitals in {h5_path}: {exc}") from None
    dy = [i + 1 for i, label in enumerate(labels) if label.startswith("DY")]
    if len(dy) != 1:
        raise MolcasRunError(f"{h5_path}: expected one Dy centre, found {len(dy)}")
    f_functions = (ids[:, 0] == dy[0]) & (ids[:, 2] == 3)
    population = (coeffs[:, f_functions] * (coeffs @ overlap)[:, f_functions]).sum(axis=1)
    return population, energies


def four_f_swaps(h5_path: str | Path, n_inactive: int, n_active: int = 7) -> list[tuple[int, int]]:
    """ALTEr pairs (1-based orbital indices) that bring the n_active most 4f-like orbitals of the GUESSORB
    guess into the active window n_inactive+1 .. n_inactive+n_active; [] when they are there already or the
    guess has fewer than n_active clearly 4f orbitals (then RASSCF starts from GUESSORB as it is)."""
    population, _ = dy_f_population(h5_path)
    window = np.arange(min(len(population), n_inactive + n_active + WINDOW_MARGIN))
    best = window[np.argsort(-population[window], kind="stable")][:n_active]
    if population[best].min() < MIN_4F_POPULATION:
        return []
    active = set(range(n_inactive, n_inactive + n_active))
    incoming = sorted(set(best.tolist()) - active)
    outgoing = sorted(active - set(best.tolist()))
    return [(int(a) + 1, int(b) + 1) for a, b in zip(incoming, outgoing, strict=True)]


# A converged (9,7) space of Dy(III) holds seven orbitals each ~1.0 on the Dy f functions (measured 0.994-1.000 on
# the campaign and basis-study jobs); one well below this has a ligand orbital in it, and its "KD gaps" are not
# those of the 4f states.
ACTIVE_4F_MIN = 0.9


def active_4f_population(h5_path: str | Path, n_inactive: int, n_active: int = 7) -> list[float]:
    """Dy-f Mulliken population of each active orbital of a finished RASSCF (`<project>.rasscf.h5`)."""
    population, _ = dy_f_population(h5_path)
    return [round(float(v), 4) for v in population[n_inactive:n_inactive + n_active]]


def check_active_space(h5_path: Path, structure, log: Callable[[str], None]) -> list[float] | None:
    """Dy-f population of the seven active orbitals of a finished RASSCF (None when the orbital file is
    missing). Raises when one of them is not a 4f orbital: the gaps of such a space are not the Dy 4f
    states' and must not be stored as CASSCF results."""
    from gauss_core.kd.molcas_input import N_4F_ORBITALS, inactive_orbitals

    if not h5_path.is_file():
        log(f"active space not checked: {h5_path.name} missing")
        return None
    population = active_4f_population(h5_path, inactive_orbitals(structure), N_4F_ORBITALS)
    log("Dy-f population of the active orbitals: " + " ".join(f"{v:.3f}" for v in population))
    if min(population) < ACTIVE_4F_MIN:
        raise MolcasRunError(
            f"the converged active space is not the Dy 4f shell (Dy-f populations {population}; each should be "
            f">= {ACTIVE_4F_MIN}): a ligand orbital took a 4f orbital's place, so these gaps are not the 4f "
            f"states'. Try a smaller ligand basis or other starting orbitals; see {h5_path.name}")
    return population


def alter_keyword(pairs: list[tuple[int, int]]) -> str:
    """The RASSCF ALTEr line for these pairs (no symmetry: species 1), or "" for none."""
    if not pairs:
        return ""
    return f"  ALTEr = {len(pairs)}; " + "; ".join(f"1 {a} {b}" for a, b in pairs)
