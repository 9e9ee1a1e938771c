"""KD surrogate on the latent space: a GP from (latent mean, donor class) to the 7 CASSCF gaps.

Usage (library; the dashboard and `gauss suggest` call exactly this):

    from gauss_core.jobs import JobStore, all_kd_results
    from gauss_core.surrogate import SurrogateConfig, load_or_fit_kd_surrogate
    sur = load_or_fit_kd_surrogate(loaded, all_kd_results(JobStore()), SurrogateConfig())  # cached, ~seconds
    mean, std = sur.predict(lmap.z, ligand_class=ligands["ligand_class"])  # (n, 7) each, cm-1
    frame = sur.predict_frame(lmap.z, ligand_class)   # columns.SURROGATE_GAP_COLUMNS/_STD_COLUMNS + provenance
    frame = sur.predict_smiles(loaded, ["[O-]C1CC1"])  # encodes + classes itself; NaN rows + error for bad SMILES
    sur.cv.summary(); sur.cv.mae[0]; sur.cv.spearman[0]; sur.cv.per_class  # scaffold-grouped CV
    sur.provenance   # "surrogate-gp-latent" (provenance.SURROGATE_GP_LATENT); sur.label adds n and checkpoint
    sur.n_train      # CASSCF results it was fitted on

Its numbers are estimates (provenance surrogate-gp-latent), never CASSCF; every output names n_train.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gauss_core import columns, provenance
from gauss_core.errors import GaussError
from gauss_core.surrogate.cv import SurrogateCV, group_cv
from gauss_core.surrogate.features import (casscf_training_rows, class_onehot, classes_of, rows_hash,
                                           scaffold_group)
from gauss_core.surrogate.gp import FittedGP, SurrogateConfig, fit_gp


class SurrogateError(GaussError):
    """The surrogate cannot be fitted or used as asked (too few CASSCF results, classes missing, ...)."""


def surrogate_features(z: np.ndarray, ligand_class, use_class: bool) -> np.ndarray:
    """The GP input of latent rows: z, plus the donor-class one-hot when use_class."""
    z = np.asarray(z, dtype=np.float64)
    if z.ndim == 1:
        z = z.reshape(1, -1)
    if not use_class:
        return z
    if ligand_class is None:
        raise SurrogateError("this surrogate uses the donor class: pass ligand_class (the ligand set's "
                             "ligand_class column, or gauss_core.surrogate.classes_of(smiles))")
    cls = np.asarray(ligand_class, dtype=int).reshape(-1)
    if len(cls) != len(z):
        raise SurrogateError(f"{len(z)} latent rows but {len(cls)} classes; give one class per row")
    return np.hstack([z, class_onehot(cls)])


@dataclass
class KDSurrogate:
    """A fitted latent-space KD surrogate.

    Attributes:
        fitted: the GP and its input standardisation.
        config: the SurrogateConfig it was built with.
        n_train: CASSCF results it was fitted on; train_canonical: their RDKit canonical SMILES.
        cv: scaffold-grouped CV accuracy (None when too few results to cross-validate).
        checkpoint_hash, data_hash: the cache key parts (checkpoint file, training rows).
        fit_seconds: wall time of fit + CV.
    """

    fitted: FittedGP
    config: SurrogateConfig
    n_train: int
    train_canonical: frozenset[str]
    train_gap1_max: float
    cv: SurrogateCV | None
    checkpoint_hash: str
    data_hash: str
    fit_seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)   # training SMILES the model could not encode

    provenance: str = provenance.SURROGATE_GP_LATENT

    @property
    def label(self) -> str:
        """Provenance with its basis, for legends and CSV cells: never reads as CASSCF."""
        return f"{self.provenance} (n={self.n_train} CASSCF, ckpt {self.checkpoint_hash[:8]})"

    def features(self, z: np.ndarray, ligand_class=None) -> np.ndarray:
        """The GP input of latent rows (see surrogate_features)."""
        return surrogate_features(z, ligand_class, self.config.use_class)

    def predict(self, z: np.ndarray, ligand_class=None, include_noise: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Predicted 7 gaps and their 1-sigma uncertainty (cm-1), (n, 7) each, in chunks.

        The std is predictive (includes the fitted CASSCF-vs-latent noise; the CV checks its coverage);
        include_noise=False gives the latent function's std alone (what more CASSCF can reduce).
        Means are clipped at 0: a KD gap is positive (the GP extrapolates to about -10 cm-1 for 1 % of the set).
        """
        mean, std = self.fitted.predict(self.features(z, ligand_class), chunk=self.config.predict_chunk,
                                        include_noise=include_noise)
        return np.maximum(mean, 0.0), std

    def predict_frame(self, z: np.ndarray, ligand_class=None) -> pd.DataFrame:
        """predict() as a table: SURROGATE_GAP_COLUMNS, SURROGATE_STD_COLUMNS, SURROGATE_PROVENANCE."""
        mean, std = self.predict(z, ligand_class)
        frame = pd.DataFrame(mean, columns=list(columns.SURROGATE_GAP_COLUMNS))
        frame[list(columns.SURROGATE_STD_COLUMNS)] = std
        frame[columns.SURROGATE_PROVENANCE] = self.label
        return frame

    def predict_smiles(self, loaded, smiles: list[str]) -> pd.DataFrame:
        """predict_frame() for SMILES (encoded with `loaded`, classes from the SMILES), one row per input in
        order, with column `surrogate_error` naming why a row could not be predicted (then NaN values)."""
        from gauss_core.latent import encode_smiles_checked

        smiles = [str(s) for s in smiles]
        out = pd.DataFrame(np.nan, index=range(len(smiles)),
                           columns=[*columns.SURROGATE_GAP_COLUMNS, *columns.SURROGATE_STD_COLUMNS])
        out[columns.SURROGATE_PROVENANCE] = self.label
        out["surrogate_error"] = ""
        if not smiles:
            return out
        z, errors = encode_smiles_checked(loaded, smiles)
        cls = classes_of(smiles)
        ok = [i for i, err in enumerate(errors) if not err and cls[i] > 0]
        for i, err in enumerate(errors):
            if err:
                out.loc[i, "surrogate_error"] = err
            elif cls[i] == 0:
                out.loc[i, "surrogate_error"] = "not a donor-first N/O ligand (class 0)"
        if ok:
            pred = self.predict_frame(np.asarray(z)[ok], cls[ok])
            cols = [*columns.SURROGATE_GAP_COLUMNS, *columns.SURROGATE_STD_COLUMNS]
            out.loc[ok, cols] = pred[cols].to_numpy()
        return out

    def with_believed(self, z: np.ndarray, ligand_class=None) -> KDSurrogate:
        """Kriging believer: this surrogate conditioned on its own mean at new rows (hyperparameters frozen),
        so the next pick of a batch sees their uncertainty collapse and moves elsewhere."""
        x = self.features(z, ligand_class)
        mean, _ = self.fitted.predict(x)
        fitted = self.fitted.refit_fixed(x, mean)
        return KDSurrogate(fitted, self.config, self.n_train, self.train_canonical,
                           max(self.train_gap1_max, float(mean[:, 0].max())), self.cv, self.checkpoint_hash,
                           self.data_hash, self.fit_seconds, self.skipped)


