"""KD mapping set: stratified draw, real build (RDKit template + GFN2-xTB single point + crystal field),
resume, per-ligand errors, CASSCF overlay, stratified CASSCF pick, queueing into the real SQLite store."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gauss_core import columns as C
from gauss_core import provenance
from gauss_core.kd import kd_mapping as km

def test_select_ligands_is_stratified_and_interleaved(tiny_ligands):
    picked = km.select_ligands(tiny_ligands, 40, seed=3)
    counts = picked[C.LIGAND_CLASS].value_counts()
    available = tiny_ligands[C.LIGAND_CLASS].value_counts()
    for cls, n in counts.items():
        assert n == min(10, available[cls])
    # any prefix is stratified: the first 4 rows are 4 different classes (every class has >= 1 ligand)
    assert picked[C.LIGAND_CLASS].iloc[:4].nunique() == min(4, tiny_ligands[C.LIGAND_CLASS].nunique())
    assert picked[C.SMILES].is_unique
    again = km.select_ligands(tiny_ligands, 40, seed=3)
    assert again[C.SMILES].tolist() == picked[C.SMILES].tolist()  # seeded


@pytest.mark.needs_xtb
@pytest.mark.slow
def test_build_resume_and_errors(tiny_ligands, tmp_path):
    bad = pd.DataFrame([{C.LIGAND_ID: 999999, C.SMILES: "[O-]C(", C.CANONICAL: "x", C.DONOR_ELEMENT: "O",
                         C.DONOR_Z: 8, C.CHARGE: -1, C.LIGAND_CLASS: 3, C.QM9_INDEX: 0}])
    ligands = pd.concat([tiny_ligands[tiny_ligands[C.LIGAND_CLASS] != 3].groupby(C.LIGAND_CLASS).head(1), bad],
                        ignore_index=True)
    cfg = km.KDMapConfig(n_ligands=8, out=tmp_path / "kd.csv.gz", cache_dir=tmp_path / "cache", write_every=1)
    status = km.build_kd_mapping(cfg, ligands, log=lambda s: None)
    out = pd.read_csv(cfg.out)
    errors = pd.read_csv(cfg.errors_path)
    assert list(out.columns) == list(km.MAPPING_COLUMNS)
    assert len(out) == 3 and status.done == 3 and status.failed == 1
    assert (out[C.KD_PROVENANCE] == provenance.CF_POINTCHARGE).all()
    assert not out[C.KD_PROVENANCE].map(provenance.is_casscf).any()
    assert (out[C.KD_MODE] == "template-sp").all() and (out[C.GEOMETRY_PROVENANCE] == "rdkit").all()
    gaps = out[list(C.KD_GAP_COLUMNS)].to_numpy()
    assert np.isfinite(gaps).all() and (np.diff(gaps, axis=1) >= -1e-6).all() and (gaps[:, 0] > 0).all()
    assert errors[C.SMILES].tolist() == ["[O-]C("]
    assert len(str(errors["error"].iloc[0])) > 10  # the reason is kept
    # resume: nothing recomputed, same table; a cut last line (crash mid-write) is ignored
    with open(cfg.cache_path(), "a") as fh:
        fh.write('{"smiles": "broken')
    before = cfg.cache_path().read_text().count("\n")
    status2 = km.build_kd_mapping(cfg, ligands, log=lambda s: None)
    assert status2.done == 3
    assert cfg.cache_path().read_text().count("\n") == before
    assert pd.read_csv(cfg.out)[C.SMILES].tolist() == out[C.SMILES].tolist()


@pytest.mark.needs_xtb
@pytest.mark.slow
def test_axial_mapped_mode_computes_the_distance_and_keeps_its_own_table(tmp_path):
    """The computed-distance mode: the nitrile pulls charge off the alkoxide O, so Dy-O is longer than for
    methoxide (the template fixes 2.15 A for both) and the first gap smaller; each row names its geometry,
    and the build never writes over the bundled template set."""
    from gauss_core import paths

    rows = [km.estimate_ligand(s, "axial-mapped") for s in ("[O-]C", "[O-]CC#N")]
    r = [0.5 * (row["r_Dy_L1_A"] + row["r_Dy_L2_A"]) for row in rows]
    assert all(row[C.KD_MODE] == "axial-mapped" for row in rows)
    assert all(row[C.GEOMETRY_PROVENANCE].startswith("xtb-gfn2-axial+dft-class-linear") for row in rows)
    assert all(2.0 < x < 2.3 for x in r) and r[1] - r[0] > 0.01 and all(abs(x - 2.15) > 1e-3 for x in r)
    assert all(row[C.KD_PROVENANCE] == provenance.CF_POINTCHARGE for row in rows)
    assert rows[1][C.KD_GAP_COLUMNS[0]] < rows[0][C.KD_GAP_COLUMNS[0]]
    assert km.default_out("axial-mapped") == paths.KD_MAPPING_AXIAL != paths.KD_MAPPING_SET
    with pytest.raises(km.GaussError, match="would overwrite the bundled template-sp set"):
        km.KDMapConfig(mode="axial-mapped", out=paths.KD_MAPPING_SET).validate()
    km.KDMapConfig(mode="axial-mapped", out=tmp_path / "kd.csv.gz").validate()


def _mapping(n_per_class: int = 10) -> pd.DataFrame:
    rows = []
    for cls in (1, 2, 3, 4):
        for i in range(n_per_class):
            row = {C.SMILES: f"O{'C' * (i + 1)}{'N' * cls}", C.LIGAND_CLASS: cls,
                   C.KD_PROVENANCE: provenance.CF_POINTCHARGE}
            row.update({c: 10.0 * cls + i + k for k, c in enumerate(C.KD_GAP_COLUMNS)})
            rows.append(row)
    return pd.DataFrame(rows)


def test_with_casscf_overrides_estimate_and_keeps_it():
    mapping = _mapping(3)
    cas = pd.DataFrame([{C.SMILES: mapping[C.SMILES].iloc[0], C.KD_PROVENANCE: provenance.CASSCF_OPENMOLCAS,
                         **{c: 500.0 for c in C.KD_GAP_COLUMNS}},
                        {C.SMILES: "OCCCCCCCC", C.KD_PROVENANCE: provenance.CASSCF_OPENMOLCAS,
                         **{c: 600.0 for c in C.KD_GAP_COLUMNS}}])
    out = km.with_casscf(mapping, cas)
    first = out.iloc[0]
    assert first[C.KD_GAP_COLUMNS[0]] == 500.0 and first[C.KD_PROVENANCE] == provenance.CASSCF_OPENMOLCAS
    assert first[f"est_{C.KD_GAP_COLUMNS[0]}"] == mapping[C.KD_GAP_COLUMNS[0]].iloc[0]
    assert first["est_kd_provenance"] == provenance.CF_POINTCHARGE
    assert (out.iloc[1:len(mapping)][C.KD_PROVENANCE] == provenance.CF_POINTCHARGE).all()
    assert len(out) == len(mapping) + 1 and out[C.SMILES].iloc[-1] == "OCCCCCCCC"


def test_pick_casscf_spreads_over_classes_and_range():
    mapping = _mapping(10)
    picks = km.pick_casscf_ligands(mapping, n=12, seed=0)
    assert picks[C.LIGAND_CLASS].value_counts().to_dict() == {1: 3, 2: 3, 3: 3, 4: 3}
    for cls, g in picks.groupby(C.LIGAND_CLASS):
        full = mapping[mapping[C.LIGAND_CLASS] == cls][C.KD_GAP_COLUMNS[0]]
        assert g[C.KD_GAP_COLUMNS[0]].min() == full.min() and g[C.KD_GAP_COLUMNS[0]].max() == full.max()
    # run order: the first four picks are one per class, so early results already span the classes
    assert sorted(picks[C.LIGAND_CLASS].iloc[:4]) == [1, 2, 3, 4]


def test_enqueue_casscf_into_real_queue_is_idempotent(tmp_path):
    from gauss_core.jobs import JobStore

    store = JobStore(tmp_path / "queue.db")
    picks = pd.DataFrame({C.SMILES: ["[O-]C", "n1ccccc1"]})
    jobs = km.enqueue_casscf(store, picks)
    again = km.enqueue_casscf(store, picks)
    assert [j.id for j in jobs] == [j.id for j in again]
    assert {j.kind for j in store.list()} == {"casscf"} and len(store.list()) == 2


def test_cli_casscf_dry_run_and_status(tmp_path, capsys):
    from gauss_core.cli import main

    path = tmp_path / "kd.csv.gz"
    _mapping(4).to_csv(path, index=False)
    assert main(["kdmap", "casscf", "--n", "8", "--kd-mapping", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "8 ligands picked" in out
    assert main(["kdmap", "casscf", "--kd-mapping", str(tmp_path / "missing.csv.gz")]) == 2  # GaussError -> 2
    assert main(["kdmap", "status", "--cache-dir", str(tmp_path / "c"), "--out", str(path)]) == 0
    assert "0 of 2400" in capsys.readouterr().out


def test_read_cache_ignores_cut_line(tmp_path):
    p = tmp_path / "c.jsonl"
    p.write_text(json.dumps({C.SMILES: "a"}) + "\n" + '{"smiles": "b"')
    assert [r[C.SMILES] for r in km.read_cache(p)] == ["a"]


def test_spread_order_covers_the_range_coarse_to_fine():
    from gauss_core.kd.kd_mapping import spread_order

    for n in (1, 2, 3, 7, 25):
        rank = spread_order(n)
        assert sorted(rank) == list(range(n))                  # a permutation
    first = set(np.argsort(spread_order(25))[:5])
    assert {0, 24, 12} <= first                                # both ends and the middle come first


@pytest.mark.needs_xtb
def test_estimate_ligand_all_builds_once_for_every_estimator():
    """cf-pointcharge and a calibrated model on one template complex: the cf row is what estimate_ligand gives,
    the calibrated row follows the model and names it (never CASSCF)."""
    from gauss_core.kd import CalibratedModel

    nan = float("nan")
    model = CalibratedModel(name="kd-calibrated-ridge-v1", feature_names=["cf_gap1_cm1"], mean=[0.0], scale=[1.0],
                            coef=[[2.0]] * 7, intercept=[10.0] * 7, alpha=1.0, n_train=0, cv_mae_cm1=nan,
                            cv_mae_per_gap_cm1=[nan] * 7, cv_r_gap1=nan, cv_r_gap7=nan, cf_only_r_gap1=nan,
                            training_hash="hand-made", training_provenance=[])
    cf, cal = km.estimate_ligand_all("[O-]C", "template-sp", (None, model))
    alone = km.estimate_ligand("[O-]C", "template-sp")
    g1 = C.KD_GAP_COLUMNS[0]
    assert cf[C.KD_PROVENANCE] == provenance.CF_POINTCHARGE and cf[g1] == pytest.approx(alone[g1], rel=1e-9)
    assert cal[C.KD_PROVENANCE] == model.name and not provenance.is_casscf(cal[C.KD_PROVENANCE])
    assert cal[g1] == pytest.approx(10.0 + 2.0 * cf[g1], rel=1e-6)
    assert cf["mpp_A"] == cal["mpp_A"] and cf[C.KD_MODE] == cal[C.KD_MODE] == "template-sp"
    with pytest.raises(km.GaussError, match="unknown KD mapping mode"):
        km.estimate_ligand_all("[O-]C", "fast", (None,))
