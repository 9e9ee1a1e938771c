"""Issue 13.5: the paper's Fig. 8 with CASSCF on a reduced scale (6 bins x 2 seeds x 4 novel samples, sigma 0.2).

Three steps, each resumable (scripts/fig8_casscf.py runs them; `gauss evaluate` only reads the result):
  plan     the estimate-based experiment (fidelity.run_fidelity: its bins, seeds, LP samples and R1/R2 rules)
           run once with the reduced settings; seeds are drawn from the project's CASSCF results binned on their
           CASSCF first gap when every bin holds enough of them (seed_source "casscf"), else from the KD mapping
           set's estimate bins as the estimate-based experiment does (seed_source "estimate"). Written to
           GAUSS_HOME/fig8_casscf/plan.csv (one row per planned ligand and estimator), so the draw is fixed.
  queue    one `casscf` job per planned ligand, the geometry parameter explicit; a seed already in the bundled
           CASSCF results on the same geometry and basis reuses that value (jobs.csv says which).
  collect  the finished jobs' gaps joined onto the plan: one row per (seed, sample) pair and estimator, CASSCF
           included (docs/fig8_casscf.csv); scored with fidelity_scores (the paper's R^2-like score), the
           estimates on the same pairs as CASSCF.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from gauss_core import columns as C
from gauss_core import paths, provenance
from gauss_core.errors import GaussError
from gauss_core.evaluate.common import EvalInputs
from gauss_core.evaluate.fidelity import GAP1, GAP7, FidelityConfig, iter_samples, run_fidelity, seed_candidates

CASSCF = provenance.CASSCF_OPENMOLCAS
PLAN_DIR = "fig8_casscf"
PLAN_FILE = "plan.csv"
CANDIDATES_FILE = "plan_candidates.csv"
JOBS_FILE = "jobs.csv"
DOC_CSV = paths.REPO_ROOT / "docs" / "fig8_casscf.csv"
DOC_FIGURE = paths.REPO_ROOT / "docs" / "figures" / "fig8_casscf.png"
MIN_PAIRS = 8   # fewer finished CASSCF pairs give no score (the section says how many are done)
COMMAND = ("python scripts/fig8_casscf.py --plan && python scripts/fig8_casscf.py --queue, "
           "then `nice -n 15 python -m gauss_core worker`, then python scripts/fig8_casscf.py --collect")
PLAN_COLUMNS = ["role", "seed_smiles", "kd_bin", C.SMILES, C.SIGMA, "estimator", *C.KD_GAP_COLUMNS, C.KD_PROVENANCE,
                "flags", "excluded", "seed_gap1_cm1", "seed_gap7_cm1", "seed_excluded", "seed_source",
                "set_gap1_cm1", "set_kd_provenance"]


@dataclass(frozen=True)
class Fig8CasscfConfig:
    """Issue 13.5's reduced Fig. 8: n_bins x seeds_per_bin seeds, samples_per_seed novel samples at `sigma`.

    Attributes:
        attempts: LP attempts at sigma (one round, sigma is not raised).
        max_candidates_per_seed: samples estimated per seed at most (those failing R1/R2 are replaced).
        calibration: calibrated-estimate file scored beside cf-pointcharge when it exists; None = never.
    """

    n_bins: int = 6
    seeds_per_bin: int = 2
    samples_per_seed: int = 4
    sigma: float = 0.2
    attempts: int = 4000
    max_candidates_per_seed: int = 12
    calibration: Path | None = field(default_factory=lambda: paths.KD_CALIBRATION)
    seed: int = 0

    def fidelity(self) -> FidelityConfig:
        """The estimate-based experiment's settings for this plan (sigma held at `sigma`)."""
        return FidelityConfig(n_bins=self.n_bins, seeds_per_bin=self.seeds_per_bin,
                              samples_per_seed=self.samples_per_seed,
                              max_candidates_per_seed=self.max_candidates_per_seed, sigma_start=self.sigma,
                              sigma_step=0.1, sigma_max=self.sigma, attempts_per_round=self.attempts,
                              calibration=self.calibration, seed=self.seed)


