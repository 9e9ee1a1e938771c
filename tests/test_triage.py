"""Triage of sampled candidates: alerts on real molecules, RDKit's SA score, surrogate columns, depictions."""

from __future__ import annotations

import numpy as np
import pytest

from gauss_core import columns as C
from gauss_core.sampling.triage import ALERTS, DEPICTION, N_ALERTS, SA_SCORE, triage_table


def test_alerts_flag_the_issue_examples_and_pass_clean_ligands():
    table = triage_table(["OOC", "[O-]C1=CC=C1", "[O-]c1ccccc1", "OC1CC1", "[O]C", "O=C1CCC1", "OC(C)C", "xx"])
    alerts = dict(zip(table[C.SMILES], table[ALERTS], strict=True))
    assert "peroxide" in alerts["OOC"]
    assert "antiaromatic" in alerts["[O-]C1=CC=C1"] and "strained 4-ring" in alerts["[O-]C1=CC=C1"]
    assert alerts["[O-]c1ccccc1"] == ""                       # phenolate: aromatic, not antiaromatic
    assert alerts["OC1CC1"] == "strained 3-ring"
    assert alerts["[O]C"] == "radical"
    assert alerts["O=C1CCC1"] == "strained 4-ring"
    assert alerts["OC(C)C"] == ""
    assert alerts["xx"] == "invalid SMILES" and not table[C.IS_VALID].iloc[-1]
    assert list(table[N_ALERTS]) == [1, 2, 0, 1, 1, 1, 0, 1]


def test_sa_score_is_rdkit_contrib_and_orders_simple_below_complex():
    table = triage_table(["OC(C)C", "[O-]C1(C2CC2)C2CC3CC1C23"])
    simple, caged = table[SA_SCORE]
    assert 1.0 <= simple < caged <= 10.0
    assert np.isnan(triage_table(["xx"])[SA_SCORE].iloc[0])


def test_triage_with_surrogate_and_depiction(tiny_loaded):
    from gauss_core.jobs.labels import load_bundled_kd_results
    from gauss_core.surrogate import SurrogateConfig, fit_kd_surrogate

    sur = fit_kd_surrogate(tiny_loaded, load_bundled_kd_results(), SurrogateConfig(cv_folds=0, n_restarts=0))
    table = triage_table(["[O-]C", "OC", "CC"], surrogate=sur, loaded=tiny_loaded, depict=True)
    gap, std = C.SURROGATE_GAP_COLUMNS[0], C.SURROGATE_STD_COLUMNS[0]
    assert np.isfinite(table[gap].iloc[:2]).all() and (table[std].iloc[:2] > 0).all()
    assert np.isnan(table[gap].iloc[2])                       # CC is not a ligand: no value, a reason instead
    assert "class 0" in table[C.SURROGATE_PROVENANCE].iloc[2]
    assert table[C.SURROGATE_PROVENANCE].iloc[0].startswith("surrogate-gp-latent")
    assert table[DEPICTION].iloc[0].startswith("data:image/svg+xml;base64,")
    with pytest.raises(ValueError):
        triage_table(["OC"], surrogate=sur)


def test_gauss_sample_triage_writes_alerts_sa_and_surrogate(tmp_path, monkeypatch):
    """On the bundled checkpoint (the tiny one decodes only alkanes, which have no ligand class)."""
    from gauss_core.cli import main
    from gauss_core.export import parse_candidates_csv

    monkeypatch.setenv("GAUSS_HOME", str(tmp_path / "home"))
    out = tmp_path / "cands.csv"
    assert main(["sample", "--seed", "[O-]CC", "--seed", "OCC", "--sigma", "0.5", "--attempts", "200", "--triage",
                 "--out", str(out)]) == 0
    table = parse_candidates_csv(out.read_text())
    assert len(table) and {ALERTS, N_ALERTS, SA_SCORE, C.SURROGATE_GAP_COLUMNS[0], C.RANDOM_SEED,
                           C.CHECKPOINT_HASH} <= set(table.columns)
    assert table[SA_SCORE].between(1, 10).all() and (table[C.RANDOM_SEED] == 0).all()
    ligand_rows = table[table[C.SURROGATE_PROVENANCE].str.startswith("surrogate-gp-latent")]
    assert len(ligand_rows) and ligand_rows[C.SURROGATE_STD_COLUMNS[0]].gt(0).all()
    assert not table.loc[table[C.CANONICAL].isin(["CC[O-]", "CCO"]), C.IS_NOVEL].any()   # seeds are never novel
