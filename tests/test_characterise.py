"""The one characterisation pipeline (gauss_core.kd.characterise): real RDKit/molSimplify assembly, real GFN2-xTB,
the real point-charge and calibrated estimates; the same numbers whichever caller runs it."""

from __future__ import annotations

import numpy as np
import pytest

from gauss_core import provenance
from gauss_core.complexes import assemble, descriptors
from gauss_core.errors import GaussError
from gauss_core.kd import estimate
from gauss_core.kd.characterise import build_geometry, characterise
from gauss_core.kd.estimate import with_charges
from gauss_core.ligands.validate import LigandRejectedError


def test_refused_ligand_stops_before_any_3d_work():
    with pytest.raises(LigandRejectedError, match="radical"):
        build_geometry("[O]C", "none")
    with pytest.raises(GaussError, match="unknown relaxation"):
        build_geometry("[O-]C", "sideways")


@pytest.mark.needs_xtb
def test_template_pipeline_equals_the_steps_by_hand():
    result = characterise("[O-]C", "none", builder="rdkit")
    by_hand = with_charges(assemble("[O-]C", builder="rdkit"))
    est = estimate(by_hand)
    assert result.complex.geometry_provenance == by_hand.geometry_provenance
    assert result.descriptors == pytest.approx(descriptors(by_hand))
    assert result.estimate is not None and result.estimate_error is None
    assert result.estimate.provenance == provenance.CF_POINTCHARGE
    np.testing.assert_allclose(result.estimate.gaps_cm1, est.gaps_cm1, rtol=1e-6)
    assert result.seconds > 0


@pytest.mark.needs_xtb
def test_relaxed_pipeline_shares_one_geometry_between_estimators():
    from gauss_core.kd.estimate import CalibratedModel, default_calibration_path

    model = CalibratedModel.load(default_calibration_path())
    result = characterise("[O-]C", "constrained", estimators=(None, model))
    assert result.complex.geometry_provenance == "xtb-gfn2-constrained"
    point, calibrated = result.estimates
    assert point.provenance == provenance.CF_POINTCHARGE
    assert calibrated.provenance == model.name
    assert point.geometry_provenance == calibrated.geometry_provenance == "xtb-gfn2-constrained"
    assert not provenance.is_casscf(calibrated.provenance)
    geometry_only = characterise("[O-]C", "constrained", estimators=())
    assert geometry_only.estimates == [] and geometry_only.estimate is None
    # (molSimplify's build is not bit-reproducible, so the two runs are compared on what they made, not on coordinates)
    assert geometry_only.complex.geometry_provenance == "xtb-gfn2-constrained"
    assert geometry_only.descriptors == pytest.approx(descriptors(geometry_only.complex))


def test_a_dissociated_neutral_ligand_gets_a_flag_and_no_gap():
    from gauss_core.complexes import assemble
    from gauss_core.complexes.checks import run_checks
    from gauss_core.kd.estimate import estimate

    cx = assemble("OC", builder="rdkit")
    m, d = cx.coords[cx.metal_index], cx.axial_indices[0]
    frag = [i for i, f in enumerate(cx.fragment) if f == cx.fragment[d]]
    shift = (cx.coords[d] - m) / np.linalg.norm(cx.coords[d] - m) * (3.0 - np.linalg.norm(cx.coords[d] - m))
    coords = cx.coords.copy()
    coords[frag] += shift  # the whole ligand moves out along the axis to 3.0 A
    moved = run_checks(cx.copy(coords=coords))
    assert any(f.startswith("dissociated: neutral axial donor(s) at 3.00 A") for f in moved.flags)
    with pytest.raises(GaussError, match="no KD estimate .* dissociated"):
        estimate(moved)
    assert not any(f.startswith("dissociated") for f in run_checks(cx.copy()).flags)
    anion = assemble("[O-]C", builder="rdkit")  # only neutral donors count as dissociated
    far = anion.coords.copy()
    far[[i for i, f in enumerate(anion.fragment) if f == anion.fragment[anion.axial_indices[0]]]] += 0.9 * (
        anion.coords[anion.axial_indices[0]] - anion.coords[anion.metal_index]) / 2.15
    assert not any(f.startswith("dissociated") for f in run_checks(anion.copy(coords=far)).flags)
