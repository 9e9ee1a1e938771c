"""scripts/casscf_r_scan.py: one ligand's complex moved rigidly along the axis to fixed distances, one casscf job
per distance on a real SQLite JobStore (no worker runs), and the slope of the first gap per 0.1 A."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import load_script

from gauss_core.jobs.store import JobStore
from gauss_core.kd.molcas_input import axial_donor_indices, read_xyz_structure


@pytest.fixture(scope="module")
def scan():
    return load_script("casscf_r_scan")


@pytest.mark.needs_xtb
def test_scan_moves_the_ligands_rigidly_and_fits_the_slope(scan, tmp_path):
    store = JobStore(tmp_path / "queue.db")
    rows = scan.queue(["[O-]C"], store, tmp_path, shifts=(-0.1, 0.0, 0.1))
    assert len(rows) == 3 and [r[3] for r in rows] == ["queued"] * 3
    assert scan.queue(["[O-]C"], store, tmp_path, shifts=(-0.1, 0.0, 0.1)) == rows  # idempotent, files reused
    r = [row[1] for row in rows]
    assert r[1] - r[0] == pytest.approx(0.1, abs=1e-4) and r[2] - r[1] == pytest.approx(0.1, abs=1e-4)
    structures = [read_xyz_structure(p.read_text()) for _, _, p in scan.scan_geometries("[O-]C", (-0.1, 0.1),
                                                                                         tmp_path)]
    a, b = (np.array(s.coords) for s in structures)
    dy = structures[0].symbols.index("Dy")
    d1, d2 = axial_donor_indices(structures[0])
    moved = np.linalg.norm(b - a, axis=1)
    # the waters and Dy stay; each methoxide moves 0.2 A as one body, so its own bonds are unchanged
    assert moved[dy] == 0 and np.isclose(moved[moved > 0], 0.2, atol=1e-6).all() and moved[d1] > 0 and moved[d2] > 0
    first = [k for k in np.where(moved > 0)[0] if np.linalg.norm(a[k] - a[d1]) < 2.3]  # one methoxide's atoms
    assert len(first) == 5
    assert np.allclose(np.linalg.norm(a[first][:, None] - a[first][None], axis=2),
                       np.linalg.norm(b[first][:, None] - b[first][None], axis=2), atol=1e-6)
    # collect: finished jobs (hand-made results: no CASSCF in tests) give a slope per 0.1 A
    for job_id, gap1 in zip([row[2] for row in rows], (700.0, 600.0, 500.0), strict=True):
        job = store.claim(kinds=("casscf",))
        assert job.id == job_id
        store.finish(job.id, {"provenance": "casscf-openmolcas", "energies_cm1": [0.0, gap1] + [gap1 * 2] * 14})
    table = scan.collect(store)
    assert list(table["gap1_cm1"]) == [700.0, 600.0, 500.0] and set(table["ligand_class"]) == {3}
    # each point carries the descriptors of its own geometry (charges recomputed there) for the calibration
    assert list(table["kd_rigid_shift_A"]) == [-0.1, 0.0, 0.1]
    assert np.allclose(table["r_Dy_L_mean_A"], r, atol=1e-4) and table["cf_gap1_cm1"].is_monotonic_decreasing
    assert table["kd_geometry_source"].iloc[0].endswith("(builder search; rigid axial shift -0.100 A)")
    assert "rigid" not in table["kd_geometry_source"].iloc[1] and table["kd_gap1_cm1"].tolist() == [700, 600, 500]
    fit = scan.r_slopes(table)  # gauss_core.evaluate.experiments.setup_truth, §8 of docs/evaluation.md
    assert len(fit) == 1 and fit["slope_casscf_gap1_per_0.1A"].iloc[0] == pytest.approx(-100.0, abs=0.1)
    # the point-charge model on the same geometries: smaller gaps further out, its own slope beside CASSCF's
    assert fit["slope_point_charge_gap1_per_0.1A"].iloc[0] < 0
    assert scan.r_slopes(table.head(2)).empty  # two points are not a slope
    # a calibrated model applied to each point's stored descriptors gets its own slope column
    from gauss_core import paths
    from gauss_core.kd.calibration import CalibratedModel

    with_model = scan.r_slopes(table, calibrated=CalibratedModel.load(paths.KD_CALIBRATION))
    assert with_model["slope_calibrated_gap1_per_0.1A"].iloc[0] < 0  # shorter bond, larger gap
    # §8 reads the collected CSV
    from gauss_core.evaluate.experiments.base import Numbers
    from gauss_core.evaluate.experiments.setup_truth import r_scan_part

    numbers = Numbers()
    text = r_scan_part(table, numbers)
    assert "[O-]C" in text and "anionic O" in text and len(numbers.rows) == 1
