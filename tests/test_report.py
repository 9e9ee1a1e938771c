"""`gauss evaluate` on the tiny checkpoint (trained by the real trainer) with --quick settings: the six
experiments run for real (training, LP sampling, RDKit, PCA, complex assembly, GFN2-xTB, crystal field),
the report, figures and numbers table are written, and estimate provenance is stated; --update joins runs."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture(autouse=True)
def own_gauss_home(tmp_path, monkeypatch):
    """The --update state goes under GAUSS_HOME: each test keeps its own."""
    monkeypatch.setenv("GAUSS_HOME", str(tmp_path / "gauss_home"))


@pytest.mark.needs_xtb
@pytest.mark.slow
def test_quick_report_end_to_end(inputs, tiny_checkpoint, tiny_ligand_set, tiny_kd_mapping, tmp_path):
    from gauss_core.evaluate import EXPERIMENTS
    from gauss_core.evaluate.report import ReportConfig, run_report
    from gauss_core.evaluate.report_config import NUMBER_COLUMNS

    out = tmp_path / "docs" / "evaluation.md"
    cfg = ReportConfig.quick_config(checkpoint=tiny_checkpoint, ligands=tiny_ligand_set, kd_mapping=tiny_kd_mapping,
                                    read_queue=False, casscf_set=None, kd_calibration=None, out_md=out,
                                    fig8_casscf=tmp_path / "no_fig8_casscf.csv")
    result = run_report(cfg, log=lambda s: None)
    # without CASSCF results (casscf_set=None) the surrogate benchmark has nothing to learn from: said, not run;
    # likewise Fig. 8 with CASSCF without its pair table (never computed by the report)
    assert set(result["skipped"]) == {"surrogate", "fig8_casscf"}, result["skipped"]
    assert "scripts/fig8_casscf.py --plan" in result["skipped"]["fig8_casscf"]
    assert "CASSCF results" in result["skipped"]["surrogate"] and "needs at least 20" in result["skipped"]["surrogate"]
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
    assert set(EXPERIMENTS) - {"surrogate", "fig8_casscf"} <= set(result["sections"])


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
    # the --update state travels with the report (a fresh clone has no GAUSS_HOME of the run that wrote it) ...
    assert cfg.sections_json == out.parent / "evaluation_data" / "sections.json"
    # ... and a report whose state is gone is not silently cut down to the sections run now
    cfg.sections_json.unlink()
    with pytest.raises(GaussError, match="exists but the state that keeps its sections"):
        run_report(replace(cfg, experiments=("parity",), update=True), log=lambda s: None)
    assert "## 2. σ sweep" in out.read_text()


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
