"""OpenMolcas CASSCF(9,7)+SO input writer: the recipe, the structure checks and the settings' checks."""

from __future__ import annotations

import re

import pytest

from gauss_core.errors import GaussError
from gauss_core.jobs.geometry import idealised_dy_water5_methoxide2
from gauss_core.kd import molcas_input as mc


def test_idealised_geometry_is_a_pentagonal_bipyramid():
    s = idealised_dy_water5_methoxide2()
    assert s.symbols.count("Dy") == 1 and len(s.symbols) == 26 and s.charge == 1
    assert s.n_electrons() == 149
    dy = s.coords[0]
    dists = sorted(round(((x - dy[0]) ** 2 + (y - dy[1]) ** 2 + (z - dy[2]) ** 2) ** 0.5, 3)
                   for sym, (x, y, z) in zip(s.symbols, s.coords, strict=False) if sym == "O")
    assert dists == [2.15, 2.15, 2.4, 2.4, 2.4, 2.4, 2.4]


def test_input_has_the_recipe():
    text = mc.write_molcas_input(idealised_dy_water5_methoxide2())
    for needle in ("&GATEWAY", "Group = NoSym", "RICD", "AMFI", "ANGM = 0.00000000 0.00000000 0.00000000",
                   "&SEWARD", "&GUESSORB", ">> COPY $Project.GssOrb INPORB", "LUMORB", "Spin = 6",
                   "Nactel = 9 0 0", "Ras2 = 7", "CIRoot = 21 21 1", "Inactive = 70", "Charge = 1",
                   ">> COPY $Project.JobIph JOB001", "Spin Orbit", "Ejob", "MEES", "'AngMom' 3",
                   "&SINGLE_ANISO", "2 2 2 2 2 2 2 2", "CRYS", "Basis = ANO-RCC-VDZP, Dy.ANO-RCC-VDZP",
                   "MAXORB = 1", "CDThreshold = 1.0d-03"):
        assert needle in text, needle
    loose = mc.write_molcas_input(idealised_dy_water5_methoxide2(), mc.MolcasCasscfConfig(cd_threshold=1e-4))
    assert "CDThreshold = 1.0d-04" in loose
    with pytest.raises(mc.MolcasInputError, match="cd_threshold"):
        mc.write_molcas_input(idealised_dy_water5_methoxide2(), mc.MolcasCasscfConfig(cd_threshold=0.5))
    # The coordinate block lists every atom once.
    assert len(re.findall(r"^  (Dy|O|C|H) ", text, re.M)) == 26


def test_angular_momentum_origin_follows_dy():
    s = idealised_dy_water5_methoxide2()
    shifted = mc.XyzStructure(s.symbols, [(x + 1.0, y - 2.0, z + 0.5) for x, y, z in s.coords], s.charge)
    assert "ANGM = 1.00000000 -2.00000000 0.50000000 Angstrom" in mc.write_molcas_input(shifted)


@pytest.mark.parametrize("change, message", [
    (lambda s: mc.XyzStructure(["Xe" if x == "C" else x for x in s.symbols], s.coords, s.charge), "atomic number"),
    (lambda s: mc.XyzStructure([x for x in s.symbols if x != "Dy"], s.coords[1:], s.charge), "exactly one Dy"),
    (lambda s: mc.XyzStructure(s.symbols, s.coords, 0), "odd total"),
])
def test_bad_structures_are_refused_with_a_fix(change, message):
    with pytest.raises(mc.MolcasInputError, match=message):
        mc.write_molcas_input(change(idealised_dy_water5_methoxide2()))


def test_bad_basis_and_roots_are_refused():
    s = idealised_dy_water5_methoxide2()
    with pytest.raises(GaussError, match="ANO-RCC"):
        mc.write_molcas_input(s, mc.MolcasCasscfConfig(dy_basis="def2-SVP"))
    with pytest.raises(GaussError, match="1..21"):
        mc.write_molcas_input(s, mc.MolcasCasscfConfig(n_roots=30))


