"""Group-cross-validated accuracy of the KD surrogate (shown wherever its numbers are used).

Folds: scikit-learn GroupKFold over Bemis-Murcko scaffolds (an acyclic ligand is its own group, see
features.scaffold_group), so that a ligand is never predicted from a close analogue in its training fold.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.stats import spearmanr
from sklearn.model_selection import GroupKFold

from gauss_core.stats import r2
from gauss_core.surrogate.gp import SurrogateConfig, fit_gp

GROUPING = "GroupKFold by Bemis-Murcko scaffold (each acyclic ligand its own group)"
CLASS_NAMES = {1: "neutral O", 2: "neutral N", 3: "anionic O", 4: "anionic N"}


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).correlation)


@dataclass(frozen=True)
class SurrogateCV:
    """Out-of-fold accuracy, in cm-1.

    Attributes:
        n, n_folds, n_groups, grouping: what was cross-validated and how.
        mae, spearman: per gap (7 each, gap 1 first).
        per_class: {class: {"name", "n", "mae_gap1", "spearman_gap1"}} for the first gap.
        coverage_1sd, coverage_2sd: share of first-gap CASSCF values inside mean +- 1 / 2 predicted std
            (0.68 / 0.95 when the uncertainty is calibrated).
        oof_mean, oof_std, truth, ligand_class: out-of-fold first-gap predictions, for parity plots.
    """

    n: int
    n_folds: int
    n_groups: int
    grouping: str
    mae: tuple[float, ...]
    spearman: tuple[float, ...]
    per_class: dict[int, dict[str, float | int | str]]
    coverage_1sd: float
    coverage_2sd: float
    oof_mean: tuple[float, ...] = field(repr=False, default=())
    oof_std: tuple[float, ...] = field(repr=False, default=())
    truth: tuple[float, ...] = field(repr=False, default=())
    ligand_class: tuple[int, ...] = field(repr=False, default=())

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        """One line for captions and tooltips, e.g. 'group-CV (5 folds, n=119): first gap MAE 44 cm-1, ...'."""
        return (f"group-CV ({self.n_folds} folds by scaffold, n={self.n}): first gap MAE {self.mae[0]:.0f} cm-1, "
                f"Spearman {self.spearman[0]:.2f}; all gaps MAE {np.mean(self.mae):.0f} cm-1")


def group_cv(x: np.ndarray, y: np.ndarray, groups: list[str], ligand_class: np.ndarray,
             config: SurrogateConfig) -> SurrogateCV | None:
    """Fit the GP on each training fold and score the held-out fold; None when there are too few rows or
    groups for config.cv_folds >= 2 folds."""
    n_groups = len(set(groups))
    n_folds = min(config.cv_folds, n_groups)
    if config.cv_folds < 2 or n_folds < 2 or len(y) < max(config.min_train, 2 * n_folds):
        return None
    mean = np.zeros_like(y, dtype=np.float64)
    std = np.zeros_like(y, dtype=np.float64)
    for train_idx, test_idx in GroupKFold(n_splits=n_folds).split(x, y, groups):
        fitted = fit_gp(x[train_idx], y[train_idx], config)
        mean[test_idx], std[test_idx] = fitted.predict(x[test_idx])
    err = np.abs(mean - y)
    per_class: dict[int, dict[str, float | int | str]] = {}
    for c in sorted(set(int(v) for v in ligand_class)):
        m = ligand_class == c
        per_class[c] = {"name": CLASS_NAMES.get(c, f"class {c}"), "n": int(m.sum()),
                        "mae_gap1": float(err[m, 0].mean()), "spearman_gap1": _spearman(mean[m, 0], y[m, 0])}
    z1 = err[:, 0] / np.maximum(std[:, 0], 1e-9)
    return SurrogateCV(
        n=len(y), n_folds=n_folds, n_groups=n_groups, grouping=GROUPING,
        mae=tuple(float(v) for v in err.mean(axis=0)),
        spearman=tuple(_spearman(mean[:, i], y[:, i]) for i in range(y.shape[1])),
        per_class=per_class, coverage_1sd=float((z1 <= 1).mean()), coverage_2sd=float((z1 <= 2).mean()),
        oof_mean=tuple(float(v) for v in mean[:, 0]), oof_std=tuple(float(v) for v in std[:, 0]),
        truth=tuple(float(v) for v in y[:, 0]), ligand_class=tuple(int(v) for v in ligand_class))


def _r2(pred: np.ndarray, truth: np.ndarray) -> float:
    return r2(truth, pred) if len(truth) >= 3 else float("nan")


def _knn_mean(x_pool: np.ndarray, y_pool: np.ndarray, x_query: np.ndarray, k: int, metric: str) -> np.ndarray:
    """Mean of the k nearest pool rows' values for every query row."""
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=min(k, len(x_pool)), metric=metric).fit(x_pool)
    _, idx = nn.kneighbors(x_query)
    return y_pool[idx].mean(axis=1)


