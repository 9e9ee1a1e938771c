"""One characterisation pipeline: ligand SMILES -> [Dy(H2O)5L2]+ -> relaxed geometry -> descriptors -> KD estimates.

The dashboard's Complexes page, `gauss complex build|estimate|calibrate`, the CASSCF job's geometry and the KD
mapping set all run this one sequence, so a change to the geometry (e.g. a computed axial distance) reaches
all of them at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from gauss_core.complexes import Complex, assemble, descriptors
from gauss_core.complexes import relax as relax_complex
from gauss_core.complexes.relax import MODES as RELAX_STAGES
from gauss_core.errors import GaussError
from gauss_core.kd.crystal_field import CFConfig
from gauss_core.kd.estimate import CalibratedModel, KDEstimate, estimate, with_charges

log = logging.getLogger(__name__)

RelaxMode = Literal["none", "constrained", "bounded", "free", "axial", "axial-ff", "axial-mapped"]
RELAX_MODES: tuple[str, ...] = ("none", *RELAX_STAGES)  # "none" = the assembled geometry as it is
# None in `estimators` means the point-charge crystal field; a CalibratedModel means the calibrated estimate.
Estimator = CalibratedModel | None


@dataclass
class Characterisation:
    """What the pipeline made of one ligand.

    Attributes:
        smiles: the ligand as given.
        complex: the complex after assembly and relaxation (flags say what went wrong on the way).
        descriptors: the paper's 6-d structural vector of that geometry.
        estimates: one KDEstimate per requested estimator, in the order asked for.
        estimate_error: why the estimates are missing (the complex itself is still usable).
        seconds: wall time of the whole call.
    """

    smiles: str
    complex: Complex
    descriptors: dict[str, float] = field(default_factory=dict)
    estimates: list[KDEstimate] = field(default_factory=list)
    estimate_error: str | None = None
    seconds: float = 0.0

    @property
    def estimate(self) -> KDEstimate | None:
        """The first estimate (the point-charge one when the caller asked for it first)."""
        return self.estimates[0] if self.estimates else None


def build_geometry(smiles: str, relax: str = "constrained", *, builder: str = "auto", validate: bool = True,
                   keep_unrelaxed: bool = False) -> Complex:
    """Assemble the complex and relax it.

    Args:
        smiles: donor-first ligand SMILES.
        relax: "none" or a gauss_core.complexes.relax mode.
        builder: "auto", "molsimplify" or "rdkit".
        validate: refuse oversized, radical, metal-containing or donor-less ligands before any 3-D work.
        keep_unrelaxed: when the relaxation fails, keep the assembled geometry with a flag instead of raising
            (a CASSCF job can still run on it; the flag travels into its geometry source).
    Raises:
        GaussError subclasses naming the problem (invalid ligand, assembly or relaxation failure).
    """
    if relax not in RELAX_MODES:
        raise GaussError(f"unknown relaxation {relax!r}: choose one of {', '.join(RELAX_MODES)}")
    if validate:
        from gauss_core.ligands.validate import validate_ligand

        validate_ligand(smiles, reroot=False)
    cx = assemble(smiles, builder=builder)
    if relax == "none":
        return cx
    try:
        return relax_complex(cx, relax)
    except GaussError as exc:
        if not keep_unrelaxed:
            raise
        log.warning("relaxation of %s failed (%s); using the assembled geometry", smiles, exc)
        cx.flags.append(f"relaxation failed: {exc}")
        return cx


def characterise(smiles: str, relax: str = "constrained", *, builder: str = "auto",
                 estimators: Sequence[Estimator] = (None,), cf_config: CFConfig = CFConfig(),
                 validate: bool = True, keep_unrelaxed: bool = False) -> Characterisation:
    """Assemble, relax, describe and estimate one ligand's complex.

    Args:
        smiles, relax, builder, validate, keep_unrelaxed: as in build_geometry.
        estimators: KD estimators to apply to the one geometry (None = point-charge crystal field, or a
            CalibratedModel); empty for geometry and descriptors only. They share one set of atomic charges
            (the relaxation's, else a single GFN2-xTB single point).
        cf_config: point-charge model choices.
    Returns:
        Characterisation. A failing estimate does not lose the geometry: its reason is in `estimate_error`.
    Raises:
        GaussError when the ligand is refused or the complex cannot be built.
    """
    t0 = time.perf_counter()
    cx = build_geometry(smiles, relax, builder=builder, validate=validate, keep_unrelaxed=keep_unrelaxed)
    out = Characterisation(smiles=smiles, complex=cx, descriptors=descriptors(cx))
    if estimators:
        try:
            cx = with_charges(cx)
            out.complex = cx
            out.estimates = [estimate(cx, cf_config, calibrated=model) for model in estimators]
        except GaussError as exc:
            out.estimate_error = str(exc)
    out.seconds = time.perf_counter() - t0
    return out
