"""The per-class map of the axial distance onto the DFT references (gauss_core.complexes.axial_map): the
correction file format, the rigid move of the axial ligands, the bundled map against the committed
same-conformer comparison it was fitted on, and the "axial-mapped" geometry through real GFN2-xTB."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gauss_core import paths
from gauss_core.complexes.assemble import assemble
from gauss_core.complexes.axial_map import (BUNDLED_MAP, RCorrection, apply_axial_map, axial_distances,
                                            bundled_map, load_r_correction, map_references, reference_key)
from gauss_core.complexes.axial_reference import correction_json
from gauss_core.errors import DataFormatError

CORRECTION = {"method": "lead-fit-v1", "classes": {"1": [0.5, 1.2], "2": [1.0, 0.0], "3": [1.1, 0.1],
                                                   "4": [1.0, 0.2]}}


def _write(path, data) -> str:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


@pytest.mark.parametrize("content, message", [
    ("{not json", "not JSON"),
    ({"classes": CORRECTION["classes"]}, "no 'method'"),
    ({"method": "x"}, "no 'classes'"),
    ({"method": "x", "classes": {k: v for k, v in CORRECTION["classes"].items() if k != "4"}}, "class 4"),
    ({"method": "x", "classes": {**CORRECTION["classes"], "2": [1.0]}}, "class 2 must be"),
    ({"method": "x", "classes": {**CORRECTION["classes"], "3": [1.0, "a"]}}, "class 3 must be"),
    ({"method": "x", "classes": {**CORRECTION["classes"], "5": [1.0, 0.0]}}, "unknown ligand class"),
])
def test_malformed_correction_files_are_refused_by_name(tmp_path, content, message):
    path = _write(tmp_path / "bad.json", content)
    with pytest.raises(DataFormatError, match=message) as err:
        load_r_correction(path)
    assert '"classes"' in str(err.value)  # the message shows the expected layout


def _pairwise(x: np.ndarray) -> np.ndarray:
    return np.linalg.norm(x[:, None, :] - x[None, :, :], axis=-1)


def test_the_map_moves_each_axial_ligand_rigidly_to_its_mapped_distance():
    cx = assemble("[O-]CC", builder="rdkit")  # class 3; template Dy-O 2.15 A
    fit = RCorrection("test-map", {1: (1.0, 0.0), 2: (1.0, 0.0), 3: (0.5, 1.1), 4: (1.0, 0.0)})
    moved = apply_axial_map(cx, fit, "xtb-gfn2-axial+test-map")
    before, after = axial_distances(cx), axial_distances(moved)
    assert after == pytest.approx(tuple(0.5 * r + 1.1 for r in before), abs=1e-9)
    assert moved.geometry_provenance == "xtb-gfn2-axial+test-map"
    assert moved.checks["axial_map_shift_A"] == pytest.approx(np.mean(after) - np.mean(before))
    for donor in cx.axial_indices:  # each ligand keeps its shape
        atoms = cx.fragment_atoms(cx.fragment[donor])
        assert np.allclose(_pairwise(moved.coords[atoms]), _pairwise(cx.coords[atoms]), atol=1e-9)
    axial_atoms = {a for d in cx.axial_indices for a in cx.fragment_atoms(cx.fragment[d])}
    rest = [i for i in range(len(cx.symbols)) if i not in axial_atoms]
    assert np.array_equal(moved.coords[rest], cx.coords[rest])  # metal and water pentagon untouched
    assert np.array_equal(cx.coords, assemble("[O-]CC", builder="rdkit").coords)  # the input is not changed


def test_a_neutral_donor_mapped_beyond_2_8_A_is_flagged_dissociated():
    cx = assemble("OC", builder="rdkit")
    far = RCorrection("far", {c: (1.0, 0.6) for c in (1, 2, 3, 4)})
    assert any(f.startswith("dissociated") for f in apply_axial_map(cx, far, "x").flags)
    assert not any(f.startswith("dissociated") for f in apply_axial_map(cx, RCorrection(
        "same", {c: (1.0, 0.0) for c in (1, 2, 3, 4)}), "x").flags)


def test_the_bundled_map_is_the_fit_of_the_committed_same_conformer_comparison():
    """The map ships with what it was fitted on: refitting docs/geometry_compare_same_conformer.csv (GFN2 axial
    started from each reference's own DFT conformer) gives the bundled numbers, and every fitted row is a
    bundled reference."""
    data = json.loads(BUNDLED_MAP.read_text())
    table = pd.read_csv(paths.REPO_ROOT / "docs" / "geometry_compare_same_conformer.csv")
    refit = correction_json(table, "gfn2_axial", fitted_on=data["fitted_on"])
    assert refit["method"] == data["method"] == f"dft-class-linear-n{data['n_references']}"
    for c in ("1", "2", "3", "4"):
        assert data["classes"][c] == pytest.approx(refit["classes"][c], abs=1e-6)
    refs = pd.read_csv(paths.ASSETS / "geometry" / "dft_axial_reference.csv.gz")
    bundled_keys = {reference_key(s, b) for s, b in zip(refs.smiles, refs.start_builder, strict=True)}
    assert set(data["references"]) <= bundled_keys and len(data["references"]) == data["n_references"]
    assert map_references() == frozenset(data["references"]) and data["path"] == "xtb-gfn2-axial"
    fit = bundled_map()
    slope = fit.classes[1][0]
    assert 0.2 < slope < 1.2  # GFN2 spreads the within-class differences wider than DFT, never inverts them
    # GFN2 makes the axial bond 0.1-0.2 A short: the map lengthens a typical GFN2 distance of each class
    for cls, r_gfn2 in ((1, 2.2), (2, 2.3), (3, 1.95), (4, 2.15)):
        assert 0.05 < fit.apply(r_gfn2, cls) - r_gfn2 < 0.3
    assert data["loo_mae_A"] < 0.05


def test_a_missing_map_file_is_named_with_the_fix(tmp_path):
    with pytest.raises(DataFormatError, match="does not exist.*compare_geometry.py"):
        bundled_map(tmp_path / "nope.json")
    ok = _write(tmp_path / "ok.json", CORRECTION)
    assert bundled_map(ok).method == "lead-fit-v1"


@pytest.mark.needs_xtb
def test_axial_mapped_geometry_is_gfn2s_distance_mapped_with_charges_of_the_moved_geometry(tmp_path):
    from dataclasses import replace

    from gauss_core import provenance
    from gauss_core.complexes.relax import AXIAL, RelaxConfig, relax

    cx = assemble("[O-]C")
    config = RelaxConfig()
    mapped = relax(cx, mode="axial-mapped", config=config)
    fit = bundled_map()
    assert mapped.geometry_provenance == f"{AXIAL}+{fit.method}"
    raw = mapped.checks["axial_raw_A"]
    assert 1.75 < raw < 2.05  # GFN2's own, short methoxide bond
    assert np.mean(axial_distances(mapped)) == pytest.approx(fit.apply(raw, 3), abs=2e-3)
    assert mapped.atomic_charges_provenance == provenance.XTB_GFN2 and mapped.checks["xtb_converged"] == 1.0
    # another map file moves the same GFN2 geometry elsewhere: the map is data, not code
    other = _write(tmp_path / "other.json", {"method": "shift-0.1", "classes": {c: [1.0, 0.1] for c in "1234"}})
    shifted = relax(cx, mode="axial-mapped", config=replace(config, axial_map=other))
    assert shifted.geometry_provenance == f"{AXIAL}+shift-0.1"
    assert np.mean(axial_distances(shifted)) == pytest.approx(shifted.checks["axial_raw_A"] + 0.1, abs=2e-3)


def test_a_ligand_that_left_the_metal_in_gfn2_is_not_mapped_back():
    """The map's slope < 1 would pull a dissociated neutral donor back inside 2.8 A: such a complex keeps GFN2's
    own geometry and says why (no xtb run: the guard comes before the map)."""
    import importlib

    from gauss_core.complexes.checks import run_checks
    from gauss_core.complexes.relax import RelaxConfig

    relax_module = importlib.import_module("gauss_core.complexes.relax")
    cx = assemble("OC", builder="rdkit")
    m, donor = cx.coords[cx.metal_index], cx.axial_indices[1]
    axis = (cx.coords[donor] - m) / np.linalg.norm(cx.coords[donor] - m)
    coords = cx.coords.copy()
    coords[cx.fragment_atoms(cx.fragment[donor])] += 0.8 * axis  # 2.30 -> 3.10 A
    gone = run_checks(cx.copy(coords=coords, geometry_provenance="xtb-gfn2-axial"))
    assert any(f.startswith("dissociated") for f in gone.flags)
    out = relax_module._mapped(gone, RelaxConfig())
    assert out.geometry_provenance == "xtb-gfn2-axial" and np.array_equal(out.coords, gone.coords)
    assert any(f.startswith("axial-map-not-applied") and "dissociated" in f for f in out.flags)
