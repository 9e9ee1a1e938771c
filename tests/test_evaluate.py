"""`gauss evaluate` on the tiny checkpoint (trained by the real trainer) with --quick settings: the six
experiments run for real (training, LP sampling, RDKit, PCA, complex assembly, GFN2-xTB, crystal field),
the report, figures and numbers table are written, and estimate provenance is stated."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from gauss_core import columns as C
from gauss_core.evaluate.common import r2


def test_r2_definition():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert r2(y, y) == pytest.approx(1.0)
    assert r2(y, np.full(4, y.mean())) == pytest.approx(0.0)
    assert r2(y, y[::-1]) < 0
    assert np.isnan(r2([1.0], [1.0]))


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