def test_structure_from_complex_like_object():
    class Cx:
        symbols = ["Dy", "O"]
        coords = [[0, 0, 0], [0, 0, 2.2]]
        charge = 3
        ligand_smiles = "O"
    s = mc.structure_from(Cx())
    assert s.coords[1] == (0.0, 0.0, 2.2) and s.charge == 3 and s.title == "O"
    with pytest.raises(mc.MolcasInputError):
        mc.structure_from(object())


def test_donor_vdzp_puts_vdzp_on_the_two_axial_donors_only():
    # Catches a donor pick that takes a water oxygen (2.4 A, equatorial) instead of the trans pair at 2.15 A.
    text = mc.write_molcas_input(idealised_dy_water5_methoxide2(), mc.MolcasCasscfConfig(ligand_basis="donor-VDZP"))
    blocks = re.findall(r"  Basis set\n  (\S+)\n(.*?)  End of basis", text, re.S)
    members = {label: [ln.split()[0] for ln in body.splitlines()] for label, body in blocks}
    assert members["O.ANO-RCC-VDZP"] == ["O17", "O22"]
    assert len(members["O.ANO-RCC-MB"]) == 5 and members["Dy.ANO-RCC-VDZP"] == ["Dy1"]
    assert sum(len(v) for v in members.values()) == 26
    # The native blocks refuse the XYZ-path keyword Group (OpenMolcas: "COORD keyword is not found").
    assert "Group" not in text and "Coord" not in text


def test_shell_vdzp_puts_vdzp_on_the_whole_first_shell_and_its_hydrogens():
    """shell-VDZP: the two axial donors, the five water O and the ten water H get VDZP; the methyl C and H of
    the methoxides (beyond the first shell) keep MB."""
    text = mc.write_molcas_input(idealised_dy_water5_methoxide2(), mc.MolcasCasscfConfig(ligand_basis="shell-VDZP"))
    blocks = re.findall(r"  Basis set\n  (\S+)\n(.*?)  End of basis", text, re.S)
    members = {label: [ln.split()[0] for ln in body.splitlines()] for label, body in blocks}
    assert len(members["O.ANO-RCC-VDZP"]) == 7 and "O.ANO-RCC-MB" not in members
    assert len(members["H.ANO-RCC-VDZP"]) == 10 and len(members["H.ANO-RCC-MB"]) == 6
    assert members["C.ANO-RCC-MB"] and "C.ANO-RCC-VDZP" not in members
    assert sum(len(v) for v in members.values()) == 26


def test_donor_vdzp_needs_an_axial_pair():
    s = mc.XyzStructure(["Dy", "O", "O"], [(0, 0, 0), (2.2, 0, 0), (0, 2.2, 0)], 1)
    with pytest.raises(mc.MolcasInputError, match="trans pair"):
        mc.axial_donor_indices(s)


def test_xyz_round_trip_keeps_charge_and_coordinates():
    s = idealised_dy_water5_methoxide2()
    back = mc.read_xyz_structure(s.to_xyz())
    assert back.symbols == s.symbols and back.charge == s.charge
    assert max(abs(a - b) for p, q in zip(back.coords, s.coords, strict=True) for a, b in zip(p, q, strict=True)) < 1e-7
    with pytest.raises(mc.MolcasInputError, match="charge=N"):
        mc.read_xyz_structure("3\nno charge here\n")


def test_casscf_basis_choices_are_checked_on_enqueue():
    from gauss_core.jobs.kinds import resolve_params

    assert resolve_params("casscf", {"ligand_basis": "donor-VDZP"})["ligand_basis"] == "donor-VDZP"
    assert resolve_params("casscf", {"ligand_basis": "shell-VDZP"})["ligand_basis"] == "shell-VDZP"
    with pytest.raises(GaussError, match="ligand_basis"):
        resolve_params("casscf", {"ligand_basis": "donor-VTZP"})
