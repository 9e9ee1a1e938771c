"""Issue 13.5's collect: finished casscf jobs of a real SQLite JobStore (results stored by hand, no worker) joined
onto a hand-made plan, the R^2-like score with CASSCF against the paper's definition computed by hand, and the
estimate scored on exactly the same pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gauss_core import columns as C
from gauss_core.evaluate import casscf_fidelity as cf
from gauss_core.evaluate import casscf_fidelity_scores as cs

SEEDS = {"[O-]C": 100.0, "OC": 300.0}                       # seed -> CASSCF first gap (bundled / job)
SAMPLES = {"[O-]C": {"[O-]CC": 110.0, "[O-]CCC": 90.0, "[O-]CCCC": 95.0, "[O-]CC(C)C": 120.0},
           "OC": {"OCC": 280.0, "OCCC": 330.0, "OCCCC": 310.0, "OCC(C)C": None}}   # None: job still queued
ESTIMATE = {"[O-]C": 50.0, "OC": 60.0, "[O-]CC": 55.0, "[O-]CCC": 40.0, "[O-]CCCC": 45.0, "[O-]CC(C)C": 70.0,
            "OCC": 65.0, "OCCC": 58.0, "OCCCC": 61.0, "OCC(C)C": 900.0}


def hand_score(pairs: list[tuple[float, float]]) -> float:
    """The paper's score from its definition: 1 - sum (E_sample - E_seed)^2 / sum (E_sample - mean E_sample)^2."""
    mean = sum(s for _, s in pairs) / len(pairs)
    return 1 - sum((s - e) ** 2 for e, s in pairs) / sum((s - mean) ** 2 for _, s in pairs)


def gaps(first: float) -> list[float]:
    return [first + 50.0 * k for k in range(7)]


def make_plan() -> pd.DataFrame:
    rows = []
    for b, (seed, samples) in enumerate(SAMPLES.items(), start=1):
        seed_est = {c: v for c, v in zip(C.KD_GAP_COLUMNS, gaps(ESTIMATE[seed]), strict=True)}
        rows.append({"role": "seed", "seed_smiles": seed, "kd_bin": b, C.SMILES: seed, **seed_est,
                     "estimator": "cf-pointcharge", "seed_source": "casscf"})
        for smi in samples:
            rows.append({"role": "sample", "seed_smiles": seed, "kd_bin": b, C.SMILES: smi, C.SIGMA: 0.2,
                         "estimator": "cf-pointcharge", "seed_gap1_cm1": ESTIMATE[seed],
                         "seed_gap7_cm1": gaps(ESTIMATE[seed])[-1], "seed_source": "casscf",
                         **{c: v for c, v in zip(C.KD_GAP_COLUMNS, gaps(ESTIMATE[smi]), strict=True)}})
    return pd.DataFrame(rows).reindex(columns=cf.PLAN_COLUMNS)


def finished_pairs(tmp_path) -> pd.DataFrame:
    """Queue the plan ([O-]C reused from a bundled row), finish the jobs with hand-made results, collect."""
    from gauss_core.jobs import JobStore

    store = JobStore(tmp_path / "queue.db")
    plan = make_plan()
    bundled = pd.DataFrame([{C.SMILES: "[O-]C", C.KD_PROVENANCE: "casscf-openmolcas", "kd_job_id": 3,
                             "kd_basis": "Dy ANO-RCC-VDZP, ligands ANO-RCC-VDZP",   # the default basis
                             "kd_geometry_source": "xtb-gfn2-constrained",
                             **dict(zip(C.KD_GAP_COLUMNS, gaps(SEEDS["[O-]C"]), strict=True))}])
    jobs = cf.queue_plan(store, plan, "assemble", bundled, home=tmp_path)
    values = {"OC": SEEDS["OC"], **{s: g for smp in SAMPLES.values() for s, g in smp.items()}}
    by_id = dict(zip(jobs.loc[jobs.source == "queue", "job_id"], jobs.loc[jobs.source == "queue", C.SMILES],
                     strict=True))
    while (job := store.claim()) is not None:
        first = values[by_id[job.id]]
        if first is None:
            store.release(job.id)   # back to queued: not finished yet
            break
        store.finish(job.id, {"provenance": "casscf-openmolcas", "gaps_cm1": gaps(first),
                              "geometry_source": "xtb-gfn2-constrained", "basis": {"Dy": "ANO-RCC-VDZP"}})
    results = cs.casscf_results(jobs, store, bundled)
    return cs.pair_table(plan, results)


