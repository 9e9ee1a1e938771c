"""KD point-charge estimate: the model on a relaxed complex, its distance from the project's CASSCF
reference, and provenance."""

from __future__ import annotations

import numpy as np
import pytest

from gauss_core import columns, provenance
from gauss_core.complexes import assemble, relax
from gauss_core.kd import CFConfig, estimate

# CASSCF(9,7)+SO (OpenMolcas) KD energies of [Dy(H2O)5(OMe)2]+ measured in this project, cm^-1.
CASSCF_OME = np.array([0, 502, 814, 967, 1001, 1012, 1020, 1025.0])


@pytest.fixture(scope="module")
def ome_relaxed():
    return relax(assemble("[O-]C", builder="rdkit"), "constrained")


@pytest.mark.needs_xtb
def test_point_charge_estimate_shape_and_provenance(ome_relaxed):
    est = estimate(ome_relaxed)
    assert est.provenance == provenance.CF_POINTCHARGE and not provenance.is_casscf(est.provenance)
    assert est.geometry_provenance == "xtb-gfn2-constrained" and est.charges_provenance == provenance.XTB_GFN2
    assert est.energies_cm1.shape == (8,) and est.gaps_cm1.shape == (7,)
    assert est.energies_cm1[0] == 0 and np.all(np.diff(est.energies_cm1) > 0)
    assert est.g_tensor.shape == (3,)
    assert est.g_tensor[2] == pytest.approx(20.0, abs=0.1)  # strongly axial alkoxide: +-15/2 ground KD
    assert est.dominant_mj()[0].startswith("+-15/2")
    row = est.to_row()
    assert row[columns.KD_PROVENANCE] == "cf-pointcharge"
    assert [row[c] for c in columns.KD_GAP_COLUMNS] == pytest.approx(list(est.gaps_cm1))


@pytest.mark.needs_xtb
def test_against_casscf_reference_of_methoxide(ome_relaxed):
    """The point-charge estimate against the project's CASSCF of [Dy(H2O)5(OMe)2]+ (docs/kd_estimate.md).
    Bounds on the error, not the measured errors, so a better estimate still passes: the same ground doublet
    (pure +-15/2, g_z = 20), the total splitting within 10 %, every KD within 45 % (the first gap is the
    worst, measured ~35 % low) and a mean error under a fifth of the splitting (measured ~127 of 1025 cm^-1).
    Shielded <r^k> shrinks the dominant rank-2 field ((1 - sigma_2) = 0.47), so its spectrum is narrower,
    and the default (bare) is the model closer to CASSCF."""
    bare_est = estimate(ome_relaxed, CFConfig(radial="bare"))
    bare = bare_est.energies_cm1
    shielded = estimate(ome_relaxed, CFConfig(radial="shielded")).energies_cm1
    assert bare_est.dominant_mj()[0].startswith("+-15/2") and bare_est.g_tensor[2] == pytest.approx(20.0, abs=0.2)
    assert abs(bare[-1] - CASSCF_OME[-1]) / CASSCF_OME[-1] < 0.10
    assert np.all(np.abs(bare[1:] - CASSCF_OME[1:]) / CASSCF_OME[1:] < 0.45)
    assert np.abs(bare - CASSCF_OME).mean() < 0.2 * CASSCF_OME[-1]
    assert shielded[-1] < bare[-1]
    assert CFConfig().radial == "bare"
    assert np.abs(bare - CASSCF_OME).mean() < np.abs(shielded - CASSCF_OME).mean()


@pytest.mark.needs_xtb
def test_estimate_on_unrelaxed_template_computes_charges_and_says_so():
    est = estimate(assemble("[O-]C", builder="rdkit"))
    assert est.charges_provenance == provenance.XTB_GFN2
    assert any(f.startswith("unrelaxed-template") for f in est.flags)
