"""Issue 13.5's plan and queue: the reduced Fig. 8 plan on the tiny model (real LP sampling, templates, GFN2-xTB,
crystal field), the seed source (CASSCF bins or estimate bins), and an idempotent queue on a real SQLite JobStore
(no worker runs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gauss_core import columns as C
from gauss_core.errors import GaussError
from gauss_core.evaluate import casscf_fidelity as cf


def test_default_plan_is_the_issues_reduced_fig8():
    config = cf.Fig8CasscfConfig()
    assert (config.n_bins, config.seeds_per_bin, config.samples_per_seed, config.sigma) == (6, 2, 4, 0.2)
    fc = config.fidelity()
    assert fc.sigma_start == fc.sigma_max == 0.2          # one round at sigma 0.2, never raised
    assert (fc.n_bins, fc.seeds_per_bin, fc.samples_per_seed) == (6, 2, 4)


def test_seeds_come_from_casscf_bins_only_when_every_bin_has_enough(inputs):
    """With a CASSCF table whose first gaps fill both bins the seeds are drawn from it; with one bin short the plan
    falls back to the mapping set's estimate bins. Flags in the geometry source drop a broken complex (rule R1)."""
    from dataclasses import replace

    smiles = list(inputs.kd[C.SMILES][:8])
    gaps = np.array([10.0, 20, 30, 40, 400, 410, 420, 430])
    table = pd.DataFrame({C.SMILES: smiles, **{c: gaps + 10 * k for k, c in enumerate(C.KD_GAP_COLUMNS)},
                          C.KD_PROVENANCE: "casscf-openmolcas",
                          "kd_geometry_source": ["xtb-gfn2-constrained"] * 7 + ["xtb-gfn2-constrained [flags: clash]"]})
    fc = cf.Fig8CasscfConfig(n_bins=2, seeds_per_bin=3).fidelity()
    seed_in, source = cf.seed_inputs(replace(inputs, casscf=table), fc)
    assert source == "casscf" and list(seed_in.kd[C.SMILES]) == smiles
    assert seed_in.kd["flags"].iloc[-1] == "clash"
    fc4 = replace(fc, seeds_per_bin=4)    # bin 2 holds 3 valid ligands (the 4th has a clash): too few
    assert cf.seed_inputs(replace(inputs, casscf=table), fc4)[1] == "estimate"
    assert cf.seed_inputs(replace(inputs, casscf=None), fc)[1] == "estimate"


TINY = cf.Fig8CasscfConfig(n_bins=2, seeds_per_bin=1, samples_per_seed=2, sigma=3.0, attempts=500,
                           max_candidates_per_seed=3, calibration=None, seed=1)


@pytest.mark.needs_xtb
@pytest.mark.slow
def test_plan_is_deterministic_bounded_novel_and_queueable(inputs, tmp_path):
    """Real LP sampling on the tiny model (it decodes donor-first ligands only far from a seed, hence sigma 3 here;
    the script uses 0.2): twice the same plan for one seed; at most bins x seeds x samples; samples novel (not in
    the training set), valid ligands the queue accepts, distinct from their seed."""
    from gauss_core.ligands.validate import validate_ligand
    from gauss_core.sampling.metrics import canonical_or_none

    plan, candidates, summary = cf.make_plan(inputs, TINY, log=lambda s: None)
    again, _, _ = cf.make_plan(inputs, TINY, log=lambda s: None)
    pd.testing.assert_frame_equal(plan, again)
    assert summary["seed_source"] == "estimate" and (plan["seed_source"] == "estimate").all()
    ligands = cf.planned_ligands(plan)
    seeds, samples = ligands[ligands.role == "seed"], plan[plan.role == "sample"]
    assert 1 <= len(seeds) <= TINY.n_bins * TINY.seeds_per_bin
    assert len(samples) >= 1 and samples.groupby("seed_smiles")[C.SMILES].nunique().max() <= TINY.samples_per_seed
    assert set(samples["seed_smiles"]) <= set(seeds[C.SMILES])
    for smi in samples[C.SMILES]:
        canon = canonical_or_none(smi)
        assert canon is not None and canon not in inputs.reference and smi not in inputs.train_set
        validate_ligand(smi)
    assert (samples["excluded"].fillna("") == "").all()      # excluded candidates stay out of the plan ...
    assert len(candidates) >= len(samples)                   # ... and in the candidates table
    assert samples[C.SIGMA].eq(3.0).all() and samples[C.KD_GAP_COLUMNS[0]].notna().all()
    assert (plan["estimator"] == "cf-pointcharge").all()     # calibration=None: the point-charge estimate only
    path = cf.write_plan(plan, candidates, summary, home=tmp_path)
    assert len(cf.read_plan(tmp_path)) == len(plan) and path.parent == tmp_path / "fig8_casscf"