def fit_kd_surrogate(loaded, kd_rows: pd.DataFrame, config: SurrogateConfig | None = None,
                     checkpoint_hash: str | None = None) -> KDSurrogate:
    """Fit the surrogate on every CASSCF result of `kd_rows` (estimates are ignored) and cross-validate it.

    Args:
        loaded: LoadedModel whose encoder gives the latent means.
        kd_rows: table with smiles, kd_gap1_cm1..kd_gap7_cm1, kd_provenance (gauss_core.jobs.all_kd_results).
        config: SurrogateConfig.
        checkpoint_hash: cache-key part (default: hash of loaded.path).
    Raises:
        SurrogateError: fewer than config.min_train usable CASSCF results.
    """
    from gauss_core.latent import encode_smiles_checked
    from gauss_core.latent.pca import file_hash

    config = config or SurrogateConfig()

    t0 = time.perf_counter()
    train = casscf_training_rows(kd_rows)
    z, errors = encode_smiles_checked(loaded, list(train[columns.SMILES]))
    ok = np.asarray([not e for e in errors], dtype=bool)
    skipped = [s for s, good in zip(train[columns.SMILES], ok, strict=True) if not good]
    train = train[ok].reset_index(drop=True)
    z = np.asarray(z)[ok]
    if len(train) < config.min_train:
        raise SurrogateError(f"only {len(train)} usable CASSCF results (need {config.min_train}); run more "
                             "CASSCF jobs (`gauss queue add --kind casscf SMILES`) or use the bundled set "
                             "(assets/kd/casscf_results.csv.gz)")
    y = train[list(columns.KD_GAP_COLUMNS)].to_numpy(dtype=np.float64)
    cls = classes_of(list(train[columns.SMILES]))
    x = surrogate_features(z, cls, config.use_class)
    cv = group_cv(x, y, [scaffold_group(s) for s in train[columns.SMILES]], cls, config)
    fitted = fit_gp(x, y, config)
    return KDSurrogate(fitted=fitted, config=config, n_train=len(train),
                       train_canonical=frozenset(train["canonical"]), train_gap1_max=float(y[:, 0].max()), cv=cv,
                       checkpoint_hash=checkpoint_hash or file_hash(loaded.path), data_hash=rows_hash(train),
                       fit_seconds=time.perf_counter() - t0, skipped=skipped)
