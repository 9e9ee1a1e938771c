"""Section 8 of `gauss evaluate` (issue 13): cheap geometry paths, CASSCF on DFT geometries, basis study."""

from __future__ import annotations

import pandas as pd
import pytest

from gauss_core.errors import GaussError
from gauss_core.evaluate.experiments import setup_truth
from gauss_core.evaluate.experiments.base import RunContext
from gauss_core.evaluate.report_config import ReportConfig


def _ctx(folder) -> RunContext:
    return RunContext(inputs=None, config=ReportConfig(setup_truth_dir=folder), log=lambda m: None)  # type: ignore[arg-type]


def test_no_tables_skips_the_section_with_the_commands(tmp_path):
    with pytest.raises(GaussError, match="compare_geometry.py --export"):
        setup_truth.run(_ctx(tmp_path))


def test_tables_give_scores_against_the_targets(tmp_path):
    pd.DataFrame({"smiles": list("abcdef"), "ligand_class": [3, 3, 3, 1, 1, 1],
                  "r_dft_A": [2.10, 2.15, 2.20, 2.30, 2.35, 2.40], "r_template_A": [2.15] * 3 + [2.30] * 3,
                  "r_gfn2_axial_A": [1.90, 1.95, 2.00, 2.20, 2.15, 2.25], "gfn2_axial_cpu_s": [4.0] * 6}
                 ).to_csv(tmp_path / "geometry_compare.csv", index=False)
    # [O-]C: MB against its largest basis "big"; NC: MB against a "mid" basis kept from an earlier queue (its "big"
    # job was cancelled); OC: no reference finished, so its MB is not scored
    pd.DataFrame({"smiles": ["[O-]C", "[O-]C", "OC", "OC", "NC", "NC"],
                  "setting": ["MB", "big", "MB", "big", "MB", "mid"],
                  "state": ["done", "done", "done", "queued", "done (earlier queue)", "done (earlier queue)"],
                  "dev_gap1_pct": [-3.0, 0.0, None, None, 150.0, 0.0],
                  "max_dev_pct": [6.0, 0.0, None, None, 150.0, 0.0],
                  "reference": ["big", "big", None, None, "mid", "mid"],
                  "molcas_cpu_s": [100.0, 900.0, 120.0, None, 90.0, 500.0]}
                 ).to_csv(tmp_path / "casscf_basis_study.csv", index=False)
    result = setup_truth.run(_ctx(tmp_path))
    nums = pd.DataFrame(result.numbers).set_index("metric")
    gfn2 = nums.loc["axial r MAE vs DFT, GFN2 axial free (n=6)"]
    assert gfn2.value == pytest.approx(0.175, abs=1e-9) and not gfn2.passed
    assert nums.loc["Spearman of r within class 3, GFN2 axial free (n=3)", "value"] == pytest.approx(1.0)
    assert nums.loc["Spearman of r within class 1, GFN2 axial free (n=3)", "value"] == pytest.approx(0.5)
    short = [m for m in nums.index if "fewer than 3" in m]  # classes 2 and 4: one n/a row, not one per path
    assert len(short) == 1 and "class 2, 4" in short[0] and "3/0/3/0" in short[0]
    assert not any(m.startswith("Spearman of r within class 2, GFN") for m in nums.index)
    mb = nums.loc["basis MB: max |deviation| of any gap from the largest basis of the same ligand (2 complexes)"]
    assert mb.value == pytest.approx(150.0) and not mb.passed  # [O-]C and NC have a reference; the worst counts
    text = setup_truth.section(result)
    # the worst deviation per class, and each setting's CPU against MB on the same ligand (900/100, 500/90)
    assert "| neutral N 150.0 · anionic O 6.0 |" in text
    assert "| big | 1 | 0 |" in text and "| 900 | 9.000 |" in text and "| 500 | 5.556 |" in text
    assert "casscf_on_dft.csv` (make it with" in text and "GFN2 axial free" in text and "4.0 s" in text
    assert "--start reference" in text  # the same-conformer table is optional and says how to make it


def test_same_conformer_table_is_scored_under_its_own_names(tmp_path):
    table = pd.DataFrame({"smiles": list("abc"), "ligand_class": [3, 3, 3], "r_dft_A": [2.10, 2.15, 2.20],
                          "r_template_A": [2.15] * 3, "r_gfn2_axial_A": [2.12, 2.16, 2.19],
                          "gfn2_axial_cpu_s": [4.0] * 3})
    table.to_csv(tmp_path / "geometry_compare.csv", index=False)
    table.assign(r_gfn2_axial_A=[2.30, 2.20, 2.10]).to_csv(tmp_path / "geometry_compare_same_conformer.csv",
                                                          index=False)
    nums = pd.DataFrame(setup_truth.run(_ctx(tmp_path)).numbers).set_index("metric")
    assert nums.loc["axial r MAE vs DFT, GFN2 axial free (n=3)", "value"] == pytest.approx(0.0133, abs=1e-3)
    same = "Spearman of r within class 3, GFN2 axial free, DFT's conformer (n=3)"
    assert nums.loc[same, "value"] == pytest.approx(-1.0)


