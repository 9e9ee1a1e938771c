"""Completed jobs as labels: CASSCF jobs give KD labels (the 7 gaps and their provenance), LoProp jobs
give donor-atom proxy labels; one row per ligand SMILES.

The tables are written to GAUSS_HOME/labels/kd_casscf.csv and GAUSS_HOME/labels/proxy_loprop.csv
(independent of the bundled assets) so that the dashboard, training and the calibrated KD estimate can
read them without opening the queue database.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gauss_core import columns, paths
from gauss_core.jobs.store import DONE, JobStore

KD_JOB_COLUMNS = ("kd_ground_gx", "kd_ground_gy", "kd_ground_gz", "kd_job_id", "kd_geometry_source", "kd_basis")
LABEL_COLUMNS = (columns.SMILES, *columns.KD_GAP_COLUMNS, columns.KD_PROVENANCE, *KD_JOB_COLUMNS)


def default_labels_path() -> Path:
    return paths.gauss_home() / "labels" / "kd_casscf.csv"


def merge_kd_results(store: JobStore) -> pd.DataFrame:
    """KD labels of every done 'casscf' job, one row per SMILES (the most recently finished job wins).

    Returns:
        DataFrame with LABEL_COLUMNS: smiles, kd_gap1_cm1..kd_gap7_cm1, kd_provenance, ground-KD g values,
        the job id, geometry source and basis.
    """
    rows = []
    jobs = sorted(store.list(state=DONE, kind="casscf"), key=lambda j: (j.finished_at or 0, j.id))
    for job in jobs:
        res = job.result or {}
        gaps = res.get("gaps_cm1") or []
        if len(gaps) != len(columns.KD_GAP_COLUMNS):
            continue
        g = res.get("ground_g") or [float("nan")] * 3
        basis = res.get("basis") or {}
        row = {columns.SMILES: job.smiles, columns.KD_PROVENANCE: res.get("provenance", "unknown"),
               "kd_ground_gx": g[0], "kd_ground_gy": g[1], "kd_ground_gz": g[2], "kd_job_id": job.id,
               "kd_geometry_source": res.get("geometry_source", ""),
               "kd_basis": f"Dy {basis.get('Dy', '?')}, ligands {basis.get('ligands', '?')}"}
        row.update(dict(zip(columns.KD_GAP_COLUMNS, (float(x) for x in gaps))))
        rows.append(row)
    df = pd.DataFrame(rows, columns=list(LABEL_COLUMNS))
    return df.drop_duplicates(columns.SMILES, keep="last").reset_index(drop=True)


def _write_csv_atomically(frame: pd.DataFrame, path: Path) -> Path:
    """Temp file + rename, so a crash never leaves a half-written label table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    frame.to_csv(tmp, index=False)
    tmp.replace(path)
    return path


def write_kd_labels(store: JobStore, path: Path | None = None) -> Path:
    """Write merge_kd_results(store) to CSV (atomically) and return its path."""
    return _write_csv_atomically(merge_kd_results(store), Path(path) if path else default_labels_path())


def default_loprop_labels_path() -> Path:
    return paths.gauss_home() / "labels" / "proxy_loprop.csv"


def merge_loprop_results(store: JobStore) -> pd.DataFrame:
    """Donor-atom labels of every done 'loprop' job, one row per SMILES (latest finished wins).

    Returns:
        DataFrame: smiles, columns.PROXY_COLUMNS (donor_Z, q_donor_e, mu_donor_au, alpha_donor_au3),
        provenance ("openmolcas-loprop"), loprop_basis, loprop_job_id.
    """
    cols = [columns.SMILES, *columns.PROXY_COLUMNS, columns.PROVENANCE, "loprop_basis", "loprop_job_id"]
    rows = []
    for job in sorted(store.list(state=DONE, kind="loprop"), key=lambda j: (j.finished_at or 0, j.id)):
        res = job.result or {}
        if not all(c in res for c in columns.PROXY_COLUMNS):
            continue
        rows.append({columns.SMILES: job.smiles, **{c: res[c] for c in columns.PROXY_COLUMNS},
                     columns.PROVENANCE: res.get("provenance", "unknown"), "loprop_basis": res.get("basis", ""),
                     "loprop_job_id": job.id})
    df = pd.DataFrame(rows, columns=cols)
    return df.drop_duplicates(columns.SMILES, keep="last").reset_index(drop=True)


def write_loprop_labels(store: JobStore, path: Path | None = None) -> Path:
    """Write merge_loprop_results(store) to CSV (atomically) and return its path."""
    return _write_csv_atomically(merge_loprop_results(store), Path(path) if path else default_loprop_labels_path())
