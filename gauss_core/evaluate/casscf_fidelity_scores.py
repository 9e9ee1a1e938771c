"""Issue 13.5 collect: the Fig. 8 CASSCF plan's finished jobs joined onto its pairs, the R^2-like seed-to-sample
score with CASSCF and with the estimates on the same pairs (fidelity_scores), progress and the figure.

The pair table (docs/fig8_casscf.csv) has one row per planned (seed, sample) pair and estimator: the plan's
estimates (their provenance tags) and `casscf-openmolcas` rows whose gaps stay empty until both jobs are done.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gauss_core import columns as C
from gauss_core.evaluate.casscf_fidelity import CASSCF, MIN_PAIRS, geometry_flags
from gauss_core.evaluate.fidelity import GAP1, GAP7, exclusion_reason
from gauss_core.evaluate.fidelity_scores import fidelity_figure, scored_pairs, scores_by_estimator

PAIR_COLUMNS = ["seed_smiles", "kd_bin", C.SMILES, C.SIGMA, "estimator", *C.KD_GAP_COLUMNS, C.KD_PROVENANCE,
                "excluded", "seed_gap1_cm1", "seed_gap7_cm1", "seed_excluded", "seed_source", "job_state",
                "seed_job_state", "casscf_source", "seed_casscf_source"]
DONE = "done"


def casscf_results(jobs: pd.DataFrame, store, bundled: pd.DataFrame | None) -> pd.DataFrame:
    """One row per planned ligand: its CASSCF gaps (NaN until done), provenance, job state, where the value comes
    from ("job N" or "bundled (job N)") and the rules' exclusion reason (R1 on the geometry CASSCF saw, R2)."""
    from gauss_core.jobs.labels import kd_rows_from_jobs

    rows = []
    for j in jobs.itertuples(index=False):
        row: dict = {C.SMILES: getattr(j, C.SMILES)}
        if j.source == "bundled":
            hit = bundled[bundled["kd_job_id"] == j.job_id] if bundled is not None else pd.DataFrame()
            hit = hit[hit[C.SMILES] == row[C.SMILES]] if len(hit) else hit
            res = hit.iloc[0].to_dict() if len(hit) else {}
            row.update(state=DONE if res else "missing", casscf_source=f"bundled (job {int(j.job_id)})")
        else:
            job = store.get(int(j.job_id))
            found = kd_rows_from_jobs([job])
            res = found.iloc[0].to_dict() if len(found) else {}
            row.update(state=job.state if res or job.state != DONE else "done-unusable",
                       casscf_source=f"job {job.id}")
        row.update({c: res.get(c, np.nan) for c in C.KD_GAP_COLUMNS})
        row[C.KD_PROVENANCE] = res.get(C.KD_PROVENANCE, "")
        row["excluded"] = (exclusion_reason({**row, "flags": geometry_flags(res.get("kd_geometry_source"))})
                           if res else "")
        rows.append(row)
    return pd.DataFrame(rows, columns=[C.SMILES, "state", "casscf_source", *C.KD_GAP_COLUMNS, C.KD_PROVENANCE,
                                       "excluded"])


