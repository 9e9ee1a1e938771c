"""What `gauss evaluate` reads: the CASSCF results from the bundled file and the live queue."""

from __future__ import annotations

import pandas as pd
import pytest

from gauss_core import columns as C


def test_casscf_results_read_the_bundled_file_and_the_queue(tmp_path):
    """A real OpenMolcas CASSCF result ([Dy(H2O)5(OMe)2]+, tests/data/casscf_methoxide_result.json) bundled to a
    file is read without the queue; with the queue, its row is attributed to the queue; an unreadable bundled
    file is a clear error."""
    import json
    from pathlib import Path

    from gauss_core.errors import DataFormatError
    from gauss_core.evaluate.report_config import ReportConfig
    from gauss_core.evaluate.report_inputs import casscf_results
    from gauss_core.jobs import JobStore, bundle_kd_results

    result = json.loads((Path(__file__).parent / "data" / "casscf_methoxide_result.json").read_text())
    store = JobStore(tmp_path / "queue.db")
    assert casscf_results(ReportConfig(casscf_set=None, queue_db=tmp_path / "queue.db")) is None  # nothing done yet
    job = store.enqueue("casscf", "[O-]C", {})
    assert store.claim().id == job.id and store.finish(job.id, result)
    bundled = tmp_path / "casscf_results.csv.gz"
    bundle_kd_results(store, bundled)
    only_file = casscf_results(ReportConfig(casscf_set=bundled, read_queue=False))
    assert list(only_file[C.SMILES]) == ["[O-]C"] and only_file["casscf_source"].iloc[0].startswith("bundled")
    assert only_file[C.KD_GAP_COLUMNS[0]].iloc[0] == pytest.approx(result["gaps_cm1"][0])
    assert only_file[C.KD_PROVENANCE].iloc[0] == "casscf-openmolcas"
    both = casscf_results(ReportConfig(casscf_set=bundled, queue_db=tmp_path / "queue.db"))
    assert len(both) == 1 and both["casscf_source"].iloc[0] == "bundled (casscf_results.csv.gz) + queue (queue.db)"
    only_queue = casscf_results(ReportConfig(casscf_set=None, queue_db=tmp_path / "queue.db"))
    assert only_queue["casscf_source"].tolist() == ["queue (queue.db)"]
    assert casscf_results(ReportConfig(casscf_set=tmp_path / "absent.csv.gz", read_queue=False)) is None
    pd.DataFrame({"smiles": ["[O-]C"], "energy": [1.0]}).to_csv(bundled, index=False)
    with pytest.raises(DataFormatError, match="lacks columns"):
        casscf_results(ReportConfig(casscf_set=bundled, read_queue=False))


def test_labels_are_read_as_the_checkpoint_trained_on_them(tiny_checkpoint, tiny_ligand_set, tmp_path):
    """The head's charge is scored against the column it was trained on (the tiny model, like the bundled one,
    trains on the LoProp-calibrated charge), not against the raw GFN2 charge that shares its name."""
    from gauss_core.evaluate.report_config import ReportConfig
    from gauss_core.evaluate.report_inputs import load_inputs
    from gauss_core.model.checkpoint import load_checkpoint

    assert load_checkpoint(tiny_checkpoint).train_config["charge_column"] == "q_donor_loprop_est_e"
    labels = tmp_path / "labels.csv"
    pd.DataFrame({C.SMILES: ["[O-]C", "OC"], C.Q_DONOR: [-0.9, -0.4], "q_donor_loprop_est_e": [-1.3, -0.7],
                  C.PROVENANCE: ["xtb-gfn2", "xtb-gfn2"]}).to_csv(labels, index=False)
    cfg = ReportConfig(checkpoint=tiny_checkpoint, ligands=tiny_ligand_set, labels=labels, kd_mapping=None,
                       read_queue=False, casscf_set=None, kd_calibration=None)
    got = load_inputs(cfg, log=lambda s: None)
    assert got.labels.loc["[O-]C", C.Q_DONOR] == pytest.approx(-1.3)
    assert got.labels_provenance == "xtb-gfn2 (q_donor_e = q_donor_loprop_est_e)"
