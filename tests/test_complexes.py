"""Assembly, checks, descriptors and export of [Dy(H2O)5L2]+ (no xtb here; see test_complexes_relax.py)."""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem

from gauss_core.columns import STRUCT_COLUMNS
from gauss_core.complexes import AssemblyError, assemble, descriptors, export, is_clean, run_checks
from gauss_core.complexes.descriptors import mpp_sdp
from gauss_core.errors import GaussError, InvalidSmilesError

TBU_PHENOXIDE = "[O-]c1c(C(C)(C)C)cccc1C(C)(C)C"


@pytest.fixture(scope="module")
def ome_rdkit():
    return assemble("[O-]C", builder="rdkit")


@pytest.mark.parametrize("builder", ["molsimplify", "rdkit"])
def test_template_has_seven_donors_and_linear_axis(builder):
    cx = assemble("[O-]C", builder=builder)
    assert cx.builder == builder and cx.geometry_provenance == builder
    assert cx.charge == 1 and cx.ligand_charge == -1 and cx.multiplicity == 6
    assert cx.symbols[cx.metal_index] == "Dy"
    assert len(cx.donor_indices) == 7
    assert [cx.symbols[i] for i in cx.donor_indices] == ["O"] * 7
    assert cx.checks["n_donors"] == 7
    assert cx.checks["angle_L_Dy_L_deg"] == pytest.approx(180.0, abs=0.5)
    assert is_clean(cx), cx.flags
    # the five water O lie in a plane at 72 degree steps around Dy
    m = cx.coords[cx.metal_index]
    w = cx.coords[cx.water_o_indices] - m
    angles = np.sort(np.degrees(np.arctan2(w[:, 1], w[:, 0])) % 360)
    assert np.allclose(np.diff(angles), 72.0, atol=0.5)
    # the axial ligands are the SMILES: 2 x (O, C, 3 H)
    assert cx.n_atoms == 1 + 15 + 2 * 5


@pytest.mark.parametrize("smiles,charge", [("n1ccccc1", 3), ("O=C(C)C", 3), ("[N-]C(=O)C", 1), ("NC", 3)])
def test_charges_and_donors_of_other_classes(smiles, charge):
    cx = assemble(smiles)  # auto: molSimplify, RDKit if molSimplify fails
    assert cx.charge == charge
    assert cx.symbols[cx.axial_indices[0]] == smiles.lstrip("[")[0].upper()
    assert cx.checks["n_donors"] == 7
    assert is_clean(cx), cx.flags


@pytest.mark.parametrize("builder", ["molsimplify", "rdkit"])
def test_tert_butyl_phenoxide_clash_is_flagged(builder):
    cx = assemble(TBU_PHENOXIDE, builder=builder)
    assert any(f.startswith("clash") for f in cx.flags), cx.flags
    assert not is_clean(cx)
    assert cx.checks["n_clashes"] >= 1


def test_molsimplify_leaves_numpy_error_handling_as_it_was():
    """molSimplify's import sets numpy to raise on every underflow, process-wide; the KD surrogate's GP fit
    (and PySCF) in the same process then failed with FloatingPointError."""
    import numpy as np

    before = np.geterr()
    assemble("[O-]C", builder="molsimplify")
    assert np.geterr() == before and before["under"] != "raise"


def test_molsimplify_handles_strained_rings_and_anionic_nh():
    # strained polycycle: perceived 1,3 contacts must not reject molSimplify's ligand
    assert assemble("O1CC2(C#N)CC(O)C12", builder="molsimplify").checks["n_donors"] == 7
    # the N-H of an amidate is kept (molSimplify would strip it without -keepHs)
    cx = assemble("[NH-]C(=O)C", builder="molsimplify")
    assert cx.n_atoms == 1 + 15 + 2 * 8 and cx.charge == 1


def test_plain_phenoxide_does_not_clash():
    cx = assemble("[O-]c1ccccc1", builder="rdkit")
    assert not any(f.startswith("clash") for f in cx.flags)


