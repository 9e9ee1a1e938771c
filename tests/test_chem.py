"""RDKit helpers: readable parse errors, the canonical kekulised form, donor-first SMILES."""

from __future__ import annotations

import pytest
from rdkit import Chem

from gauss_core import chem
from gauss_core.errors import InvalidSmilesError


def test_mol_from_smiles_parses_and_sanitises():
    mol = chem.mol_from_smiles("[O-]c1ccccc1")
    assert mol.GetNumAtoms() == 7 and mol.GetAtomWithIdx(0).GetFormalCharge() == -1


@pytest.mark.parametrize("smiles, message", [
    ("", "empty SMILES"),
    ("C1CC", "not valid SMILES syntax"),
    ("CC(C", "not valid SMILES syntax"),
    ("C(C)(C)(C)(C)C", "not a valid molecule"),   # pentavalent carbon
    ("c1cccc1", "not a valid molecule"),          # cannot be kekulised
])
def test_mol_from_smiles_errors_name_the_problem(smiles, message):
    with pytest.raises(InvalidSmilesError, match=message):
        chem.mol_from_smiles(smiles)


def test_canonical_kekule_is_spelling_independent_and_kekulised():
    spellings = ["[O-]c1ccccc1", "c1ccc([O-])cc1", "[O-]C1=CC=CC=C1", "C1=CC=C([O-])C=C1"]
    forms = {chem.canonical_kekule(s) for s in spellings}
    assert len(forms) == 1
    (form,) = forms
    assert not any(ch in form for ch in "cnos"), form   # no aromatic lower-case atoms
    assert chem.canonical_kekule("N[C@@H](C)O") == chem.canonical_kekule("N[C@H](C)O")  # stereo dropped
    assert chem.canonical_kekule("C1CC") is None


def test_donor_first_smiles_starts_with_the_donor():
    mol = Chem.MolFromSmiles("CC(O)CN")
    for idx, symbol in ((2, "O"), (4, "N")):
        rooted = chem.donor_first_smiles(mol, idx)
        assert rooted.startswith(symbol)
        again = Chem.MolFromSmiles(rooted)
        assert again.GetAtomWithIdx(0).GetSymbol() == symbol
        assert chem.canonical_kekule(rooted) == chem.canonical_kekule("CC(O)CN")


def test_donor_first_smiles_is_the_same_for_symmetry_equivalent_atoms():
    mol = Chem.MolFromSmiles("OCCO")
    assert chem.donor_first_smiles(mol, 0) == chem.donor_first_smiles(mol, 3)


def test_mol_from_smiles_rejects_text_after_whitespace() -> None:
    # RDKit would silently read "O && touch x" as water named "&& touch x".
    import pytest

    from gauss_core.chem import mol_from_smiles
    from gauss_core.errors import InvalidSmilesError

    with pytest.raises(InvalidSmilesError, match="whitespace"):
        mol_from_smiles("O && touch x")
    assert mol_from_smiles(" [O-]C ").GetNumAtoms() == 2


def test_morgan_bits_are_boolean_rows_and_empty_for_an_unparsable_smiles():
    bits = chem.morgan_bits(["[O-]C", "[O-]CC", "not a smiles"], n_bits=512)
    assert bits.shape == (3, 512) and bits.dtype == bool
    assert bits[0].any() and bits[1].any() and not bits[2].any()
    assert not (bits[0] == bits[1]).all()  # methoxide and ethoxide differ
