"""`gauss complex build|estimate|calibrate` end to end (real RDKit, xtb)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from gauss_core import columns
from gauss_core.cli import main


def test_build_writes_three_formats(tmp_path, capsys):
    stem = tmp_path / "ome"
    assert main(["complex", "build", "[O-]C", "--builder", "rdkit", "--relax", "none", "--out", str(stem)]) == 0
    out = capsys.readouterr().out
    assert "donors bound 7/7" in out and "L-Dy-L 180.0 deg" in out and "flags: none" in out
    assert "mpp_A = 0.000" in out
    xyz = (tmp_path / "ome.xyz").read_text().splitlines()
    assert int(xyz[0]) == 26
    mol = Chem.MolFromMolBlock((tmp_path / "ome.sdf").read_text().split("$$$$")[0], removeHs=False, sanitize=False)
    assert mol.GetNumAtoms() == 26
    assert "@<TRIPOS>ATOM" in (tmp_path / "ome.mol2").read_text()


def test_build_reports_a_clash(capsys):
    assert main(["complex", "build", "[O-]c1c(C(C)(C)C)cccc1C(C)(C)C", "--builder", "rdkit", "--relax", "none"]) == 0
    assert "clash:" in capsys.readouterr().out


@pytest.mark.needs_xtb
def test_estimate_rows_carry_provenance_and_bad_ligands_are_skipped(tmp_path, capsys):
    out_csv = tmp_path / "est.csv"
    rc = main(["complex", "estimate", "[O-]C", "CC", "--builder", "rdkit", "--csv", str(out_csv)])
    assert rc == 0
    captured = capsys.readouterr()
    assert "1 estimated, 1 failed" in captured.out and "not CASSCF" in captured.out
    assert "CC: error" in captured.err and "donor atom (N or O) first" in captured.err
    df = pd.read_csv(out_csv)
    assert list(df[columns.KD_PROVENANCE]) == ["cf-pointcharge"]
    assert df.loc[0, "geometry_provenance"] == "xtb-gfn2-constrained"
    assert 800 < df.loc[0, "kd_gap7_cm1"] < 1300  # CASSCF 1025 cm^-1 for methoxide


def test_calibrate_refuses_without_casscf_results(tmp_path, monkeypatch, capsys):
    from gauss_core import paths

    monkeypatch.setenv("GAUSS_HOME", str(tmp_path))
    monkeypatch.setattr(paths, "KD_CASSCF_SET", tmp_path / "none.csv.gz")    # as on a machine without them
    monkeypatch.setattr(paths, "KD_CALIBRATION", tmp_path / "none.json")
    assert main(["complex", "calibrate"]) == 2
    assert "no CASSCF results yet" in capsys.readouterr().err
    only_estimates = tmp_path / "est.csv"
    pd.DataFrame([{columns.SMILES: "[O-]C", **{c: 500.0 for c in columns.KD_GAP_COLUMNS},
                   columns.KD_PROVENANCE: "cf-pointcharge"}]).to_csv(only_estimates, index=False)
    assert main(["complex", "calibrate", "--casscf", str(only_estimates)]) == 2
    assert "no CASSCF results yet" in capsys.readouterr().err
    assert main(["complex", "estimate", "[O-]C", "--calibrated", "--relax", "none", "--builder", "rdkit"]) == 2
    assert "gauss complex calibrate" in capsys.readouterr().err


def test_calibration_leaves_out_casscf_rows_on_flagged_geometries():
    from gauss_core.cli.complex_cmd import split_flagged_geometries

    table = pd.DataFrame({columns.SMILES: ["[O-]C", "O=C1CC2(O)C1C2(C)C", "NC"],
                          "kd_geometry_source": ["xtb-gfn2-constrained",
                                                 "xtb-gfn2-constrained [flags: bond-broken: 2 bond(s) stretched, "
                                                 "first (19, 21)]", None]})
    kept, flagged = split_flagged_geometries(table)
    assert list(kept[columns.SMILES]) == ["[O-]C", "NC"]
    assert flagged == [("O=C1CC2(O)C1C2(C)C", "bond-broken")]


def test_calibrate_fits_on_several_tables_and_each_geometry_of_a_ligand(tmp_path, monkeypatch, capsys):
    """`--casscf` repeated: a fixed-distance table and a computed-distance one (hand-made rows with stored
    descriptors, NOT CASSCF numbers) train together; the ligand in both trains on each geometry."""
    from gauss_core.kd.calibration import FEATURES, CalibratedModel

    monkeypatch.setenv("GAUSS_HOME", str(tmp_path))
    rng = np.random.default_rng(0)

    def table(source: str, smiles: list[str], r: float) -> pd.DataFrame:
        rows = [{columns.SMILES: s, columns.KD_PROVENANCE: "casscf-openmolcas", "kd_geometry_source": source,
                 **{f: float(rng.normal()) for f in FEATURES}, "r_Dy_L_mean_A": r + 0.05 * rng.random(),
                 "anionic": 1.0, "donor_is_N": 0.0, **{c: 400.0 + 30 * k + 10 * rng.normal()
                                                      for k, c in enumerate(columns.KD_GAP_COLUMNS)}}
                for s in smiles]
        return pd.DataFrame(rows)

    fixed, computed = tmp_path / "fixed.csv", tmp_path / "computed.csv"
    table("xtb-gfn2-constrained", [f"[O-]{'C' * i}" for i in range(1, 8)], 2.15).to_csv(fixed, index=False)
    table("xtb-gfn2-axial+dft-class-linear-n18 (builder search)", ["[O-]C", "[O-]CC#N"], 2.10).to_csv(computed,
                                                                                                    index=False)
    out = tmp_path / "cal.json"
    assert main(["complex", "calibrate", "--casscf", str(fixed), "--casscf", str(computed), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "9 CASSCF complexes" in text and "descriptors stored by 9 jobs" in text
    model = CalibratedModel.load(out)
    assert model.n_train == 9 and model.fitted_on("xtb-gfn2-axial+dft-class-linear-n18")
    assert main(["complex", "calibrate", "--casscf", str(fixed), "--casscf", str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv does not exist" in capsys.readouterr().err
