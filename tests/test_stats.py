"""Shared correlations: finite pairs only, NaN when undefined."""

from __future__ import annotations

import numpy as np
import pytest

from gauss_core.stats import pearson, r2, spearman


def test_correlations_on_finite_pairs():
    x = np.array([1.0, 2, 3, 4, np.nan])
    y = np.array([2.0, 4, 6, 9, 100])
    assert pearson(x, y) == pytest.approx(np.corrcoef(x[:4], y[:4])[0, 1])
    assert spearman(x, y) == pytest.approx(1.0)
    assert spearman(x, -y) == pytest.approx(-1.0)


def test_undefined_correlations_are_nan():
    assert np.isnan(pearson([1, 2], [3, 4])) and np.isnan(spearman([1, 2], [3, 4]))      # too few pairs
    assert np.isnan(pearson([1, 1, 1], [1, 2, 3])) and np.isnan(spearman([1, 2, 3], [5, 5, 5]))  # constant


def test_r2_definition():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert r2(y, y) == pytest.approx(1.0)
    assert r2(y, np.full(4, y.mean())) == pytest.approx(0.0)
    assert r2(y, y[::-1]) < 0
    assert np.isnan(r2([1.0], [1.0]))


def test_r2_uses_finite_pairs_and_is_nan_without_variance():
    y = np.array([1.0, 2.0, 3.0, np.nan])
    assert r2(y, [1.0, 2.0, 3.0, 99.0]) == pytest.approx(1.0)       # the NaN row is dropped, not propagated
    assert np.isnan(r2([2.0, 2.0, 2.0], [1.0, 2.0, 3.0]))             # constant truth: R^2 undefined
