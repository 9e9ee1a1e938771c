"""`gauss evaluate` on the tiny checkpoint (trained by the real trainer) with --quick settings: the six
experiments run for real (training, LP sampling, RDKit, PCA, complex assembly, GFN2-xTB, crystal field),
the report, figures and numbers table are written, and estimate provenance is stated."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from gauss_core import columns as C

@pytest.fixture(scope="module")
def tiny_kd_mapping(tiny_ligands, tmp_path_factory):
    """A real KD mapping set of 16 tiny-set ligands (RDKit template + xtb single point + crystal field)."""
    from gauss_core.kd.kd_mapping import KDMapConfig, build_kd_mapping

    base = tmp_path_factory.mktemp("kdmap")
    cfg = KDMapConfig(n_ligands=16, out=base / "kd.csv.gz", cache_dir=base / "cache")
    build_kd_mapping(cfg, tiny_ligands, log=lambda s: None)
    return cfg.out


@pytest.fixture(scope="module")
def inputs(tiny_checkpoint, tiny_ligand_set, tiny_kd_mapping):
    from gauss_core.evaluate.report import ReportConfig, load_inputs

    cfg = ReportConfig(checkpoint=tiny_checkpoint, ligands=tiny_ligand_set, kd_mapping=tiny_kd_mapping,
                       read_queue=False, casscf_set=None, kd_calibration=None)
    return load_inputs(cfg, log=lambda s: None)


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


def _pairs(seed_gap1, sample_gap1, flags=None) -> pd.DataFrame:
    """Seed/sample pairs with all 7 gaps (gap k = gap1 * (1 + (k - 1) / 4)) and the rules' verdicts."""
    from gauss_core.evaluate.fidelity import exclusion_reason

    seed_gap1, sample_gap1 = np.asarray(seed_gap1, float), np.asarray(sample_gap1, float)
    rows = []
    for i, (a, b) in enumerate(zip(seed_gap1, sample_gap1, strict=False)):
        gaps = {c: b * (1 + k / 4) for k, c in enumerate(C.KD_GAP_COLUMNS)}
        row = {"seed_smiles": f"s{i // 2}", "seed_gap1_cm1": a, "seed_gap7_cm1": a * 4, **gaps,
               "flags": (flags or {}).get(i, ""), "seed_excluded": ""}
        row["excluded"] = exclusion_reason(row)
        rows.append(row)
    return pd.DataFrame(rows)


def test_fidelity_score_is_the_papers_r2_like_metric():
    from gauss_core.evaluate.fidelity import fidelity_scores

    seeds = np.array([100.0, 100, 300, 300, 450, 450])
    exact = _pairs(seeds, seeds)
    assert fidelity_scores(exact)["score_gap1"] == pytest.approx(1.0)
    noisy = _pairs(seeds, seeds + np.array([50, -50, 50, -50, 50, -50.0]))
    s = fidelity_scores(noisy)["score_gap1"]
    expected = 1 - 6 * 50 ** 2 / ((noisy[C.KD_GAP_COLUMNS[0]] - noisy[C.KD_GAP_COLUMNS[0]].mean()) ** 2).sum()
    assert s == pytest.approx(expected) and s < 1
    assert fidelity_scores(_pairs(seeds, seeds[::-1]))["score_gap1"] < 0


