"""The calibrated KD estimate "kd-calibrated-ridge-v1": a small ridge regression from cheap descriptors
(donor charge, anionic flag, donor element, donor polarisability where proxy labels exist, constrained
geometry, the point-charge gaps) to the 7 gaps, fitted to the project's own CASSCF results.
`fit_calibration` refuses to fit without enough CASSCF rows, and reports cross-validated accuracy against them.

It is not CASSCF: its provenance tag is never a CASSCF tag (provenance.is_casscf is False).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gauss_core import columns, provenance
from gauss_core.complexes.descriptors import descriptors
from gauss_core.errors import DataFormatError, GaussError
from gauss_core.stats import pearson, spearman

if TYPE_CHECKING:
    from gauss_core.complexes.structure import Complex
    from gauss_core.kd.crystal_field import CFResult

CALIBRATED_NAME = "kd-calibrated-ridge-v1"
MIN_CASSCF_ROWS = 6


class CalibrationError(GaussError):
    """The calibrated estimate cannot be fitted or used (no or too little CASSCF data, stale model)."""


FEATURES = columns.KD_ESTIMATE_FEATURES


def complex_features(cx: Complex, cf: CFResult | None = None, charges_source: str | None = None,
                     alpha_donor: float | None = None) -> dict[str, float | str]:
    """Cheap descriptors of one relaxed complex for the calibrated estimate (NaN where unavailable; the
    SMILES under columns.SMILES)."""
    if cf is None:
        from gauss_core.kd.estimate import crystal_field  # the point-charge estimate imports this module

        cf, charges_source = crystal_field(cx)
    charges = cx.atomic_charges
    q_donor = float(np.mean(charges[cx.axial_indices])) if charges is not None else float("nan")
    d = descriptors(cx)
    if alpha_donor is None:
        alpha_donor = _proxy_alpha(cx.ligand_smiles)
    return {columns.SMILES: cx.ligand_smiles, "q_donor_xtb_e": q_donor, "anionic": float(cx.ligand_charge < 0),
            "donor_is_N": float(cx.donor_element == "N"), "alpha_donor_au3": alpha_donor,
            "r_Dy_L_mean_A": 0.5 * (d["r_Dy_L1_A"] + d["r_Dy_L2_A"]), "angle_L_Dy_L_deg": d["angle_L_Dy_L_deg"],
            "mpp_A": d["mpp_A"], "cf_gap1_cm1": float(cf.gaps_cm1[0]), "cf_gap7_cm1": float(cf.gaps_cm1[-1])}


def _proxy_alpha(smiles: str) -> float:
    """Donor polarisability from the project's proxy-label table when it has this ligand, else NaN."""
    try:
        from gauss_core.proxies import load_proxy_labels
        table = load_proxy_labels()
        row = table.loc[table[columns.SMILES] == smiles]
        if len(row) and columns.ALPHA_DONOR in row:
            return float(row[columns.ALPHA_DONOR].iloc[0])
    except Exception:  # labels absent or module not ready: the feature is just missing
        pass
    return float("nan")


# Below this cross-validated within-class Spearman the calibrated estimate is said not to rank that class.
WEAK_RANKING_SPEARMAN = 0.5


