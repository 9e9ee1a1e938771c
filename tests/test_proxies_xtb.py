"""Real xtb runs on a few small ligands; parsed numbers are checked against the output text."""

from __future__ import annotations

import re

import numpy as np
import pytest

from gauss_core.errors import InvalidSmilesError
from gauss_core.proxies.errors import XtbError
from gauss_core.proxies.fast import RAW_ALPHA_D4, RAW_MU_GFN2, RAW_Q_CM5, RAW_Q_GFN2, FastConfig, xtb_descriptors
from gauss_core.proxies.structure import embed_ligand
from gauss_core.proxies.xtb import XtbConfig, optimise, run_xtb

pytestmark = pytest.mark.needs_xtb

LIGANDS = {"[O-]C": (8, -1), "OC": (8, 0), "N1=CC=CC=C1": (7, 0), "[O-]c1ccccc1": (8, -1)}


@pytest.mark.parametrize("smiles", list(LIGANDS))
def test_embed_keeps_donor_first_and_charge(smiles):
    geometry = embed_ligand(smiles)
    z, charge = LIGANDS[smiles]
    assert geometry.donor_Z == z and geometry.charge == charge
    assert geometry.symbols[0] == {8: "O", 7: "N"}[z]
    assert geometry.coords_A.shape == (len(geometry.symbols), 3)
    # the donor has a bonded neighbour at a covalent distance (real 3D structure, not zeros)
    d = np.linalg.norm(geometry.coords_A[1:] - geometry.coords_A[0], axis=1)
    assert 0.9 < d.min() < 1.6


@pytest.mark.parametrize("smiles", ["[O-]C", "N1=CC=CC=C1"])
def test_gfn2_parse_matches_output_text(smiles, tmp_path):
    geometry = embed_ligand(smiles)
    result = run_xtb(geometry, XtbConfig(gfn=2), keep_dir=tmp_path)
    text = (tmp_path / "xtb_gfn2.out").read_text()
    # independent read of the donor row of the "covCN q C6AA alpha(0)" table: "     1   8 O   0.858 -0.634 ..."
    rows = re.findall(r"^\s+1\s+\d+\s+[A-Z][a-z]?\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$", text, re.M)
    cn, q, c6, alpha = (float(v) for v in rows[-1])
    assert result.charges_e[0] == pytest.approx(q, abs=6e-4)
    assert result.alpha0_au3[0] == pytest.approx(alpha, abs=1e-3)
    assert result.cov_cn[0] == pytest.approx(cn, abs=1e-3)
    assert result.charges_e.sum() == pytest.approx(geometry.charge, abs=2e-3)
    energy = float(re.findall(r"TOTAL ENERGY\s+(\S+)\s+Eh", text)[-1])
    assert result.energy_Eh == pytest.approx(energy)
    assert result.atomic_dipoles_au.shape == (len(geometry.symbols), 3)
    assert result.charges_e[0] < -0.1  # O/N donors carry a negative partial charge


def test_gfn1_cm5_parse_matches_output_text(tmp_path):
    geometry = embed_ligand("[O-]C")
    result = run_xtb(geometry, XtbConfig(gfn=1), keep_dir=tmp_path)
    text = (tmp_path / "xtb_gfn1.out").read_text()
    mulliken, cm5 = (float(v) for v in re.search(r"^\s+1O\s+(\S+)\s+(\S+)", text, re.M).groups())
    assert result.charges_e[0] == pytest.approx(mulliken)
    assert result.cm5_charges_e[0] == pytest.approx(cm5)
    assert result.cm5_charges_e.sum() == pytest.approx(-1.0, abs=2e-3)


def test_optimise_moves_atoms_and_lowers_energy():
    geometry = embed_ligand("OC")
    e_start = run_xtb(geometry).energy_Eh
    relaxed = optimise(geometry)
    assert relaxed.method.endswith("gfn2-opt")
    assert run_xtb(relaxed).energy_Eh <= e_start + 1e-6
    assert not np.allclose(relaxed.coords_A, geometry.coords_A)


def test_descriptors_order_anion_below_neutral():
    anion = xtb_descriptors("[O-]C", FastConfig(optimise=True, gfn1=True))
    neutral = xtb_descriptors("OC", FastConfig(optimise=True, gfn1=True))
    assert anion["donor_Z"] == 8 and anion["ligand_charge"] == -1
    assert anion[RAW_Q_GFN2] < neutral[RAW_Q_GFN2]
    assert anion[RAW_Q_CM5] < neutral[RAW_Q_CM5]
    assert anion[RAW_ALPHA_D4] > neutral[RAW_ALPHA_D4] > 0  # the anion's donor is softer
    assert anion[RAW_MU_GFN2] > 0


def test_invalid_smiles_raises():
    with pytest.raises(InvalidSmilesError):
        xtb_descriptors("C1CC")


def test_unconverged_scc_is_an_xtb_error():
    with pytest.raises(XtbError, match="did not converge"):
        xtb_descriptors("[O-]c1ccccc1", FastConfig(max_scc_iterations=2))


def test_radical_is_rejected():
    with pytest.raises(XtbError, match="odd number of electrons"):
        xtb_descriptors("[CH3]")


def test_unsupported_element_is_an_xtb_error():
    with pytest.raises(XtbError, match="not supported"):
        xtb_descriptors("O[Si](C)(C)C".replace("Si", "Ge"))


def test_tblite_backend_matches_the_xtb_program():
    from gauss_core.proxies.tb import gfn2_singlepoint, tblite_available

    if not tblite_available():
        pytest.skip("tblite/dftd4 not installed")
    for smiles in ("[O-]C", "N1=CC=CC=C1"):
        geometry = embed_ligand(smiles)
        program = run_xtb(geometry, XtbConfig(gfn=2))
        library = gfn2_singlepoint(geometry)
        # same Hamiltonian and parameters: Mulliken charges, atomic dipoles and the gap agree
        assert library.charges_e == pytest.approx(program.charges_e, abs=2e-3)
        assert library.atomic_dipole_norms_au[0] == pytest.approx(
            np.linalg.norm(program.atomic_dipoles_au[0]), abs=2e-3)
        assert library.homo_lumo_gap_eV == pytest.approx(program.homo_lumo_gap_eV, abs=0.01)
        # D4 alpha(0): D4's EEQ charges instead of GFN2's, so close but not identical
        assert library.alpha0_au3[0] == pytest.approx(program.alpha0_au3[0], rel=0.1)


def test_fast_path_backends_give_the_same_charge():
    a = xtb_descriptors("OC", FastConfig(optimise=False, gfn1=False, backend="xtb"))
    b = xtb_descriptors("OC", FastConfig(optimise=False, gfn1=False, backend="auto"))
    assert a["gfn2_backend"] == "xtb"
    assert a[RAW_Q_GFN2] == pytest.approx(b[RAW_Q_GFN2], abs=2e-3)


def test_tblite_unconverged_scc_is_an_xtb_error():
    from gauss_core.proxies.tb import gfn2_singlepoint, tblite_available

    if not tblite_available():
        pytest.skip("tblite/dftd4 not installed")
    with pytest.raises(XtbError):
        gfn2_singlepoint(embed_ligand("[O-]c1ccccc1"), max_scc_iterations=2)
