"""The paper's 6-d structural vector of a complex (GAUSS-I input, Frangoulis 2025 / Lu 2021).

Planarity of the five water O atoms, following Lu (2021), "Two simple and reliable metrics of molecular
planarity": fit the least-squares plane (the one minimising the squared deviations: SVD of the centred
coordinates), take the signed distance d_i of each atom from it, then
    MPP = sqrt(mean(d_i^2))      (molecular planarity parameter, RMS deviation)
    SDP = max(d_i) - min(d_i)    (span of deviation from plane)
The GAUSS-II text paraphrases MPP as "the sum of distances from the fitted plane"; we follow Lu's
definition, which the paper cites; `mpp_definition="sum_abs"` gives the paraphrase instead.
"""

from __future__ import annotations

import numpy as np

from gauss_core.columns import STRUCT_COLUMNS
from gauss_core.complexes.checks import axial_angle
from gauss_core.complexes.structure import Complex
from gauss_core.errors import GaussError

_CLASS = {("O", 0): 1, ("N", 0): 2, ("O", -1): 3, ("N", -1): 4}  # = columns.LIGAND_CLASS definition


def plane_deviations(points: np.ndarray) -> np.ndarray:
    """Signed distances of `points` (n, 3) from their least-squares plane (sign: plane normal from SVD)."""
    pts = np.asarray(points, dtype=float)
    centred = pts - pts.mean(0)
    _, _, vt = np.linalg.svd(centred)
    normal = vt[-1]
    # Fix the sign so that results do not depend on the SVD's arbitrary normal orientation.
    if normal[np.argmax(np.abs(normal))] < 0:
        normal = -normal
    return centred @ normal


def mpp_sdp(points: np.ndarray, mpp_definition: str = "lu_rms") -> tuple[float, float]:
    """(MPP, SDP) in the units of `points`. mpp_definition: "lu_rms" (default) or "sum_abs"."""
    d = plane_deviations(points)
    if mpp_definition == "lu_rms":
        mpp = float(np.sqrt(np.mean(d ** 2)))
    elif mpp_definition == "sum_abs":
        mpp = float(np.abs(d).sum())
    else:
        raise GaussError(f"unknown MPP definition {mpp_definition!r}: use 'lu_rms' or 'sum_abs'")
    return mpp, float(d.max() - d.min())


def descriptors(cx: Complex, mpp_definition: str = "lu_rms") -> dict[str, float]:
    """The 6-d structural vector, keyed by columns.STRUCT_COLUMNS.

    Returns:
        struct_class (1 neutral O, 2 neutral N, 3 anionic O, 4 anionic N), mpp_A, sdp_A,
        angle_L_Dy_L_deg, r_Dy_L1_A, r_Dy_L2_A (L1 the shorter of the two).
    """
    water = cx.coords[cx.water_o_indices]
    mpp, sdp = mpp_sdp(water, mpp_definition)
    m = cx.coords[cx.metal_index]
    r1, r2 = sorted(float(np.linalg.norm(cx.coords[i] - m)) for i in cx.axial_indices)
    values = (float(_CLASS[(cx.donor_element, cx.ligand_charge)]), mpp, sdp, axial_angle(cx), r1, r2)
    return dict(zip(STRUCT_COLUMNS, values, strict=True))
