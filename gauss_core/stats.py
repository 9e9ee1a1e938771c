"""Correlations and R^2 on the finite pairs of two sequences, NaN where they are undefined (too few pairs, or a
constant side): the one definition the trainer, the KD and proxy calibrations and the experiments share."""

from __future__ import annotations

import numpy as np


def _finite_pairs(a, b) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    return a[ok], b[ok]


def r2(y_true, y_pred) -> float:
    """Coefficient of determination 1 - SS_res / SS_tot (SS_tot around the mean of y_true) on the finite
    pairs; NaN with fewer than 2 pairs or no variance in y_true."""
    y_true, y_pred = _finite_pairs(y_true, y_pred)
    if len(y_true) < 2:
        return float("nan")
    ss_tot = float(((y_true - y_true.mean()) ** 2).sum())
    if ss_tot <= 0:
        return float("nan")
    return 1.0 - float(((y_true - y_pred) ** 2).sum()) / ss_tot


def pearson(a, b) -> float:
    """Pearson r of the finite pairs."""
    a, b = _finite_pairs(a, b)
    if len(a) <= 2 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def spearman(a, b) -> float:
    """Spearman rank correlation of the finite pairs (a constant side has no rank order: NaN)."""
    from scipy.stats import spearmanr

    a, b = _finite_pairs(a, b)
    if len(a) <= 2 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(spearmanr(a, b).correlation)