@dataclass
class CalibratedModel:
    """Ridge regression (standardised features) from descriptors to the 7 KD gaps, with its CV accuracy."""

    name: str
    feature_names: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[list[float]]        # (7, n_features)
    intercept: list[float]         # (7,)
    alpha: float
    n_train: int
    cv_mae_cm1: float
    cv_mae_per_gap_cm1: list[float]
    cv_r_gap1: float
    cv_r_gap7: float
    cf_only_r_gap1: float
    training_hash: str
    training_provenance: list[str]
    # the descriptors were taken on these geometries (several joined by GEOMETRY_JOIN); on others the estimate
    # is extrapolating
    feature_geometry: str = "xtb-gfn2-constrained"
    # Ranking, not just error: screening needs the order of the first gap right. Older files lack these.
    cv_spearman_gap1: float = float("nan")
    cf_only_spearman_gap1: float = float("nan")
    # class -> {"n", "mae_gap1_cm1", "spearman_gap1"}; keys are the ligand class numbers as strings (JSON)
    cv_per_class: dict = field(default_factory=dict)
    # out-of-fold first-gap predictions, [smiles, CASSCF gap1, CV-predicted gap1], for parity plots
    cv_gap1_pairs: list = field(default_factory=list)
    # descriptors left out because they were constant over the training complexes (e.g. the L-Dy-L angle on
    # geometries that hold it at 180 deg): standardising them divides rounding noise by ~1e-12
    dropped_constant: list = field(default_factory=list)
    # how the CV folds were cut ("" in files fitted before folds were grouped by scaffold)
    cv_grouping: str = ""

    def predict(self, feats: pd.DataFrame) -> np.ndarray:
        """(n, 7) gaps in cm^-1 from a table with `feature_names` columns (missing values -> train mean)."""
        x = feats.reindex(columns=self.feature_names).to_numpy(dtype=float)
        x = np.where(np.isnan(x), np.array(self.mean)[None, :], x)
        mean, scale = np.array(self.mean), np.array(self.scale)
        z = (x - mean) / scale
        # Files fitted before constant descriptors were dropped: such a descriptor is held at its training value
        # (otherwise a bounded geometry's 179.9 deg angle, 1e7 training scales away, gives gaps of 1e9 cm-1).
        z[:, ~varying(mean, scale)] = 0.0
        return np.clip(z @ np.array(self.coef).T + np.array(self.intercept), 0.0, None)

    def fitted_on(self, geometry_provenance: str) -> bool:
        """Whether descriptors of `geometry_provenance` geometries were among the training ones."""
        return str(geometry_provenance) in self.feature_geometry.split(GEOMETRY_JOIN)

    def weak_ranking_note(self, ligand_class: int) -> str | None:
        """A warning when, cross-validated within `ligand_class`, this fit does not rank the first gap
        (Spearman below WEAK_RANKING_SPEARMAN); None when it does or the file has no per-class numbers."""
        from gauss_core.ligands.build import CLASS_NAMES

        row = self.cv_per_class.get(str(ligand_class))
        if not row or not np.isfinite(row.get("spearman_gap1", np.nan)):
            return None
        rho = float(row["spearman_gap1"])
        if rho >= WEAK_RANKING_SPEARMAN:
            return None
        return (f"weak-ranking: among {CLASS_NAMES.get(ligand_class, ligand_class)} ligands this estimate does not "
                f"rank the first gap (cross-validated Spearman {rho:.2f} on {row['n']} CASSCF complexes). Compare it "
                "across classes only, or queue CASSCF")  # no ';': flags are joined with it in tables

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=1))
        return path

    @classmethod
    def load(cls, path: str | Path) -> CalibratedModel:
        path = Path(path)
        if not path.exists():
            raise CalibrationError(f"no calibrated KD model at {path}: fit one with `gauss complex calibrate "
                                   "--casscf RESULTS.csv` once CASSCF results exist")
        try:
            return cls(**json.loads(path.read_text()))
        except (json.JSONDecodeError, TypeError) as exc:
            raise CalibrationError(f"{path} is not a calibrated KD model ({exc}): refit it") from None


USER_CALIBRATION_NAME = "kd_calibrated.json"  # a user's own fit, under GAUSS_HOME
CONSTANT_RTOL = 1e-6  # a descriptor whose spread is below this fraction of its size is constant by construction


# Descriptors that every geometry path holds fixed up to numerical noise: the L-Dy-L angle is 180 deg in the
# constrained relaxation and 179.6-180 deg where the axial ligands are moved along their own axes (the axis is
# held straight), the mean plane deviation is ~1e-13 A. Below these spreads a descriptor only tells the
# geometry paths apart, which is no chemistry, so it is dropped like a constant.
MIN_SPREAD = {"angle_L_Dy_L_deg": 1.0, "mpp_A": 0.01}


def varying(mean: np.ndarray, scale: np.ndarray, names: list[str] | None = None) -> np.ndarray:
    """True for descriptors that vary over the training set (spread above CONSTANT_RTOL of their size and, for
    a descriptor named in MIN_SPREAD, above that physical spread)."""
    keep = np.asarray(scale) > CONSTANT_RTOL * np.maximum(1.0, np.abs(np.asarray(mean)))
    if names is not None:
        keep &= np.array([float(sd) >= MIN_SPREAD.get(n, 0.0) for n, sd in zip(names, np.asarray(scale),
                                                                                 strict=True)], dtype=bool)
    return keep


def default_calibration_path() -> Path:
    """The user's own calibration ($GAUSS_HOME/kd_calibrated.json) if fitted, else the bundled one."""
    from gauss_core import paths

    own = paths.gauss_home() / USER_CALIBRATION_NAME
    return own if own.exists() else paths.KD_CALIBRATION


def casscf_table(table: pd.DataFrame | str | Path) -> pd.DataFrame:
    """CASSCF rows only (provenance casscf-*), with smiles + 7 gaps; estimates are dropped.

    Raises:
        DataFormatError: columns missing.
        CalibrationError: no CASSCF rows.
    """
    df = pd.read_csv(table) if isinstance(table, (str, Path)) else table.copy()
    need = [columns.SMILES, *columns.KD_GAP_COLUMNS, columns.KD_PROVENANCE]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise DataFormatError(f"CASSCF table lacks columns {missing}: it needs {need}")
    df = df.loc[df[columns.KD_PROVENANCE].map(provenance.is_casscf).astype(bool)]
    df = df.dropna(subset=list(columns.KD_GAP_COLUMNS))
    if len(df) == 0:
        raise CalibrationError("no CASSCF results yet (no rows with kd_provenance casscf-openmolcas or "
                               "casscf-orca): run CASSCF jobs from the queue first; until then use the "
                               "cf-pointcharge estimate")
    return df.reset_index(drop=True)


