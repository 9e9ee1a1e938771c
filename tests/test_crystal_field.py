"""Crystal-field checks against independent facts: CFcal's Stevens operators and axial Hamiltonian,
rotation invariance, hand-computable limits, and the measured CASSCF spectrum of [Dy(H2O)5(OMe)2]+."""

from __future__ import annotations

import numpy as np
import pytest
from cfcal import CF
from scipy.spatial.transform import Rotation

from gauss_core.errors import GaussError
from gauss_core.kd.crystal_field import (BOHR_PER_ANGSTROM, HARTREE_TO_CM1, R_K_A0, SIGMA_K, STEVENS_THETA, CFConfig,
                                         bkq_from_point_charges, crystal_field_from_point_charges, diagonalise,
                                         stevens_operator)

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # CFcal uses np.matrix

CFCAL_NAMES = {(2, 0): "B20", (4, 0): "B40", (6, 0): "B60", (2, 2): "B22", (4, 2): "B42", (6, 2): "B62",
               (4, 3): "B43", (6, 3): "B63", (4, 4): "B44", (6, 4): "B64", (6, 6): "B66"}


def _cfcal_matrix(**params) -> np.ndarray:
    cf = CF("Dy")
    for name, value in params.items():
        setattr(cf, name, value)
    return np.asarray(cf.CFham())


@pytest.mark.parametrize("kq", sorted(CFCAL_NAMES))
def test_stevens_operators_match_cfcal(kq):
    ours = stevens_operator(*kq)
    ref = _cfcal_matrix(**{CFCAL_NAMES[kq]: 1.0})
    assert np.allclose(ours.real, ref, atol=1e-7 * max(1.0, np.abs(ref).max()))
    assert np.abs(ours.imag).max() < 1e-9


def test_stevens_factors_match_cfcal():
    cf = CF("Dy")
    assert STEVENS_THETA[2] == pytest.approx(cf.alphaJ, rel=1e-4)
    assert STEVENS_THETA[4] == pytest.approx(cf.betaJ, rel=1e-4)
    assert STEVENS_THETA[6] == pytest.approx(cf.gammaJ, rel=1e-4)


def test_sine_operators_are_hermitian_and_traceless():
    for k in (2, 4, 6):
        for q in range(-k, 0):
            op = stevens_operator(k, q)
            assert np.allclose(op, op.conj().T)
            assert abs(np.trace(op)) < 1e-8
            assert np.abs(op.imag).max() > 0  # sine type is imaginary


def test_axial_limit_matches_cfcal():
    """Two charges on z (plus a ring of five in the xy plane) give only q = 0 and q = 5 terms; with the
    ring removed only B20, B40, B60 remain, and CFcal diagonalises the same spectrum."""
    pos = np.array([[0, 0, 2.15], [0, 0, -2.15]])
    bkq = bkq_from_point_charges(pos, np.array([-0.8, -0.8]))
    nonzero = {kq for kq, b in bkq.items() if abs(b) > 1e-10}
    assert nonzero == {(2, 0), (4, 0), (6, 0)}
    ours = diagonalise(bkq).eigenvalues_cm1
    cf = CF("Dy")
    cf.B20, cf.B40, cf.B60 = bkq[(2, 0)], bkq[(4, 0)], bkq[(6, 0)]
    cf.EFS()
    assert np.allclose(np.sort(ours), np.sort(cf.EV), atol=1e-6)


def test_b20_of_two_axial_charges_by_hand():
    """A_2^0 = -sum q_j (3 cos^2 - 1) / (2 R^3) ... for two -1 charges on z: A_2^0 = 1 / R^3 (a.u.)."""
    r = 2.2
    bkq = bkq_from_point_charges(np.array([[0, 0, r], [0, 0, -r]]), np.array([-1.0, -1.0]))
    expect = STEVENS_THETA[2] * R_K_A0[2] / (r * BOHR_PER_ANGSTROM) ** 3 * HARTREE_TO_CM1
    assert bkq[(2, 0)] == pytest.approx(expect, rel=1e-10)
    shielded = bkq_from_point_charges(np.array([[0, 0, r], [0, 0, -r]]), np.array([-1.0, -1.0]),
                                      config=CFConfig(radial="shielded"))
    assert shielded[(2, 0)] == pytest.approx(expect * (1 - SIGMA_K[2]), rel=1e-10)


def test_axial_ground_doublet_is_pure_15_2_with_g_20():
    res = crystal_field_from_point_charges(np.array([[0, 0, 2.2], [0, 0, -2.2]]), np.array([-1.0, -1.0]))
    assert res.g_tensor == pytest.approx([0.0, 0.0, 20.0], abs=1e-6)  # 2 g_J M_J = 2 * 4/3 * 15/2
    assert res.mj_composition[0, 7] == pytest.approx(1.0)
    assert np.allclose(res.mj_composition.sum(1), 1.0)
    assert len(res.energies_cm1) == 8 and len(res.gaps_cm1) == 7
    assert np.all(np.diff(res.energies_cm1) >= -1e-9)


def test_energies_invariant_under_rotation():
    rng = np.random.default_rng(3)
    pos = rng.normal(size=(12, 3))
    pos = rng.uniform(2.1, 4.0, size=(12, 1)) * pos / np.linalg.norm(pos, axis=1, keepdims=True)
    charges = rng.uniform(-0.9, 0.5, size=12)
    base = crystal_field_from_point_charges(pos, charges)
    for seed in range(3):
        rot = Rotation.random(random_state=seed).as_matrix()
        turned = crystal_field_from_point_charges(pos @ rot.T, charges)
        assert np.allclose(turned.eigenvalues_cm1, base.eigenvalues_cm1, atol=1e-8)
        assert np.allclose(turned.g_tensors, base.g_tensors, atol=1e-6)
    # and the spectrum is not trivially zero
    assert base.energies_cm1[-1] > 100


def test_centre_shift_is_equivalent():
    pos = np.array([[0, 0, 2.2], [0, 0, -2.2], [2.4, 0, 0]])
    shift = np.array([1.0, -2.0, 0.5])
    a = crystal_field_from_point_charges(pos, [-1, -1, -0.5])
    b = crystal_field_from_point_charges(pos + shift, [-1, -1, -0.5], centre_A=shift)
    assert np.allclose(a.eigenvalues_cm1, b.eigenvalues_cm1)


def test_charge_on_the_ion_is_refused():
    with pytest.raises(GaussError, match="sits on the Dy ion"):
        bkq_from_point_charges(np.zeros((1, 3)), np.array([3.0]))


def test_mj_composition_is_taken_along_the_easy_axis():
    """A tilted axial complex has the same +-15/2 ground doublet as an upright one."""
    pos = np.array([[0, 0, 2.2], [0, 0, -2.2]] + [[2.4 * np.cos(a), 2.4 * np.sin(a), 0]
                                                  for a in np.radians(np.arange(0, 360, 72))])
    charges = np.array([-0.8, -0.8] + [-0.3] * 5)
    upright = crystal_field_from_point_charges(pos, charges)
    rot = Rotation.from_euler("xy", [50, 20], degrees=True).as_matrix()
    tilted = crystal_field_from_point_charges(pos @ rot.T, charges)
    lab = crystal_field_from_point_charges(pos @ rot.T, charges, easy_axis_frame=False)
    assert np.allclose(tilted.mj_composition, upright.mj_composition, atol=1e-6)
    assert tilted.mj_composition[0, 7] > 0.99
    assert lab.mj_composition[0, 7] < 0.9  # in the lab frame the tilted doublet looks mixed
    assert np.allclose(lab.energies_cm1, tilted.energies_cm1)
