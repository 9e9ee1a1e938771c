"""Candidate CSV (documented columns, provenance kept apart), SDF of complexes, CASSCF results from the queue,
2D depictions and the offline 3D viewer HTML."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from gauss_core import columns as C
from gauss_core import provenance as P
from gauss_core.depict import mol_svg, svg_data_uri
from gauss_core.errors import DataFormatError
from gauss_core.export import (BASE_COLUMNS, CAL_GAPS, CAL_GEOMETRY, CAL_PROVENANCE, CASSCF_GAPS,
                               CASSCF_PROVENANCE, EST_GAPS, EST_GEOMETRY, EST_PROVENANCE, PRED_PROVENANCE,
                               build_candidate_table, candidates_csv,
                               complex_sdf_record, complexes_sdf, parse_candidates_csv)


def _candidates() -> pd.DataFrame:
    return pd.DataFrame({
        C.SMILES: ["OCC", "[O-]C", "OCC"], C.CANONICAL: ["CCO", "C[O-]", "CCO"], C.SEED_SMILES: ["OC", "OC", "N"],
        C.SIGMA: [0.3, 0.3, 0.2], C.IS_VALID: [True, True, True], C.IS_NOVEL: [True, False, True],
        C.IS_UNIQUE: [True, True, True], C.DONOR_FIRST_OK: [True, True, True], C.TIMES_GENERATED: [3, 1, 2],
        "pred_q_donor_e": [-0.6, -0.9, -0.6]})


def test_candidate_table_joins_estimates_and_casscf_with_provenance():
    gaps_est = list(np.arange(1, 8) * 100.0)
    casscf = pd.DataFrame([{C.SMILES: "[O-]C", **dict(zip(C.KD_GAP_COLUMNS, np.arange(1, 8) * 150.0, strict=False)),
                            C.KD_PROVENANCE: P.CASSCF_OPENMOLCAS, "job_id": 7,
                            C.KD_GEOMETRY_SOURCE: "xtb-gfn2-axial+dft-class-linear-n18 (builder search)",
                            C.KD_BASIS: "Dy ANO-RCC-VDZP, ligands ANO-RCC-VDZP"}])
    table = build_candidate_table(_candidates(), {"OCC": (gaps_est, P.CF_POINTCHARGE)}, casscf)
    assert list(table.columns[:len(BASE_COLUMNS)]) == list(BASE_COLUMNS)
    assert list(table[C.IS_UNIQUE]) == [True, True, False]   # second OCC row is a repeat
    assert table.loc[0, EST_GAPS[0]] == 100.0 and table.loc[0, EST_PROVENANCE] == P.CF_POINTCHARGE
    assert np.isnan(table.loc[1, EST_GAPS[0]]) and table.loc[1, EST_PROVENANCE] == ""
    assert table.loc[1, CASSCF_GAPS[6]] == 1050.0 and table.loc[1, CASSCF_PROVENANCE] == P.CASSCF_OPENMOLCAS
    assert table.loc[0, CASSCF_PROVENANCE] == ""
    assert table.loc[1, "casscf_geometry"].startswith("xtb-gfn2-axial+dft-class-linear")  # the geometry travels
    assert table.loc[0, "casscf_geometry"] == ""
    assert table.loc[1, "casscf_basis"] == "Dy ANO-RCC-VDZP, ligands ANO-RCC-VDZP"
    assert table.loc[0, "casscf_basis"] == ""
    assert (table[PRED_PROVENANCE] == P.MODEL_PREDICTION).all()

    back = parse_candidates_csv(candidates_csv(table))
    assert list(back.columns) == list(table.columns)
    assert back.loc[1, CASSCF_PROVENANCE] == P.CASSCF_OPENMOLCAS
    assert back[C.SMILES].tolist() == ["OCC", "[O-]C", "OCC"]


def test_an_estimate_tagged_casscf_is_refused():
    with pytest.raises(DataFormatError, match="never CASSCF"):
        build_candidate_table(_candidates(), {"OCC": ([1.0] * 7, P.CASSCF_ORCA)})
    with pytest.raises(DataFormatError, match="never CASSCF"):
        build_candidate_table(_candidates(), calibrated={"OCC": ([1.0] * 7, P.CASSCF_OPENMOLCAS, "x")})


def test_export_carries_calibrated_estimate_geometry_checkpoint_seed_and_surrogate(tiny_loaded, tiny_checkpoint):
    """Issue 14 point 8: calibrated estimate, its geometry, checkpoint hash, sigma, random seed, surrogate."""
    from gauss_core.jobs.labels import load_bundled_kd_results
    from gauss_core.latent.pca import file_hash
    from gauss_core.surrogate import SurrogateConfig, fit_kd_surrogate

    sur = fit_kd_surrogate(tiny_loaded, load_bundled_kd_results(), SurrogateConfig(n_restarts=0, cv_folds=0))
    cands = _candidates().assign(**{C.RANDOM_SEED: [7, 7, 8]})
    cands.loc[2, C.SMILES] = "CC"                                  # not a ligand: the surrogate says why
    cal = {"OCC": (list(np.arange(1, 8) * 90.0), "kd-calibrated-ridge-v1", "xtb-gfn2-constrained")}
    est = {"OCC": (list(np.arange(1, 8) * 100.0), P.CF_POINTCHARGE, "xtb-gfn2-constrained")}
    table = build_candidate_table(cands, est, calibrated=cal, checkpoint_hash=file_hash(tiny_checkpoint),
                                  surrogate=sur, loaded=tiny_loaded)
    back = parse_candidates_csv(candidates_csv(table))
    assert back.loc[0, CAL_GAPS[0]] == 90.0 and back.loc[0, CAL_PROVENANCE] == "kd-calibrated-ridge-v1"
    assert back.loc[0, CAL_GEOMETRY] == "xtb-gfn2-constrained" == back.loc[0, EST_GEOMETRY]
    assert np.isnan(back.loc[1, CAL_GAPS[0]])
    assert (back[C.CHECKPOINT_HASH] == file_hash(tiny_checkpoint)).all()
    assert back[C.RANDOM_SEED].tolist() == [7, 7, 8] and back[C.SIGMA].tolist() == [0.3, 0.3, 0.2]
    gap, std = C.SURROGATE_GAP_COLUMNS[0], C.SURROGATE_STD_COLUMNS[0]
    assert np.isfinite(back.loc[:1, gap]).all() and (back.loc[:1, std] > 0).all()
    assert back.loc[0, C.SURROGATE_PROVENANCE].startswith(P.SURROGATE_GP_LATENT)
    assert f"n={sur.n_train} CASSCF" in back.loc[0, C.SURROGATE_PROVENANCE]
    assert np.isnan(back.loc[2, gap]) and back.loc[2, C.SURROGATE_PROVENANCE].startswith("no surrogate value")
    with pytest.raises(DataFormatError, match="loaded"):
        build_candidate_table(cands, surrogate=sur)


def test_seed_rows_without_sampling_columns_are_filled_in():
    table = build_candidate_table(pd.DataFrame({C.SMILES: ["OC", "C1CC"]}))
    assert table[C.CANONICAL].tolist()[0] == "CO"
    assert table[C.IS_VALID].tolist() == [True, False]
    assert table[C.IS_UNIQUE].tolist() == [True, False]
    with pytest.raises(DataFormatError, match="smiles"):
        build_candidate_table(pd.DataFrame({"x": [1]}))


@pytest.fixture(scope="module")
def methoxide_complex():
    from gauss_core.complexes import assemble

    return assemble("[O-]C")


def test_sdf_of_complexes_reads_back_with_rdkit(methoxide_complex):
    text = complexes_sdf([methoxide_complex, methoxide_complex])
    assert text.count("$$$$") == 2
    mols = [m for m in Chem.ForwardSDMolSupplier(io.BytesIO(text.encode()), sanitize=False, removeHs=False)]
    assert len(mols) == 2 and all(m is not None for m in mols)
    symbols = [a.GetSymbol() for a in mols[0].GetAtoms()]
    assert symbols.count("Dy") == 1 and len(symbols) == methoxide_complex.n_atoms
    assert mols[0].GetProp("ligand_smiles") == "[O-]C"
    pos = mols[0].GetConformer().GetPositions()
    np.testing.assert_allclose(pos, methoxide_complex.coords, atol=1e-3)


def test_viewer_record_is_v2000_without_metal_bonds(methoxide_complex):
    block = complex_sdf_record(methoxide_complex)
    mol = Chem.MolFromMolBlock(block.split("$$$$")[0], sanitize=False, removeHs=False)
    assert mol is not None and mol.GetNumAtoms() == methoxide_complex.n_atoms
    dy = [a for a in mol.GetAtoms() if a.GetSymbol() == "Dy"][0]
    assert dy.GetDegree() == 0
    assert "V2000" in block


def test_viewer_html_inlines_the_bundled_3dmol(methoxide_complex):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from gauss_app.viewer import JS_PATH, viewer_html

    html = viewer_html(complex_sdf_record(methoxide_complex))
    assert JS_PATH.exists() and JS_PATH.stat().st_size > 100_000
    assert "$3Dmol.createViewer" in html and len(html) > JS_PATH.stat().st_size
    assert "<script src=" not in html                      # nothing fetched from a CDN
    assert (JS_PATH.parent / "3Dmol-LICENSE.txt").exists()


def test_depictions():
    svg = mol_svg("[O-]c1ccccc1")
    assert svg.startswith("<?xml") and "</svg>" in svg
    assert svg_data_uri("OC").startswith("data:image/svg+xml;base64,")
    assert svg_data_uri("C1CC") is None and mol_svg("") is None
