"""Learning curves with the real trainer: the validation plateau rule that stops each small model."""

from __future__ import annotations


def test_learning_curve_plateau_rule():
    from gauss_core.evaluate.learning_curve import plateaued

    assert not plateaued([3.0, 2.0], patience=2, min_gain=0.01)                  # too few checks
    assert not plateaued([3.0, 2.0, 1.5, 1.2], patience=2, min_gain=0.01)        # error still falling
    assert plateaued([3.0, 2.0, 1.995, 1.999], patience=2, min_gain=0.01)        # gain < 0.01
    assert plateaued([3.0, 2.0, 2.2, 2.4], patience=2, min_gain=0.01)            # overfitting
    acc = [0.0, 0.0, 0.05, 0.071, 0.087]
    assert not plateaued(acc, patience=2, min_gain=0.01, higher_is_better=True)  # accuracy still rising
    assert plateaued(acc + [0.09, 0.085], patience=2, min_gain=0.01, higher_is_better=True)
