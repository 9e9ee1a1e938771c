"""Experiment 5's scores: the paper's R^2-like metric, the within-class table, and the rules' exclusions
counted by reason (hand-made seed/sample pairs with known answers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gauss_core import columns as C


def _pairs(seed_gap1, sample_gap1, flags=None) -> pd.DataFrame:
    """Seed/sample pairs with all 7 gaps (gap k = gap1 * (1 + (k - 1) / 4)) and the rules' verdicts."""
    from gauss_core.evaluate.fidelity import exclusion_reason

    seed_gap1, sample_gap1 = np.asarray(seed_gap1, float), np.asarray(sample_gap1, float)
    rows = []
    for i, (a, b) in enumerate(zip(seed_gap1, sample_gap1, strict=False)):
        gaps = {c: b * (1 + k / 4) for k, c in enumerate(C.KD_GAP_COLUMNS)}
        row = {"seed_smiles": f"s{i // 2}", "seed_gap1_cm1": a, "seed_gap7_cm1": a * 4, **gaps,
               "flags": (flags or {}).get(i, ""), "seed_excluded": ""}
        row["excluded"] = exclusion_reason(row)
        rows.append(row)
    return pd.DataFrame(rows)


def test_fidelity_score_is_the_papers_r2_like_metric():
    from gauss_core.evaluate.fidelity_scores import fidelity_scores

    seeds = np.array([100.0, 100, 300, 300, 450, 450])
    exact = _pairs(seeds, seeds)
    assert fidelity_scores(exact)["score_gap1"] == pytest.approx(1.0)
    noisy = _pairs(seeds, seeds + np.array([50, -50, 50, -50, 50, -50.0]))
    s = fidelity_scores(noisy)["score_gap1"]
    expected = 1 - 6 * 50 ** 2 / ((noisy[C.KD_GAP_COLUMNS[0]] - noisy[C.KD_GAP_COLUMNS[0]].mean()) ** 2).sum()
    assert s == pytest.approx(expected) and s < 1
    assert fidelity_scores(_pairs(seeds, seeds[::-1]))["score_gap1"] < 0


def test_within_class_score_separates_class_level_from_within_class_order():
    """Two classes at different gap levels: samples that only keep their class level score well pooled but
    not within the class; samples that follow their seed within the class score well there too."""
    from gauss_core.evaluate.fidelity_scores import MIN_CLASS_PAIRS, fidelity_scores, smiles_class, within_class_table

    assert [smiles_class(s) for s in ("OC", "NC", "[O-]C", "[N-]C", "C", "not smiles")] == [1, 2, 3, 4, 0, 0]
    rng = np.random.default_rng(0)
    n = MIN_CLASS_PAIRS
    anion_seeds = 400 + 100 * rng.random(n)             # class 3 near 450 cm-1
    neutral_seeds = 50 + 100 * rng.random(n)            # class 1 near 100 cm-1
    rows = []
    for seeds, seed_smi, smi, follows in ((anion_seeds, "[O-]C", "[O-]CC", True), (neutral_seeds, "OC", "OCC", False)):
        samples = seeds + rng.normal(0, 5, n) if follows else rng.permutation(seeds)
        for a, b in zip(seeds, samples, strict=False):
            rows.append({"estimator": "cf-pointcharge", "seed_smiles": seed_smi, C.SMILES: smi, "seed_gap1_cm1": a,
                         "seed_gap7_cm1": 4 * a, C.KD_GAP_COLUMNS[0]: b, C.KD_GAP_COLUMNS[-1]: 4 * b,
                         "excluded": "", "seed_excluded": ""})
    pairs = pd.DataFrame(rows)
    assert fidelity_scores(pairs)["score_gap1"] > 0.8                       # pooled: the class levels carry it
    table = within_class_table(pairs).set_index("seed_class")
    assert list(table.index) == [1, 3] and (table["pairs"] == n).all() and (table["same_class_pct"] == 100).all()
    assert table.loc[3, "score_gap1"] > 0.9 and table.loc[1, "score_gap1"] < 0.2
    few = within_class_table(pairs.iloc[: n // 2])
    assert np.isnan(few["score_gap1"]).all()                                 # below MIN_CLASS_PAIRS: no score


def test_fidelity_rules_exclude_failed_assemblies_and_unphysical_estimates():
    """Rule R1 (assembly-check flags) and R2 (plausible gaps) take such pairs out of the score; the score over
    every pair is still reported, and each exclusion is counted by reason."""
    from gauss_core.evaluate.fidelity import MAX_TOTAL_SPLITTING_CM1, exclusion_reason
    from gauss_core.evaluate.fidelity_scores import fidelity_scores

    seeds = np.array([100.0, 100, 300, 300, 450, 450])
    # sample 0: the complex fails the clash check and its estimate is blown up; sample 3: an unphysical estimate
    blown = _pairs(seeds, [722.0, 100, 300, 3000, 450, 450], flags={0: "clash: 6 contact(s) too short; "
                                                                       "unrelaxed-template: not relaxed"})
    sc = fidelity_scores(blown)
    assert sc["n_pairs"] == 4 and sc["n_excluded_samples"] == 2 and sc["score_gap1"] == pytest.approx(1.0)
    assert sc["excluded_reasons"] == {"assembly check: clash": 1,
                                      f"implausible: total splitting > {MAX_TOTAL_SPLITTING_CM1:.0f} cm-1": 1}
    assert sc["n_pairs_all"] == 6 and sc["score_gap1_all"] < 0
    # informational flags are not failures; bent-axis is a real geometry
    ok = {c: 10.0 * (k + 1) for k, c in enumerate(C.KD_GAP_COLUMNS)}
    assert exclusion_reason({**ok, "flags": "unrelaxed-template: ...; bent-axis: L-Dy-L 150 deg"}) == ""
    assert exclusion_reason({**ok, "flags": np.nan}) == ""
    assert exclusion_reason({**ok, "error": "AssemblyError: no donor"}).startswith("estimate failed")
    assert "unordered" in exclusion_reason({**ok, C.KD_GAP_COLUMNS[0]: 500.0})
    assert "missing" in exclusion_reason({**ok, C.KD_GAP_COLUMNS[3]: np.nan})