def fit_calibration(features: pd.DataFrame, casscf: pd.DataFrame | str | Path, alpha: float = 1.0,
                    n_folds: int = 5, seed: int = 0) -> CalibratedModel:
    """Fit the calibrated estimate and measure its cross-validated accuracy against CASSCF.

    Args:
        features: one row per ligand (column smiles + FEATURES), e.g. from complex_features; or, with a
            kd_geometry_source column in both tables, one row per (ligand, geometry), so a ligand's CASSCF
            results on several geometries (the template's fixed distance, a computed one, a rigid-shift scan)
            each train with the descriptors of their own geometry.
        casscf: table or CSV with smiles, the 7 kd_gap columns and kd_provenance (CASSCF rows used only);
            rows with a non-zero SHIFT_COLUMN (a rigid-shift scan point) are fitted but not scored, so the CV
            numbers stay one per ligand and geometry that a user would ask about.
        alpha: ridge strength; n_folds: CV folds (leave-one-out when fewer rows).
    Raises:
        CalibrationError: fewer than MIN_CASSCF_ROWS CASSCF complexes with features.
    """
    from sklearn.linear_model import Ridge

    ref = casscf_table(casscf)
    keep_cols = [c for c in (columns.SMILES, *columns.KD_GAP_COLUMNS, columns.KD_PROVENANCE, GEOMETRY_SOURCE,
                             SHIFT_COLUMN) if c in ref]
    key = [columns.SMILES, GEOMETRY_SOURCE] if GEOMETRY_SOURCE in ref and GEOMETRY_SOURCE in features \
        else [columns.SMILES]
    if SHIFT_COLUMN in features and SHIFT_COLUMN in ref:  # the CASSCF table's copy is the one kept
        features = features.drop(columns=SHIFT_COLUMN)
    data = ref[keep_cols].merge(features, on=key, how="inner").drop_duplicates(key).reset_index(drop=True)
    if len(data) < MIN_CASSCF_ROWS:
        raise CalibrationError(f"only {len(data)} CASSCF complexes with descriptors; the calibrated estimate "
                               f"needs at least {MIN_CASSCF_ROWS}: run more CASSCF jobs, meanwhile use cf-pointcharge")
    names = [f for f in FEATURES if f in data and data[f].notna().mean() > 0.5]
    x = data[names].to_numpy(dtype=float)
    col_mean = np.nanmean(x, 0)
    x = np.where(np.isnan(x), col_mean[None, :], x)
    keep = varying(x.mean(0), x.std(0), names)
    dropped = [n for n, k in zip(names, keep, strict=True) if not k]
    names, x = [n for n, k in zip(names, keep, strict=True) if k], x[:, keep]
    y = data[list(columns.KD_GAP_COLUMNS)].to_numpy(dtype=float)

    def fit(xtr, ytr):
        mu, sd = xtr.mean(0), xtr.std(0)
        sd = np.where(sd < 1e-12, 1.0, sd)
        model = Ridge(alpha=alpha).fit((xtr - mu) / sd, ytr)
        return mu, sd, model

    pred = np.zeros_like(y)
    # folds by scaffold over the ligands: every row of a ligand (each geometry, each scan point) sits in one fold
    splits, grouping = cv_folds(list(data[columns.SMILES]), n_folds, seed)
    for tr, te in splits:
        mu, sd, model = fit(x[tr], y[tr])
        pred[te] = np.clip(model.predict((x[te] - mu) / sd), 0, None)
    mu, sd, model = fit(x, y)
    n_fit, geometries = len(data), feature_geometry(data)
    scored = _scored_rows(data)
    data, x, y, pred = data[scored].reset_index(drop=True), x[scored], y[scored], pred[scored]
    err = np.abs(pred - y)

    cf_gap1 = data["cf_gap1_cm1"].to_numpy(float) if "cf_gap1_cm1" in data else np.full(len(data), np.nan)
    classes = _ligand_classes(data)
    per_class = {}
    for cls in sorted(set(classes) - {0}):
        m = classes == cls
        per_class[str(cls)] = {"n": int(m.sum()), "mae_gap1_cm1": float(err[m, 0].mean()),
                               "spearman_gap1": spearman(pred[m, 0], y[m, 0])}
    digest = hashlib.sha256(data[[columns.SMILES, *columns.KD_GAP_COLUMNS]].to_csv(index=False).encode()).hexdigest()
    return CalibratedModel(name=CALIBRATED_NAME, feature_names=names, mean=mu.tolist(), scale=sd.tolist(),
                           coef=model.coef_.tolist(), intercept=np.atleast_1d(model.intercept_).tolist(),
                           alpha=alpha, n_train=n_fit, cv_mae_cm1=float(err.mean()),
                           cv_mae_per_gap_cm1=err.mean(0).tolist(), cv_r_gap1=pearson(pred[:, 0], y[:, 0]),
                           cv_r_gap7=pearson(pred[:, -1], y[:, -1]), cf_only_r_gap1=pearson(cf_gap1, y[:, 0]),
                           training_hash=digest[:16], training_provenance=sorted(set(data[columns.KD_PROVENANCE])),
                           cv_spearman_gap1=spearman(pred[:, 0], y[:, 0]),
                           cf_only_spearman_gap1=spearman(cf_gap1, y[:, 0]), cv_per_class=per_class,
                           cv_gap1_pairs=[[str(smi), float(a), float(b)] for smi, a, b in
                                          zip(data[columns.SMILES], y[:, 0], pred[:, 0], strict=False)],
                           dropped_constant=dropped, cv_grouping=grouping,
                           feature_geometry=geometries)