def test_lost_donor_chelation_and_proton_transfer_are_flagged():
    cx = assemble("[O-]COC", builder="rdkit")
    m = cx.coords[cx.metal_index]
    # pull one axial donor away
    lost = cx.copy()
    d = lost.axial_indices[0]
    lost.coords[d] = m + (lost.coords[d] - m) * 3.4 / np.linalg.norm(lost.coords[d] - m)
    run_checks(lost)
    assert lost.checks["n_donors"] == 6 and any(f.startswith("lost-donor") for f in lost.flags)
    # bring the ether O of ligand 1 next to Dy
    chel = cx.copy()
    ether = [i for i in chel.fragment_atoms(6) if chel.symbols[i] == "O" and i not in chel.donor_indices][0]
    chel.coords[ether] = m + np.array([0.0, 2.6, 1.2]) / np.linalg.norm([0.0, 2.6, 1.2]) * 2.6
    run_checks(chel)
    assert any(f.startswith("chelation") for f in chel.flags)
    # move a water proton onto the axial donor
    pt = cx.copy()
    h = pt.fragment_atoms(1)[1]
    donor = pt.coords[pt.axial_indices[0]]
    pt.coords[h] = donor + np.array([0.98, 0.0, 0.0])
    run_checks(pt)
    assert any(f.startswith("proton-transfer") for f in pt.flags)
    # and a bent axis
    bent = cx.copy()
    d = bent.axial_indices[1]
    r = np.linalg.norm(bent.coords[d] - m)
    bent.coords[d] = m + r * np.array([np.sin(np.radians(35)), 0, -np.cos(np.radians(35))])
    run_checks(bent)
    assert bent.checks["angle_L_Dy_L_deg"] == pytest.approx(145.0, abs=0.1)
    assert any(f.startswith("bent-axis") for f in bent.flags)


def test_bad_ligands_raise_gauss_errors():
    with pytest.raises(InvalidSmilesError):
        assemble("C1CC")
    with pytest.raises(AssemblyError, match="donor-first"):
        assemble("CO")
    with pytest.raises(AssemblyError, match="charge"):
        assemble("[O-]C[O-]")
    with pytest.raises(GaussError, match="unknown builder"):
        assemble("[O-]C", builder="nope")
    # a lone donor atom (an LP sample like '[N-]') assembles instead of raising numpy's "zero-size array"
    # ValueError from the clearance search; radicals are refused earlier, by ligands.validate
    for builder in ("rdkit", "auto"):
        assert assemble("[N-]", builder=builder).n_atoms == 18
    assert assemble("[OH-]", builder="rdkit").n_atoms == 20


def test_descriptors_on_hand_checkable_geometry(ome_rdkit):
    """Water O at z = a cos(144 k) on a regular pentagon: the LSQ plane is z = 0 (the pattern is orthogonal
    to 1, cos, sin of the ring angle), so d_k = z_k, MPP = a / sqrt(2), SDP = a (1 + cos 36)."""
    cx = ome_rdkit.copy()
    a = 0.2
    for k, i in enumerate(cx.water_o_indices):
        phi = np.radians(72 * k)
        cx.coords[i] = [2.4 * np.cos(phi), 2.4 * np.sin(phi), a * np.cos(np.radians(144 * k))]
    top, bottom = cx.axial_indices
    cx.coords[top] = [0, 0, 2.2]
    cx.coords[bottom] = 2.3 * np.array([np.sin(np.radians(10)), 0, -np.cos(np.radians(10))])
    d = descriptors(cx)
    assert tuple(d) == STRUCT_COLUMNS
    assert d["struct_class"] == 3  # anionic O
    assert d["mpp_A"] == pytest.approx(a / np.sqrt(2), rel=1e-9)
    assert d["sdp_A"] == pytest.approx(a * (1 + np.cos(np.radians(36))), rel=1e-9)
    assert d["angle_L_Dy_L_deg"] == pytest.approx(170.0, abs=1e-9)
    assert (d["r_Dy_L1_A"], d["r_Dy_L2_A"]) == pytest.approx((2.2, 2.3))
    # rigid motion changes nothing
    from scipy.spatial.transform import Rotation
    moved = cx.copy(coords=cx.coords @ Rotation.random(random_state=4).as_matrix().T + np.array([3.0, -1.0, 7.0]))
    for key, value in descriptors(moved).items():
        assert value == pytest.approx(d[key], abs=1e-9)
    # the paper's paraphrase (sum of |d|) is available too
    mpp_sum, _ = mpp_sdp(cx.coords[cx.water_o_indices], "sum_abs")
    assert mpp_sum == pytest.approx(a * (1 + 2 * np.cos(np.radians(36)) + 2 * np.cos(np.radians(72))))


