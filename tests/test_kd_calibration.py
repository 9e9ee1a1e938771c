"""The calibrated KD estimate: its refusal without CASSCF data, the fitting machinery, its per-class warning."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gauss_core import columns, provenance
from gauss_core.complexes import assemble, relax
from gauss_core.kd.calibration import (FEATURES, MIN_CASSCF_ROWS, CalibratedModel, CalibrationError, casscf_table,
                                       fit_calibration)
from gauss_core.kd.estimate import estimate

# CASSCF(9,7)+SO (OpenMolcas) KD energies of [Dy(H2O)5(OMe)2]+ measured in this project, cm^-1.
CASSCF_OME = np.array([0, 502, 814, 967, 1001, 1012, 1020, 1025.0])


@pytest.fixture(scope="module")
def ome_relaxed():
    return relax(assemble("[O-]C", builder="rdkit"), "constrained")


def test_calibration_refuses_without_casscf_data():
    empty = pd.DataFrame(columns=[columns.SMILES, *columns.KD_GAP_COLUMNS, columns.KD_PROVENANCE])
    with pytest.raises(CalibrationError, match="no CASSCF results yet"):
        fit_calibration(pd.DataFrame(columns=[columns.SMILES, *FEATURES]), empty)
    # estimates are never training data
    estimates_only = pd.DataFrame([{columns.SMILES: "[O-]C",
                                    **dict(zip(columns.KD_GAP_COLUMNS, CASSCF_OME[1:], strict=False)),
                                    columns.KD_PROVENANCE: provenance.CF_POINTCHARGE}])
    with pytest.raises(CalibrationError, match="no CASSCF results yet"):
        casscf_table(estimates_only)
    # one real CASSCF row is not enough either
    one = estimates_only.assign(**{columns.KD_PROVENANCE: provenance.CASSCF_OPENMOLCAS})
    feats = pd.DataFrame([{columns.SMILES: "[O-]C", **{f: 1.0 for f in FEATURES}}])
    with pytest.raises(CalibrationError, match=f"at least {MIN_CASSCF_ROWS}"):
        fit_calibration(feats, one)
    with pytest.raises(CalibrationError, match="gauss complex calibrate"):
        CalibratedModel.load("/nonexistent/kd_calibrated.json")


@pytest.mark.needs_xtb
def test_calibration_machinery_recovers_a_known_relation(tmp_path, ome_relaxed):
    """Regression-code check on a table constructed for this test (NOT CASSCF results): gaps that are an
    exact linear function of two features are recovered with small cross-validated error."""
    rng = np.random.default_rng(0)
    n = 24
    feats = pd.DataFrame({f: rng.normal(size=n) for f in FEATURES})
    feats[columns.SMILES] = [f"[O-]{'C' * (i + 1)}" for i in range(n)]
    base = 400 + 80 * feats["q_donor_xtb_e"] - 50 * feats["r_Dy_L_mean_A"]
    table = pd.DataFrame({columns.SMILES: feats[columns.SMILES], columns.KD_PROVENANCE: provenance.CASSCF_OPENMOLCAS})
    for i, c in enumerate(columns.KD_GAP_COLUMNS):
        table[c] = base * (1 + 0.3 * i)
    model = fit_calibration(feats, table, alpha=1e-3)
    assert model.n_train == n and model.cv_mae_cm1 < 5 and model.cv_r_gap1 > 0.99
    assert model.cv_spearman_gap1 > 0.95 and len(model.cv_gap1_pairs) == n
    # classes come from the anionic / donor_is_N descriptors; every row is in exactly one class
    assert sum(row["n"] for row in model.cv_per_class.values()) == n
    assert set(model.cv_per_class) <= {"1", "2", "3", "4"}
    path = model.save(tmp_path / "m.json")
    loaded = CalibratedModel.load(path)
    assert np.allclose(loaded.predict(feats.iloc[:3]), model.predict(feats.iloc[:3]))
    # a file written before the ranking fields existed still loads (they read as unknown)
    old = {k: v for k, v in json.loads(path.read_text()).items()
           if k not in ("cv_spearman_gap1", "cf_only_spearman_gap1", "cv_per_class", "cv_gap1_pairs")}
    (tmp_path / "old.json").write_text(json.dumps(old))
    assert np.isnan(CalibratedModel.load(tmp_path / "old.json").cv_spearman_gap1)
    est = estimate(ome_relaxed, calibrated=loaded)
    assert est.provenance == "kd-calibrated-ridge-v1" and not provenance.is_casscf(est.provenance)
    assert "calibrated" in provenance.describe(est.provenance)
    assert est.g_provenance == provenance.CF_POINTCHARGE


@pytest.mark.needs_xtb
def test_calibrated_estimate_warns_where_its_class_is_not_ranked(tmp_path, ome_relaxed):
    """The calibration file's per-class CV numbers reach the user: methoxide is class 3 (anionic O); a fit
    that ranks class 3 badly flags the estimate, one that ranks it well does not, an old file stays silent."""
    from dataclasses import replace

    nan = float("nan")
    model = CalibratedModel(name="kd-calibrated-ridge-v1", feature_names=["cf_gap1_cm1"], mean=[0.0], scale=[1.0],
                            coef=[[1.0]] * 7, intercept=[0.0] * 7, alpha=1.0, n_train=40, cv_mae_cm1=nan,
                            cv_mae_per_gap_cm1=[nan] * 7, cv_r_gap1=nan, cv_r_gap7=nan, cf_only_r_gap1=nan,
                            training_hash="hand-made", training_provenance=[])
    per_class = {"2": {"n": 25, "mae_gap1_cm1": 28.0, "spearman_gap1": -0.52},
                 "3": {"n": 25, "mae_gap1_cm1": 14.0, "spearman_gap1": 0.91}}
    assert model.weak_ranking_note(3) is None  # no per-class numbers: nothing claimed
    ranked = replace(model, cv_per_class=per_class)
    assert ranked.weak_ranking_note(3) is None
    note = ranked.weak_ranking_note(2)
    assert note.startswith("weak-ranking") and "neutral N" in note and "-0.52" in note and "25" in note
    assert not any(f.startswith("weak-ranking") for f in estimate(ome_relaxed, calibrated=ranked).flags)
    unranked = replace(model, cv_per_class={"3": {"n": 25, "mae_gap1_cm1": 14.0, "spearman_gap1": 0.2}})
    flags = estimate(ome_relaxed, calibrated=unranked).flags
    assert any(f.startswith("weak-ranking") and "anionic O" in f for f in flags)


def test_descriptors_constant_by_construction_are_left_out_of_the_fit():
    """Issue 13.4: on geometries that hold the L-Dy-L angle at 180 deg and the water pentagon planar, the angle
    and mpp_A vary only by rounding (spreads of 1e-7 and 5e-12); standardised, that noise took ridge weights and
    a slightly different geometry gave first gaps of 1e9 cm-1. The fit drops them and says so."""
    rng = np.random.default_rng(1)
    n = 30
    feats = pd.DataFrame({f: rng.normal(size=n) for f in FEATURES})
    feats["angle_L_Dy_L_deg"] = 180.0 - rng.uniform(0, 2e-7, n)
    feats["mpp_A"] = rng.uniform(0, 1e-11, n)
    feats[columns.SMILES] = [f"[O-]{'C' * (i + 1)}" for i in range(n)]
    table = pd.DataFrame({columns.SMILES: feats[columns.SMILES], columns.KD_PROVENANCE: provenance.CASSCF_OPENMOLCAS})
    for i, c in enumerate(columns.KD_GAP_COLUMNS):
        table[c] = (400 + 80 * feats["q_donor_xtb_e"]) * (1 + 0.3 * i)
    model = fit_calibration(feats, table)
    assert model.dropped_constant == ["angle_L_Dy_L_deg", "mpp_A"]
    assert "angle_L_Dy_L_deg" not in model.feature_names and "mpp_A" not in model.feature_names
    bent = feats.iloc[:1].assign(angle_L_Dy_L_deg=179.5, mpp_A=0.02)   # a bounded relaxation's geometry
    assert np.allclose(model.predict(bent), model.predict(feats.iloc[:1]))


def test_a_file_fitted_with_constant_descriptors_holds_them_at_their_training_value():
    """The calibration files written before the fix (angle scale 1.1e-7, mpp scale 5e-12) stay usable."""
    names = ["q_donor_xtb_e", "angle_L_Dy_L_deg", "mpp_A"]
    old = CalibratedModel(name="kd-calibrated-ridge-v1", feature_names=names, mean=[-0.3, 179.99999998, 1e-12],
                          scale=[0.14, 1.1e-7, 5.1e-12], coef=[[50.0, 30.0, 20.0]] * 7, intercept=[500.0] * 7,
                          alpha=1.0, n_train=113, cv_mae_cm1=57.0, cv_mae_per_gap_cm1=[57.0] * 7, cv_r_gap1=0.99,
                          cv_r_gap7=0.98, cf_only_r_gap1=0.87, training_hash="x", training_provenance=["casscf"])
    bounded = pd.DataFrame([{"q_donor_xtb_e": -0.3, "angle_L_Dy_L_deg": 179.2, "mpp_A": 0.03}])
    assert np.allclose(old.predict(bounded), 500.0, atol=1e-6)   # was 30 * 0.8 / 1.1e-7 ~ 2e8 cm-1 above


def test_bundled_calibration_has_no_constant_descriptor():
    from gauss_core import paths

    model = CalibratedModel.load(paths.KD_CALIBRATION)
    assert {"angle_L_Dy_L_deg", "mpp_A"} <= set(model.dropped_constant)
    assert min(model.scale) > 1e-3
    # its per-class numbers (the weak-ranking flags) come from folds that keep a scaffold together
    assert model.cv_grouping.startswith("GroupKFold by scaffold")


def _analogue_table(n_scaffolds: int = 6, per_scaffold: int = 6, seed: int = 0):
    """Anionic-O ligands in scaffold families (ring sizes 3..): within a family the descriptors and the gaps are
    identical, across families random, so nothing but a family's own members predicts its gaps."""
    rng = np.random.default_rng(seed)
    feats, rows = [], []
    for k in range(3, 3 + n_scaffolds):
        x, gap = 5 * rng.normal(size=len(FEATURES)), rng.uniform(100, 600)  # spreads above MIN_SPREAD
        for j in range(per_scaffold):
            smi = "[O-]" + "C" * j + "C1" + "C" * (k - 1) + "1"
            feats.append({**dict(zip(FEATURES, x, strict=True)), "anionic": 1.0, "donor_is_N": 0.0,
                          columns.SMILES: smi})
            rows.append({columns.SMILES: smi, columns.KD_PROVENANCE: provenance.CASSCF_OPENMOLCAS,
                         "kd_geometry_source": "xtb-gfn2-axial",
                         **{c: gap * (1 + 0.3 * i) for i, c in enumerate(columns.KD_GAP_COLUMNS)}})
    return pd.DataFrame(feats), pd.DataFrame(rows)