def plan_dir(home: Path | None = None) -> Path:
    return Path(home or paths.gauss_home()) / PLAN_DIR


def geometry_flags(source: object) -> str:
    """The assembly-check flags a CASSCF job appended to its geometry source ('xtb-gfn2-constrained [flags: a; b]')."""
    text = str(source) if isinstance(source, str) else ""
    return text.split("[flags:", 1)[1].strip().rstrip("]").strip() if "[flags:" in text else ""


def casscf_seed_table(casscf: pd.DataFrame | None) -> pd.DataFrame:
    """CASSCF results as a KD table for fidelity.seed_candidates: the 7 CASSCF gaps, their provenance and the
    flags of the geometry CASSCF saw (so rule R1 drops a broken complex as a seed)."""
    if casscf is None or len(casscf) == 0:
        return pd.DataFrame(columns=[C.SMILES, *C.KD_GAP_COLUMNS, C.KD_PROVENANCE, "flags"])
    table = casscf[[C.SMILES, *C.KD_GAP_COLUMNS, C.KD_PROVENANCE]].copy()
    table["flags"] = [geometry_flags(s) for s in casscf.get("kd_geometry_source", pd.Series("", index=casscf.index))]
    return table.reset_index(drop=True)


def seed_inputs(inputs: EvalInputs, fc: FidelityConfig) -> tuple[EvalInputs, str]:
    """(inputs whose KD table the seeds are drawn from, seed source): the CASSCF results when every bin of their
    first gap holds seeds_per_bin valid, encodable ligands ("casscf"), else the mapping set ("estimate")."""
    cas = replace(inputs, kd=casscf_seed_table(inputs.casscf))
    try:
        cands, _ = seed_candidates(cas, fc)
    except GaussError:
        return inputs, "estimate"
    per_bin = cands["kd_bin"].value_counts()
    if all(per_bin.get(b, 0) >= fc.seeds_per_bin for b in range(1, fc.n_bins + 1)):
        return cas, "casscf"
    return inputs, "estimate"


def queueable_samples(inputs: EvalInputs, seed_smiles: str, z: np.ndarray, config: FidelityConfig,
                      rng_seed: int) -> Generator[tuple[str, float], None, None]:
    """fidelity.iter_samples (novel, distinct, donor-first LP samples) less those the job queue would refuse
    (gauss_core.ligands.validate: radicals, oversized, ...), so that every planned ligand can be queued."""
    from gauss_core.ligands.validate import validate_ligand

    found = iter_samples(inputs, seed_smiles, z, config, rng_seed)
    try:
        for smiles, sigma in found:
            try:
                validate_ligand(smiles)
            except GaussError:
                continue
            yield smiles, sigma
    finally:
        found.close()


