"""Ligand set: donor rules on hand-picked molecules, the QM9 build, and the bundled set's invariants."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest
from rdkit import Chem

from gauss_core import chem, columns, paths
from gauss_core.errors import DataFormatError
from gauss_core.ligands import BuildConfig, build_ligand_set, ligand_class, load_ligand_set
from gauss_core.ligands import donors
from gauss_core.ligands.build import ligands_from_smiles


@pytest.fixture(scope="module")
def bundled() -> pd.DataFrame:
    return load_ligand_set()


def kinds_of(smiles: str) -> dict[str, str]:
    """site kind of every N/O atom, keyed by '<symbol><index>'."""
    mol = Chem.MolFromSmiles(smiles)
    return {f"{a.GetSymbol()}{a.GetIdx()}": donors.site_kind(mol, a) for a in mol.GetAtoms() if a.GetSymbol() in "NO"}


def ligands(smiles: str) -> set[tuple[str, int]]:
    """(donor-first SMILES, class) of every ligand the rules make from one molecule."""
    sites, reason = ligands_from_smiles(smiles)
    return {(s.smiles, ligand_class(s.donor_element, s.charge)) for s in sites}


# --- rules on hand-picked molecules -------------------------------------------------------------

def test_amide_n_is_excluded_and_amide_o_is_the_neutral_donor():
    assert kinds_of("CC(=O)NC") == {"O2": "amide_O", "N3": "amide_N"}
    assert donors.NEUTRAL_BASICITY["amide_N"] is None
    neutral = {s for s in ligands("CC(=O)NC") if s[1] in (1, 2)}
    assert neutral == {("O=C(C)NC", 1)}


def test_pyrrole_nh_is_no_neutral_donor_but_gives_a_pyrrolide_anion():
    assert kinds_of("c1cc[nH]c1") == {"N3": "pyrrole_N"}
    assert ligands("c1cc[nH]c1") == {("[n-]1cccc1", 4)}


def test_pyridine_n_is_a_neutral_n_donor_with_no_anion():
    assert ligands("c1ccncc1") == {("n1ccccc1", 2)}


def test_nitro_n_and_charged_atoms_are_never_donors():
    kinds = kinds_of("C[N+](=O)[O-]")
    assert kinds == {"N1": "charged", "O2": "nitro_O", "O3": "charged"}
    assert donors.NEUTRAL_BASICITY["charged"] is None
    # A nitro compound still gives ligands from its other atoms (here only the pyrrolide anion) ...
    assert ligands("O=N(=O)c1ccc[nH]1") == {("[n-]1cccc1[N+](=O)[O-]", 4)}
    # ... but molecules with separated charges (QM9's zwitterions) give none at all.
    assert ligands_from_smiles("[NH3+]CC([O-])=O") == ([], "zwitterion or ylide (formal charges)")


def test_phenoxide_alkoxide_and_amide_anion_classes():
    assert ("[O-]c1ccccc1", 3) in ligands("Oc1ccccc1")
    assert ("[O-]CC", 3) in ligands("CCO")
    assert ("[NH-]C", 4) in ligands("CN")
    assert ("[NH-]C(C)=O", 4) in ligands("CC(N)=O")


def test_anion_only_at_the_most_acidic_site():
    # Ethanolamine: the alkoxide (pKa ~16), not the amide anion (pKa ~36).
    assert {s for s in ligands("NCCO") if s[1] >= 3} == {("[O-]CCN", 3)}
    # Glycine: the carboxylate.
    assert {s for s in ligands("NCC(=O)O") if s[1] >= 3} == {("[O-]C(=O)CN", 3)}


def test_neutral_donor_is_the_most_basic_site():
    # Ethanolamine binds through the amine N (pKBHX 2.2 > alcohol O 1.0).
    assert {s for s in ligands("NCCO") if s[1] <= 2} == {("NCCO", 2)}
    # Methyl acetate: the carbonyl O, never the alkoxy O.
    assert kinds_of("COC(C)=O")["O1"] == "acyloxy_O"
    assert {s for s in ligands("COC(C)=O")} == {("O=C(C)OC", 1)}
    assert ligands("CC#N") == {("N#CC", 2)}
    assert ligands("CCOCC") == {("O(CC)CC", 1)}


def test_ring_heteroatoms_set_the_aromatic_n_basicity():
    assert kinds_of("Cn1ccnc1") == {"N1": "pyrrole_N", "N4": "imidazole_N"}
    assert kinds_of("c1cnoc1")["N2"] == "isoxazole_N"
    assert kinds_of("c1cncnc1")["N2"] == "diazine_N"
    assert set(kinds_of("c1nn[nH]n1").values()) == {"polyazole_N", "pyrrole_N"}
    # 1-methylimidazole binds through N3; an isoxazole N loses to an ether O in the same molecule.
    assert ligands("Cn1ccnc1") == {("n1ccn(C)c1", 2)}
    assert ligands("COCc1ccon1") == {("O(C)Cc1ccon1", 1)}


def test_symmetry_equivalent_donors_collapse():
    assert ligands("OCCO") == {("OCCO", 1), ("[O-]CCO", 3)}
    assert len(ligands("C1COCCO1")) == 1   # 1,4-dioxane: one ether ligand


def test_ligand_class_mapping():
    assert [ligand_class(e, q) for e, q in (("O", 0), ("N", 0), ("O", -1), ("N", -1))] == [1, 2, 3, 4]
    with pytest.raises(ValueError, match="donors are N/O"):
        ligand_class("C", 0)
    with pytest.raises(ValueError):
        ligand_class("O", 1)


# --- the build on real QM9 rows -----------------------------------------------------------------

def test_small_build_matches_the_bundled_set(bundled):
    result = build_ligand_set(BuildConfig(limit=400, workers=2, chunk_size=100, progress=False))
    frame = result.frame
    assert list(frame.columns) == list(columns.LIGAND_COLUMNS)
    assert frame[columns.SMILES].is_unique
    expected = bundled[bundled[columns.QM9_INDEX] <= frame[columns.QM9_INDEX].max()]
    assert sorted(frame[columns.SMILES]) == sorted(expected[columns.SMILES])
    counts = result.counts()
    assert counts["total"] == len(frame) == counts["neutral"] + counts["anionic"]
    assert "paper" in result.counts_table()


def test_build_reports_a_missing_qm9_file(tmp_path):
    with pytest.raises(DataFormatError, match="--qm9"):
        build_ligand_set(BuildConfig(qm9_path=tmp_path / "none.csv.gz", progress=False))


# --- the bundled set ----------------------------------------------------------------------------

def test_bundled_set_columns_and_consistency(bundled):
    assert list(bundled.columns) == list(columns.LIGAND_COLUMNS)
    assert bundled[columns.SMILES].is_unique
    assert bundled[columns.LIGAND_ID].is_unique
    assert set(bundled[columns.LIGAND_CLASS]) == {1, 2, 3, 4}
    expected_class = (bundled[columns.DONOR_ELEMENT].map({"O": 1, "N": 2})
                      + 2 * (bundled[columns.CHARGE] == -1))
    assert (expected_class == bundled[columns.LIGAND_CLASS]).all()
    assert (bundled[columns.DONOR_Z] == bundled[columns.DONOR_ELEMENT].map({"O": 8, "N": 7})).all()
    assert bundled[columns.QM9_INDEX].between(1, 133_885).all()
    assert bundled[columns.CANONICAL].str.len().gt(0).all()


@pytest.mark.slow  # ~10 s idle, 24 s on the shared machine under load
def test_donor_first_invariant_for_every_row(bundled):
    """Atom 0 of every SMILES is the donor: right element, charge -1 for anions and 0 for neutrals,
    and the ligand's net charge equals the donor's. Element and formal charges are parse-level facts, so
    the SMILES are parsed without sanitisation (4-5x faster); validity is checked on a sample below and
    for every row by the non-empty canonical_smiles, which the build made from a sanitised molecule."""
    bad = []
    for smi, element, charge in zip(bundled[columns.SMILES], bundled[columns.DONOR_ELEMENT], bundled[columns.CHARGE],
                                    strict=True):
        mol = Chem.MolFromSmiles(smi, sanitize=False)
        if mol is None:
            bad.append((smi, "does not parse"))
            continue
        first = mol.GetAtomWithIdx(0)
        net = sum(a.GetFormalCharge() for a in mol.GetAtoms())
        if first.GetSymbol() != element or first.GetFormalCharge() != charge or net != charge:
            bad.append((smi, element, charge))
    assert not bad, f"{len(bad)} rows break the donor-first invariant, e.g. {bad[:5]}"


def test_sampled_rows_are_valid_molecules_with_the_stored_canonical_form(bundled):
    sample = bundled.sample(3000, random_state=0)
    for smi, canonical in zip(sample[columns.SMILES], sample[columns.CANONICAL], strict=False):
        assert Chem.MolFromSmiles(smi) is not None, smi
        assert chem.canonical_kekule(smi) == canonical, smi


def test_load_ligand_set_errors(tmp_path):
    with pytest.raises(DataFormatError, match="gauss ligands build"):
        load_ligand_set(tmp_path / "missing.csv.gz")
    wrong = tmp_path / "wrong.csv.gz"
    with gzip.open(wrong, "wt") as fh:
        fh.write("smiles,charge\nOCC,0\n")
    with pytest.raises(DataFormatError, match="donor_element"):
        load_ligand_set(wrong)


def test_bundled_set_is_in_the_paths_module():
    assert paths.LIGAND_SET.exists(), "assets/ligands/ligands.csv.gz must ship with the repository"


def test_window_sensitivity_grows_with_the_window():
    from gauss_core.ligands.build import window_sensitivity

    counts = window_sensitivity(BuildConfig(limit=300, workers=1, progress=False),
                                neutral_windows=(0.0, 0.5, float("inf")), anion_windows=(0.0, float("inf")))
    assert counts["neutral_0"] <= counts["neutral_0.5"] <= counts["neutral_inf"] <= counts["neutral_all_NO"]
    assert counts["anion_0"] <= counts["anion_inf"]
    assert counts["neutral_inf"] < counts["neutral_all_NO"]     # exclusions remove some N/O atoms


def test_cli_build_and_stats(tmp_path, capsys):
    from gauss_core.cli import main as gauss_main

    out = tmp_path / "small.csv.gz"
    assert gauss_main(["ligands", "build", "--limit", "200", "--workers", "1", "--no-progress", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "~136,000" in printed and "~72,000" in printed and "neutral O" in printed
    assert gauss_main(["ligands", "stats", "--path", str(out)]) == 0
    assert "class 3 anionic O" in capsys.readouterr().out
    assert len(load_ligand_set(out)) > 150


def test_written_set_is_byte_reproducible(tmp_path):
    from gauss_core.ligands import write_ligand_set

    frame = build_ligand_set(BuildConfig(limit=150, workers=1, progress=False)).frame
    write_ligand_set(frame, tmp_path / "a.csv.gz")
    write_ligand_set(frame, tmp_path / "sub" / "b.csv.gz")
    assert (tmp_path / "a.csv.gz").read_bytes() == (tmp_path / "sub" / "b.csv.gz").read_bytes()
    assert load_ligand_set(tmp_path / "a.csv.gz").equals(load_ligand_set(tmp_path / "sub" / "b.csv.gz"))
