"""scripts/basis_study.py: a collect keeps stored results the queue lacks, and scores each setting against the
largest finished basis of its ligand."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import load_script


@pytest.fixture(scope="module")
def study():
    return load_script("basis_study")


def _row(smiles, setting, job_id, state, gap1):
    gaps = {f"gap{k}_cm1": (gap1 * k if gap1 is not None else None) for k in range(1, 8)}
    return {"smiles": smiles, "setting": setting, "job_id": job_id, "state": state, **gaps}


def test_collect_keeps_earlier_results_and_scores_against_the_largest_basis(study):
    """The committed results of methoxide (session 7's lost queue: Dy-VTZP 597.7 cm-1) stay when today's queue
    only holds the cancelled job; today's finished rows win over earlier ones of the same setting."""
    earlier = pd.DataFrame([_row("[O-]C", "MB", 1, "done", 579.7), _row("[O-]C", "Dy-VTZP+lig-VDZP", 4, "done", 597.7),
                            _row("O1COCC1C#N", "lig-VDZP", 7, "done", 22.1), _row("OC", "MB", 9, "queued", None)])
    now = pd.DataFrame([_row("[O-]C", "MB", 1, "done", 579.8), _row("[O-]C", "Dy-VTZP+lig-VDZP", 4, "cancelled", None),
                        _row("O1COCC1C#N", "lig-VDZP", 7, "running", None),
                        _row("O1COCC1C#N", "shell-VDZP", 42, "done", 61.7)])
    table = study.add_deviations(study.keep_earlier(now, earlier)).set_index(["smiles", "setting"])
    assert table.loc[("[O-]C", "MB"), "gap1_cm1"] == 579.8 and table.loc[("[O-]C", "MB"), "state"] == "done"
    assert table.loc[("[O-]C", "Dy-VTZP+lig-VDZP"), "state"] == study.EARLIER
    assert table.loc[("[O-]C", "MB"), "dev_gap1_pct"] == pytest.approx(-3.0)
    assert table.loc[("[O-]C", "MB"), "dev_gap1_cm1"] == pytest.approx(-17.9)
    # the largest change of any gap (gap 7 here: 7 x 17.9 cm-1) in % of the reference's whole splitting
    assert table.loc[("[O-]C", "MB"), "max_dev_of_splitting_pct"] == pytest.approx(3.0)
    assert table.loc[("O1COCC1C#N", "lig-VDZP"), "gap1_cm1"] == 22.1  # kept while its re-run is still running
    assert table.loc[("O1COCC1C#N", "shell-VDZP"), "reference"] == "lig-VDZP"
    assert ("OC", "MB") not in table.index  # an unfinished earlier row is not carried over
    assert len(table) == 4 and study.keep_earlier(now, None) is now


def test_every_setting_is_a_basis_the_casscf_job_accepts(study):
    from gauss_core.jobs.kinds import PARAM_CHOICES

    for name, dy, lig in study.SETTINGS:
        assert dy in PARAM_CHOICES["dy_basis"] and lig in PARAM_CHOICES["ligand_basis"], name
    assert study.REFERENCE_SETTING in {s[0] for s in study.SETTINGS}


def test_queue_refuses_an_unknown_setting_before_any_work(study, tmp_path):
    """A typo in --settings stops with the valid names; no geometry is relaxed and no job queued."""
    from gauss_core.jobs.store import JobStore

    store = JobStore(tmp_path / "queue.db")
    with pytest.raises(SystemExit, match=r"unknown setting.*choose from"):
        study.queue(2, store, tmp_path, only=["lig-VDZQ"])
    assert store.list() == [] and not (tmp_path / "basis_study").exists()
