"""Geometries for CASSCF jobs: the assembled (and, when available, relaxed) complex, with an idealised
pentagonal bipyramid [Dy(H2O)5(OMe)2]+ as the fallback for the methoxide reference ligand only."""

from __future__ import annotations

import logging
import math

from typing import TYPE_CHECKING

from gauss_core.errors import GaussError
from gauss_core.kd.molcas_casscf import XyzStructure, structure_from

if TYPE_CHECKING:
    from gauss_core.complexes import Complex

log = logging.getLogger(__name__)

METHOXIDE_SMILES = ("[O-]C", "C[O-]")

# Idealised distances (Angstrom) and angles used by the fallback builder.
DY_O_WATER = 2.40
DY_O_AXIAL = 2.15
O_H = 0.96
O_C = 1.41
C_H = 1.09
HOH_DEG = 104.5
TETRA_DEG = 109.47


def idealised_dy_water5_methoxide2() -> XyzStructure:
    """[Dy(H2O)5(OMe)2]+ as an ideal pentagonal bipyramid (D5h-like core).

    Dy at the origin, five water O in the xy plane at 2.40 A (each water plane vertical, H pointing
    outward), methoxide O on +-z at 2.15 A with the Dy-O-C axis linear and methyl H staggered outward.

    Returns:
        XyzStructure with 26 atoms and charge +1.
    """
    symbols: list[str] = ["Dy"]
    coords: list[tuple[float, float, float]] = [(0.0, 0.0, 0.0)]
    half = math.radians(HOH_DEG / 2)
    for k in range(5):
        phi = 2 * math.pi * k / 5
        rx, ry = math.cos(phi), math.sin(phi)
        ox, oy = DY_O_WATER * rx, DY_O_WATER * ry
        symbols.append("O")
        coords.append((ox, oy, 0.0))
        for sign in (1, -1):
            # H in the vertical plane through Dy-O, pointing away from Dy.
            h = (ox + O_H * math.cos(half) * rx, oy + O_H * math.cos(half) * ry, sign * O_H * math.sin(half))
            symbols.append("H")
            coords.append(h)
    theta = math.radians(180.0 - TETRA_DEG)
    for axis, phase in ((1.0, 0.0), (-1.0, math.pi / 3)):
        oz = axis * DY_O_AXIAL
        cz = axis * (DY_O_AXIAL + O_C)
        symbols += ["O", "C"]
        coords += [(0.0, 0.0, oz), (0.0, 0.0, cz)]
        for k in range(3):
            phi = phase + 2 * math.pi * k / 3 + math.pi / 10
            hz = cz + axis * C_H * math.cos(theta)
            symbols.append("H")
            coords.append((C_H * math.sin(theta) * math.cos(phi), C_H * math.sin(theta) * math.sin(phi), hz))
    return XyzStructure(symbols, coords, charge=1, title="[Dy(H2O)5(OMe)2]+ idealised")


def casscf_complex(smiles: str, relax: bool = True, mode: str = "constrained", builder: str = "auto"
                   ) -> tuple[XyzStructure, str, Complex | None]:
    """Geometry of [Dy(H2O)5L2]+ for a CASSCF job, and the Complex it came from.

    Args:
        smiles: ligand L (donor-first SMILES).
        relax: relax with GFN2-xTB after assembly; a failed relaxation keeps the assembled geometry with a
            flag (its geometry source then names the assembler and the flag, never the relaxation).
        mode: the gauss_core.complexes.relax mode: "constrained" (axial distance of the class template, the
            default), "axial" or "axial-ff" (GFN2 or GFN-FF chooses the axial distance), "axial-mapped" (GFN2's
            distance mapped onto the DFT references, complexes.axial_map).
        builder: the template builder (gauss_core.modes.Builder); "search" = lowest-energy conformer.
    Returns:
        (structure, source, complex): source names how the coordinates were made: the complex's
        geometry_provenance ("molsimplify", "rdkit", "xtb-gfn2-constrained", ...) plus its flags, or
        "idealised-methoxide" when assembly failed for methoxide (complex None then).
    """
    from gauss_core.kd.characterise import build_geometry  # lazily: heavy imports (molSimplify, RDKit)

    try:
        # The queue validated the ligand on enqueue; the job only builds.
        cplx = build_geometry(smiles, mode if relax else "none", builder=builder, validate=False,
                              keep_unrelaxed=True)
    except GaussError as exc:
        if smiles.strip() in METHOXIDE_SMILES:
            log.warning("assemble(%s) failed (%s); using the idealised methoxide bipyramid", smiles, exc)
            return idealised_dy_water5_methoxide2(), "idealised-methoxide", None
        raise
    source = cplx.geometry_provenance + ("" if builder == "auto" else f" (builder {builder})")
    if cplx.flags:
        source += " [flags: " + "; ".join(cplx.flags) + "]"
    return structure_from(cplx), source, cplx
