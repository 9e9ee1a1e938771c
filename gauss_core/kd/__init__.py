"""Kramers-doublet estimates: point-charge crystal field and a calibrated estimate (CASSCF backends live
in kd/molcas*.py and kd/orca.py); kd/characterise.py is the one ligand -> complex -> estimate pipeline and
kd/kd_mapping.py builds the KD mapping set with it."""

from gauss_core.kd.calibration import CalibratedModel, CalibrationError, complex_features, fit_calibration
from gauss_core.kd.crystal_field import CFConfig, CFResult, crystal_field_from_point_charges
from gauss_core.kd.estimate import KDEstimate, estimate

__all__ = ["CFConfig", "CFResult", "CalibratedModel", "CalibrationError", "KDEstimate", "complex_features",
           "crystal_field_from_point_charges", "estimate", "fit_calibration"]
