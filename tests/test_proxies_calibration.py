"""Calibration statistics on a small synthetic table with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gauss_core.proxies import calibration, fast


def _frames(n: int = 40, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    smiles = [f"C{i}" for i in range(n)]
    x = pd.DataFrame({"smiles": smiles, "error": [np.nan] * n, "donor_Z": rng.choice([7, 8], n),
                      "ligand_charge": rng.choice([0, -1], n)})
    for col in fast.RAW_COLUMNS:
        x[col] = rng.normal(size=n)
    lp = pd.DataFrame({"smiles": smiles, "error": pd.Series([None] * n, dtype=object)})
    lp["q_donor_e"] = 0.5 * x[fast.RAW_Q_CM5] - 0.3           # exactly linear in CM5
    lp["mu_donor_au"] = rng.normal(size=n)                      # unrelated
    lp["alpha_donor_au3"] = 2 * x[fast.RAW_ALPHA_D4] + 0.1 * rng.normal(size=n)
    lp["mu_donor_bond_au"] = lp["mu_donor_au"]
    lp["alpha_donor_bond_au3"] = lp["alpha_donor_au3"]
    lp.loc[3, "error"] = "LopropError: SCF did not converge"   # failed rows are left out
    return x, lp


def test_correlations_recover_known_relations():
    x, lp = _frames()
    both = calibration.merge(x, lp)
    assert len(both) == 39
    table = calibration.correlation_table(both).set_index(["loprop_target", "xtb_descriptor"])
    assert table.loc[("q_donor_e", fast.RAW_Q_CM5), "pearson_r"] == pytest.approx(1.0)
    assert table.loc[("q_donor_e", fast.RAW_Q_CM5), "r2_linear"] == pytest.approx(1.0)
    assert table.loc[("alpha_donor_au3", fast.RAW_ALPHA_D4), "pearson_r"] > 0.95
    assert abs(table.loc[("mu_donor_au", fast.RAW_MU_GFN2), "pearson_r"]) < 0.5


def test_loo_fit_is_exact_for_a_linear_target_and_honest_for_noise():
    x, lp = _frames()
    both = calibration.merge(x, lp)
    fit = calibration.loo_fit(both, "q_donor_e", ("donor_Z", fast.RAW_Q_CM5))
    assert fit.loo_r == pytest.approx(1.0)
    assert fit.coefs[1] == pytest.approx(0.5) and fit.intercept == pytest.approx(-0.3)
    noise = calibration.loo_fit(both, "mu_donor_au", ("donor_Z", fast.RAW_MU_GFN2, fast.RAW_LP))
    assert noise.loo_r2 < 0.2  # leave-one-out does not reward fitting noise
    assert "| q_donor_e |" in calibration.markdown(both)


def test_fitted_recipe_reproduces_a_linear_target_through_apply_recipe(tmp_path):
    import json

    x, lp = _frames()
    lp["mu_donor_au"] = 0.3 * x[fast.RAW_LP] - 0.1 * x["donor_Z"] + 1.0
    both = calibration.merge(x, lp)
    feats = {"mu_donor_au": ("donor_Z", fast.RAW_LP), "alpha_donor_au3": ("donor_Z", fast.RAW_ALPHA_D4)}
    recipe = calibration.fit_recipe(both, feats)
    assert recipe["mu_donor_au"]["fit"]["loo_pearson_r"] == pytest.approx(1.0)
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(recipe))
    loaded = fast.load_recipe(path)
    row = x.iloc[0].to_dict()
    labels = fast.apply_recipe(row, loaded)
    assert labels["mu_donor_au"] == pytest.approx(0.3 * row[fast.RAW_LP] - 0.1 * row["donor_Z"] + 1.0)
    assert labels["q_donor_e"] == pytest.approx(row[fast.RAW_Q_GFN2])
    assert labels["provenance"] == "xtb-gfn2"
    row[fast.RAW_LP] = float("nan")  # a missing descriptor gives a missing label, not a wrong one
    assert np.isnan(fast.apply_recipe(row, loaded)["mu_donor_au"])
