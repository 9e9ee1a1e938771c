"""The `gauss evaluate` section of issue 13.5 (experiments/fig8_casscf.py) on the tiny checkpoint: skipped with the
reason and the commands when docs/fig8_casscf.csv is absent or has too few finished pairs, the CASSCF score beside
the estimate's when it has enough; it reads the file and never runs CASSCF."""

from __future__ import annotations

import pandas as pd
import pytest

from gauss_core import columns as C
from gauss_core.evaluate.casscf_fidelity_scores import PAIR_COLUMNS

CASSCF, EST = "casscf-openmolcas", "cf-pointcharge"


@pytest.fixture(autouse=True)
def own_gauss_home(tmp_path, monkeypatch):
    monkeypatch.setenv("GAUSS_HOME", str(tmp_path / "gauss_home"))


def pair_csv(path, done: int):
    """2 seeds x 4 samples; the first `done` samples have CASSCF gaps (seed 100 / 300 cm-1, sample = seed + d)."""
    rows = []
    deltas = [10.0, -10.0, 20.0, -5.0, 15.0, -20.0, 5.0, 30.0]
    for i, d in enumerate(deltas):
        seed, base, b = ("[O-]C", 100.0, 1) if i < 4 else ("OC", 300.0, 2)
        common = {"seed_smiles": seed, "kd_bin": b, C.SMILES: f"{seed}{'C' * (i % 4 + 1)}", C.SIGMA: 0.2,
                  "seed_source": "casscf"}
        gap = base + d if i < done else None
        rows.append({**common, "estimator": CASSCF, C.KD_GAP_COLUMNS[0]: gap, C.KD_GAP_COLUMNS[-1]: gap and gap * 3,
                     "seed_gap1_cm1": base, "seed_gap7_cm1": base * 3, "job_state": "done" if gap else "queued",
                     "seed_job_state": "done", C.KD_PROVENANCE: CASSCF if gap else ""})
        rows.append({**common, "estimator": EST, C.KD_GAP_COLUMNS[0]: base / 2 + 3 * d,
                     C.KD_GAP_COLUMNS[-1]: base + 3 * d, "seed_gap1_cm1": base / 2, "seed_gap7_cm1": base,
                     C.KD_PROVENANCE: EST})
    pd.DataFrame(rows).reindex(columns=PAIR_COLUMNS).to_csv(path, index=False)
    return path


def report(tiny_checkpoint, tiny_ligand_set, tmp_path, fig8):
    from gauss_core.evaluate.report import ReportConfig, run_report

    cfg = ReportConfig(checkpoint=tiny_checkpoint, ligands=tiny_ligand_set, labels=None, kd_mapping=None,
                       read_queue=False, casscf_set=None, kd_calibration=None, out_md=tmp_path / "docs" / "eval.md",
                       experiments=("fig8_casscf",), fig8_casscf=fig8)
    return cfg, run_report(cfg, log=lambda s: None)


def test_section_is_skipped_with_the_commands_until_enough_pairs_are_done(tiny_checkpoint, tiny_ligand_set, tmp_path):
    cfg, result = report(tiny_checkpoint, tiny_ligand_set, tmp_path, tmp_path / "absent.csv")
    why = result["skipped"]["fig8_casscf"]
    assert "no Fig. 8 CASSCF results" in why and "scripts/fig8_casscf.py --plan" in why and "--collect" in why
    text = cfg.out_md.read_text()
    assert "## 5b. Seed-to-sample fidelity with CASSCF" in text and f"Skipped: {why}" in text
    few = pair_csv(tmp_path / "few.csv", done=5)
    cfg, result = report(tiny_checkpoint, tiny_ligand_set, tmp_path, few)
    why = result["skipped"]["fig8_casscf"]
    assert "CASSCF done for 7 / 10 planned ligands, 5 / 8 seed-sample pairs scored (at least 8" in why
    assert "--collect" in why and "fig8_casscf" not in result["sections"]
    numbers = pd.read_csv(cfg.numbers_csv)
    assert not numbers["experiment"].str.startswith("5b").any()     # no made-up number


def test_section_shows_the_casscf_score_beside_the_estimate(tiny_checkpoint, tiny_ligand_set, tmp_path):
    from gauss_core.stats import r2

    path = pair_csv(tmp_path / "fig8_casscf.csv", done=8)
    cfg, result = report(tiny_checkpoint, tiny_ligand_set, tmp_path, path)
    assert "fig8_casscf" not in result["skipped"]
    section = result["sections"]["fig8_casscf"]
    assert "CASSCF done for 10 / 10 planned ligands; 8 / 8 seed-sample pairs scored" in section
    table = pd.read_csv(path)
    cas = table[table.estimator == CASSCF]
    expected = r2(cas[C.KD_GAP_COLUMNS[0]], cas["seed_gap1_cm1"])
    assert f"| {CASSCF} | CASSCF | {expected:.3f} |" in section
    est = table[table.estimator == EST]
    assert f"| {EST} | ESTIMATE | {r2(est[C.KD_GAP_COLUMNS[0]], est['seed_gap1_cm1']):.3f} |" in section
    assert "the project's CASSCF results, binned on their CASSCF first gap" in section
    assert (cfg.fig_dir / "fig8_casscf.png").read_bytes()[:4] == b"\x89PNG" and "figures/fig8_casscf.png" in section
    numbers = pd.read_csv(cfg.numbers_csv)
    rows = numbers[numbers["experiment"] == "5b seed-to-sample, CASSCF"]
    cas_row = rows[rows["metric"].str.contains(r"\[casscf-openmolcas\]")].iloc[0]
    assert float(cas_row["value"]) == pytest.approx(expected, abs=1e-9) and cas_row["provenance"].startswith("CASSCF")
    est_row = rows[rows["metric"].str.contains(r"\[cf-pointcharge\]")].iloc[0]
    assert est_row["provenance"].startswith("ESTIMATE") and "8 pairs" in est_row["metric"]
