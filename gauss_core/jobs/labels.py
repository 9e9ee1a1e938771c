"""Completed jobs as labels: CASSCF jobs give KD labels (the 7 gaps and their provenance), LoProp jobs
give donor-atom proxy labels; one row per ligand SMILES.

The tables are written to GAUSS_HOME/labels/kd_casscf.csv and GAUSS_HOME/labels/proxy_loprop.csv
(independent of the bundled assets) so that the dashboard, training and the calibrated KD estimate can
read them without opening the queue database.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from gauss_core.atomic import atomic_path
from gauss_core import columns, paths, provenance
from gauss_core.jobs.store import DONE, Job, JobStore

KD_JOB_COLUMNS = ("kd_ground_gx", "kd_ground_gy", "kd_ground_gz", "kd_job_id", "kd_geometry_source", "kd_basis",
                  "kd_wall_s")
# Descriptors of the CASSCF job's own geometry (gauss_core.kd.estimate.FEATURES, stored by the job) for
# fitting the calibrated estimate; NaN for jobs that predate them.
FEATURE_COLUMNS = columns.KD_ESTIMATE_FEATURES
LABEL_COLUMNS = (columns.SMILES, *columns.KD_GAP_COLUMNS, columns.KD_PROVENANCE, *KD_JOB_COLUMNS, *FEATURE_COLUMNS)


def default_labels_path() -> Path:
    return paths.gauss_home() / "labels" / "kd_casscf.csv"


def kd_rows_from_jobs(jobs: Iterable[Job]) -> pd.DataFrame:
    """One LABEL_COLUMNS row per done 'casscf' job whose result carries 7 gaps and a CASSCF provenance tag, in
    the given order; anything else (failed, queued, an estimate-tagged result) is skipped, never relabelled."""
    rows = []
    for job in jobs:
        res = job.result or {}
        gaps = res.get("gaps_cm1") or []
        tag = str(res.get("provenance", ""))
        if job.state != DONE or job.kind != "casscf" or len(gaps) != len(columns.KD_GAP_COLUMNS) \
                or not provenance.is_casscf(tag):
            continue
        g = res.get("ground_g") or [float("nan")] * 3
        basis = res.get("basis") or {}
        row = {columns.SMILES: job.smiles, columns.KD_PROVENANCE: tag,
               "kd_ground_gx": g[0], "kd_ground_gy": g[1], "kd_ground_gz": g[2], "kd_job_id": job.id,
               "kd_geometry_source": res.get("geometry_source", ""),
               "kd_basis": f"Dy {basis.get('Dy', '?')}, ligands {basis.get('ligands', '?')}",
               "kd_wall_s": res.get("wall_s", float("nan"))}
        row.update(dict(zip(columns.KD_GAP_COLUMNS, (float(x) for x in gaps), strict=False)))
        feats = res.get("estimate_features") or {}
        row.update({c: feats.get(c, float("nan")) for c in FEATURE_COLUMNS})
        rows.append(row)
    return pd.DataFrame(rows, columns=list(LABEL_COLUMNS))


def merge_kd_results(store: JobStore) -> pd.DataFrame:
    """KD labels of every done 'casscf' job, one row per SMILES (the most recently finished job wins).

    Returns:
        DataFrame with LABEL_COLUMNS: smiles, kd_gap1_cm1..kd_gap7_cm1, kd_provenance, ground-KD g values,
        the job id, geometry source and basis.
    """
    jobs = sorted(store.list(state=DONE, kind="casscf"), key=lambda j: (j.finished_at or 0, j.id))
    return kd_rows_from_jobs(jobs).drop_duplicates(columns.SMILES, keep="last").reset_index(drop=True)


def _write_csv_atomically(frame: pd.DataFrame, path: Path) -> Path:
    """Temp file + rename, so a crash never leaves a half-written label table."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)
    return path


def write_kd_labels(store: JobStore, path: Path | None = None) -> Path:
    """Write merge_kd_results(store) to CSV (atomically) and return its path."""
    return _write_csv_atomically(merge_kd_results(store), Path(path) if path else default_labels_path())


def load_bundled_kd_results(path: Path | None = None) -> pd.DataFrame:
    """The project's CASSCF results shipped with the repository (paths.KD_CASSCF_SET); empty if absent.

    Raises:
        DataFormatError: the file lacks the label columns (it was not written by bundle_kd_results).
    """
    from gauss_core.errors import DataFormatError

    path = Path(path) if path else paths.KD_CASSCF_SET
    if not path.exists():
        return pd.DataFrame(columns=list(LABEL_COLUMNS))
    try:
        df = pd.read_csv(path)
    except Exception as exc:  # corrupt gzip, not a CSV: refuse rather than overwrite what is stored
        raise DataFormatError(f"cannot read {path} ({type(exc).__name__}: {exc}); restore it from git "
                              "(`git checkout -- assets/kd`) before bundling again") from None
    missing = [c for c in (columns.SMILES, *columns.KD_GAP_COLUMNS, columns.KD_PROVENANCE) if c not in df.columns]
    if missing:
        raise DataFormatError(f"{path} lacks columns {missing}: rewrite it with `gauss queue labels --bundle`")
    return df.reindex(columns=list(LABEL_COLUMNS))


SOURCE_COLUMN = "kd_source"  # all_kd_results: "bundled", "campaign", "queue" or e.g. "bundled + queue"


def all_kd_results(store: JobStore | None = None, bundled: Path | None = None,
                   include_bundled: bool = True, campaign: Path | None = None) -> pd.DataFrame:
    """Bundled CASSCF results plus those of the live queue (the queue wins for a ligand in both).

    Args:
        store: the live queue, or None.
        bundled: the bundled file (default paths.KD_CASSCF_SET); include_bundled=False reads the queue only.
        campaign: a further bundled file read between the two, e.g. paths.KD_CASSCF_CAMPAIGN (the results on
            the computed-distance geometry); None (default) leaves it out, as the fits on the fixed-distance
            set need. Its rows keep their kd_geometry_source.
    Returns:
        LABEL_COLUMNS plus SOURCE_COLUMN, which says where each ligand's result was found.
    """
    empty = pd.DataFrame(columns=list(LABEL_COLUMNS))
    tables = {"bundled": load_bundled_kd_results(bundled) if include_bundled else empty,
              "campaign": load_bundled_kd_results(campaign) if campaign is not None else empty,
              "queue": merge_kd_results(store) if store is not None else empty}
    frames = [t for t in tables.values() if len(t)]
    if not frames:
        return pd.DataFrame(columns=[*LABEL_COLUMNS, SOURCE_COLUMN])
    df = pd.concat(frames, ignore_index=True).drop_duplicates(columns.SMILES, keep="last").reset_index(drop=True)
    found = {name: set(t[columns.SMILES]) for name, t in tables.items()}
    df[SOURCE_COLUMN] = [" + ".join(name for name in tables if smi in found[name]) for smi in df[columns.SMILES]]
    return df


def bundle_kd_results(store: JobStore, path: Path | None = None) -> tuple[Path, int, int]:
    """Merge the queue's CASSCF results into the bundled file (rows already there are kept).

    Returns:
        (path, rows before, rows after).
    """
    path = Path(path) if path else paths.KD_CASSCF_SET
    before = load_bundled_kd_results(path)
    merged = all_kd_results(store, path).drop(columns=SOURCE_COLUMN)
    with atomic_path(path) as tmp:
        merged.to_csv(tmp, index=False, compression="gzip" if path.suffix == ".gz" else None)
    return path, len(before), len(merged)


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