def class_scores(pred: np.ndarray, y1: np.ndarray, ligand_class: np.ndarray, **meta) -> dict:
    """R^2 / Spearman overall and per class (R^2 against the class's own mean) over the rows that have a
    prediction; `meta` is copied into the result."""
    ok = np.isfinite(pred)
    per_class = {}
    for c in sorted(set(int(v) for v in ligand_class[ok])):
        m = ok & (ligand_class == c)
        per_class[c] = {"name": CLASS_NAMES.get(c, f"class {c}"), "n": int(m.sum()), "r2": _r2(pred[m], y1[m]),
                        "spearman": _spearman(pred[m], y1[m])}
    return {**meta, "n": int(ok.sum()), "r2": _r2(pred[ok], y1[ok]), "spearman": _spearman(pred[ok], y1[ok]),
            "per_class": per_class}


def _pools(pool_idx: np.ndarray, query_idx: np.ndarray, ligand_class: np.ndarray,
           same_class: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    if not same_class:
        return [(pool_idx, query_idx)]
    return [(pool_idx[ligand_class[pool_idx] == c], query_idx[ligand_class[query_idx] == c])
            for c in sorted(set(ligand_class[query_idx].tolist()))]


def knn_group_cv(x: np.ndarray, y1: np.ndarray, groups: list[str], ligand_class: np.ndarray, k: int = 10,
                 n_folds: int = 5, metric: str = "euclidean", same_class: bool = False) -> dict | None:
    """Out-of-fold k-nearest-neighbour prediction of the first gap (mean of the k neighbours' values), the
    plain yardstick of how well a representation orders E1: R^2 and Spearman overall and within each class
    (R^2 within a class against that class's own mean, so the class offset earns nothing there).

    x: one row per ligand (latent means, or fingerprints with metric="jaccard"); same_class: neighbours only
    from the ligand's own donor class. Folds: GroupKFold over `groups` (scaffolds). None when too few rows."""
    n_groups = len(set(groups))
    n_folds = min(n_folds, n_groups)
    if n_folds < 2 or len(y1) < 2 * k:
        return None
    pred = np.full(len(y1), np.nan)
    for train_idx, test_idx in GroupKFold(n_splits=n_folds).split(x, y1, groups):
        for pool, query in _pools(train_idx, test_idx, ligand_class, same_class):
            if len(pool) and len(query):
                pred[query] = _knn_mean(x[pool], y1[pool], x[query], k, metric)
    return class_scores(pred, y1, ligand_class, k=k, n_folds=n_folds, metric=metric, same_class=same_class)


def knn_holdout(x: np.ndarray, y1: np.ndarray, ligand_class: np.ndarray, held_out: np.ndarray, k: int = 10,
                metric: str = "euclidean", same_class: bool = False) -> dict | None:
    """kNN prediction of the held-out rows from the others only (same scores as knn_group_cv).

    For a representation trained on y1 itself (the latent of a model whose head learned it), cross-validation
    over rows it was trained on flatters it; held_out (bool per row) marks rows whose value the model never
    saw, e.g. its test split. None when fewer than 3 held-out or k reference rows."""
    held_out = np.asarray(held_out, dtype=bool)
    query, pool = np.flatnonzero(held_out), np.flatnonzero(~held_out)
    if len(query) < 3 or len(pool) < k:
        return None
    pred = np.full(len(y1), np.nan)
    for p, q in _pools(pool, query, ligand_class, same_class):
        if len(p) and len(q):
            pred[q] = _knn_mean(x[p], y1[p], x[q], k, metric)
    return class_scores(pred, y1, ligand_class, k=k, n_held_out=len(query), metric=metric, same_class=same_class)