def test_planar_template_descriptors(ome_rdkit):
    d = descriptors(ome_rdkit)
    assert d["mpp_A"] == pytest.approx(0.0, abs=1e-9) and d["sdp_A"] == pytest.approx(0.0, abs=1e-9)
    assert d["r_Dy_L1_A"] == pytest.approx(2.15)


def test_export_round_trips(ome_rdkit):
    cx = ome_rdkit
    xyz = export(cx, "xyz").splitlines()
    assert int(xyz[0]) == cx.n_atoms and "geometry=rdkit" in xyz[1]
    coords = np.array([[float(v) for v in ln.split()[1:]] for ln in xyz[2:]])
    assert np.allclose(coords, cx.coords, atol=1e-7)

    sdf = export(cx, "sdf")
    mol = Chem.MolFromMolBlock(sdf.split("$$$$")[0], removeHs=False, sanitize=False)
    assert mol.GetNumAtoms() == cx.n_atoms
    assert mol.GetNumBonds() == len(cx.bonds) + 7  # fragment bonds + 7 dative Dy-donor bonds
    assert sum(b.GetBondType() == Chem.BondType.DATIVE for b in mol.GetBonds()) == 7
    assert "geometry_provenance" in sdf

    from openbabel import pybel
    mol2 = export(cx, "mol2")
    ob = pybel.readstring("mol2", mol2)
    assert ob.OBMol.NumAtoms() == cx.n_atoms
    assert ob.OBMol.NumBonds() == len(cx.bonds) + 7
    with pytest.raises(GaussError, match="unknown export format"):
        export(cx, "pdb")


def test_mol2_is_open_babels_and_keeps_the_metal_bonds(ome_rdkit):
    from openbabel import pybel

    text = export(ome_rdkit, "mol2")
    ob = pybel.readstring("mol2", text)
    assert ob.OBMol.NumAtoms() == ome_rdkit.n_atoms
    dy = [a for a in ob.atoms if a.atomicnum == 66]
    assert len(dy) == 1 and dy[0].OBAtom.GetExplicitDegree() == 7        # the 7 Dy-donor bonds survive
    assert text.splitlines()[4] == "NO_CHARGES"                         # not Open Babel's GASTEIGER label
    assert sorted(r.name for r in ob.residues) == ["DY1", *(f"HOH{k}" for k in range(2, 7)), "LG17", "LG28"]


def test_aromatic_ligand_export_keeps_bond_orders():
    cx = assemble("n1ccccc1", builder="rdkit")
    mol = Chem.MolFromMolBlock(export(cx, "sdf").split("$$$$")[0], removeHs=False, sanitize=False)
    ring_orders = sorted(b.GetBondTypeAsDouble() for b in mol.GetBonds()
                         if b.GetBeginAtom().GetSymbol() in "CN" and b.GetEndAtom().GetSymbol() in "CN")
    assert ring_orders == [1.0] * 6 + [2.0] * 6  # two Kekule pyridines
    assert " N.ar " in export(cx, "mol2")
