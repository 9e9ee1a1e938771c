"""The evaluation experiments' computing modules on the tiny checkpoint (trained by the real trainer): the R^2
definition, the sigma sweep and its shape check, the estimate-vs-CASSCF ranking and calibration CV, and proxy
parity. The report itself: test_report.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gauss_core import columns as C


def test_sweep_shape_check_tells_good_from_bad():
    from gauss_core.evaluate.sweep_exp import sweep_shape

    sig = np.round(np.linspace(0, 1, 11), 2)
    valid = np.array([100, 99, 95, 85, 70, 50, 30, 15, 6, 2, 1.0])
    novel = np.array([0, 5, 20, 30, 28, 22, 14, 8, 3, 1, 0.5])
    good = pd.DataFrame({"sigma": sig, "validity_pct": valid, "novelty_pct": novel, "uniqueness_pct": novel * 0.8})
    assert sweep_shape(good)["ok"] and sweep_shape(good)["uniqueness_peak_sigma"] == 0.3
    bad = good.assign(validity_pct=valid[::-1])  # validity rising with sigma: not the paper's shape
    assert not sweep_shape(bad)["ok"]


@pytest.mark.needs_xtb
def test_sweep_validity_falls_with_sigma(inputs):
    from gauss_core.evaluate.sweep_exp import SweepExpConfig, run_sweep

    seed, table = run_sweep(inputs, SweepExpConfig(sigmas=(0.0, 3.0), batches=2, batch_size=100))
    assert seed in set(inputs.loaded.train_smiles)
    assert list(table["attempts"]) == [200, 200]
    v0, v1 = table["validity_pct"]
    assert v0 >= v1
    # the counters' definitions (gauss_core.sampling.metrics) hold at every sigma
    assert (table["unique"] <= table["novel"]).all() and (table["novel"] <= table["valid"]).all()
    assert (table["valid"] <= table["attempts"]).all()
    # sigma 0: every attempt decodes the seed's own latent vector, so one string 200 times: all valid or
    # none, all novel or none, and at most one distinct novel molecule
    at0 = table.iloc[0]
    assert at0["valid"] in (0, 200) and at0["novel"] in (0, at0["valid"]) and at0["unique"] <= 1


def test_ranking_stats_and_calibration_cv(tmp_path, hand_made_calibration):
    from gauss_core.evaluate.casscf_check import calibration_cv, calibration_cv_figure, comparison_table, ranking_stats

    ref = np.array([100.0, 200, 300, 400, 500])
    est = 0.6 * ref + 10                          # compressed like the point-charge estimate, same order
    st = ranking_stats(est, ref)
    assert st["n"] == 5 and st["spearman"] == pytest.approx(1.0) and st["pearson"] == pytest.approx(1.0)
    assert st["mae_cm1"] == pytest.approx(np.abs(est - ref).mean()) and st["bias_cm1"] < 0
    assert ranking_stats(est[::-1], ref)["spearman"] == pytest.approx(-1.0)
    few = ranking_stats(est[:4], ref[:4])
    assert few["n"] == 4 and np.isnan(few["spearman"]) and few["mae_cm1"] == pytest.approx(np.abs(est - ref)[:4].mean())
    pairs = pd.DataFrame({"est_gap1_cm1": est, "casscf_gap1_cm1": ref, C.LIGAND_CLASS: [1] * 5,
                          "excluded": ["", "", "", "", "assembly check: clash"]})
    table = comparison_table(pairs)
    assert list(table["group"]) == ["all", "without 1 estimate(s) failing rules R1/R2"]  # class 1: n < 10
    assert calibration_cv(tmp_path / "none.json") is None
    cv = calibration_cv(hand_made_calibration.save(tmp_path / "cal.json"))
    assert cv["name"] == "kd-calibrated-ridge-v1" and cv["n_train"] == 0 and cv["file"] == "cal.json"
    assert calibration_cv_figure(cv, tmp_path / "none.png") is None          # no out-of-fold pairs stored
    from dataclasses import replace

    pairs = [[f"[O-]{'C' * i}", r, e] for i, (r, e) in enumerate(zip(ref, est, strict=False), start=1)]
    cv = calibration_cv(replace(hand_made_calibration, cv_spearman_gap1=1.0, cv_gap1_pairs=pairs,
                                cv_per_class={"3": {"n": 5, "mae_gap1_cm1": 1.0, "spearman_gap1": 1.0}})
                        .save(tmp_path / "cal2.json"))
    assert cv["cv_spearman_gap1"] == 1.0 and cv["cv_per_class"]["3"]["n"] == 5
    fig = calibration_cv_figure(cv, tmp_path / "cv.png")
    assert fig is not None and fig.stat().st_size > 5000


@pytest.mark.needs_xtb
def test_parity_on_heldout_ligands(inputs):
    from gauss_core.evaluate.proxy_parity import ParityConfig, parity_scores, parity_table

    table = parity_table(inputs, ParityConfig(n_heldout=40))
    train = set(inputs.loaded.train_smiles)
    assert len(table) > 0 and not set(table[C.SMILES]) & train
    scores = parity_scores(table, inputs.loaded.label_names)
    assert list(scores.columns) == ["label", "n", "r2", "mae"]
    z = scores.set_index("label").loc[C.DONOR_Z]
    assert z["n"] == len(table)  # donor_Z is known for every ligand
