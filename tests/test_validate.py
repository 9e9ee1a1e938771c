"""The shared ligand/parameter validation (gauss_core.ligands.validate) on real RDKit molecules."""

from __future__ import annotations

import pytest

from gauss_core.errors import GaussError, InvalidSmilesError
from gauss_core.ligands.validate import LigandLimits, validate_ligand, validate_params


@pytest.mark.parametrize("bad, reason", [
    ("", "empty"), ("   ", "empty"), ("C1CC", "not valid"), ("[O]C", "radical"), ("[Dy]O", "Dy"),
    ("CCCC", "starts with C"), ("ClCCO", "starts with Cl"), ("O" + "C" * 5000, "longer than"),
    ("O" + "C" * 80, "heavy atoms"), ("OCé", "non-ASCII"), ("O C", "spaces"), ("[Xx]O", "not valid"),
    ("O'; DROP TABLE jobs;--", "spaces"), ("O$(rm -rf ~)", "spaces"), ("OC.OC", "fragments"),
    ("[O-]C(=O)[O-]", "charge"),
])
def test_bad_ligands_are_refused_with_a_one_line_reason(bad, reason):
    with pytest.raises(InvalidSmilesError) as err:
        validate_ligand(bad)
    assert reason in str(err.value) and "\n" not in str(err.value)


def test_spellings_of_one_anion_share_one_donor_first_form():
    forms = {validate_ligand(s).smiles for s in ("[O-]C", "C[O-]", "[O-][CH3]")}
    assert forms == {"[O-]C"}
    assert validate_ligand("OCC").donor == "O" and validate_ligand("n1ccccc1").donor == "N"


def test_limits_are_configurable(monkeypatch):
    assert validate_ligand("O" + "C" * 80, LigandLimits(max_heavy_atoms=100)).heavy_atoms == 81
    monkeypatch.setenv("GAUSS_MAX_HEAVY_ATOMS", "3")
    with pytest.raises(InvalidSmilesError, match="GAUSS_MAX_HEAVY_ATOMS"):
        validate_ligand("OCCCC")


@pytest.mark.parametrize("params, reason", [
    ({"n_roots": "abc"}, "whole number"), ({"relax": "maybe"}, "true or false"),
    ({"geometry": "spiral"}, "not one of"), ({"colour": 1}, "unknown"), ({"n_roots": -3}, "positive"),
])
def test_bad_parameters_are_refused(params, reason):
    defaults = {"n_roots": 21, "relax": True, "geometry": "assemble"}
    with pytest.raises(GaussError, match=reason):
        validate_params("casscf", defaults, params, {"geometry": ("assemble", "idealised")})


def test_good_parameters_are_coerced():
    out = validate_params("casscf", {"n_roots": 21, "relax": True}, {"n_roots": "5", "relax": "false"})
    assert out == {"n_roots": 5, "relax": False}


def test_nitro_groups_are_neutral_but_other_separated_charges_are_refused():
    # the bundled set has nitro ligands such as n1coc([N+](=O)[O-])c1 (issue 15 pt 6)
    assert validate_ligand("n1coc([N+](=O)[O-])c1").smiles == "n1coc([N+](=O)[O-])c1"
    assert validate_ligand("[n-]1cccc1[N+](=O)[O-]").charge == -1
    # the phenolate, not the nitro O-, is the anionic donor to re-root at
    assert validate_ligand("c1cc([O-])ccc1[N+](=O)[O-]").smiles.startswith("[O-]c")
    for bad, reason in [("C[N+](=O)[O-]", "starts with C"), ("[O-][N+](=O)C", "nitro"),
                        ("[NH3+]CC(=O)[O-]", "positive charge"), ("OCC[NH3+].[Cl-]", "fragments")]:
        with pytest.raises(InvalidSmilesError, match=reason):
            validate_ligand(bad)


def test_validate_many_in_processes_matches_one_by_one():
    """The bulk path of `queue add --file` (split over processes from 5,000 rows) gives each row the same
    verdict as validate_ligand, in order."""
    import pandas as pd

    from gauss_core import paths
    from gauss_core.ligands.validate import ValidLigand, validate_many

    rows = pd.read_csv(paths.LIGAND_SET, usecols=["smiles"], dtype=str, nrows=5500)["smiles"].tolist()
    rows[::500] = ["[O]C", "CCCC", "O C", "[Dy]O", "C[O-]", "", "OC.OC", "[O-]C(=O)[O-]", "ClCCO", "OCé", "x"]
    parallel = validate_many(rows, workers=2)
    assert len(parallel) == len(rows)
    for smi, got in zip(rows, parallel, strict=True):
        try:
            want: ValidLigand | str = validate_ligand(smi)
        except GaussError as exc:
            want = str(exc)
        assert got == want, smi
    assert parallel[4 * 500].smiles == "[O-]C" and "radical" in parallel[0]
