"""The --update state: a skipped experiment keeps its earlier section, sections come back in report order,
state of another checkpoint or an unreadable file is refused with what to do."""

from __future__ import annotations

import pandas as pd
import pytest

from gauss_core.errors import GaussError
from gauss_core.evaluate.common import EvalInputs
from gauss_core.evaluate.report_config import ReportConfig
from gauss_core.evaluate.report_state import load_stored_sections, merge_section, ordered, store_sections


@pytest.fixture()
def setup(tiny_loaded, tmp_path):
    inputs = EvalInputs(loaded=tiny_loaded, ligands=pd.DataFrame(), labels=None, labels_provenance="none", kd=None,
                        reference=frozenset())
    return ReportConfig(out_md=tmp_path / "e.md", state_json=tmp_path / "state" / "s.json"), inputs


def test_sections_round_trip_and_a_skipped_experiment_keeps_its_earlier_section(setup):
    config, inputs = setup
    run = {"when": "then", "only": "sweep", "minutes": 0.1}
    stored = merge_section({}, "casscf", "C\n", [{"metric": "c"}], run)
    stored = merge_section(stored, "sweep", "S\n", [{"metric": "s"}], run)
    assert merge_section(stored, "sweep", None, [], {**run, "when": "now"}) is stored    # skipped now: kept
    assert ordered(stored) == ["sweep", "casscf"]                                         # report order
    store_sections(config, inputs, stored)
    assert load_stored_sections(config, inputs) == stored
    assert not (config.sections_json.with_suffix(".tmp")).exists()


def test_state_of_another_checkpoint_or_unreadable_is_refused(setup):
    import json

    config, inputs = setup
    assert load_stored_sections(config, inputs) == {}                                     # nothing stored yet
    store_sections(config, inputs, {})
    data = json.loads(config.sections_json.read_text())
    config.sections_json.write_text(json.dumps({**data, "epoch": inputs.loaded.epoch + 1}))
    with pytest.raises(GaussError, match="another checkpoint"):
        load_stored_sections(config, inputs)
    config.sections_json.write_text("{ not json")
    with pytest.raises(GaussError, match="not readable JSON.*without --update"):
        load_stored_sections(config, inputs)
