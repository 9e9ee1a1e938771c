"""Bond-length proxy label: the relaxed Dy-L axial distance of each ligand's [Dy(H2O)5L2]+ (issue 13, point 3).

Within a donor class the first KD gap follows the Dy-L axial distance (docs/geometry.md), so the GAUSS-II head
gets that distance as an extra target. It comes from the cheap geometry path: characterise.build_geometry with
relax="axial" (GFN2-xTB on the Y(III) analogue; metal and water pentagon held, axial ligands free), or "axial-ff"
(the same with GFN-FF choosing the distance) once that is the chosen cheap path (docs/geometry.md). The cache
keeps the raw xtb distances; an optional linear correction per ligand class (fitted by the lead on the DFT
references, read from a JSON file) is applied when the table is written, so a new correction needs no new xtb
run. A neutral donor that ends beyond 2.8 A has left the metal (complexes.checks flags it 'dissociated'): its
distance is left empty.

Run it through `gauss label --method axial` (gauss_core.proxies.batch: resumable cache, workers, --sample).
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pandas as pd

from gauss_core import columns
from gauss_core.complexes.axial_map import RCorrection, axial_distances
from gauss_core.complexes.checks import FLAG_NAMES, is_dissociated
from gauss_core.complexes.relax import AXIAL, AXIAL_FF
from gauss_core.errors import DataFormatError
from gauss_core.procs import cpu_seconds_with_children
from gauss_core.ligands import smiles_class
from gauss_core.proxies.batch import ERROR, METHOD, Labeller

DISSOCIATED = "dissociated"
# Structures whose axial distance is not the donor's bond any more: the donor let go of the metal (another ligand
# atom binds instead), a ligand bond broke, or a proton moved; flagged, kept in the table, no r_dyl_A.
BROKEN = ("lost-donor", "bond-broken", "proton-transfer")
GEOMETRY_METHODS = {"axial": AXIAL, "axial-ff": AXIAL_FF}  # relax mode -> the provenance of its distance
CLASSES = (1, 2, 3, 4)
TABLE_COLUMNS = (columns.SMILES, METHOD, ERROR, columns.R_DYL, columns.R_DYL_METHOD, columns.R_DYL_FLAGS,
                 columns.R_DYL_CPU, "r_dyl_raw_A", "r_dyl_1_A", "r_dyl_2_A", columns.LIGAND_CLASS,
                 columns.CHARGE, "geometry_method")


def axial_record(smiles: str, relax: str = "axial", builder: str = "auto") -> dict:
    """Relax one ligand's complex by a cheap axial path and measure its Dy-L distances (cache record fields).

    Raises:
        GaussError subclasses when the ligand is refused or the complex cannot be built or relaxed.
    """
    from gauss_core.kd.characterise import build_geometry

    cpu0 = cpu_seconds_with_children()
    cx = build_geometry(smiles, relax=relax, builder=builder)
    r1, r2 = axial_distances(cx)
    flags = sorted({f.split(":")[0] for f in cx.flags if f.startswith((*FLAG_NAMES, "xtb-"))})
    return {"r_dyl_1_A": r1, "r_dyl_2_A": r2, "ligand_charge": int(cx.ligand_charge),
            "ligand_class": smiles_class(smiles),
            "geometry_method": cx.geometry_provenance + ("" if builder == "auto" else f"@{builder}"),
            "complex_flags": flags, "cpu_s": round(cpu_seconds_with_children() - cpu0, 3)}


def records_to_frame(records: list[dict], correction: RCorrection | None = None) -> pd.DataFrame:
    """Label table from cache records: r_dyl_A (corrected when a correction is given), its method and flags."""
    suffix = f"+{correction.method}" if correction is not None else ""
    rows = []
    for rec in records:
        method = str(rec.get("geometry_method") or rec.get("method") or AXIAL) + suffix
        row: dict[str, object] = {columns.SMILES: rec["smiles"], METHOD: rec.get("method"), ERROR: rec.get(ERROR),
                                  columns.R_DYL: math.nan, columns.R_DYL_METHOD: method, columns.R_DYL_FLAGS: "",
                                  columns.R_DYL_CPU: rec.get("cpu_s", math.nan)}
        if rec.get("ok"):
            r12 = (float(rec["r_dyl_1_A"]), float(rec["r_dyl_2_A"]))
            raw = float(np.mean(r12))
            flags = [f for f in rec.get("complex_flags") or [] if f != DISSOCIATED]
            if DISSOCIATED in (rec.get("complex_flags") or []) or is_dissociated(r12, rec["ligand_charge"]):
                flags.insert(0, DISSOCIATED)
            elif set(flags) & set(BROKEN):
                pass  # the axial donor is no longer the donor (or the ligand changed): no distance to learn
            else:
                cls = int(rec["ligand_class"])
                row[columns.R_DYL] = correction.apply(raw, cls) if correction is not None else raw
            row.update({columns.R_DYL_FLAGS: ";".join(flags), "r_dyl_raw_A": raw, "r_dyl_1_A": r12[0],
                        "r_dyl_2_A": r12[1], columns.LIGAND_CLASS: rec["ligand_class"],
                        columns.CHARGE: rec["ligand_charge"], "geometry_method": rec.get("geometry_method")})
        rows.append(row)
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def axial_labeller(correction: RCorrection | None = None, relax: str = "axial", builder: str = "auto") -> Labeller:
    """The Labeller `gauss label --method axial` hands to proxies.batch.label_batch.

    relax: "axial" (GFN2 distance) or "axial-ff" (GFN-FF distance). The cache key names the geometry path only
    (so the two never mix in one cache): a correction is applied when the table is written.
    """
    if relax not in GEOMETRY_METHODS:
        raise DataFormatError(f"unknown axial geometry path {relax!r}: choose one of {', '.join(GEOMETRY_METHODS)}")
    key = GEOMETRY_METHODS[relax] + ("" if builder == "auto" else f"-{builder}")
    return Labeller(key=key, label=partial(axial_record, relax=relax, builder=builder),
                    to_frame=partial(records_to_frame, correction=correction), chunk=1)
