"""The donor rule tables and site kinds: every kind documented, anion kinds on hand-picked molecules."""

from __future__ import annotations

import pytest
from rdkit import Chem

from gauss_core import paths
from gauss_core.ligands import donor_kinds


def test_every_rule_kind_is_documented():
    text = (paths.REPO_ROOT / "docs" / "ligand_rules.md").read_text()
    kinds = [*donor_kinds.NEUTRAL_BASICITY, *donor_kinds.ANION_PKA]
    undocumented = [k for k in kinds if f"`{k}`" not in text and k != "charged"]
    assert not undocumented, f"docs/ligand_rules.md lacks {undocumented}"
    assert set(donor_kinds.EXCLUDED_REASONS) == {k for k, v in donor_kinds.NEUTRAL_BASICITY.items() if v is None}


@pytest.mark.parametrize("smiles, index, kind", [
    ("CC(=O)O", 3, "carboxylate_O"), ("Oc1ccccc1", 0, "phenoxide_O"), ("CC=NO", 3, "oximate_O"),
    ("CCO", 2, "alkoxide_O"), ("O=C1CCC(=O)N1", 6, "imide_N"), ("CC(N)=O", 2, "amidate_N"),
    ("c1nn[nH]n1", 3, "tetrazolide_N"), ("c1ccc(=O)[nH]c1", 5, "pyridonate_N"), ("c1cc[nH]c1", 3, "pyrrolide_N"),
    ("c1c[nH]cn1", 2, "diazolide_N"), ("CN", 1, "amido_N"), ("Nc1ccccc1", 0, "anilide_N"),
])
def test_anion_kind_names_the_acid_site(smiles, index, kind):
    mol = Chem.MolFromSmiles(smiles)
    atom = mol.GetAtomWithIdx(index)
    assert atom.GetSymbol() in "NO" and atom.GetTotalNumHs() > 0
    assert donor_kinds.anion_kind(mol, atom) == kind
    assert kind in donor_kinds.ANION_PKA
