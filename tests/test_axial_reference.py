"""DFT axial-distance references and the cheap geometry paths judged against them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gauss_core import paths
from gauss_core.complexes.axial_reference import (REFERENCE_COLUMNS, correction_json, load_references,
                                                  loo_class_linear, score_table)
from gauss_core.errors import DataFormatError

BUNDLED = paths.ASSETS / "geometry" / "dft_axial_reference.csv.gz"


def test_loo_class_linear_recovers_a_shared_slope_with_class_offsets():
    rng = np.random.default_rng(0)
    x = rng.uniform(1.8, 2.1, 24)
    cls = np.repeat([1, 2, 3, 4], 6)
    y = 0.9 * x + np.array([0.5, 0.6, 0.3, 0.45])[cls - 1]
    pred = loo_class_linear(x, y, cls)
    assert np.allclose(pred, y, atol=1e-9)


def test_correction_json_holds_the_fitted_per_class_map():
    x = np.array([2.0, 2.1, 2.2, 2.3, 2.25, 2.35])
    cls = np.array([1, 1, 1, 3, 3, 3])
    table = pd.DataFrame({"smiles": [f"L{i}" for i in range(6)], "r_gfnff_axial_A": x, "ligand_class": cls,
                          "r_dft_A": 0.8 * x + np.where(cls == 1, 0.5, 0.3)})
    fit = correction_json(table, fitted_on="test")
    assert fit["method"] == "dft-class-linear-n6" and fit["path"] == "xtb-gfnff-axial" and fit["n_references"] == 6
    assert fit["n_per_class"] == {"1": 3, "3": 3} and fit["loo_mae_A"] < 1e-9 and fit["fitted_on"] == "test"
    assert fit["classes"]["1"] == pytest.approx([0.8, 0.5]) and fit["classes"]["3"] == pytest.approx([0.8, 0.3])


def test_score_table_ranks_within_each_class():
    table = pd.DataFrame({"ligand_class": [3, 3, 3, 1, 1, 1], "r_dft_A": [2.10, 2.15, 2.20, 2.3, 2.4, 2.5],
                          "r_template_A": [2.15] * 3 + [2.30] * 3,
                          "r_gfn2_axial_A": [1.86, 1.90, 1.95, 2.0, 2.2, 2.1],
                          "r_gfn2_axial_corrected_A": [2.11, 2.15, 2.19, 2.3, 2.5, 2.4]})
    scores = score_table(table).set_index("path")
    assert np.isnan(scores.loc["template (fixed per class)", "spearman_class3"])  # constant: no ranking
    assert scores.loc["GFN2 axial free", "spearman_class3"] == pytest.approx(1.0)
    assert scores.loc["GFN2 axial free", "spearman_class1"] == pytest.approx(0.5)
    assert scores.loc["GFN2 axial + per-class linear map (LOO)", "MAE_A"] == pytest.approx(0.07 / 6 * 3, abs=0.02)

    # the shipped map scored apart on the references it was not fitted on (a prospective test of it)
    table["r_gfn2_axial_mapped_A"] = [2.12, 2.16, 2.18, 2.31, 2.45, 2.40]
    table["in_map_fit"] = [True, True, False, True, False, False]
    scores = score_table(table).set_index("path")
    outside = scores.loc["GFN2 axial + bundled map, references outside its fit"]
    assert outside["n"] == 3 and outside["MAE_A"] == pytest.approx((0.02 + 0.05 + 0.10) / 3)
    assert scores.loc["GFN2 axial + bundled map (geometry axial-mapped)", "n"] == 6


def test_correction_json_lists_the_references_it_was_fitted_on():
    from gauss_core.complexes.axial_map import reference_key

    table = pd.DataFrame({"smiles": ["OC", "OCC", "[O-]C", "[O-]CC"], "ligand_class": [1, 1, 3, 3],
                          "start_builder": ["search", "auto", "search", "search"],
                          "r_gfn2_axial_A": [2.1, 2.2, 1.9, 1.95], "r_dft_A": [2.3, 2.35, 2.12, 2.15]})
    fit = correction_json(table, "gfn2_axial")
    assert fit["references"] == sorted(reference_key(s, b) for s, b in zip(table.smiles, table.start_builder,
                                                                             strict=True))
    assert "OCC@auto" in fit["references"] and fit["n_per_class"] == {"1": 2, "3": 2}


def test_load_references_names_missing_columns(tmp_path):
    bad = tmp_path / "refs.csv"
    pd.DataFrame({"smiles": ["[O-]C"], "r_dft_A": [2.12]}).to_csv(bad, index=False)
    with pytest.raises(DataFormatError, match="missing column"):
        load_references(bad)


@pytest.mark.skipif(not BUNDLED.exists(), reason="no bundled DFT references yet")
def test_bundled_references_are_physical():
    refs = load_references(BUNDLED)
    assert list(refs.columns[: len(REFERENCE_COLUMNS)]) == list(REFERENCE_COLUMNS)
    ok = refs[refs["flags"].astype(str) == ""]  # refs.flags would be the DataFrame's own attribute
    assert len(ok) >= 2
    assert ((ok.r_dft_A > 1.9) & (ok.r_dft_A < 2.9)).all()
    assert (ok.provenance == "dft-pbe-def2svp-y-axial").all()
    # anionic donors bind closer than neutral ones of the same element (DFT, not the template, says so)
    o_anion, o_neutral = ok[ok.ligand_class == 3].r_dft_A, ok[ok.ligand_class == 1].r_dft_A
    if len(o_anion) and len(o_neutral):
        assert o_anion.median() < o_neutral.median()


@pytest.mark.needs_xtb
def test_axial_mode_lets_gfn2_choose_the_axial_distance():
    from gauss_core.complexes.assemble import assemble
    from gauss_core.complexes.relax import AXIAL, relax

    cx = assemble("[O-]C")
    constrained = relax(cx, mode="constrained")
    axial = relax(cx, mode="axial")
    m = axial.metal_index

    def r(c, idx):
        return float(np.linalg.norm(c.coords[idx] - c.coords[c.metal_index]))

    assert axial.geometry_provenance == AXIAL
    # the water pentagon stays where stage 1 left it; the axial donors move (GFN2 shortens them)
    for o in axial.water_o_indices:
        assert np.allclose(axial.coords[o], constrained.coords[o], atol=1e-3)
    assert np.allclose(axial.coords[m], constrained.coords[m], atol=1e-3)
    for d in axial.axial_indices:
        assert abs(r(axial, d) - r(constrained, d)) > 0.1
        assert 1.7 < r(axial, d) < 2.1


def test_recover_state_brings_back_the_attempt_with_most_dft_steps(tmp_path):
    import json

    from gauss_core.complexes.dft_reference import recover_state

    state = tmp_path / "dft_state.json"
    assert not recover_state(state)  # nothing saved: start afresh
    for n, steps in ((1, 2), (2, 1), (3, None)):
        (tmp_path / f"attempt-{n}").mkdir()
        body = "{broken" if steps is None else json.dumps({"history": [{"step": i} for i in range(steps)]})
        (tmp_path / f"attempt-{n}" / state.name).write_text(body)
    assert recover_state(state)
    assert len(json.loads(state.read_text())["history"]) == 2
    state.write_text(json.dumps({"history": []}))
    assert not recover_state(state)  # a state in the job dir itself is never overwritten
    assert json.loads(state.read_text())["history"] == []


@pytest.mark.needs_xtb
def test_axial_ff_mode_lets_gfnff_choose_the_distance_and_keeps_gfn2_charges():
    from gauss_core import provenance
    from gauss_core.complexes.assemble import assemble
    from gauss_core.complexes.relax import AXIAL_FF, relax

    cx = assemble("[O-]C")
    constrained = relax(cx, mode="constrained")
    ff = relax(cx, mode="axial-ff")
    assert ff.geometry_provenance == AXIAL_FF
    assert ff.atomic_charges_provenance == provenance.XTB_GFN2  # the estimates never read force-field charges
    assert ff.atomic_charges is not None and ff.atomic_charges[ff.axial_indices[0]] < -0.3
    for o in ff.water_o_indices:
        assert np.allclose(ff.coords[o], constrained.coords[o], atol=1e-3)
    r = [float(np.linalg.norm(ff.coords[d] - ff.coords[ff.metal_index])) for d in ff.axial_indices]
    assert all(1.9 < v < 2.4 for v in r) and abs(np.mean(r) - 2.15) > 1e-3  # computed, not the template's


def test_complex_from_reference_keeps_dft_conformer_at_the_start_distance():
    from gauss_core.complexes.axial_reference import complex_from_reference

    ref = load_references(paths.ASSETS / "geometry" / "dft_axial_reference.csv.gz").iloc[0]
    cx = complex_from_reference(ref.smiles, ref.xyz, ref.r_start_A)
    metal = cx.coords[cx.metal_index]
    r = [np.linalg.norm(cx.coords[d] - metal) for d in cx.axial_indices]
    assert r == pytest.approx([ref.r_start_A] * 2, abs=1e-9)  # moved back: no DFT distance leaks into the start
    lines = ref.xyz.strip().splitlines()[2:]
    dft = np.array([[float(v) for v in ln.split()[1:4]] for ln in lines])
    water = cx.water_o_indices
    assert np.allclose(cx.coords[water], dft[water])  # the rest of the structure is DFT's own
    lig = cx.fragment_atoms(cx.fragment[cx.axial_indices[0]])
    inner = (cx.coords[lig] - cx.coords[lig][0]) - (dft[lig] - dft[lig][0])
    assert np.abs(inner).max() < 1e-9  # rigid shift: the ligand conformer is unchanged
    swapped = lines[:]
    swapped[1], swapped[-1] = swapped[-1], swapped[1]
    with pytest.raises(DataFormatError, match="re-export|apart"):
        complex_from_reference(ref.smiles, "\n".join(["x", "y", *swapped]), ref.r_start_A)


@pytest.mark.needs_xtb
def test_search_references_share_the_conformer_of_the_products_path():
    """A reference started from builder "search" sits on the very conformer the product's cheap path relaxes:
    its DFT structure, ligands moved back to the start distance, is the search build's GFN2 stage-1 geometry."""
    from gauss_core.complexes.axial_reference import complex_from_reference
    from gauss_core.kd.characterise import build_geometry

    refs = load_references(BUNDLED)
    refs = refs[(refs.start_builder == "search") & (refs["flags"].astype(str) == "")]
    assert len(refs) >= 1, "no reference from the search build is bundled yet"
    ref = refs.sort_values("cpu_s").iloc[0]
    moved_back = complex_from_reference(ref.smiles, ref.xyz, ref.r_start_A)
    product = build_geometry(ref.smiles, "constrained", builder="search")
    assert np.abs(product.coords - moved_back.coords).max() < 0.02  # same conformer, same placement
