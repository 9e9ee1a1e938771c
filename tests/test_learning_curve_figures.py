"""Fig. 2b and Fig. 6b drawn from small curve tables shaped as the learning-curve runs write them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gauss_core import columns as C
from gauss_core.evaluate.learning_curve_figures import label_curve_figure, reconstruction_figure


def test_reconstruction_figure_marks_small_models_and_the_checkpoint(tmp_path):
    curve = pd.DataFrame({"model": ["small model (real trainer)"] * 2 + ["evaluated checkpoint"],
                          "n_train": [100, 300, 5000], "recon_exact": [0.1, 0.3, 0.95], "recon_token": [0.5, 0.7, 0.99],
                          "batches": [6, 9, 3000], "n_test": [50, 50, 50]})
    path = reconstruction_figure(curve, tmp_path / "fig2b.png", 0.9, "at most 9 batches")
    assert path == tmp_path / "fig2b.png" and path.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(KeyError):           # a table without the batches column is not a learning curve
        reconstruction_figure(curve.drop(columns=["batches"]), tmp_path / "bad.png")


def test_label_curve_figure_draws_negative_and_missing_r2(tmp_path):
    curve = pd.DataFrame({"n_labelled": [30, 100], f"r2_{C.Q_DONOR}": [-0.4, 0.6],
                          f"r2_{C.PROXY_COLUMNS[-1]}": [np.nan, np.nan]})
    path = label_curve_figure(curve, tmp_path / "fig6b.png", "at most 4 batches")
    assert path.read_bytes()[:4] == b"\x89PNG" and path.stat().st_size > 5000