def _plan(seeds: dict[str, list[str]]) -> pd.DataFrame:
    rows = []
    for b, (seed, samples) in enumerate(seeds.items(), start=1):
        rows.append({"role": "seed", "seed_smiles": seed, "kd_bin": b, C.SMILES: seed, "estimator": "cf-pointcharge"})
        rows += [{"role": "sample", "seed_smiles": seed, "kd_bin": b, C.SMILES: s, C.SIGMA: 0.2,
                  "estimator": "cf-pointcharge"} for s in samples]
    return pd.DataFrame(rows).reindex(columns=cf.PLAN_COLUMNS)


def test_queue_is_idempotent_and_reuses_bundled_seeds_on_the_same_geometry(tmp_path):
    from gauss_core.jobs import JobStore

    store = JobStore(tmp_path / "queue.db")
    plan = _plan({"[O-]C": ["[O-]CC", "[O-]CCC"], "OC": ["OCC"]})
    # [O-]C in the default basis; OC in ligands MB (the bundled set's basis, no longer the default)
    basis = ["Dy ANO-RCC-VDZP, ligands ANO-RCC-VDZP", "Dy ANO-RCC-VDZP, ligands ANO-RCC-MB"]
    bundled = pd.DataFrame({C.SMILES: ["[O-]C", "OC"], C.KD_PROVENANCE: "casscf-openmolcas", "kd_job_id": [7, 8],
                            "kd_basis": basis,
                            "kd_geometry_source": "xtb-gfn2-constrained"})
    first = cf.queue_plan(store, plan, "assemble", bundled, home=tmp_path)
    # [O-]C has a bundled result on the same geometry and basis: reused; OC's was another basis: queued
    assert dict(zip(first[C.SMILES], first["source"], strict=True)) == {
        "[O-]C": "bundled", "OC": "queue", "[O-]CC": "queue", "[O-]CCC": "queue", "OCC": "queue"}
    assert first.loc[first.source == "bundled", "job_id"].tolist() == [7]
    assert first["created"].sum() == 4 and store.counts()["queued"] == 4
    assert {j.params["geometry"] for j in store.list()} == {"assemble"}
    second = cf.queue_plan(store, plan, "assemble", bundled, home=tmp_path)
    assert second["created"].sum() == 0 and store.counts()["queued"] == 4
    assert second["job_id"].tolist() == first["job_id"].tolist()
    assert cf.read_jobs(tmp_path)["job_id"].tolist() == first["job_id"].tolist()
    # without reuse the seed gets its own job too
    assert cf.queue_plan(store, plan, "assemble", None, home=tmp_path)["created"].sum() == 1
    with pytest.raises(GaussError, match="idealised exists only for methoxide"):
        cf.queue_plan(store, plan, "idealised", bundled, home=tmp_path)


def test_bundled_values_are_reused_only_for_the_geometry_they_were_computed_on():
    from gauss_core.jobs.kinds import resolve_params

    bundled = pd.DataFrame({C.SMILES: ["[O-]C", "OC"], C.KD_PROVENANCE: ["casscf-openmolcas", "cf-pointcharge"],
                            "kd_basis": "Dy ANO-RCC-VDZP, ligands ANO-RCC-VDZP",
                            "kd_geometry_source": "xtb-gfn2-constrained [flags: bent-axis]"})
    same = resolve_params("casscf", {"geometry": "assemble"})
    assert list(cf.reusable_bundled(bundled, same)[C.SMILES]) == ["[O-]C"]    # an estimate is never reused
    # the bundled set's ligands-MB results are not what a default (VDZP) job computes
    assert cf.reusable_bundled(bundled.assign(kd_basis="Dy ANO-RCC-VDZP, ligands ANO-RCC-MB"), same).empty
    assert cf.reusable_bundled(bundled, {**same, "relax": False}).empty
    assert cf.reusable_bundled(bundled, {**same, "ligand_basis": "donor-VDZP"}).empty
    assert cf.default_geometry() in cf.queue_geometries() and "xyz" not in cf.queue_geometries()


def test_missing_plan_and_jobs_name_the_command(tmp_path):
    with pytest.raises(GaussError, match="--plan"):
        cf.read_plan(tmp_path)
    with pytest.raises(GaussError, match="--queue"):
        cf.read_jobs(tmp_path)
