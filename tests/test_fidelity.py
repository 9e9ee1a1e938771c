"""Experiment 5's protocol: bins over robust percentiles of the bundled mapping set, and a run with seeds and
samples through both estimators (real template complexes, GFN2-xTB, crystal field)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gauss_core import columns as C


def test_fidelity_bins_span_robust_percentiles_of_the_bundled_mapping_set():
    """On the bundled KD mapping set (real estimates, one 722 cm-1 outlier from a chelating complex), equal-width
    bins over min..max leave bin 4-5 nearly empty; the rules drop the failed complexes and the bins span the
    1st-99th percentiles of the rest; values beyond count in the end bins."""
    from gauss_core import paths
    from gauss_core.evaluate.fidelity import assign_bins, exclusion_reason, robust_bins
    from gauss_core.latent.bins import kd_bins

    kd = pd.read_csv(paths.KD_MAPPING_SET)
    gap1 = kd[C.KD_GAP_COLUMNS[0]]
    reasons = [exclusion_reason(r) for r in kd.to_dict("records")]
    outlier = kd.index[kd[C.SMILES] == "N1(CC(O)CCO)CC1"][0]
    assert "assembly check: chelation" in reasons[outlier] and "assembly check: clash" in reasons[outlier]
    assert gap1.max() == gap1[outlier]                         # the set's maximum is that failed assembly
    valid = gap1[[r == "" for r in reasons]]
    assert 0.8 * len(kd) < len(valid) < len(kd)
    naive = kd_bins(gap1, 6)
    robust = robust_bins(valid, 6)
    assert naive.edges[-1] == pytest.approx(gap1.max()) and robust.edges[-1] < valid.max() < naive.edges[-1] / 2
    assert robust.edges[0] == pytest.approx(np.percentile(valid, 1))
    bins = assign_bins(robust, valid)
    assert set(bins) == {1, 2, 3, 4, 5, 6}                     # every valid ligand lands in a bin
    assert assign_bins(robust, [valid.max() + 500, -1.0]).tolist() == [6, 1]
    per_bin = np.bincount(bins, minlength=7)[1:]
    assert per_bin.min() >= 5 * 5                              # enough candidates for 5 seeds per bin


CHELATING = "N1(CC(O)CCO)CC1"   # its template complex puts both OH groups on Dy (chelation, clash flags)


@pytest.mark.needs_xtb
@pytest.mark.slow
def test_fidelity_scores_both_estimators_with_recomputed_seeds(inputs, tmp_path, hand_made_calibration):
    """Seeds and samples through both estimators (cf-pointcharge and a calibrated model), seeds recomputed, a
    failed assembly excluded and replaced. Candidates: the chelating ligand, then real ligands of the tiny set
    (the tiny model's LP samples are rarely donor-first ligands; LP sampling is covered by the report test)."""
    from dataclasses import replace

    from gauss_core import provenance
    from gauss_core.evaluate.fidelity import FidelityConfig, run_fidelity
    from gauss_core.evaluate.fidelity_scores import per_bin_table, scores_by_estimator

    def candidates(inp, seed_smiles, z, config, rng_seed):
        yield CHELATING, 0.1
        for smi in inp.ligands[C.SMILES].iloc[rng_seed * 7:]:
            if smi != seed_smiles:
                yield smi, 0.1

    model = hand_made_calibration
    path = model.save(tmp_path / "kd_calibration.json")
    config = replace(FidelityConfig.quick(), calibration=path)
    seeds, samples, summary = run_fidelity(inputs, config, log=lambda s: None, candidates=candidates)
    assert set(summary["estimators"]) == {provenance.CF_POINTCHARGE, model.name}
    assert "CASSCF complexes" in summary["estimators"][model.name]
    # template geometries are not what the model was fitted on: the run says so for that estimator only
    assert summary["estimator_notes"][provenance.CF_POINTCHARGE] == []
    assert any("applied to a rdkit one" in n for n in summary["estimator_notes"][model.name])
    g1 = C.KD_GAP_COLUMNS[0]
    accepted = seeds[seeds["accepted"]]
    cf = accepted[accepted["estimator"] == provenance.CF_POINTCHARGE].set_index(C.SMILES)
    cal = accepted[accepted["estimator"] == model.name].set_index(C.SMILES)
    assert len(cf) >= 1 and set(cf.index) == set(cal.index)
    # seeds recomputed: cf-pointcharge reproduces the mapping set, the calibrated values follow the model
    assert np.allclose(cf[g1], cf["set_gap1_cm1"], rtol=1e-6)
    g7 = C.KD_GAP_COLUMNS[-1]
    assert np.allclose(cal[g1], 100 + 1.5 * cf.loc[cal.index, g1] + 0.1 * cf.loc[cal.index, g7], rtol=1e-6)
    assert (cal[C.KD_PROVENANCE] == model.name).all() and not provenance.is_casscf(model.name)
    # samples: every candidate through both estimators, seed values of the same estimator beside them
    assert len(samples) and set(samples["estimator"]) == {provenance.CF_POINTCHARGE, model.name}
    s_cal = samples[samples["estimator"] == model.name]
    assert np.allclose(s_cal["seed_gap1_cm1"], cal.loc[s_cal["seed_smiles"], g1].to_numpy())
    cf_rows = samples[samples["estimator"] == provenance.CF_POINTCHARGE]
    chel = cf_rows[cf_rows[C.SMILES] == CHELATING]
    assert len(chel) == len(cf) and chel["excluded"].str.contains("assembly check: chelation").all()
    per_seed = cf_rows[cf_rows["excluded"] == ""].groupby("seed_smiles").size()
    assert (per_seed == config.samples_per_seed).all()      # the excluded candidate was replaced
    scores = scores_by_estimator(samples)
    assert list(scores) == [provenance.CF_POINTCHARGE, model.name]
    sc = scores[provenance.CF_POINTCHARGE]
    assert sc["n_pairs"] == len(cf) * config.samples_per_seed and sc["n_excluded_samples"] >= len(cf)
    assert sc["excluded_reasons"].get("assembly check: chelation", 0) >= len(cf)
    per_bin = per_bin_table(samples)                    # one block per estimator, bins in order
    assert per_bin["estimator"].tolist() == sorted(per_bin["estimator"], key=list(scores).index)
    assert all(g["kd_bin"].is_monotonic_increasing for _, g in per_bin.groupby("estimator"))