def test_within_class_score_separates_class_level_from_within_class_order():
    """Two classes at different gap levels: samples that only keep their class level score well pooled but
    not within the class; samples that follow their seed within the class score well there too."""
    from gauss_core.evaluate.fidelity import MIN_CLASS_PAIRS, fidelity_scores, smiles_class, within_class_table

    assert [smiles_class(s) for s in ("OC", "NC", "[O-]C", "[N-]C", "C", "not smiles")] == [1, 2, 3, 4, 0, 0]
    rng = np.random.default_rng(0)
    n = MIN_CLASS_PAIRS
    anion_seeds = 400 + 100 * rng.random(n)             # class 3 near 450 cm-1
    neutral_seeds = 50 + 100 * rng.random(n)            # class 1 near 100 cm-1
    rows = []
    for seeds, seed_smi, smi, follows in ((anion_seeds, "[O-]C", "[O-]CC", True), (neutral_seeds, "OC", "OCC", False)):
        samples = seeds + rng.normal(0, 5, n) if follows else rng.permutation(seeds)
        for a, b in zip(seeds, samples, strict=False):
            rows.append({"estimator": "cf-pointcharge", "seed_smiles": seed_smi, C.SMILES: smi, "seed_gap1_cm1": a,
                         "seed_gap7_cm1": 4 * a, C.KD_GAP_COLUMNS[0]: b, C.KD_GAP_COLUMNS[-1]: 4 * b,
                         "excluded": "", "seed_excluded": ""})
    pairs = pd.DataFrame(rows)
    assert fidelity_scores(pairs)["score_gap1"] > 0.8                       # pooled: the class levels carry it
    table = within_class_table(pairs).set_index("seed_class")
    assert list(table.index) == [1, 3] and (table["pairs"] == n).all() and (table["same_class_pct"] == 100).all()
    assert table.loc[3, "score_gap1"] > 0.9 and table.loc[1, "score_gap1"] < 0.2
    few = within_class_table(pairs.iloc[: n // 2])
    assert np.isnan(few["score_gap1"]).all()                                 # below MIN_CLASS_PAIRS: no score


def test_fidelity_rules_exclude_failed_assemblies_and_unphysical_estimates():
    """Rule R1 (assembly-check flags) and R2 (plausible gaps) take such pairs out of the score; the score over
    every pair is still reported, and each exclusion is counted by reason."""
    from gauss_core.evaluate.fidelity import MAX_TOTAL_SPLITTING_CM1, exclusion_reason, fidelity_scores

    seeds = np.array([100.0, 100, 300, 300, 450, 450])
    # sample 0: the complex fails the clash check and its estimate is blown up; sample 3: an unphysical estimate
    blown = _pairs(seeds, [722.0, 100, 300, 3000, 450, 450], flags={0: "clash: 6 contact(s) too short; "
                                                                       "unrelaxed-template: not relaxed"})
    sc = fidelity_scores(blown)
    assert sc["n_pairs"] == 4 and sc["n_excluded_samples"] == 2 and sc["score_gap1"] == pytest.approx(1.0)
    assert sc["excluded_reasons"] == {"assembly check: clash": 1,
                                      f"implausible: total splitting > {MAX_TOTAL_SPLITTING_CM1:.0f} cm-1": 1}
    assert sc["n_pairs_all"] == 6 and sc["score_gap1_all"] < 0
    # informational flags are not failures; bent-axis is a real geometry
    ok = {c: 10.0 * (k + 1) for k, c in enumerate(C.KD_GAP_COLUMNS)}
    assert exclusion_reason({**ok, "flags": "unrelaxed-template: ...; bent-axis: L-Dy-L 150 deg"}) == ""
    assert exclusion_reason({**ok, "flags": np.nan}) == ""
    assert exclusion_reason({**ok, "error": "AssemblyError: no donor"}).startswith("estimate failed")
    assert "unordered" in exclusion_reason({**ok, C.KD_GAP_COLUMNS[0]: 500.0})
    assert "missing" in exclusion_reason({**ok, C.KD_GAP_COLUMNS[3]: np.nan})


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


def _hand_made_calibration():
    """A CalibratedModel with fixed coefficients (NOT fitted to CASSCF): gap k = 100 + 1.5 cf_gap1 + 0.1 k cf_gap7
    (k = 1..7),
    to check that the fidelity experiment runs seeds and samples through it."""
    from gauss_core.kd import CalibratedModel

    coef = [[1.5, 0.1 * k] for k in range(1, 8)]
    return CalibratedModel(name="kd-calibrated-ridge-v1", feature_names=["cf_gap1_cm1", "cf_gap7_cm1"],
                           mean=[0.0, 0.0], scale=[1.0, 1.0], coef=coef, intercept=[100.0] * 7, alpha=1.0, n_train=0,
                           cv_mae_cm1=float("nan"), cv_mae_per_gap_cm1=[float("nan")] * 7, cv_r_gap1=float("nan"),
                           cv_r_gap7=float("nan"), cf_only_r_gap1=float("nan"), training_hash="hand-made",
                           training_provenance=[])  # fitted-on geometry: the default (constrained GFN2)


CHELATING = "N1(CC(O)CCO)CC1"   # its template complex puts both OH groups on Dy (chelation, clash flags)


@pytest.mark.needs_xtb
@pytest.mark.slow
def test_fidelity_scores_both_estimators_with_recomputed_seeds(inputs, tmp_path):
    """Seeds and samples through both estimators (cf-pointcharge and a calibrated model), seeds recomputed, a
    failed assembly excluded and replaced. Candidates: the chelating ligand, then real ligands of the tiny set
    (the tiny model's LP samples are rarely donor-first ligands; LP sampling is covered by the report test)."""
    from dataclasses import replace

    from gauss_core import provenance
    from gauss_core.evaluate.fidelity import FidelityConfig, per_bin_table, run_fidelity, scores_by_estimator

    def candidates(inp, seed_smiles, z, config, rng_seed):
        yield CHELATING, 0.1
        for smi in inp.ligands[C.SMILES].iloc[rng_seed * 7:]:
            if smi != seed_smiles:
                yield smi, 0.1

    model = _hand_made_calibration()
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


def test_casscf_results_read_the_bundled_file_and_the_queue(tmp_path):
    """A real OpenMolcas CASSCF result ([Dy(H2O)5(OMe)2]+, tests/data/casscf_methoxide_result.json) bundled to a
    file is read without the queue; with the queue, its row is attributed to the queue; an unreadable bundled
    file is a clear error."""
    import json
    from pathlib import Path

    from gauss_core.errors import DataFormatError
    from gauss_core.evaluate.report import ReportConfig, casscf_results
    from gauss_core.jobs import JobStore, bundle_kd_results

    result = json.loads((Path(__file__).parent / "data" / "casscf_methoxide_result.json").read_text())
    store = JobStore(tmp_path / "queue.db")
    assert casscf_results(ReportConfig(casscf_set=None, queue_db=tmp_path / "queue.db")) is None  # nothing done yet
    job = store.enqueue("casscf", "[O-]C", {})
    assert store.claim().id == job.id and store.finish(job.id, result)
    bundled = tmp_path / "casscf_results.csv.gz"
    bundle_kd_results(store, bundled)
    only_file = casscf_results(ReportConfig(casscf_set=bundled, read_queue=False))
    assert list(only_file[C.SMILES]) == ["[O-]C"] and only_file["casscf_source"].iloc[0].startswith("bundled")
    assert only_file[C.KD_GAP_COLUMNS[0]].iloc[0] == pytest.approx(result["gaps_cm1"][0])
    assert only_file[C.KD_PROVENANCE].iloc[0] == "casscf-openmolcas"
    both = casscf_results(ReportConfig(casscf_set=bundled, queue_db=tmp_path / "queue.db"))
    assert len(both) == 1 and both["casscf_source"].iloc[0] == "bundled (casscf_results.csv.gz) + queue (queue.db)"
    only_queue = casscf_results(ReportConfig(casscf_set=None, queue_db=tmp_path / "queue.db"))
    assert only_queue["casscf_source"].tolist() == ["queue (queue.db)"]
    assert casscf_results(ReportConfig(casscf_set=tmp_path / "absent.csv.gz", read_queue=False)) is None
    pd.DataFrame({"smiles": ["[O-]C"], "energy": [1.0]}).to_csv(bundled, index=False)
    with pytest.raises(DataFormatError, match="lacks columns"):
        casscf_results(ReportConfig(casscf_set=bundled, read_queue=False))


def test_ranking_stats_and_calibration_cv(tmp_path):
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
    cv = calibration_cv(_hand_made_calibration().save(tmp_path / "cal.json"))
    assert cv["name"] == "kd-calibrated-ridge-v1" and cv["n_train"] == 0 and cv["file"] == "cal.json"
    assert calibration_cv_figure(cv, tmp_path / "none.png") is None          # no out-of-fold pairs stored
    from dataclasses import replace

    pairs = [[f"[O-]{'C' * i}", r, e] for i, (r, e) in enumerate(zip(ref, est, strict=False), start=1)]
    cv = calibration_cv(replace(_hand_made_calibration(), cv_spearman_gap1=1.0, cv_gap1_pairs=pairs,
                                cv_per_class={"3": {"n": 5, "mae_gap1_cm1": 1.0, "spearman_gap1": 1.0}})
                        .save(tmp_path / "cal2.json"))
    assert cv["cv_spearman_gap1"] == 1.0 and cv["cv_per_class"]["3"]["n"] == 5
    fig = calibration_cv_figure(cv, tmp_path / "cv.png")
    assert fig is not None and fig.stat().st_size > 5000


def test_learning_curve_plateau_rule():
    from gauss_core.evaluate.learning_curve import plateaued

    assert not plateaued([3.0, 2.0], patience=2, min_gain=0.01)                  # too few checks
    assert not plateaued([3.0, 2.0, 1.5, 1.2], patience=2, min_gain=0.01)        # error still falling
    assert plateaued([3.0, 2.0, 1.995, 1.999], patience=2, min_gain=0.01)        # gain < 0.01
    assert plateaued([3.0, 2.0, 2.2, 2.4], patience=2, min_gain=0.01)            # overfitting
    acc = [0.0, 0.0, 0.05, 0.071, 0.087]
    assert not plateaued(acc, patience=2, min_gain=0.01, higher_is_better=True)  # accuracy still rising
    assert plateaued(acc + [0.09, 0.085], patience=2, min_gain=0.01, higher_is_better=True)


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


@pytest.mark.needs_xtb
@pytest.mark.slow
def test_quick_report_end_to_end(inputs, tiny_checkpoint, tiny_ligand_set, tiny_kd_mapping, tmp_path):
    from gauss_core.evaluate.report import EXPERIMENTS, NUMBER_COLUMNS, ReportConfig, run_report

    out = tmp_path / "docs" / "evaluation.md"
    cfg = ReportConfig.quick_config(checkpoint=tiny_checkpoint, ligands=tiny_ligand_set, kd_mapping=tiny_kd_mapping,
                                    read_queue=False, casscf_set=None, kd_calibration=None, out_md=out)
    result = run_report(cfg, log=lambda s: None)
    assert result["skipped"] == {}, result["skipped"]
    text = out.read_text()
    for fig in ("fig2b_learning_curve", "fig2c_sigma_sweep", "fig6c_proxy_parity", "fig7_latent_pca",
                "fig8_seed_to_sample", "fig10_repopulation"):
        png = cfg.fig_dir / f"{fig}.png"
        assert png.exists() and png.read_bytes()[:4] == b"\x89PNG", fig
        assert f"figures/{fig}.png" in text
    numbers = pd.read_csv(cfg.numbers_csv)
    assert list(numbers.columns) == list(NUMBER_COLUMNS)
    for prefix in ("1 ", "2 ", "3 ", "4 ", "5 ", "6 ", "KD mapping"):
        assert numbers["experiment"].str.startswith(prefix).any(), prefix
    assert pd.read_json(cfg.numbers_csv.with_suffix(".json")).shape[0] == len(numbers)
    # provenance: KD numbers are labelled as estimates, never as CASSCF
    assert "crystal-field estimates" in text and "not CASSCF" in text
    fid = numbers[(numbers["experiment"] == "5 seed-to-sample") & numbers["metric"].str.contains("score")]
    assert len(fid) == 3  # first gap (target), last gap, first gap without exclusions; cf-pointcharge only
    assert fid["metric"].str.contains(r"\[cf-pointcharge\]").all() and fid["provenance"].str.contains("ESTIMATE").all()
    assert "Rules (chosen before scoring" in text and "total splitting (gap 7) exceeds 2000" in text
    # the learning curve table: real small models and the evaluated checkpoint
    curve = pd.read_csv(cfg.data_dir / "learning_curve.csv")
    assert {"n_train", "n_labelled", "epochs", "recon_exact", "recon_token", "model"} <= set(curve.columns)
    assert list(curve["n_train"].iloc[:-1]) == list(cfg.learning.train_sizes)
    assert curve["model"].iloc[-1] == "evaluated checkpoint"
    small = curve.iloc[:-1]
    assert (small["batches"] <= small["batches_trained"]).all()
    assert (small["batches_trained"] <= cfg.learning.max_batches).all() and small["stop"].notna().all()
    assert "batches_cap" in text and "until validation progress stops" in text and "recon_exact +0.01" in text
    lab = pd.read_csv(cfg.data_dir / "label_learning_curve.csv")
    assert len(lab) >= 1 and list(lab["n_labelled"]) == list(cfg.learning.label_counts[:len(lab)])  # as labels allow
    assert (lab["batches_trained"] <= cfg.learning.label_max_batches).all()
    assert ((curve["recon_token"] >= 0) & (curve["recon_token"] <= 1)).all()
    sweep = pd.read_csv(cfg.data_dir / "sigma_sweep.csv")
    assert sweep["validity_pct"].iloc[0] >= sweep["validity_pct"].iloc[-1]
    assert set(EXPERIMENTS) <= set(result["sections"])


def test_update_joins_runs_without_repeating_numbers(tiny_checkpoint, tiny_ligand_set, tmp_path):
    """--only sweep, then --only parity --update, then sweep again --update: one report with both sections,
    each naming its run, and each number once; stored sections of another checkpoint are refused."""
    import json
    from dataclasses import replace

    from gauss_core.errors import GaussError
    from gauss_core.evaluate.report import ReportConfig, run_report

    out = tmp_path / "docs" / "evaluation.md"
    cfg = ReportConfig.quick_config(checkpoint=tiny_checkpoint, ligands=tiny_ligand_set, kd_mapping=None,
                                    read_queue=False, casscf_set=None, kd_calibration=None, out_md=out,
                                    experiments=("sweep",))
    run_report(cfg, log=lambda s: None)
    first = pd.read_csv(cfg.numbers_csv)
    run_report(replace(cfg, experiments=("parity",), update=True), log=lambda s: None)
    run_report(replace(cfg, experiments=("sweep",), update=True), log=lambda s: None)
    text = out.read_text()
    assert "## 2. σ sweep" in text and "## 3. Proxy-head parity" in text
    assert "joins the sections of" in text and "`--only parity`" in text and "`--only sweep`" in text
    numbers = pd.read_csv(cfg.numbers_csv)
    sweep_rows = numbers[numbers["experiment"].str.startswith("2 ")]
    assert len(sweep_rows) == len(first[first["experiment"].str.startswith("2 ")]) > 0      # replaced, not added
    assert numbers["experiment"].str.startswith("3 proxy parity").any()
    assert not numbers.duplicated(["experiment", "metric"]).any()
    stored = json.loads(cfg.sections_json.read_text())
    stored["train_hash"] = "another model"
    cfg.sections_json.write_text(json.dumps(stored))
    with pytest.raises(GaussError, match="another checkpoint"):
        run_report(replace(cfg, update=True), log=lambda s: None)
    run_report(cfg, log=lambda s: None)                     # without --update the report is rewritten whole
    assert "## 3. Proxy-head parity" not in out.read_text()


def test_unknown_experiment_is_a_clear_error(tiny_checkpoint, tiny_ligand_set, tmp_path):
    from gauss_core.errors import GaussError
    from gauss_core.evaluate.report import ReportConfig, run_report

    cfg = ReportConfig.quick_config(checkpoint=tiny_checkpoint, ligands=tiny_ligand_set, kd_mapping=None,
                                    read_queue=False, casscf_set=None, out_md=tmp_path / "e.md", experiments=("fig99",))
    with pytest.raises(GaussError, match="unknown experiment 'fig99'"):
        run_report(cfg, log=lambda s: None)


def test_missing_kd_mapping_skips_kd_experiments_with_reason(tiny_checkpoint, tiny_ligand_set, tmp_path):
    from gauss_core.evaluate.report import ReportConfig, run_report

    cfg = ReportConfig.quick_config(checkpoint=tiny_checkpoint, ligands=tiny_ligand_set, kd_mapping=None,
                                    read_queue=False, casscf_set=None, out_md=tmp_path / "e.md",
                                    experiments=("fidelity", "repopulation"))
    result = run_report(cfg, log=lambda s: None)
    assert set(result["skipped"]) == {"fidelity", "repopulation"}
    assert "gauss kdmap build" in result["skipped"]["repopulation"]
    assert "Skipped:" in (tmp_path / "e.md").read_text()


@pytest.mark.needs_xtb
def test_label_drift_flags_a_recomputed_label_table(inputs):
    from dataclasses import replace

    from gauss_core.evaluate.report import label_drift

    k = list(inputs.loaded.label_names).index(C.Q_DONOR)
    loaded = replace(inputs.loaded, label_mean=np.array(inputs.loaded.label_mean, dtype=float),
                     label_std=np.array(inputs.loaded.label_std, dtype=float))
    loaded.label_mean[k], loaded.label_std[k] = -0.4, 0.2   # as if trained on labelled rows
    inputs = replace(inputs, loaded=loaded)
    shifted = inputs.labels.copy()
    shifted[C.Q_DONOR] = -0.4 + 5 * 0.2
    drift = label_drift(replace(inputs, labels=shifted))
    assert len(drift) == 1 and drift[0].startswith(C.Q_DONOR)
    same = shifted.copy()
    same[C.Q_DONOR] = -0.45
    assert not any(d.startswith(C.Q_DONOR) for d in label_drift(replace(inputs, labels=same)))
