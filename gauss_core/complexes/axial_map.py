"""The map from a cheap path's axial Dy-L distance to the DFT references, and a geometry that applies it.

GFN2-xTB with the axial ligands free (relax mode "axial") makes the Y-L axial bond 0.1-0.2 A shorter than
the PBE/def2-SVP references (docs/geometry.md), by a different amount per donor class, and spreads the
within-class differences about 2.5 times wider than DFT. On the conformer DFT saw it orders neutral donors like
DFT (within-class Pearson 0.97 / 0.99 for neutral O / N on 18 references; anionic O -0.09, anionic N 0.65), so a
per-class linear map fitted on the references (`scripts/compare_geometry.py --start reference --correction
...`) turns the cheap distance into a DFT-like one. The same map serves two uses:
- the bond-length label (kd.bond_length: raw distance cached, the map applied when the table is written);
- the geometry "axial-mapped" (relax mode and CASSCF geometry): each axial ligand is moved as a rigid body
  along its metal->donor axis to the mapped distance, which is how the DFT references themselves move them.

The bundled map, `assets/geometry/axial_map_gfn2.json`, names the references it was fitted on; a later fit
with more references gets a new method name, so results on the old map keep theirs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from gauss_core import paths
from gauss_core.complexes.checks import run_checks
from gauss_core.complexes.structure import Complex
from gauss_core.errors import DataFormatError
from gauss_core.ligands import smiles_class

CLASSES = (1, 2, 3, 4)
BUNDLED_MAP = paths.ASSETS / "geometry" / "axial_map_gfn2.json"


@dataclass(frozen=True)
class RCorrection:
    """Linear map of the raw xtb distance per ligand class: r -> slope * r + intercept.

    method: name of the fit (goes into r_dyl_method after a '+'); classes: {class 1-4: (slope, intercept)}.
    """

    method: str
    classes: dict[int, tuple[float, float]] = field(default_factory=dict)

    def apply(self, r: float, ligand_class: int) -> float:
        slope, intercept = self.classes[ligand_class]
        return slope * r + intercept


def load_r_correction(path: str | Path) -> RCorrection:
    """Read a correction file {"method": "<name>", "classes": {"1": [slope, intercept], ..., "4": [...]}}.

    Raises:
        DataFormatError naming what is wrong (missing file, not JSON, no method, a class missing or not two
        finite numbers).
    """
    path = Path(path)
    fix = ('write it as {"method": "<name>", "classes": {"1": [slope, intercept], "2": [...], "3": [...], '
           '"4": [...]}}')
    if not path.is_file():
        raise DataFormatError(f"correction file {path} does not exist; {fix}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataFormatError(f"correction file {path} is not JSON ({exc}); {fix}") from None
    if not isinstance(data, dict) or not isinstance(data.get("method"), str) or not data["method"].strip():
        raise DataFormatError(f"correction file {path} has no 'method' name; {fix}")
    classes = data.get("classes")
    if not isinstance(classes, dict):
        raise DataFormatError(f"correction file {path} has no 'classes' object; {fix}")
    unknown = sorted(set(map(str, classes)) - {str(c) for c in CLASSES})
    if unknown:
        raise DataFormatError(f"correction file {path} names unknown ligand class(es) {', '.join(unknown)} "
                              "(classes are 1-4); " + fix)
    out: dict[int, tuple[float, float]] = {}
    for c in CLASSES:
        pair = classes.get(str(c))
        if not (isinstance(pair, list) and len(pair) == 2 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in pair)):
            raise DataFormatError(f"correction file {path}: class {c} must be [slope, intercept] (two finite "
                                  f"numbers), found {pair!r}; {fix}")
        out[c] = (float(pair[0]), float(pair[1]))
    return RCorrection(method=data["method"].strip(), classes=out)


@lru_cache(maxsize=4)
def _cached_map(path: str, mtime_ns: int) -> RCorrection:
    return load_r_correction(path)


def bundled_map(path: str | Path | None = None) -> RCorrection:
    """The map of the "axial-mapped" geometry (BUNDLED_MAP unless another file is given); read once per file
    version. Raises DataFormatError naming the file when it is missing or malformed."""
    target = Path(path) if path is not None else BUNDLED_MAP
    if not target.is_file():
        raise DataFormatError(f"axial distance map {target} does not exist; the bundled one ships with the "
                              "project (reinstall or `git checkout assets/geometry`), or fit one with "
                              "`python scripts/compare_geometry.py --start reference --correction-path gfn2_axial "
                              "--correction FILE`")
    return _cached_map(str(target), target.stat().st_mtime_ns)


def reference_key(smiles: str, start_builder: str) -> str:
    """How a map file names one DFT reference it was fitted on: the ligand and the builder its DFT run began from."""
    return f"{smiles}@{start_builder}"


def map_references(path: str | Path | None = None) -> frozenset[str]:
    """The references (reference_key) a map file was fitted on; empty when the file does not list them."""
    target = Path(path) if path is not None else BUNDLED_MAP
    try:
        listed = json.loads(target.read_text(encoding="utf-8")).get("references") or []
    except (OSError, json.JSONDecodeError, AttributeError):
        return frozenset()
    return frozenset(str(r) for r in listed)


def axial_distances(cx: Complex) -> tuple[float, float]:
    """The two metal-axial donor distances, Angstrom."""
    m = cx.coords[cx.metal_index]
    r1, r2 = (float(np.linalg.norm(cx.coords[d] - m)) for d in cx.axial_indices)
    return r1, r2


def moved_axial_ligands(cx: Complex, coords: np.ndarray, target: Callable[[float], float]) -> np.ndarray:
    """Copy of `coords` (atoms in cx's order) with each axial ligand moved as a rigid body along its metal->donor
    axis so that the donor sits at target(r), r its distance now: the coordinate the DFT references optimise."""
    coords = np.array(coords, dtype=float, copy=True)
    metal = coords[cx.metal_index]
    for donor in cx.axial_indices:
        axis = coords[donor] - metal
        r = float(np.linalg.norm(axis))
        coords[cx.fragment_atoms(cx.fragment[donor])] += (target(r) - r) * axis / r
    return coords


def apply_axial_map(cx: Complex, correction: RCorrection, provenance: str) -> Complex:
    """Copy of `cx` with each axial ligand moved rigidly along its metal->donor axis to the mapped distance.

    Each donor is mapped on its own (r_i -> slope * r_i + intercept of the ligand's class), so the two
    ligands keep their own environment; the metal, the waters and every intra-ligand distance stay as they
    are. Checks and flags are recomputed (a neutral donor mapped beyond 2.8 A is flagged as dissociated).
    provenance: the new geometry_provenance (e.g. "xtb-gfn2-axial+<map method>").
    Raises DataFormatError when the ligand has no class (not a donor-first N/O ligand).
    """
    ligand_class = smiles_class(cx.ligand_smiles)
    if ligand_class not in correction.classes:
        raise DataFormatError(f"the axial map {correction.method!r} has no class for ligand {cx.ligand_smiles!r} "
                              f"(class {ligand_class}); only donor-first N/O ligands of classes 1-4 can be mapped")
    coords = moved_axial_ligands(cx, cx.coords, lambda r: correction.apply(r, ligand_class))
    out = cx.copy(coords=coords, geometry_provenance=provenance)
    run_checks(out)
    out.checks["axial_map_shift_A"] = float(np.mean(axial_distances(out)) - np.mean(axial_distances(cx)))
    return out
