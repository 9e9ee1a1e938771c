"""Shared correlations: finite pairs only, NaN when undefined."""

from __future__ import annotations

import numpy as np
import pytest

from gauss_core.stats import pearson, spearman


def test_correlations_on_finite_pairs():
    x = np.array([1.0, 2, 3, 4, np.nan])
    y = np.array([2.0, 4, 6, 9, 100])
    assert pearson(x, y) == pytest.approx(np.corrcoef(x[:4], y[:4])[0, 1])
    assert spearman(x, y) == pytest.approx(1.0)
    assert spearman(x, -y) == pytest.approx(-1.0)


def test_undefined_correlations_are_nan():
    assert np.isnan(pearson([1, 2], [3, 4])) and np.isnan(spearman([1, 2], [3, 4]))      # too few pairs
    assert np.isnan(pearson([1, 1, 1], [1, 2, 3])) and np.isnan(spearman([1, 2, 3], [5, 5, 5]))  # constant
