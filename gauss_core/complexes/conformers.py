"""Choose the axial ligands' conformer by energy (builder "search").

Why: within a donor class the first KD gap follows the Dy-L axial distance, and for a flexible ligand the
conformer moves that distance as much as the method does: an OH or C=O that reaches a water pulls the donor
in or out by up to 0.1 A (docs/geometry.md, session 8). The RDKit builder picks a conformer for clearance and
molSimplify draws a random one on every call, so neither gives the same answer twice for the same reason. The
lowest-energy conformer is the one a chemist would call "the" structure, and it is reproducible.

How: one template per seeded ETKDG conformer (complexes.assemble.rdkit_candidates), each relaxed by GFN-FF
with the same fixed core as stage 1 of the xtb relaxation (metal and the seven donor atoms held; ~0.1 s a
candidate). The `rescore_top` lowest of those without structural flags get a GFN2-xTB single point (~0.7 s
each) and the lowest GFN2 energy wins. Why GFN2 and not GFN-FF alone: on the 11 reference ligands GFN2 picked
another conformer than GFN-FF for 5 of the 6 neutral donors (by up to 11 kcal/mol in GFN2), always one
within 3 kcal/mol of GFN-FF's best, i.e. among GFN-FF's 4 lowest; GFN-FF's electrostatics of a +3 complex are
the weak spot. The winner is returned at its GFN-FF geometry; relax() then continues from it as from any build.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gauss_core.complexes.assemble import AssemblyError, LigandInfo, rdkit_candidates
from gauss_core.complexes.checks import FLAG_NAMES, run_checks
from gauss_core.complexes.relax import RelaxationError, RelaxConfig, run_xtb_once, stage1_control, run_xtb
from gauss_core.complexes.structure import Complex
from gauss_core.modes import Builder

HARTREE_KCAL = 627.509
BUILDER = Builder.SEARCH


@dataclass(frozen=True)
class ConformerSearchConfig:
    """n_conformers: seeded ETKDG conformers tried (duplicates of a rigid ligand cost ~0.1 s each);
    seed: ETKDG seed, so the same ligand always gets the same candidates; cycles: GFN-FF optimisation cap;
    rescore_top: the lowest-GFN-FF clean candidates re-ranked by a GFN2 single point (0: GFN-FF alone)."""

    n_conformers: int = 8
    seed: int = 7
    cycles: int = 600
    rescore_top: int = 4


@dataclass
class RankedCandidate:
    """One candidate after its GFN-FF relaxation; energies in Hartree (inf when xtb failed, NaN: not rescored)."""

    complex: Complex
    energy_Eh: float
    structural_flags: list[str]
    energy_gfn2_Eh: float = float("nan")


def rank_candidates(cands: list[Complex], relax_config: RelaxConfig = RelaxConfig(),
                    cycles: int = 600) -> list[RankedCandidate]:
    """GFN-FF-relax every candidate with the stage-1 core fixed; sorted best first (clean, then lowest energy)."""
    ranked = []
    for cx in cands:
        try:
            res = run_xtb_once(cx, stage1_control(cx), True, cycles, relax_config, method="gfnff")
        except RelaxationError:
            ranked.append(RankedCandidate(cx, float("inf"), ["xtb-failed"]))
            continue
        out = run_checks(cx.copy(coords=res.coords))
        ranked.append(RankedCandidate(out, res.energy_Eh, [f for f in out.flags if f.startswith(FLAG_NAMES)]))
    # a stable sort keeps the ETKDG order among equal energies, so the choice is repeatable
    return sorted(ranked, key=lambda r: (bool(r.structural_flags), r.energy_Eh))


def rescore_gfn2(ranked: list[RankedCandidate], top: int, relax_config: RelaxConfig = RelaxConfig()
                 ) -> list[RankedCandidate]:
    """GFN2 single points of the `top` best clean candidates; those first, lowest GFN2 energy first, then the rest
    in their GFN-FF order. A failed single point ranks its candidate last among the rescored."""
    clean = [r for r in ranked if not r.structural_flags and np.isfinite(r.energy_Eh)][:top]
    for r in clean:
        try:
            r.energy_gfn2_Eh = run_xtb(r.complex, None, False, 0, relax_config).energy_Eh
        except RelaxationError:
            r.energy_gfn2_Eh = float("inf")
    chosen = {id(r) for r in clean}
    rest = [r for r in ranked if id(r) not in chosen]
    return sorted(clean, key=lambda r: r.energy_gfn2_Eh) + rest


def lowest_energy_build(info: LigandInfo, config: ConformerSearchConfig = ConformerSearchConfig(),
                        relax_config: RelaxConfig = RelaxConfig()) -> Complex:
    """The complex at its lowest-energy ligand conformer (see the module docstring).

    Raises:
        AssemblyError when no candidate could be relaxed; MissingProgramError without xtb.
    """
    ranked = rank_candidates(rdkit_candidates(info, config.n_conformers, config.seed), relax_config,
                             config.cycles)
    if config.rescore_top > 0:
        ranked = rescore_gfn2(ranked, config.rescore_top, relax_config)
    best = ranked[0]
    if not np.isfinite(best.energy_Eh):
        raise AssemblyError(f"GFN-FF failed on every conformer of {info.smiles!r}; use --builder rdkit")
    energies = np.array([r.energy_Eh for r in ranked if np.isfinite(r.energy_Eh)])
    method = "gfnff-gfn2sp" if np.isfinite(best.energy_gfn2_Eh) else "gfnff"
    out = best.complex.copy(builder=BUILDER, geometry_provenance=f"rdkit-conformers-{method}-lowest")
    out.checks["conformers_tried"] = float(len(ranked))
    out.checks["conformer_energy_span_kcal"] = float((energies.max() - energies.min()) * HARTREE_KCAL)
    if best.structural_flags:  # every candidate is flagged: keep the best and say so
        out.flags.append("conformer-search: every candidate has structural flags; lowest-energy one kept")
    return out
