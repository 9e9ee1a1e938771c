"""User imports: ligand CSV with per-row errors, and the authors' labelled whitespace layouts."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from gauss_core import columns, provenance
from gauss_core.cli import main as gauss_main
from gauss_core.errors import DataFormatError
from gauss_core.ligands import import_labelled_dataset, import_ligand_csv

DATA = Path(__file__).parent / "data"


# --- ligand CSV ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def user_import():
    return import_ligand_csv(DATA / "ligands_user.csv")


def test_csv_good_rows_import_rerooted_at_the_donor(user_import):
    frame = user_import.frame.set_index(columns.LIGAND_ID)
    assert list(user_import.frame.columns)[: len(columns.LIGAND_COLUMNS)] == list(columns.LIGAND_COLUMNS)
    assert frame.loc[1, columns.SMILES] == "OCC"           # first atom is a donor: kept as written
    assert frame.loc[2, columns.SMILES] == "OCC"           # CCO: the only donor (O) becomes atom 0
    assert frame.loc[3, columns.SMILES] == "O=C(C)NC"      # amide: the O, since the amide N is no donor
    assert frame.loc[9, columns.SMILES] == "OCCN"          # NCCO with donor_index 3
    assert frame.loc[10, [columns.SMILES, columns.LIGAND_CLASS]].tolist() == ["[O-]C(C)=O", 3]
    assert (user_import.frame[columns.QM9_INDEX] == 0).all()
    assert set(frame.index) == {1, 2, 3, 9, 10}


def test_csv_bad_rows_get_a_reason_each(user_import):
    errors = user_import.errors.set_index("row")["reason"]
    assert list(user_import.errors.columns) == ["row", "input", "reason"]
    assert "several donors" in errors[4]          # CC(O)CN: starts with C, N and O both possible
    assert "unparseable SMILES" in errors[5]      # C1CC: unclosed ring
    assert "no N/O donor" in errors[6]            # propane
    assert "out of range" in errors[7]            # CCO, index 7
    assert "is C, not N or O" in errors[8]        # CCO, index 0
    assert "net charge +1" in errors[11]          # methylammonium
    assert "net charge -2" in errors[12]
    assert "no N/O donor: pyrrole-type aromatic N" in errors[13]  # pyrrole NH is no neutral donor
    assert len(user_import.errors) + len(user_import.frame) == 13


def test_csv_without_smiles_column_names_the_expected_columns(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("molecule,donor\nCCO,2\n")
    with pytest.raises(DataFormatError, match="'smiles' column and optionally 'donor_index'"):
        import_ligand_csv(bad)


# --- labelled whitespace files ------------------------------------------------------------------

def test_loprop_layout_recognised_from_five_columns():
    data = import_labelled_dataset(DATA / "ligands_loprop.txt")
    assert data.layout == "loprop"
    frame = data.frame.set_index(columns.SMILES)
    assert len(frame) == 6
    assert frame.loc["[O-]C", columns.Q_DONOR] == pytest.approx(-1.0712)
    assert frame.loc["[O-]C", columns.LIGAND_CLASS] == 3
    assert math.isnan(frame.loc["NCC", columns.MU_DONOR])                   # -1000000.0 -> NaN
    assert math.isnan(frame.loc["[O-]c1ccccc1", columns.ALPHA_DONOR])
    assert frame.loc["O=C(C)N(C)C", columns.DONOR_Z] == 8
    assert (data.frame[columns.PROVENANCE] == provenance.IMPORTED).all()
    # C1CC1 starts with carbon: refused with its line number, the rest imported.
    assert data.errors["row"].tolist() == [7]
    assert "first atom is C" in data.errors["reason"].iloc[0]


def test_kd_layout_recognised_from_fourteen_columns():
    data = import_labelled_dataset(DATA / "ligands_kd.txt")
    assert data.layout == "kd"
    expected = [*columns.STRUCT_COLUMNS, *columns.KD_GAP_COLUMNS, columns.KD_PROVENANCE]
    assert list(data.frame.columns[-14:]) == expected[-14:]
    frame = data.frame.set_index(columns.SMILES)
    assert frame.loc["[O-]C", columns.KD_GAP_COLUMNS[0]] == pytest.approx(612.3)
    assert frame.loc["[NH-]C", columns.STRUCT_COLUMNS[0]] == 4
    assert frame.loc["n1ccccc1", list(columns.KD_GAP_COLUMNS[1:])].isna().all()
    assert (data.frame[columns.KD_PROVENANCE] == provenance.IMPORTED).all()
    assert data.errors.empty


def test_wrong_column_count_names_the_line_and_layouts():
    with pytest.raises(DataFormatError, match=r"line 2: 4 columns.*'loprop'.*'kd'"):
        import_labelled_dataset(DATA / "ligands_bad_count.txt")


def test_named_layout_that_does_not_fit_is_refused():
    with pytest.raises(DataFormatError, match="layout 'kd' has 14"):
        import_labelled_dataset(DATA / "ligands_loprop.txt", layout="kd")
    with pytest.raises(DataFormatError, match="unknown layout"):
        import_labelled_dataset(DATA / "ligands_loprop.txt", layout="xyz")


def test_header_line_is_skipped_and_bad_numbers_are_row_errors(tmp_path):
    path = tmp_path / "with_header.txt"
    path.write_text("SMILES Z q mu alpha\n[O-]C 8 -1.0 0.7 9.8\nOCC 8 abc 0.4 5.1\nOCC 7 -0.6 0.4 5.1\n")
    data = import_labelled_dataset(path, layout="loprop")
    assert data.frame[columns.SMILES].tolist() == ["[O-]C"]
    reasons = dict(zip(data.errors["row"], data.errors["reason"], strict=False))
    assert "'abc' is not a number" in reasons[3]
    assert "Z = 7 but the first atom" in reasons[4]


def test_kd_class_must_match_the_smiles(tmp_path):
    path = tmp_path / "kd.txt"
    gaps = " ".join(["100.0"] * 7)
    path.write_text(f"[O-]C 3 0.4 0.4 178.0 2.1 2.1 {gaps}\nOCC 3 0.5 0.5 171.0 2.3 2.3 {gaps}\n")
    data = import_labelled_dataset(path)
    assert data.frame[columns.SMILES].tolist() == ["[O-]C"]
    assert "class 3 but the SMILES is class 1" in data.errors["reason"].iloc[0]


# --- CLI ----------------------------------------------------------------------------------------

def test_cli_import_prints_count_and_errors(tmp_path, capsys):
    out = tmp_path / "imported.csv"
    assert gauss_main(["ligands", "import", str(DATA / "ligands_user.csv"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "imported 5 ligands" in printed and "8 row(s) failed" in printed
    assert "row 7: CCO (donor_index 7): donor index 7 out of range" in printed
    assert out.read_text().startswith(",".join(columns.LIGAND_COLUMNS))
    assert gauss_main(["ligands", "import", str(DATA / "ligands_kd.txt")]) == 0
    assert "layout 'kd'" in capsys.readouterr().out


def test_bundled_ligands_import_again_including_nitro(tmp_path):
    """The first 2,000 rows and every charge-separated (nitro) row of the bundled set re-import (issue 15
    pt 6: 162 nitro rows were refused as zwitterions) with the same donor-first SMILES; ligands that
    still must fail do."""
    import pandas as pd

    from gauss_core import paths
    from gauss_core.ligands.validate import validate_ligand

    bundled = pd.read_csv(paths.LIGAND_SET, dtype=str, keep_default_na=False)
    nitro = bundled[bundled[columns.SMILES].str.contains("+", regex=False)]
    assert len(nitro) > 100
    rows = pd.concat([bundled.head(2000), nitro])
    path = tmp_path / "again.csv"
    rows[[columns.SMILES]].to_csv(path, index=False)
    result = import_ligand_csv(path)
    assert result.errors.empty, result.errors.head().to_string()
    assert result.frame[columns.SMILES].tolist() == rows[columns.SMILES].tolist()
    assert result.frame[columns.LIGAND_CLASS].tolist() == rows[columns.LIGAND_CLASS].astype(int).tolist()
    for smi in nitro[columns.SMILES]:
        validate_ligand(smi)  # the queue's check accepts them too
    bad = tmp_path / "bad.csv"
    bad.write_text("smiles\n[NH3+]CC(=O)[O-]\nC[N+](C)(C)C\n")
    assert import_ligand_csv(bad).errors["reason"].str.contains("zwitterion|charge").all()