def make_plan(inputs: EvalInputs, config: Fig8CasscfConfig, log: Callable[[str], None] = print,
              candidates: Callable | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Seeds, samples and their estimates (run_fidelity with config.fidelity() on the seed_inputs table).

    Args:
        candidates: run_fidelity's sample source; default queueable LP samples (queueable_samples).
    Returns:
        (plan, candidates, summary): plan = accepted seeds and samples (PLAN_COLUMNS, one row per ligand and
        estimator, role seed|sample); candidates = every estimated candidate as run_fidelity returned it
        (excluded ones with their reason); summary = run_fidelity's + seed_source.
    """
    fc = config.fidelity()
    seed_in, source = seed_inputs(inputs, fc)
    log("seeds from the " + ("CASSCF results (bins of the CASSCF first gap)" if source == "casscf"
                             else "KD mapping set (bins of the estimated first gap)"))
    seeds, samples, summary = run_fidelity(seed_in, fc, log, candidates=candidates or queueable_samples)
    summary["seed_source"] = source
    primary = next(iter(summary["estimators"]))
    acc = seeds[seeds["accepted"].astype(bool)].copy()
    acc = acc.assign(role="seed", seed_smiles=acc[C.SMILES], seed_gap1_cm1=acc[GAP1], seed_gap7_cm1=acc[GAP7],
                     seed_excluded=acc["excluded"])
    ok_primary = samples[(samples["estimator"] == primary) & (samples["excluded"].fillna("") == "")]
    keep = set(zip(ok_primary["seed_smiles"], ok_primary[C.SMILES], strict=False))
    pairs = zip(samples["seed_smiles"], samples[C.SMILES], strict=True)
    in_plan = np.array([pair in keep for pair in pairs], dtype=bool)
    smp = samples[in_plan].copy()
    set_gap = acc.drop_duplicates(C.SMILES).set_index(C.SMILES)
    smp = smp.assign(role="sample", set_gap1_cm1=smp["seed_smiles"].map(set_gap["set_gap1_cm1"]),
                     set_kd_provenance=smp["seed_smiles"].map(set_gap["set_kd_provenance"]))
    plan = pd.concat([acc, smp], ignore_index=True)
    plan["seed_source"] = source
    plan = plan.reindex(columns=PLAN_COLUMNS)
    return plan, samples, summary


def write_plan(plan: pd.DataFrame, candidates: pd.DataFrame, summary: dict, home: Path | None = None) -> Path:
    """plan.csv, plan_candidates.csv and plan.json (summary) under GAUSS_HOME/fig8_casscf/."""
    out = plan_dir(home)
    out.mkdir(parents=True, exist_ok=True)
    plan.to_csv(out / PLAN_FILE, index=False)
    candidates.to_csv(out / CANDIDATES_FILE, index=False)
    (out / "plan.json").write_text(json.dumps(summary, indent=1, default=str))
    return out / PLAN_FILE


TEXT_COLUMNS = ("role", "seed_smiles", C.SMILES, "estimator", C.KD_PROVENANCE, "flags", "excluded", "seed_excluded",
                "seed_source", "set_kd_provenance", "job_state", "seed_job_state", "casscf_source",
                "seed_casscf_source")


def read_table(path: Path) -> pd.DataFrame:
    """A plan or pair table as written: text columns as text (empty = NaN), so an all-empty column stays text."""
    head = pd.read_csv(path, nrows=0).columns
    return pd.read_csv(path, keep_default_na=False, na_values=[""],
                       dtype={c: object for c in TEXT_COLUMNS if c in head})


def read_plan(home: Path | None = None) -> pd.DataFrame:
    path = plan_dir(home) / PLAN_FILE
    if not path.exists():
        raise GaussError(f"no Fig. 8 CASSCF plan at {path}: make it first with `python scripts/fig8_casscf.py --plan`")
    return read_table(path)


def planned_ligands(plan: pd.DataFrame) -> pd.DataFrame:
    """One row per planned ligand (seeds first, in plan order): smiles, role, kd_bin, and the seed's bin value."""
    rows = plan.drop_duplicates(C.SMILES)[[C.SMILES, "role", "kd_bin", "set_gap1_cm1", "set_kd_provenance"]]
    return rows.sort_values("role", key=lambda r: r.map({"seed": 0, "sample": 1}), kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------- queue

# The geometry every bundled CASSCF result was computed on (casscf_results.csv.gz kd_geometry_source): the
# assembled complex after the constrained GFN2-xTB relaxation, i.e. geometry=assemble with relax=true.
BUNDLED_GEOMETRY_SOURCE = "xtb-gfn2-constrained"
JOB_COLUMNS = [C.SMILES, "role", "kd_bin", "source", "job_id", "geometry", "params"]


def queue_geometries() -> tuple[str, ...]:
    """CasscfGeometry values a plan can use: every one but those tied to one ligand or one file."""
    from gauss_core.modes import CasscfGeometry

    return tuple(g.value for g in CasscfGeometry if g not in (CasscfGeometry.IDEALISED, CasscfGeometry.XYZ))


def default_geometry() -> str:
    """The product's current default geometry of a casscf job."""
    from gauss_core.jobs.kinds import CASSCF_DEFAULTS

    return str(CASSCF_DEFAULTS["geometry"])


def reusable_bundled(bundled: pd.DataFrame, params: dict) -> pd.DataFrame:
    """Bundled CASSCF rows computed as a job with these (resolved) params would compute them: same geometry recipe
    (assemble + constrained relaxation), same program and basis; empty for any other setting."""
    from gauss_core.modes import CasscfGeometry, CasscfMethod

    if (len(bundled) == 0 or params.get("geometry") != CasscfGeometry.ASSEMBLE or not params.get("relax")
            or params.get("method") != CasscfMethod.OPENMOLCAS):
        return bundled.iloc[0:0]
    basis = f"Dy {params['dy_basis']}, ligands {params['ligand_basis']}"
    source = bundled["kd_geometry_source"].fillna("").astype(str)
    same = (bundled["kd_basis"] == basis) & source.str.startswith(BUNDLED_GEOMETRY_SOURCE)
    return bundled[same & bundled[C.KD_PROVENANCE].map(lambda t: provenance.is_casscf(str(t)))]


def queue_plan(store, plan: pd.DataFrame, geometry: str, bundled: pd.DataFrame | None = None,
               home: Path | None = None) -> pd.DataFrame:
    """Enqueue one casscf job (params {"geometry": geometry}) per planned ligand not reused from `bundled`, and
    write jobs.csv. Idempotent: the store returns an existing job for the same ligand and params.

    Args:
        store: gauss_core.jobs.JobStore.
        bundled: CASSCF results to reuse (reusable_bundled decides which); None = reuse nothing.
    Returns:
        JOB_COLUMNS + created (True for a job added by this call).
    Raises:
        GaussError: a geometry a plan cannot use.
    """
    from gauss_core.jobs.kinds import resolve_params

    if geometry not in queue_geometries():
        raise GaussError(f"--geometry {geometry!r}: choose one of {', '.join(queue_geometries())} (idealised exists "
                         "only for methoxide, xyz needs one stored file per ligand)")
    params = resolve_params("casscf", {"geometry": geometry})
    ligands = planned_ligands(plan)
    reuse = reusable_bundled(bundled, params) if bundled is not None else pd.DataFrame(columns=[C.SMILES])
    reuse_ids = dict(zip(reuse[C.SMILES], reuse.get("kd_job_id", pd.Series(dtype=float)), strict=False))
    to_queue = [s for s in ligands[C.SMILES] if s not in reuse_ids]
    queued = dict(zip(to_queue, store.enqueue_many("casscf", to_queue, {"geometry": geometry}), strict=True))
    rows = []
    for r in ligands.itertuples(index=False):
        smi = getattr(r, C.SMILES)
        base = {C.SMILES: smi, "role": r.role, "kd_bin": int(r.kd_bin), "geometry": geometry,
                "params": json.dumps(params, sort_keys=True)}
        if smi in reuse_ids:
            rows.append({**base, "source": "bundled", "job_id": reuse_ids[smi], "created": False})
        else:
            job, created = queued[smi]
            rows.append({**base, "source": "queue", "job_id": job.id, "created": created})
    table = pd.DataFrame(rows, columns=[*JOB_COLUMNS, "created"])
    out = plan_dir(home)
    out.mkdir(parents=True, exist_ok=True)
    table.drop(columns="created").to_csv(out / JOBS_FILE, index=False)
    return table


def read_jobs(home: Path | None = None) -> pd.DataFrame:
    path = plan_dir(home) / JOBS_FILE
    if not path.exists():
        raise GaussError(f"no queued Fig. 8 CASSCF jobs ({path}): queue the plan with "
                         "`python scripts/fig8_casscf.py --queue`")
    return pd.read_csv(path)