def test_search_table_is_scored_under_its_own_names(tmp_path):
    table = pd.DataFrame({"smiles": list("abc"), "ligand_class": [1, 1, 1], "r_dft_A": [2.30, 2.35, 2.40],
                          "r_template_A": [2.30] * 3, "r_gfn2_axial_A": [2.10, 2.16, 2.19],
                          "gfn2_axial_cpu_s": [4.0] * 3})
    table.to_csv(tmp_path / "geometry_compare.csv", index=False)
    result = setup_truth.run(_ctx(tmp_path))
    assert "--ref-start search" in setup_truth.section(result)  # optional: says how to make it
    table.assign(r_gfn2_axial_A=[2.19, 2.16, 2.10]).to_csv(tmp_path / "geometry_compare_search.csv", index=False)
    nums = pd.DataFrame(setup_truth.run(_ctx(tmp_path)).numbers).set_index("metric")
    assert nums.loc["Spearman of r within class 1, GFN2 axial free (n=3)", "value"] == pytest.approx(1.0)
    assert nums.loc["Spearman of r within class 1, GFN2 axial free, lowest-energy conformer (n=3)",
                    "value"] == pytest.approx(-1.0)


def test_campaign_on_the_new_geometry_shows_e1_against_r_and_a_refitted_calibration(tmp_path, monkeypatch):
    """Issue 13.4: the CASSCF campaign's table, per class, and the calibrated estimate refitted on it (CV)."""
    import numpy as np

    from gauss_core import columns

    ligands = ["[O-]C", "[O-]CC", "[O-]CCC", "[O-]C(C)C", "OC", "OCC", "OCCC", "OC(C)C"]
    r = np.array([2.10, 2.14, 2.18, 2.22, 2.30, 2.36, 2.42, 2.48])
    gap1 = np.where(r < 2.25, 2300.0 * (2.40 - r), 900.0 * (2.60 - r))  # E1 falls with r in each class
    table = pd.DataFrame({"smiles": ligands, columns.KD_PROVENANCE: "casscf-openmolcas",
                          "kd_geometry_source": "xtb-gfn2-axial+dft-class-linear-n18 (builder search)",
                          "r_Dy_L_mean_A": r, "cf_gap1_cm1": gap1 * 0.8 + 5.0, "cf_gap7_cm1": gap1 * 3.0,
                          "q_donor_xtb_e": np.linspace(-0.9, -0.5, 8), "anionic": [1.0] * 4 + [0.0] * 4,
                          "donor_is_N": 0.0, "alpha_donor_au3": 5.0, "angle_L_Dy_L_deg": 180.0, "mpp_A": 0.0})
    for k, col in enumerate(columns.KD_GAP_COLUMNS):
        table[col] = gap1 * (1 + 0.3 * k)
    path = tmp_path / "casscf_results_axial_mapped.csv.gz"
    table.to_csv(path, index=False)
    pd.DataFrame({"smiles": list("abc"), "ligand_class": [1, 1, 1], "r_dft_A": [2.30, 2.35, 2.40],
                  "r_template_A": [2.30] * 3, "r_gfn2_axial_A": [2.10, 2.16, 2.19]}
                 ).to_csv(tmp_path / "geometry_compare.csv", index=False)
    monkeypatch.setattr(setup_truth, "CAMPAIGN_FILE", path)
    result = setup_truth.run(_ctx(tmp_path))
    nums = pd.DataFrame(result.numbers).set_index("metric")
    assert nums.loc["CASSCF first gap vs -r within anionic O (n=4)", "value"] == pytest.approx(1.0)
    assert nums.loc["CASSCF first gap vs -r within neutral O (n=4)", "value"] == pytest.approx(1.0)
    overall = nums.loc["calibrated estimate on the new geometry, CV Spearman of E1 (n=8)"]
    assert np.isfinite(overall.value) and "xtb-gfn2-axial+dft-class-linear-n18" in overall.provenance
    assert "calibrated estimate on the new geometry, CV Spearman of E1 within anionic O (n=4)" in nums.index
    text = setup_truth.section(result)
    assert "CASSCF on the computed axial distance" in text and "Calibrated estimate refitted on these 8" in text

    table.head(3).to_csv(path, index=False)  # too few to fit: said, not fitted
    text = setup_truth.section(setup_truth.run(_ctx(tmp_path)))
    assert "not fitted yet" in text and "at least" in text