def test_cv_keeps_scaffolds_together_and_flags_the_class_it_does_not_rank():
    """Issue 13.4: the per-class Spearman that sets the weak-ranking flag is group-cross-validated. With row-wise
    folds every held-out ligand had a same-scaffold twin in training and this table scored Spearman 0.99 (no flag);
    with the scaffold kept in one fold it cannot be ranked, and the flag says so for that class."""
    from sklearn.model_selection import KFold

    from gauss_core.kd.calibration import cv_folds

    feats, table = _analogue_table()
    model = fit_calibration(feats, table, alpha=1e-3)
    assert model.cv_grouping.startswith("GroupKFold by scaffold") and "6 groups" in model.cv_grouping
    assert model.cv_per_class["3"]["n"] == 36 and model.cv_per_class["3"]["spearman_gap1"] < 0.5
    assert model.weak_ranking_note(3).startswith("weak-ranking")
    assert model.feature_geometry == "xtb-gfn2-axial"   # the descriptors' geometry comes from the CASSCF rows
    splits, _ = cv_folds(list(table[columns.SMILES]), 5, 0)
    fam = table[columns.SMILES].str.count("C").to_numpy() - table[columns.SMILES].str.split("C1").str[0].str.count("C")
    for train, test in splits:                            # no family on both sides of a fold
        assert not set(fam[train]) & set(fam[test])
    # what row-wise folds reported on the same table: the leak the grouping removes
    leaky = KFold(n_splits=5, shuffle=True, random_state=0).split(feats)
    from sklearn.linear_model import Ridge

    x = feats[[f for f in FEATURES if f not in ("anionic", "donor_is_N")]].to_numpy()
    y = table[columns.KD_GAP_COLUMNS[0]].to_numpy()
    pred = np.zeros_like(y)
    for tr, te in leaky:
        pred[te] = Ridge(alpha=1e-3).fit(x[tr], y[tr]).predict(x[te])
    from gauss_core.stats import spearman
    assert spearman(pred, y) > 0.9


