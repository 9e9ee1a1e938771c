"""Export of design candidates: one CSV with documented columns, and an SDF of assembled complexes.

CSV columns (COLUMN_DOCS gives the same text; docs/dashboard.md repeats it):
    smiles                   donor-first SMILES as decoded by the model (donor atom first)
    canonical_smiles         RDKit canonical kekulised SMILES without stereo (novelty / uniqueness key)
    seed_smiles              donor-first SMILES of the LP seed the candidate was sampled from ("" if typed)
    sigma                    LP standard deviation used (z' = z + sigma * eps)
    random_seed              numpy seed of the LP run (empty for typed seeds)
    checkpoint_hash          first 16 hex of the SHA-256 of the checkpoint file that decoded / predicted the row
    valid                    RDKit parses and sanitises the SMILES
    novel                    canonical SMILES not in the training (bundled ligand) set
    unique                   first row with this canonical SMILES in the file
    donor_first_ok           one fragment, first atom N or O
    times_generated          attempts that decoded to this molecule in its run
    pred_<label>             the model's predicted donor proxies (donor_Z, q_donor_e, mu_donor_au, alpha_donor_au3)
    pred_provenance          "gauss2-prediction" (a prediction, not a calculation)
    est_kd_gap1_cm1..7       crystal-field KD gap ESTIMATE of the assembled complex, cm^-1 (empty if not estimated)
    est_kd_provenance        provenance of the estimate (e.g. cf-pointcharge, kd-calibrated-...), never CASSCF
    est_geometry             geometry the estimate used (e.g. xtb-gfn2-constrained relaxed, rdkit template)
    cal_kd_gap1_cm1..7       calibrated KD estimate (ridge on complex descriptors fitted to CASSCF), cm^-1
    cal_kd_provenance        its provenance (kd-calibrated-...), never CASSCF
    cal_geometry             geometry the calibrated estimate used
    surrogate_gap1_cm1..7    latent-space GP surrogate prediction (gauss_core.surrogate), cm^-1
    surrogate_gap1_std_cm1..7 its predictive 1-sigma uncertainty, cm^-1
    surrogate_provenance     "surrogate-gp-latent (n=<CASSCF results>, ckpt <hash>)" or why there is no value
    structure_alerts, n_alerts, sa_score   triage (gauss_core.sampling.triage), when the candidates carry them
    casscf_kd_gap1_cm1..7    CASSCF KD gaps of the complex, cm^-1 (empty until a queued job finished)
    casscf_kd_provenance     casscf-openmolcas / casscf-orca
    casscf_job_id            id of the job in the queue that produced the CASSCF result
    casscf_geometry          geometry the CASSCF result was computed on (fixed or computed Dy-L distance)
    casscf_basis             its basis ("Dy ANO-RCC-VDZP, ligands ANO-RCC-MB"; a weak donor's gap depends on it)
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from gauss_core import columns as C
from gauss_core import provenance as P
from gauss_core.errors import DataFormatError

EST_PREFIX = "est_"
CASSCF_PREFIX = "casscf_"
PRED_PROVENANCE = "pred_provenance"
EST_GAPS = tuple(EST_PREFIX + c for c in C.KD_GAP_COLUMNS)
EST_PROVENANCE = EST_PREFIX + C.KD_PROVENANCE
CASSCF_GAPS = tuple(CASSCF_PREFIX + c for c in C.KD_GAP_COLUMNS)
CASSCF_PROVENANCE = CASSCF_PREFIX + C.KD_PROVENANCE
CASSCF_JOB_ID = "casscf_job_id"
CASSCF_GEOMETRY = "casscf_geometry"
CASSCF_BASIS = "casscf_basis"
EST_GEOMETRY = EST_PREFIX + "geometry"
CAL_PREFIX = "cal_"
CAL_GAPS = tuple(CAL_PREFIX + c for c in C.KD_GAP_COLUMNS)
CAL_PROVENANCE = CAL_PREFIX + C.KD_PROVENANCE
CAL_GEOMETRY = CAL_PREFIX + "geometry"
SURROGATE_COLUMNS = (*C.SURROGATE_GAP_COLUMNS, *C.SURROGATE_STD_COLUMNS, C.SURROGATE_PROVENANCE)
TRIAGE_COLUMNS = ("structure_alerts", "n_alerts", "sa_score")   # gauss_core.sampling.triage names

BASE_COLUMNS = (C.SMILES, C.CANONICAL, C.SEED_SMILES, C.SIGMA, C.IS_VALID, C.IS_NOVEL, C.IS_UNIQUE,
                C.DONOR_FIRST_OK, C.TIMES_GENERATED, C.RANDOM_SEED, C.CHECKPOINT_HASH)

COLUMN_DOCS: dict[str, str] = {
    C.SMILES: "donor-first SMILES as decoded by the model (donor atom first)",
    C.CANONICAL: "RDKit canonical kekulised SMILES without stereo (novelty / uniqueness key)",
    C.SEED_SMILES: "donor-first SMILES of the LP seed the candidate was sampled from",
    C.SIGMA: "LP standard deviation used (z' = z + sigma * eps)",
    C.IS_VALID: "RDKit parses and sanitises the SMILES",
    C.IS_NOVEL: "canonical SMILES neither in the model's training set nor a seed of the run",
    C.IS_UNIQUE: "first row with this canonical SMILES in the file",
    C.DONOR_FIRST_OK: "one fragment whose first atom is N or O",
    C.TIMES_GENERATED: "attempts that decoded to this molecule in its run",
    C.RANDOM_SEED: "numpy seed of the LP run (empty for typed seeds)",
    C.CHECKPOINT_HASH: "first 16 hex of the SHA-256 of the checkpoint file that decoded / predicted the row",
    C.PREDICTED_PREFIX + "<label>": "the model's predicted donor proxy <label> (units in the label name)",
    PRED_PROVENANCE: f"'{P.MODEL_PREDICTION}': model prediction, not a calculation",
    EST_PREFIX + "kd_gap<i>_cm1": "crystal-field ESTIMATE of KD gap i of [Dy(H2O)5L2]+, cm^-1",
    EST_PROVENANCE: "provenance of the KD estimate (never a CASSCF tag)",
    EST_GEOMETRY: "geometry the KD estimate used (geometry provenance of the complex)",
    CAL_PREFIX + "kd_gap<i>_cm1": "calibrated KD estimate of gap i (ridge fitted to CASSCF results), cm^-1",
    CAL_PROVENANCE: "provenance of the calibrated estimate (kd-calibrated-..., never a CASSCF tag)",
    CAL_GEOMETRY: "geometry the calibrated estimate used",
    "surrogate_gap<i>_cm1": "latent-space GP surrogate prediction of gap i (an estimate), cm^-1",
    "surrogate_gap<i>_std_cm1": "its predictive 1-sigma uncertainty, cm^-1",
    C.SURROGATE_PROVENANCE: "surrogate-gp-latent with its n CASSCF training results and checkpoint, or why none",
    "structure_alerts": "triage alerts: peroxide, antiaromatic ring, radical, strained 3/4-ring, N-N/N-O bond",
    "n_alerts": "number of structure alerts",
    "sa_score": "synthetic accessibility (Ertl & Schuffenhauer 2009, RDKit Contrib), 1 easy - 10 hard",
    CASSCF_PREFIX + "kd_gap<i>_cm1": "CASSCF KD gap i of [Dy(H2O)5L2]+, cm^-1, from a finished queue job",
    CASSCF_PROVENANCE: "casscf-openmolcas or casscf-orca",
    CASSCF_JOB_ID: "queue job id of the CASSCF result",
    CASSCF_GEOMETRY: "geometry the CASSCF result was computed on (its Dy-L distance fixed per class or computed)",
    CASSCF_BASIS: "basis of the CASSCF result (Dy, ligands); a weak neutral donor's first gap depends on it",
}


EstimateEntry = tuple  # (7 gaps in cm^-1, provenance tag) or (gaps, tag, geometry provenance)


def estimate_entry(est) -> tuple[list[float], str, str]:
    """(gaps, provenance, geometry) of a gauss_core.kd.KDEstimate, the value type of `estimates`/`calibrated`."""
    return list(est.gaps_cm1), str(est.provenance), str(est.geometry_provenance)


def _estimate_frame(smiles: pd.Series, entries: Mapping[str, EstimateEntry] | None, gap_cols: tuple[str, ...],
                    prov_col: str, geom_col: str) -> pd.DataFrame:
    rows = []
    for smi in smiles:
        entry = tuple((entries or {}).get(smi, (None, "", "")))
        gaps, tag = entry[0], str(entry[1]) if len(entry) > 1 else ""
        geometry = str(entry[2]) if len(entry) > 2 else ""
        if tag and P.is_casscf(tag):
            raise DataFormatError(f"estimate for {smi!r} is tagged {tag!r}: an estimate is never CASSCF")
        vals = list(gaps) if gaps is not None else []
        rows.append([*(vals + [np.nan] * 7)[:7], tag, geometry])
    return pd.DataFrame(rows, columns=[*gap_cols, prov_col, geom_col])


def build_candidate_table(candidates: pd.DataFrame, estimates: Mapping[str, EstimateEntry] | None = None,
                          casscf: pd.DataFrame | None = None, calibrated: Mapping[str, EstimateEntry] | None = None,
                          checkpoint_hash: str = "", surrogate=None, loaded=None) -> pd.DataFrame:
    """The export table: candidates joined with KD estimates, the surrogate and CASSCF results by SMILES.

    Args:
        candidates: rows from LP sampling (gauss_core.sampling CANDIDATE_COLUMNS + pred_*), or typed seeds
            with at least `smiles`.
        estimates: smiles -> (7 KD gaps in cm^-1, provenance tag[, geometry]) of the crystal-field estimate
            (`estimate_entry(KDEstimate)` builds one).
        casscf: table with `smiles`, kd_gap*_cm1, kd_provenance and optionally `job_id` (finished jobs).
        calibrated: the same for the calibrated KD estimate (kd-calibrated-...).
        checkpoint_hash: the checkpoint that decoded the candidates (gauss_core.latent.pca.file_hash); a
            `checkpoint_hash` column of `candidates` wins.
        surrogate, loaded: a gauss_core.surrogate.KDSurrogate and the LoadedModel that encodes for it: adds
            its 7 gaps, stds and provenance per row (NaN and the reason for rows it cannot predict).
    Returns:
        DataFrame with BASE_COLUMNS, pred_* , pred_provenance, est_*, cal_*, surrogate_*, casscf_* columns in
        that order; `unique` recomputed over the whole table.
    Raises:
        DataFormatError: candidates without a `smiles` column; an estimate tagged as CASSCF.
    """
    if C.SMILES not in candidates.columns:
        raise DataFormatError("candidate table has no 'smiles' column; pass rows from sampling or seeds")
    table = candidates.copy().reset_index(drop=True)
    if C.CANONICAL not in table.columns:
        from gauss_core.sampling.metrics import canonical_or_none

        table[C.CANONICAL] = [canonical_or_none(s) for s in table[C.SMILES]]
    defaults = {C.SEED_SMILES: "", C.SIGMA: np.nan, C.IS_VALID: table[C.CANONICAL].notna(), C.IS_NOVEL: pd.NA,
                C.DONOR_FIRST_OK: pd.NA, C.TIMES_GENERATED: pd.NA, C.RANDOM_SEED: pd.NA,
                C.CHECKPOINT_HASH: checkpoint_hash}
    for col, value in defaults.items():
        if col not in table.columns:
            table[col] = value
    table[C.IS_UNIQUE] = ~table[C.CANONICAL].duplicated() & table[C.CANONICAL].notna()
    pred_cols = [c for c in table.columns if c.startswith(C.PREDICTED_PREFIX)]
    table[PRED_PROVENANCE] = P.MODEL_PREDICTION if pred_cols else ""

    est = _estimate_frame(table[C.SMILES], estimates, EST_GAPS, EST_PROVENANCE, EST_GEOMETRY)
    cal = _estimate_frame(table[C.SMILES], calibrated, CAL_GAPS, CAL_PROVENANCE, CAL_GEOMETRY)
    sur = pd.DataFrame(np.nan, index=range(len(table)), columns=list(SURROGATE_COLUMNS[:-1]))
    sur[C.SURROGATE_PROVENANCE] = ""
    if surrogate is not None and len(table):
        if loaded is None:
            raise DataFormatError("build_candidate_table: pass `loaded` (the checkpoint the surrogate encodes "
                                  "with) together with `surrogate`")
        pred = surrogate.predict_smiles(loaded, list(table[C.SMILES]))
        sur[list(SURROGATE_COLUMNS[:-1])] = pred[list(SURROGATE_COLUMNS[:-1])].to_numpy()
        sur[C.SURROGATE_PROVENANCE] = np.where(pred["surrogate_error"] == "", pred[C.SURROGATE_PROVENANCE],
                                               "no surrogate value: " + pred["surrogate_error"])
    cas = pd.DataFrame(np.nan, index=range(len(table)), columns=list(CASSCF_GAPS))
    cas[CASSCF_PROVENANCE] = ""
    cas[CASSCF_JOB_ID] = pd.NA
    cas[CASSCF_GEOMETRY] = ""
    cas[CASSCF_BASIS] = ""
    if casscf is not None and len(casscf):
        by_smiles = casscf.drop_duplicates(C.SMILES, keep="last").set_index(C.SMILES)
        for i, smi in enumerate(table[C.SMILES]):
            if smi in by_smiles.index:
                row = by_smiles.loc[smi]
                for src, dst in zip(C.KD_GAP_COLUMNS, CASSCF_GAPS, strict=False):
                    if src in row.index:
                        cas.at[i, dst] = row[src]
                cas.at[i, CASSCF_PROVENANCE] = str(row.get(C.KD_PROVENANCE, ""))
                cas.at[i, CASSCF_JOB_ID] = row.get("job_id", pd.NA)
                geometry = row.get(C.KD_GEOMETRY_SOURCE, "")
                cas.at[i, CASSCF_GEOMETRY] = geometry if isinstance(geometry, str) else ""
                cas.at[i, CASSCF_BASIS] = P.recorded_basis(row.get(C.KD_BASIS))
    out = pd.concat([table, est, cal, sur, cas], axis=1)
    triage = [c for c in TRIAGE_COLUMNS if c in table.columns]
    ordered = [*BASE_COLUMNS, *triage, *pred_cols, PRED_PROVENANCE, *EST_GAPS, EST_PROVENANCE, EST_GEOMETRY, *CAL_GAPS,
               CAL_PROVENANCE, CAL_GEOMETRY, *SURROGATE_COLUMNS, *CASSCF_GAPS, CASSCF_PROVENANCE, CASSCF_JOB_ID,
               CASSCF_GEOMETRY, CASSCF_BASIS]
    return out[ordered]


def candidates_csv(table: pd.DataFrame) -> str:
    """CSV text of a table from `build_candidate_table` (UTF-8, comma, header row, no index)."""
    buf = io.StringIO()
    table.to_csv(buf, index=False)
    return buf.getvalue()


def complexes_sdf(complexes: Iterable) -> str:
    """SDF text with one record per assembled complex (gauss_core.complexes.Complex), written by
    `gauss_core.complexes.to_sdf` (V3000 with Dy-donor dative bonds; provenance and flags as data fields)."""
    from gauss_core.complexes import to_sdf

    return "".join(to_sdf(c) for c in complexes)


def complex_sdf_record(cplx) -> str:
    """One V2000 SDF record ($$$$-terminated) of a Complex without the metal-donor bonds (V2000 has no dative
    bond type): the plain form the 3D viewer reads; files for other programs use `complexes_sdf`."""
    from gauss_core.complexes.export import sdf_record, to_rdkit

    return sdf_record(to_rdkit(cplx, metal_bonds=False),
                      ("ligand_smiles", "total_charge", "builder", "geometry_provenance", "flags"), v3000=False)


def parse_candidates_csv(text: str) -> pd.DataFrame:
    """Read an exported CSV back (used by tests and by users re-importing a shortlist)."""
    return pd.read_csv(io.StringIO(text))