def pair_table(plan: pd.DataFrame, cas: pd.DataFrame) -> pd.DataFrame:
    """The plan's sample rows (its estimates) plus one CASSCF row per (seed, sample) pair, PAIR_COLUMNS."""
    est = plan[plan["role"] == "sample"].copy()
    by = cas.drop_duplicates(C.SMILES).set_index(C.SMILES)
    pairs = est.drop_duplicates(["seed_smiles", C.SMILES])
    rows = pairs[["seed_smiles", "kd_bin", C.SMILES, C.SIGMA, "seed_source"]].copy()
    rows["estimator"] = CASSCF
    for c in C.KD_GAP_COLUMNS:
        rows[c] = rows[C.SMILES].map(by[c]) if len(by) else np.nan
    rows[C.KD_PROVENANCE] = rows[C.SMILES].map(by[C.KD_PROVENANCE]) if len(by) else ""
    seed_map = {"seed_gap1_cm1": GAP1, "seed_gap7_cm1": GAP7, "seed_excluded": "excluded",
                "seed_job_state": "state", "seed_casscf_source": "casscf_source"}
    for col, src in (("excluded", "excluded"), ("job_state", "state"), ("casscf_source", "casscf_source")):
        rows[col] = rows[C.SMILES].map(by[src]) if len(by) else ""
    for col, src in seed_map.items():
        rows[col] = rows["seed_smiles"].map(by[src]) if len(by) else np.nan
    return pd.concat([est, rows], ignore_index=True).reindex(columns=PAIR_COLUMNS)


def same_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """The CASSCF rows, then the estimates' rows of exactly the pairs CASSCF scores (same seeds, same samples)."""
    cas = pairs[pairs["estimator"] == CASSCF]
    ok = scored_pairs(cas) if len(cas) else cas
    keys = set(zip(ok["seed_smiles"], ok[C.SMILES], strict=True))
    on_keys = [k in keys for k in zip(pairs["seed_smiles"], pairs[C.SMILES], strict=True)]
    est = pairs[(pairs["estimator"] != CASSCF).to_numpy() & np.array(on_keys, dtype=bool)]
    return pd.concat([cas, est], ignore_index=True)


def paired_scores(pairs: pd.DataFrame) -> dict[str, dict]:
    """fidelity_scores per estimator on same_pairs: CASSCF first, then each estimate in plan order."""
    tags = [CASSCF, *dict.fromkeys(pairs.loc[pairs["estimator"] != CASSCF, "estimator"])]
    return scores_by_estimator(same_pairs(pairs), tags)


def progress(pairs: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Per bin: planned seeds/samples, those with a CASSCF value, failed jobs, scored pairs; and the totals
    (ligands done / planned)."""
    cas = pairs[pairs["estimator"] == CASSCF]
    cols = ["kd_bin", "seeds", "seeds_done", "samples", "samples_done", "failed", "pairs_scored"]
    rows = []
    for b, g in cas.groupby("kd_bin"):
        seeds = g.drop_duplicates("seed_smiles")
        samples = g.drop_duplicates(C.SMILES)
        rows.append({"kd_bin": int(b), "seeds": len(seeds), "seeds_done": int(seeds["seed_gap1_cm1"].notna().sum()),
                     "samples": len(samples), "samples_done": int(samples[GAP1].notna().sum()),
                     "failed": int((seeds["seed_job_state"] == "failed").sum()
                                   + (samples["job_state"] == "failed").sum()),
                     "pairs_scored": len(scored_pairs(g))})
    table = pd.DataFrame(rows, columns=cols)
    ligands = pd.concat([cas[["seed_smiles", "seed_gap1_cm1"]].set_axis([C.SMILES, GAP1], axis=1),
                         cas[[C.SMILES, GAP1]]]).drop_duplicates(C.SMILES)
    totals = {"planned": int(len(ligands)), "done": int(ligands[GAP1].notna().sum()),
              "pairs_planned": int(len(cas)), "pairs_scored": int(table["pairs_scored"].sum()) if len(table) else 0}
    return table, totals


def enough_pairs(totals: dict) -> bool:
    return totals["pairs_scored"] >= MIN_PAIRS


def casscf_figure(pairs: pd.DataFrame, scores: dict[str, dict], path: Path) -> Path:
    """Fig. 8-style: each sample's first and last gap against its seed's, CASSCF row first, then the estimates on
    the same pairs."""
    same = same_pairs(pairs)
    return fidelity_figure(same, scores, path, note="First row: CASSCF(9,7)+SO (OpenMolcas) for seeds and samples; "
                                                    "further rows: ESTIMATES on the same pairs; colour = bin")
