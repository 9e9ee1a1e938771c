"""Correlations on the finite pairs of two sequences, NaN where they are undefined (fewer than 3 pairs, or a
constant side): the one definition the KD calibration, the fidelity experiment and the CASSCF check share."""

from __future__ import annotations

import numpy as np


def _finite_pairs(a, b) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    return a[ok], b[ok]


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
