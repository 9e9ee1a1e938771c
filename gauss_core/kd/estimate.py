"""KD estimate without CASSCF: the electrostatic crystal field of the complex's atomic charges.

"cf-pointcharge": the crystal field (crystal_field.py) of the complex's GFN2-xTB atomic charges at its
(constrained) geometry, bare <r^k> by default (docs/kd_estimate.md says why). `estimate(cx, calibrated=...)`
replaces the gaps by those of the calibrated fit (kd/calibration.py, provenance "kd-calibrated-ridge-v1").

Neither is CASSCF: the provenance tags are never a CASSCF tag (provenance.is_casscf is False).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gauss_core import columns, provenance
from gauss_core.provenance import CF_POINTCHARGE  # the field `provenance` shadows the module in KDEstimate
from gauss_core.complexes.structure import Complex
from gauss_core.errors import GaussError
from gauss_core.kd.calibration import (CALIBRATED_NAME, FEATURES, MIN_CASSCF_ROWS, USER_CALIBRATION_NAME,
                                       WEAK_RANKING_SPEARMAN, CalibratedModel, CalibrationError, casscf_table,
                                       complex_features, default_calibration_path, fit_calibration)
from gauss_core.kd.crystal_field import CFConfig, CFResult, crystal_field_from_point_charges

# The calibrated fit's names, importable from here as before the split (the queue's job kinds, the app).
__all__ = ["CALIBRATED_NAME", "FEATURES", "MIN_CASSCF_ROWS", "USER_CALIBRATION_NAME", "WEAK_RANKING_SPEARMAN",
           "CalibratedModel", "CalibrationError", "KDEstimate", "casscf_table", "complex_features", "crystal_field",
           "default_calibration_path", "estimate", "fit_calibration", "with_charges"]


@dataclass
class KDEstimate:
    """Estimated Kramers doublets of one complex.

    energies_cm1 (8) relative to the ground KD; gaps_cm1 (7) = E(KD i+1) - E(KD 1); g_tensor (3) of the
    ground KD (principal values, ascending); mj_composition (8, 8): weight of |M_J| = 1/2..15/2 per KD.
    provenance: "cf-pointcharge" or the calibrated model's name; g_tensor and mj_composition always come
    from the point-charge model (`g_provenance`).
    """

    ligand_smiles: str
    energies_cm1: np.ndarray
    gaps_cm1: np.ndarray
    g_tensor: np.ndarray
    mj_composition: np.ndarray
    provenance: str
    geometry_provenance: str
    charges_provenance: str
    g_provenance: str = CF_POINTCHARGE
    model: str = ""
    flags: list[str] = field(default_factory=list)
    bkq_cm1: dict[tuple[int, int], float] = field(default_factory=dict)

    @property
    def mj_labels(self) -> list[str]:
        return [f"+-{2 * m + 1}/2" for m in range(8)]

    def dominant_mj(self) -> list[str]:
        """Leading |M_J| of each KD with its weight, e.g. '+-15/2 (0.99)'."""
        return [f"{self.mj_labels[int(np.argmax(row))]} ({row.max():.2f})" for row in self.mj_composition]

    def to_row(self) -> dict:
        """Flat record for tables and files: smiles, 7 gap columns, kd_provenance, g values, geometry."""
        row: dict[str, object] = {columns.SMILES: self.ligand_smiles}
        row.update({c: float(v) for c, v in zip(columns.KD_GAP_COLUMNS, self.gaps_cm1, strict=True)})
        row[columns.KD_PROVENANCE] = self.provenance
        row.update({"g_x": float(self.g_tensor[0]), "g_y": float(self.g_tensor[1]), "g_z": float(self.g_tensor[2]),
                    "g_provenance": self.g_provenance, "geometry_provenance": self.geometry_provenance,
                    "charges_provenance": self.charges_provenance, "estimate_model": self.model,
                    "flags": "; ".join(self.flags)})
        return row


def _point_charges(cx: Complex) -> tuple[np.ndarray, np.ndarray, str]:
    if cx.atomic_charges is None:
        from gauss_core.complexes.relax import xtb_charges  # xtb single point only when needed
        charges = xtb_charges(cx)
        source = provenance.XTB_GFN2
    else:
        charges = np.asarray(cx.atomic_charges, dtype=float)
        source = cx.atomic_charges_provenance or "unknown"
    return charges, np.array([i for i in range(cx.n_atoms) if i != cx.metal_index]), source


def with_charges(cx: Complex) -> Complex:
    """`cx` carrying atomic charges: its own, else those of one GFN2-xTB single point (so that several
    estimators applied to one complex share a single xtb call)."""
    if cx.atomic_charges is not None:
        return cx
    charges, _, source = _point_charges(cx)
    return cx.copy(atomic_charges=charges, atomic_charges_provenance=source)


def crystal_field(cx: Complex, config: CFConfig = CFConfig()) -> tuple[CFResult, str]:
    """Point-charge crystal field of `cx` (xtb charges computed if the complex has none)."""
    charges, others, source = _point_charges(cx)
    res = crystal_field_from_point_charges(cx.coords[others], charges[others], cx.coords[cx.metal_index], config)
    return res, source


def estimate(cx: Complex, config: CFConfig = CFConfig(), calibrated: CalibratedModel | None = None) -> KDEstimate:
    """KD estimate of a complex.

    Args:
        cx: the complex; best after relax(cx, "constrained") (then its GFN2 charges are reused).
        config: point-charge model choices (bare/shielded <r^k>).
        calibrated: a fitted CalibratedModel; when given, the gaps come from it (provenance = its name).
    Returns:
        KDEstimate with provenance "cf-pointcharge" or the calibrated model's name.
    """
    dissociated = [f for f in cx.flags if f.startswith("dissociated")]
    if dissociated:  # a gap of a complex whose ligand has left the metal is no prediction of the bound one
        raise GaussError(f"no KD estimate for {cx.ligand_smiles}: {dissociated[0]}")
    charges, others, source = _point_charges(cx)
    res = crystal_field_from_point_charges(cx.coords[others], charges[others], cx.coords[cx.metal_index], config)
    if cx.atomic_charges is None:  # keep them for the calibrated features (no second xtb call)
        cx = cx.copy(atomic_charges=charges, atomic_charges_provenance=source)
    flags = list(cx.flags)
    if cx.geometry_provenance in ("molsimplify", "rdkit"):
        flags.append("unrelaxed-template: the ligands were not relaxed; a constrained GFN2-xTB relaxation (the "
                     "dashboard's relax option, or --relax constrained) gives a better estimate")
    est = KDEstimate(ligand_smiles=cx.ligand_smiles, energies_cm1=res.energies_cm1, gaps_cm1=res.gaps_cm1,
                     g_tensor=res.g_tensor, mj_composition=res.mj_composition, provenance=provenance.CF_POINTCHARGE,
                     geometry_provenance=cx.geometry_provenance, charges_provenance=source,
                     model=f"point charges ({source}), {config.radial} <r^k>, charge scale {config.charge_scale}",
                     flags=flags, bkq_cm1=res.bkq_cm1)
    if calibrated is not None:
        if not calibrated.fitted_on(cx.geometry_provenance):
            est.flags.append(f"calibrated on {calibrated.feature_geometry} geometries, applied to a "
                             f"{cx.geometry_provenance} one")
        from gauss_core.ligands.build import ligand_class

        note = calibrated.weak_ranking_note(ligand_class(cx.donor_element, cx.ligand_charge))
        if note:
            est.flags.append(note)
        gaps = calibrated.predict(pd.DataFrame([complex_features(cx, res, source)]))[0]
        est.gaps_cm1 = gaps
        est.energies_cm1 = np.concatenate([[0.0], gaps])
        est.provenance = calibrated.name
        est.model = f"{calibrated.name}: ridge on {', '.join(calibrated.feature_names)} (CV MAE " \
                    f"{calibrated.cv_mae_cm1:.0f} cm-1 on {calibrated.n_train} CASSCF complexes)"
    return est
