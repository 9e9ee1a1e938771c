"""Choose the axial ligands' conformer by energy (builder "search").

Why: within a donor class the first KD gap follows the Dy-L axial distance, and for a flexible ligand the
conformer moves that distance as much as the method does: an OH or C=O that reaches a water pulls the donor
in or out by up to 0.1 A (docs/geometry.md, session 8). The RDKit builder picks a conformer for clearance and
molSimplify draws a random one on every call, so neither gives the same answer twice for the same reason. The
lowest-energy conformer is the one a chemist would call "the" structure, and it is reproducible.

How: one template per seeded ETKDG conformer (complexes.assemble.rdkit_candidates), each relaxed by GFN-FF
with the same fixed core as stage 1 of the xtb relaxation (metal and the seven donor atoms held; ~0.3 s a
candidate), and the candidate with the lowest GFN-FF energy among those without structural flags wins. The
winner is returned at its GFN-FF geometry; relax() then continues from it as from any build.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gauss_core.complexes.assemble import AssemblyError, LigandInfo, rdkit_candidates
from gauss_core.complexes.checks import FLAG_NAMES, run_checks
from gauss_core.complexes.relax import RelaxationError, RelaxConfig, _run_xtb_once, _stage1_control
from gauss_core.complexes.structure import Complex

HARTREE_KCAL = 627.509
BUILDER = "search"


@dataclass(frozen=True)
class ConformerSearchConfig:
    """n_conformers: seeded ETKDG conformers tried (duplicates of a rigid ligand cost ~0.3 s each);
    seed: ETKDG seed, so the same ligand always gets the same candidates; cycles: GFN-FF optimisation cap."""

    n_conformers: int = 8
    seed: int = 7
    cycles: int = 600


@dataclass
class RankedCandidate:
    """One candidate after its GFN-FF relaxation; energy in Hartree (inf when xtb failed)."""

    complex: Complex
    energy_Eh: float
    structural_flags: list[str]


def rank_candidates(cands: list[Complex], relax_config: RelaxConfig = RelaxConfig(),
                    cycles: int = 600) -> list[RankedCandidate]:
    """GFN-FF-relax every candidate with the stage-1 core fixed; sorted best first (clean, then lowest energy)."""
    ranked = []
    for cx in cands:
        try:
            res = _run_xtb_once(cx, _stage1_control(cx), True, cycles, relax_config, method="gfnff")
        except RelaxationError:
            ranked.append(RankedCandidate(cx, float("inf"), ["xtb-failed"]))
            continue
        out = run_checks(cx.copy(coords=res.coords))
        ranked.append(RankedCandidate(out, res.energy_Eh, [f for f in out.flags if f.startswith(FLAG_NAMES)]))
    # a stable sort keeps the ETKDG order among equal energies, so the choice is repeatable
    return sorted(ranked, key=lambda r: (bool(r.structural_flags), r.energy_Eh))


def lowest_energy_build(info: LigandInfo, config: ConformerSearchConfig = ConformerSearchConfig(),
                        relax_config: RelaxConfig = RelaxConfig()) -> Complex:
    """The complex at its lowest-GFN-FF-energy ligand conformer (see the module docstring).

    Raises:
        AssemblyError when no candidate could be relaxed; MissingProgramError without xtb.
    """
    ranked = rank_candidates(rdkit_candidates(info, config.n_conformers, config.seed), relax_config,
                             config.cycles)
    best = ranked[0]
    if not np.isfinite(best.energy_Eh):
        raise AssemblyError(f"GFN-FF failed on every conformer of {info.smiles!r}; use --builder rdkit")
    energies = np.array([r.energy_Eh for r in ranked if np.isfinite(r.energy_Eh)])
    out = best.complex.copy(builder=BUILDER, geometry_provenance="rdkit-conformers-gfnff-lowest")
    out.checks["conformers_tried"] = float(len(ranked))
    out.checks["conformer_energy_span_kcal"] = float((energies.max() - energies.min()) * HARTREE_KCAL)
    if best.structural_flags:  # every candidate is flagged: keep the best and say so
        out.flags.append("conformer-search: every candidate has structural flags; lowest-energy one kept")
    return out