GEOMETRY_SOURCE = "kd_geometry_source"  # jobs.labels column: how the CASSCF job's coordinates were made
# a CASSCF row on a geometry made from another by moving the axial ligands rigidly along the axis by this
# many Angstrom (scripts/casscf_r_scan.py): it teaches how the gaps follow the distance, it is not scored
SHIFT_COLUMN = "kd_rigid_shift_A"
GEOMETRY_JOIN = " + "  # between several training geometries in feature_geometry (provenances contain '+')


def _scored_rows(data: pd.DataFrame) -> np.ndarray:
    """Rows the CV numbers are computed on: all but rigid-shift scan points (shift neither absent nor 0)."""
    if SHIFT_COLUMN not in data:
        return np.ones(len(data), dtype=bool)
    shift = pd.to_numeric(data[SHIFT_COLUMN], errors="coerce").fillna(0.0).to_numpy()
    return np.abs(shift) < 1e-9


def cv_folds(smiles: list[str], n_folds: int, seed: int) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    """CV folds that keep a Bemis-Murcko scaffold together (chem.scaffold_group, as the KD surrogate), so a
    ligand is never ranked from a close analogue in its training fold; row-wise folds only when there are
    fewer than 2 scaffolds. Returns (splits, how they were cut)."""
    from sklearn.model_selection import GroupKFold, KFold

    from gauss_core.chem import scaffold_group

    groups = [scaffold_group(s) for s in smiles]
    n_groups = len(set(groups))
    if n_groups >= 2:
        folds = min(n_folds, n_groups)
        splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
        return list(splitter.split(smiles, groups=groups)), f"GroupKFold by scaffold ({folds} folds, {n_groups} groups)"
    folds = min(n_folds, len(smiles))
    return list(KFold(n_splits=folds, shuffle=True, random_state=seed).split(smiles)), f"KFold ({folds} folds)"


def feature_geometry(data: pd.DataFrame) -> str:
    """The relaxation the training descriptors were taken on, from the CASSCF rows' geometry source (flags and
    the parenthesised builder / scan notes cut off, as a complex's geometry_provenance reads; several joined
    with GEOMETRY_JOIN); the historical default when the table does not say."""
    if GEOMETRY_SOURCE not in data:
        return "xtb-gfn2-constrained"
    tags = sorted({str(s).split(" [")[0].split(" (")[0].strip() for s in data[GEOMETRY_SOURCE].dropna()
                   if str(s).strip()})
    return GEOMETRY_JOIN.join(tags) if tags else "xtb-gfn2-constrained"


def _ligand_classes(data: pd.DataFrame) -> np.ndarray:
    """Ligand class (1-4) per row, from the class column or from the anionic / donor_is_N descriptors;
    0 where neither says."""
    if columns.LIGAND_CLASS in data:
        return data[columns.LIGAND_CLASS].fillna(0).astype(int).to_numpy()
    if {"anionic", "donor_is_N"} <= set(data.columns):
        from gauss_core.ligands.build import ligand_class

        return np.array([ligand_class("N" if n > 0.5 else "O", -1 if an > 0.5 else 0)
                         if np.isfinite(an) and np.isfinite(n) else 0
                         for an, n in zip(data["anionic"].to_numpy(float), data["donor_is_N"].to_numpy(float),
                                          strict=False)])
    return np.zeros(len(data), dtype=int)