def test_a_ligand_trains_on_each_geometry_and_scan_points_are_not_scored():
    """Table constructed for this test (NOT CASSCF): 12 ligands on the template's fixed distance (r the same
    for all) and on a computed one, plus 3 rigid-shift scan points of each on the computed geometry. With
    kd_geometry_source in both tables every (ligand, geometry) row trains with its own descriptors, so the fit
    learns the gap's slope along r, which the fixed-distance rows alone cannot show; the CV numbers count the
    two scored geometries of each ligand, never a scan point."""
    rng = np.random.default_rng(1)
    fixed, computed = "xtb-gfn2-constrained", "xtb-gfn2-axial+dft-class-linear-n18 (builder search)"
    rows = []
    for i in range(12):
        smi = f"[O-]{'C' * (i + 1)}"
        q, r0 = rng.normal(), 2.10 + 0.1 * rng.random()
        for source, r, shift in [(fixed, 2.15, None), (computed, r0, 0.0)] + [
                (f"xtb-gfn2-axial+dft-class-linear-n18 (builder search; rigid axial shift {d:+.3f} A)", r0 + d, d)
                for d in (-0.1, 0.05, 0.1)]:
            feats = {f: 0.0 for f in FEATURES} | {"q_donor_xtb_e": q, "r_Dy_L_mean_A": r, "anionic": 1.0,
                                                 "cf_gap1_cm1": 300 + 10 * rng.normal()}
            gap1 = 500 + 60 * q - 1000 * (r - 2.15)  # -100 cm-1 per 0.1 A
            rows.append({columns.SMILES: smi, "kd_geometry_source": source, "kd_rigid_shift_A": shift, **feats,
                         **{c: gap1 * (1 + 0.3 * k) for k, c in enumerate(columns.KD_GAP_COLUMNS)},
                         columns.KD_PROVENANCE: provenance.CASSCF_OPENMOLCAS})
    table = pd.DataFrame(rows)
    features = table[[columns.SMILES, "kd_geometry_source", *FEATURES]]
    model = fit_calibration(features, table, alpha=1e-3)
    assert model.n_train == 60 and len(model.cv_gap1_pairs) == 24  # 12 ligands x 2 scored geometries
    assert model.cv_mae_per_gap_cm1[0] < 10 and model.cv_spearman_gap1 > 0.95
    probe = pd.DataFrame([{f: 0.0 for f in FEATURES} | {"anionic": 1.0, "cf_gap1_cm1": 300.0, "r_Dy_L_mean_A": r}
                          for r in (2.10, 2.20)])
    slope = np.diff(model.predict(probe)[:, 0])[0]
    assert slope == pytest.approx(-100, abs=10)  # learnt from the scan points, per 0.1 A
    assert model.feature_geometry == f"xtb-gfn2-axial+dft-class-linear-n18 + {fixed}"
    assert model.fitted_on("xtb-gfn2-axial+dft-class-linear-n18") and model.fitted_on(fixed)
    assert not model.fitted_on("xtb-gfn2-axial")
    # keyed by ligand alone (no geometry column), the same table keeps one row per ligand, as before
    by_ligand = fit_calibration(features.drop(columns="kd_geometry_source").drop_duplicates(columns.SMILES),
                                table.drop(columns=["kd_geometry_source", "kd_rigid_shift_A"]), alpha=1e-3)
    assert by_ligand.n_train == 12


def test_a_descriptor_held_by_every_geometry_path_is_dropped():
    """The L-Dy-L angle is 180 deg in the constrained relaxation and 179.6-180 deg on the computed-distance
    geometries: a spread of 0.2 deg only tells the paths apart and is dropped; a real bend would be kept."""
    from gauss_core.kd.calibration import varying

    names = ["angle_L_Dy_L_deg", "mpp_A", "q_donor_xtb_e"]
    assert varying(np.array([179.8, 1e-13, -0.3]), np.array([0.2, 1e-13, 0.05]), names).tolist() == [False, False,
                                                                                                       True]
    assert varying(np.array([170.0, 0.1, -0.3]), np.array([5.0, 0.05, 0.05]), names).tolist() == [True, True, True]
    assert varying(np.array([179.8]), np.array([0.2])).tolist() == [True]  # unnamed: only the relative test
