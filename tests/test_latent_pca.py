"""Latent PCA map (cache keyed by checkpoint and set), the paper's KD bins, and the map figure helpers."""

from __future__ import annotations

import os

import numpy as np
import pytest

from gauss_core import columns as C
from gauss_core.errors import DataFormatError, GaussError
from gauss_core.latent.bins import N_KD_BINS, kd_bins
from gauss_core.latent.mapfig import MapLayer, display_subset, latent_map_figure, selected_smiles
from gauss_core.latent.pca import (build_latent_map, cache_path, file_hash, fit_pca, load_latent_map,
                                   load_or_build_latent_map, smiles_hash)


def test_fit_pca_finds_the_dominant_direction():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(2000, 32)) * 0.1
    z[:, 5] += rng.normal(size=2000) * 3.0          # most variance along axis 5
    coords, mean, comps, evr = fit_pca(z)
    assert coords.shape == (2000, 2)
    assert abs(comps[0, 5]) > 0.99
    assert evr[0] > 0.9
    np.testing.assert_allclose((z - mean) @ comps.T, coords, atol=1e-3)


def test_build_latent_map_skips_unencodable_rows(tiny_loaded, tiny_ligands):
    smiles = tiny_ligands[C.SMILES].tolist()[:200] + ["O[Si](C)(C)C"]
    lmap = build_latent_map(tiny_loaded, smiles, chunk=64)
    assert len(lmap) == 200 and lmap.skipped == 1
    assert lmap.z.shape == (200, tiny_loaded.config.latent_dim)
    assert lmap.coords.shape == (200, 2)
    assert list(lmap.predictions.columns) == list(tiny_loaded.label_names)
    np.testing.assert_allclose(lmap.project(lmap.z), lmap.coords, atol=1e-4)
    assert lmap.checkpoint_hash == file_hash(tiny_loaded.path)
    assert lmap.set_hash == smiles_hash(smiles)


def test_cache_is_written_once_and_reused(tiny_loaded, tiny_ligands, tmp_path):
    smiles = tiny_ligands[C.SMILES].tolist()[:150]
    first = load_or_build_latent_map(tiny_loaded, smiles, cache_dir=tmp_path)
    path = cache_path(file_hash(tiny_loaded.path), smiles_hash(smiles), tmp_path)
    assert path.exists()
    stamp = path.stat().st_mtime_ns
    second = load_or_build_latent_map(tiny_loaded, smiles, cache_dir=tmp_path)
    assert path.stat().st_mtime_ns == stamp               # read, not rebuilt
    np.testing.assert_array_equal(first.coords, second.coords)
    assert list(second.smiles) == smiles
    # a different set gets a different file
    other = load_or_build_latent_map(tiny_loaded, smiles[:100], cache_dir=tmp_path)
    assert len(other) == 100 and len(list(tmp_path.glob("latent_map_*.npz"))) == 2


def test_truncated_cache_is_rebuilt(tiny_loaded, tiny_ligands, tmp_path):
    smiles = tiny_ligands[C.SMILES].tolist()[:120]
    load_or_build_latent_map(tiny_loaded, smiles, cache_dir=tmp_path)
    path = next(tmp_path.glob("latent_map_*.npz"))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(DataFormatError, match="unreadable"):
        load_latent_map(path)
    again = load_or_build_latent_map(tiny_loaded, smiles, cache_dir=tmp_path)
    assert len(again) == 120
    assert load_latent_map(path).coords.shape == (120, 2)
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


# ----------------------------------------------------------------------------------------- bins


def test_kd_bins_are_six_equal_bins_over_the_known_range():
    gaps = np.array([100.0, 160.0, 220.0, np.nan, 400.0, 700.0])
    bins = kd_bins(gaps)
    assert bins.n_bins == N_KD_BINS == 6
    assert bins.edges[0] == 100.0 and bins.edges[-1] == 700.0
    assert np.allclose(np.diff(bins.edges), 100.0)
    assigned = bins.assign([100.0, 199.9, 200.0, 699.0, 700.0, np.nan, 50.0, 800.0])
    assert list(assigned) == [1, 1, 2, 6, 6, 0, 0, 0]
    assert bins.label(1) == "bin 1: 100-200 cm-1"
    assert len(bins.labels()) == 6


def test_kd_bins_need_a_range():
    with pytest.raises(GaussError, match="at least 2"):
        kd_bins([np.nan, 300.0])
    with pytest.raises(GaussError):
        kd_bins([300.0, 300.0])


# ----------------------------------------------------------------------------------------- figure


def test_display_subset_keeps_flagged_points():
    keep = np.zeros(1000, bool)
    keep[[3, 500, 999]] = True
    idx = display_subset(1000, 50, keep)
    assert len(idx) == 50 and {3, 500, 999} <= set(idx)
    assert list(display_subset(10, 50)) == list(range(10))


def test_figure_traces_carry_smiles_and_selection_maps_back():
    x = np.arange(5, dtype=float)
    smiles = np.array(["OC", "N", "[O-]C", "OCC", "NC"], dtype=object)
    colour = np.array([1.0, np.nan, 2.0, 3.0, np.nan])
    fig = latent_map_figure([MapLayer("q · GFN2-xTB", x, x, smiles, colour),
                             MapLayer("seed basket", x[:1], x[:1], smiles[:1], None, symbol="star")], "q (e)")
    names = [t.name for t in fig.data]
    assert names == ["q · GFN2-xTB: no value", "q · GFN2-xTB", "seed basket"]
    assert fig.data[0].type == "scattergl"
    assert list(fig.data[1].customdata) == ["OC", "[O-]C", "OCC"]
    event = {"selection": {"points": [{"curve_number": 1, "point_index": 2, "customdata": "OCC"},
                                      {"curve_number": 0, "point_index": 0},
                                      {"curve_number": 1, "point_index": 2, "customdata": "OCC"}]}}
    assert selected_smiles(event, fig) == ["OCC", "N"]
    assert selected_smiles(None) == []


def test_cli_map_prebuilds_the_dashboard_cache(tiny_checkpoint, tiny_ligand_set, tiny_ligands, tmp_path, monkeypatch,
                                               capsys):
    from gauss_core.cli import main

    monkeypatch.setenv("GAUSS_HOME", str(tmp_path))
    assert main(["map", "--checkpoint", str(tiny_checkpoint), "--ligand-set", str(tiny_ligand_set)]) == 0
    assert "latent map of" in capsys.readouterr().out
    path = cache_path(file_hash(tiny_checkpoint), smiles_hash(tiny_ligands[C.SMILES].tolist()), tmp_path / "cache")
    assert path.exists() and len(load_latent_map(path)) == len(tiny_ligands) - load_latent_map(path).skipped
