"""The Complexes page's record of one assembled ligand, made by the library's one characterisation pipeline."""

from __future__ import annotations

from gauss_core.errors import GaussError
from gauss_core.kd.characterise import characterise
from gauss_core.kd.estimate import CalibratedModel


def characterise_entry(smiles: str, relax: str, calibrated: CalibratedModel | None, builder: str = "auto") -> dict:
    """{complex, error, descriptors, estimate, calibrated, estimate_error} for the page: the point-charge
    estimate, and the calibrated one when a model is fitted. A refused or unbuildable ligand keeps its reason
    in `error`; a failed estimate keeps the geometry and says why in `estimate_error`."""
    entry: dict = {"complex": None, "error": None, "descriptors": None, "estimate": None, "calibrated": None,
                   "estimate_error": None}
    estimators = (None, calibrated) if calibrated is not None else (None,)
    try:
        result = characterise(smiles, relax, builder=builder, estimators=estimators)
    except GaussError as exc:
        entry["error"] = str(exc)
        return entry
    entry.update(complex=result.complex, descriptors=result.descriptors, estimate_error=result.estimate_error)
    if result.estimates:
        entry["estimate"] = result.estimates[0]
        if calibrated is not None:
            entry["calibrated"] = result.estimates[1]
    return entry