def test_collect_scores_casscf_and_the_estimate_on_the_same_pairs(tmp_path):
    pairs = finished_pairs(tmp_path)
    assert set(pairs["estimator"]) == {"cf-pointcharge", "casscf-openmolcas"}
    cas = pairs[pairs["estimator"] == "casscf-openmolcas"].set_index(C.SMILES)
    assert cas.loc["[O-]CC", "seed_casscf_source"] == "bundled (job 3)"
    assert cas.loc["OCC(C)C", "job_state"] == "queued" and np.isnan(cas.loc["OCC(C)C", C.KD_GAP_COLUMNS[0]])
    scores = cs.paired_scores(pairs)
    assert list(scores) == ["casscf-openmolcas", "cf-pointcharge"]
    done = [(SEEDS[seed], g) for seed, smp in SAMPLES.items() for g in smp.values() if g is not None]
    assert scores["casscf-openmolcas"]["n_pairs"] == 7 and scores["casscf-openmolcas"]["n_seeds"] == 2
    assert scores["casscf-openmolcas"]["score_gap1"] == pytest.approx(hand_score(done))
    assert scores["casscf-openmolcas"]["score_gap1"] == pytest.approx(0.97204, abs=1e-5)
    # the estimate on the same 7 pairs: OCC(C)C (no CASSCF yet, estimate 900 cm-1) is left out
    est = [(ESTIMATE[seed], ESTIMATE[s]) for seed, smp in SAMPLES.items() for s, g in smp.items() if g is not None]
    assert scores["cf-pointcharge"]["n_pairs"] == 7
    assert scores["cf-pointcharge"]["score_gap1"] == pytest.approx(hand_score(est))
    table, totals = cs.progress(pairs)
    assert totals == {"planned": 10, "done": 9, "pairs_planned": 8, "pairs_scored": 7}
    assert table.set_index("kd_bin").loc[2, ["seeds_done", "samples", "samples_done"]].tolist() == [1, 4, 3]
    assert not cs.enough_pairs(totals)                          # MIN_PAIRS 8
    png = cs.casscf_figure(pairs, scores, tmp_path / "fig.png")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_a_casscf_geometry_with_a_failure_flag_is_excluded_like_an_estimate(tmp_path):
    from gauss_core.jobs import JobStore

    store = JobStore(tmp_path / "queue.db")
    plan = make_plan()
    jobs = cf.queue_plan(store, plan, "assemble", None, home=tmp_path)
    for _ in range(len(jobs)):
        job = store.claim()
        source = "xtb-gfn2-constrained [flags: bond-broken]" if job.smiles == "OCC" else "xtb-gfn2-constrained"
        store.finish(job.id, {"provenance": "casscf-openmolcas", "gaps_cm1": gaps(200.0), "geometry_source": source})
    results = cs.casscf_results(jobs, store, None).set_index(C.SMILES)
    assert results.loc["OCC", "excluded"] == "assembly check: bond-broken"
    assert (results.drop(index="OCC")["excluded"] == "").all() and (results["state"] == "done").all()
    scores = cs.paired_scores(cs.pair_table(plan, results.reset_index()))
    assert scores["casscf-openmolcas"]["n_pairs"] == 7 and scores["cf-pointcharge"]["n_pairs"] == 7
