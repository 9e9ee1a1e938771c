"""`gauss evaluate` on the tiny checkpoint (trained by the real trainer) with --quick settings: the six
experiments run for real (training, LP sampling, RDKit, PCA, complex assembly, GFN2-xTB, crystal field),
the report, figures and numbers table are written, and estimate provenance is stated."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from gauss_core import columns as C
from gauss_core.evaluate.common import r2

needs_xtb = pytest.mark.skipif(shutil.which("xtb") is None, reason="xtb not installed")


@pytest.fixture(scope="module")
def tiny_kd_mapping(tiny_ligands, tmp_path_factory):
    """A real KD mapping set of 16 tiny-set ligands (RDKit template + xtb single point + crystal field)."""
    from gauss_core.evaluate.kd_mapping import KDMapConfig, build_kd_mapping

    base = tmp_path_factory.mktemp("kdmap")
    cfg = KDMapConfig(n_ligands=16, out=base / "kd.csv.gz", cache_dir=base / "cache")
    build_kd_mapping(cfg, tiny_ligands, log=lambda s: None)
    return cfg.out


@pytest.fixture(scope="module")
def inputs(tiny_checkpoint, tiny_ligand_set, tiny_kd_mapping):
    from gauss_core.evaluate.report import ReportConfig, load_inputs

    cfg = ReportConfig(checkpoint=tiny_checkpoint, ligands=tiny_ligand_set, kd_mapping=tiny_kd_mapping,
                       read_queue=False)
    return load_inputs(cfg, log=lambda s: None)


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


def test_sweep_validity_falls_with_sigma(inputs):
    from gauss_core.evaluate.sweep_exp import SweepExpConfig, run_sweep

    seed, table = run_sweep(inputs, SweepExpConfig(sigmas=(0.0, 3.0), batches=2, batch_size=100))
    assert seed in set(inputs.loaded.train_smiles)
    assert list(table["attempts"]) == [200, 200]
    v0, v1 = table["validity_pct"]
    assert v0 >= v1
    assert table["novelty_pct"].iloc[0] <= table["novelty_pct"].max()


def test_fidelity_score_is_the_papers_r2_like_metric():
    from gauss_core.evaluate.fidelity import fidelity_scores

    seeds = np.array([100.0, 100, 300, 300, 500, 500])
    exact = pd.DataFrame({"seed_smiles": list("aabbcc"), "seed_gap1_cm1": seeds, "seed_gap7_cm1": seeds * 2,
                          C.KD_GAP_COLUMNS[0]: seeds, C.KD_GAP_COLUMNS[-1]: seeds * 2})
    assert fidelity_scores(exact)["score_gap1"] == pytest.approx(1.0)
    noisy = exact.assign(**{C.KD_GAP_COLUMNS[0]: seeds + np.array([50, -50, 50, -50, 50, -50.0])})
    s = fidelity_scores(noisy)["score_gap1"]
    expected = 1 - 6 * 50 ** 2 / ((noisy[C.KD_GAP_COLUMNS[0]] - noisy[C.KD_GAP_COLUMNS[0]].mean()) ** 2).sum()
    assert s == pytest.approx(expected) and s < 1
    blown = exact.copy()
    blown.loc[0, C.KD_GAP_COLUMNS[0]] = 9000.0  # one estimator failure
    sc = fidelity_scores(blown)
    assert sc["score_gap1"] < 0.5 and sc["n_unphysical"] == 1 and sc["score_gap1_physical"] == pytest.approx(1.0)
    unrelated = exact.assign(seed_gap1_cm1=seeds[::-1])
    assert fidelity_scores(unrelated)["score_gap1"] < 0


def test_parity_on_heldout_ligands(inputs):
    from gauss_core.evaluate.proxy_parity import ParityConfig, parity_scores, parity_table

    table = parity_table(inputs, ParityConfig(n_heldout=40))
    train = set(inputs.loaded.train_smiles)
    assert len(table) > 0 and not set(table[C.SMILES]) & train
    scores = parity_scores(table, inputs.loaded.label_names)
    assert list(scores.columns) == ["label", "n", "r2", "mae"]
    z = scores.set_index("label").loc[C.DONOR_Z]
    assert z["n"] == len(table)  # donor_Z is known for every ligand


@needs_xtb
@pytest.mark.slow
def test_quick_report_end_to_end(inputs, tiny_checkpoint, tiny_ligand_set, tiny_kd_mapping, tmp_path):
    from gauss_core.evaluate.report import EXPERIMENTS, NUMBER_COLUMNS, ReportConfig, run_report

    out = tmp_path / "docs" / "evaluation.md"
    cfg = ReportConfig.quick_config(checkpoint=tiny_checkpoint, ligands=tiny_ligand_set, kd_mapping=tiny_kd_mapping,
                                    read_queue=False, out_md=out)
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
    assert len(fid) == 3  # raw, without unphysical estimates, last gap
    assert fid["provenance"].str.contains("ESTIMATE").all()
    # the learning curve table: real small models and the evaluated checkpoint
    curve = pd.read_csv(cfg.data_dir / "learning_curve.csv")
    assert {"n_train", "n_labelled", "epochs", "recon_exact", "recon_token", "model"} <= set(curve.columns)
    assert list(curve["n_train"].iloc[:-1]) == list(cfg.learning.train_sizes)
    assert curve["model"].iloc[-1] == "evaluated checkpoint"
    assert ((curve["recon_token"] >= 0) & (curve["recon_token"] <= 1)).all()
    sweep = pd.read_csv(cfg.data_dir / "sigma_sweep.csv")
    assert sweep["validity_pct"].iloc[0] >= sweep["validity_pct"].iloc[-1]
    assert set(EXPERIMENTS) <= set(result["sections"])


def test_unknown_experiment_is_a_clear_error(tiny_checkpoint, tiny_ligand_set, tmp_path):
    from gauss_core.errors import GaussError
    from gauss_core.evaluate.report import ReportConfig, run_report

    cfg = ReportConfig.quick_config(checkpoint=tiny_checkpoint, ligands=tiny_ligand_set, kd_mapping=None,
                                    read_queue=False, out_md=tmp_path / "e.md", experiments=("fig99",))
    with pytest.raises(GaussError, match="unknown experiment 'fig99'"):
        run_report(cfg, log=lambda s: None)


def test_missing_kd_mapping_skips_kd_experiments_with_reason(tiny_checkpoint, tiny_ligand_set, tmp_path):
    from gauss_core.evaluate.report import ReportConfig, run_report

    cfg = ReportConfig.quick_config(checkpoint=tiny_checkpoint, ligands=tiny_ligand_set, kd_mapping=None,
                                    read_queue=False, out_md=tmp_path / "e.md",
                                    experiments=("fidelity", "repopulation"))
    result = run_report(cfg, log=lambda s: None)
    assert set(result["skipped"]) == {"fidelity", "repopulation"}
    assert "gauss kdmap build" in result["skipped"]["repopulation"]
    assert "Skipped:" in (tmp_path / "e.md").read_text()


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
