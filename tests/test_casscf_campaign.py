"""scripts/casscf_campaign.py (issue 13.4): a seeded plan spread over classes and estimate bins that leaves out
ligands with bundled CASSCF, an idempotent queue on a real SQLite JobStore (no worker runs), and a collected
table that `gauss complex calibrate --casscf` accepts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import load_script

from gauss_core import columns, provenance
from gauss_core.jobs.store import JobStore
from gauss_core.kd.calibration import FEATURES


@pytest.fixture(scope="module")
def campaign():
    return load_script("casscf_campaign")


@pytest.fixture(scope="module")
def inputs(campaign):
    from gauss_core.ligands import load_ligand_set

    estimates = pd.read_csv(campaign.ESTIMATES)
    exclude = {campaign.ligand_key(s) for s in pd.read_csv(campaign.EXISTING)[columns.SMILES]}
    return load_ligand_set(), estimates, exclude


def test_plan_is_seeded_spread_and_leaves_out_existing_casscf(campaign, inputs):
    ligands, estimates, exclude = inputs
    plan = campaign.pick(ligands, estimates, exclude, 42, seed=3, bins=4)
    assert plan.equals(campaign.pick(ligands, estimates, exclude, 42, seed=3, bins=4))
    other = campaign.pick(ligands, estimates, exclude, 42, seed=4, bins=4)
    assert set(other[columns.SMILES]) != set(plan[columns.SMILES])
    assert len(plan) == 42 and plan[columns.SMILES].is_unique and list(plan["order"]) == list(range(1, 43))
    assert plan[columns.LIGAND_CLASS].value_counts().sort_index().tolist() == [11, 11, 10, 10]
    for _cls, part in plan.groupby(columns.LIGAND_CLASS):
        counts = part["estimate_bin"].value_counts()
        assert set(counts.index) == {0, 1, 2, 3} and counts.max() - counts.min() <= 1
    assert not set(plan[columns.SMILES].map(campaign.ligand_key)) & exclude
    # the bins span each class's range of the estimate: the plan reaches into both tails
    for cls, part in plan.groupby(columns.LIGAND_CLASS):
        everything = estimates.loc[estimates[columns.LIGAND_CLASS] == cls, columns.KD_GAP_COLUMNS[0]]
        assert part["estimate_cm1"].min() <= everything.quantile(0.25)
        assert part["estimate_cm1"].max() >= everything.quantile(0.75)
    # the first jobs of a partly run plan are spread over the classes too
    assert sorted(plan[columns.LIGAND_CLASS].head(4)) == [1, 2, 3, 4]
    # ligands of the bundled CASSCF set are in the estimate table: leaving them out is real work
    assert len(exclude & set(estimates[columns.SMILES].map(campaign.ligand_key))) == len(exclude) > 100


def _fake_result(rng: np.random.Generator, job) -> dict:
    """A casscf job result as run_casscf returns it (hand-made here: no CASSCF runs in tests)."""
    gap1 = float(rng.uniform(50, 500))
    feats = {f: float(rng.normal()) for f in FEATURES}
    return {"provenance": provenance.CASSCF_OPENMOLCAS, "method": "openmolcas",
            "geometry_source": "xtb-gfn2-axial", "basis": {"Dy": "ANO-RCC-VDZP", "ligands": "ANO-RCC-MB"},
            "wall_s": 600.0, "gaps_cm1": [gap1 * (1 + 0.3 * k) for k in range(7)], "ground_g": [0.0, 0.0, 19.9],
            "estimate_features": feats}


def test_queue_is_idempotent_and_collect_feeds_calibrate(campaign, inputs, tmp_path, monkeypatch, capsys):
    from gauss_core.cli import main as gauss_main
    from gauss_core.jobs.labels import LABEL_COLUMNS

    monkeypatch.setenv("GAUSS_HOME", str(tmp_path))
    ligands, estimates, exclude = inputs
    plan = campaign.pick(ligands, estimates, exclude, 12, seed=0, bins=3)
    plan_file = tmp_path / "casscf_campaign" / "plan.csv"
    assert campaign.write_plan(plan, plan_file)
    assert not campaign.write_plan(plan.head(3), plan_file)          # kept: the draw stays fixed
    assert len(campaign.read_plan(plan_file)) == 12
    store = JobStore(tmp_path / "queue.db")
    assert campaign.queue(plan, store, "axial") == (12, 0)
    assert campaign.queue(plan, store, "axial") == (0, 12)             # idempotent
    assert campaign.main(["--queue", "--geometry", "axial"]) == 0      # the CLI path too
    assert ("0 casscf jobs queued (geometry=axial, builder=auto, ligand basis ANO-RCC-VDZP), 12 already"
            in capsys.readouterr().out)                                # the default basis, named
    jobs = store.list(kind="casscf")
    assert len(jobs) == 12 and {j.params["geometry"] for j in jobs} == {"axial"}
    assert campaign.queue(plan.head(2), store, "assemble") == (2, 0)   # another geometry is another job
    assert campaign.queue(plan.head(2), store, "axial", "search") == (2, 0)  # so is another builder
    assert campaign.queue(plan.head(2), store, "axial", "search") == (0, 2)
    with pytest.raises(Exception, match="choose one of"):
        campaign.queue(plan, store, "idealised")

    rng = np.random.default_rng(0)
    for _ in range(8):
        job = store.claim(kinds=("casscf",))
        if job.params["geometry"] == "axial":
            store.finish(job.id, _fake_result(rng, job))
        else:
            store.fail(job.id, "not this geometry")
    assert campaign.main(["--collect", "--geometry", "axial"]) == 0
    out = capsys.readouterr().out
    assert "8 of 12 planned complexes have CASSCF results (geometry=axial)" in out and "queued" in out
    results = pd.read_csv(tmp_path / "casscf_campaign" / "casscf_results_axial.csv")
    assert list(results.columns) == list(LABEL_COLUMNS) == list(pd.read_csv(campaign.EXISTING).columns)
    assert len(results) == 8 and set(results["kd_geometry_source"]) == {"xtb-gfn2-axial"}
    # the collected table is what `gauss complex calibrate --casscf` reads (descriptors stored: no rebuild)
    collected = tmp_path / "casscf_campaign" / "casscf_results_axial.csv"
    assert gauss_main(["complex", "calibrate", "--casscf", str(collected), "--out", str(tmp_path / "cal.json")]) == 0
    out = capsys.readouterr().out
    assert "8 CASSCF complexes" in out and "GroupKFold by scaffold" in out
    assert "descriptors on xtb-gfn2-axial geometries" in out


def test_the_ligand_basis_is_part_of_a_campaign_job(campaign, inputs, tmp_path):
    """A campaign run in another ligand basis (the MB of the first campaign jobs, before the default became
    VDZP) queues its own jobs next to the default ones and collects only its own results."""
    ligands, estimates, exclude = inputs
    plan = campaign.pick(ligands, estimates, exclude, 4, seed=0, bins=1)
    store = JobStore(tmp_path / "queue.db")
    assert campaign.queue(plan, store, "axial-mapped", "search") == (4, 0)
    assert campaign.queue(plan, store, "axial-mapped", "search", "ANO-RCC-VDZP") == (0, 4)  # the default, spelt out
    assert campaign.queue(plan, store, "axial-mapped", "search", "ANO-RCC-MB") == (4, 0)
    mb = [j for j in store.list(kind="casscf") if j.params.get("ligand_basis") == "ANO-RCC-MB"]
    assert len(mb) == 4
    rng = np.random.default_rng(1)
    for _ in range(8):
        job = store.claim(kinds=("casscf",))
        store.finish(job.id, _fake_result(rng, job))
    status, jobs = campaign.campaign_jobs(plan, store, "axial-mapped", "search", "ANO-RCC-MB")
    assert sorted(j.id for j in jobs) == sorted(j.id for j in mb) and set(status["state"]) == {"done"}
    status, jobs = campaign.campaign_jobs(plan, store, "axial-mapped", "search")
    assert not {j.id for j in jobs} & {j.id for j in mb} and len(jobs) == 4
    with pytest.raises(Exception, match="ligand basis 'VDZP': choose one of"):
        campaign.queue(plan, store, "axial", ligand_basis="VDZP")


def test_plan_command_keeps_an_existing_draw(campaign, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GAUSS_HOME", str(tmp_path))
    assert campaign.main(["--plan", "8", "--bins", "2"]) == 0
    first = (tmp_path / "casscf_campaign" / "plan.csv").read_text()
    assert "wrote" in capsys.readouterr().out
    assert campaign.main(["--plan", "8", "--bins", "2", "--seed", "5"]) == 0
    assert "kept" in capsys.readouterr().out and (tmp_path / "casscf_campaign" / "plan.csv").read_text() == first
    assert campaign.main(["--collect", "--plan-file", str(tmp_path / "missing.csv")]) == 2
    assert "--plan N" in capsys.readouterr().err
