"""The report document: header, sections in report order whatever order they were stored in, skipped ones
with their reason, each section's run named only when the report joins several runs."""

from __future__ import annotations

import pandas as pd

from gauss_core.evaluate.common import EvalInputs
from gauss_core.evaluate.report_config import NUMBER_COLUMNS, ReportConfig
from gauss_core.evaluate.report_markdown import TITLES, report_markdown


def _doc(tiny_loaded, tmp_path, sections, skipped=None):
    inputs = EvalInputs(loaded=tiny_loaded, ligands=pd.DataFrame(), labels=None, labels_provenance="xtb-gfn2",
                        kd=None, reference=frozenset())
    numbers = pd.DataFrame([{"experiment": "2 sigma sweep", "metric": "m", "value": 0.5, "target": "~1",
                             "passed": None, "provenance": "RDKit"}], columns=list(NUMBER_COLUMNS))
    config = ReportConfig(checkpoint=tmp_path / "c.pt", out_md=tmp_path / "e.md", experiments=("sweep", "parity"))
    return report_markdown(config, inputs, numbers, sections, skipped or {}, 90.0)


def test_sections_in_report_order_with_skipped_reason(tiny_loaded, tmp_path):
    run = {"when": "2026-01-01 00:00 UTC", "only": "sweep,parity", "minutes": 0.2}
    text = _doc(tiny_loaded, tmp_path, {"casscf": {"markdown": "CASSCF text\n", "numbers": [], "run": run},
                                        "sweep": {"markdown": "Sweep text\n", "numbers": [], "run": run}},
                {"parity": "no labels"})
    assert text.startswith("# GAUSS-II evaluation") and "in 1.5 min" in text and "(epoch " in text
    assert "Proxy labels: xtb-gfn2" in text and "joins the sections" not in text and "_From the run" not in text
    heads = [line for line in text.splitlines() if line.startswith("## ")]
    assert heads == ["## Targets", f"## {TITLES['sweep']}", f"## {TITLES['parity']}", f"## {TITLES['casscf']}",
                     "## All numbers"]
    assert "Skipped: no labels" in text and "| 2 sigma sweep | m | 0.500 | ~1 | - | RDKit |" in text
    assert text.endswith("| 2 sigma sweep | m | 0.500 | ~1 | - | RDKit |\n")


def test_joined_runs_name_their_run_under_each_heading(tiny_loaded, tmp_path):
    first = {"when": "2026-01-01 00:00 UTC", "only": "sweep", "minutes": 0.2}
    second = {"when": "2026-01-02 00:00 UTC", "only": "parity", "minutes": None}
    text = _doc(tiny_loaded, tmp_path, {"sweep": {"markdown": "S\n", "numbers": [], "run": first},
                                        "parity": {"markdown": "P\n", "numbers": [], "run": second}})
    assert "joins the sections of 2 runs" in text and "this run: `--only sweep,parity`" in text
    assert "_From the run of 2026-01-01 00:00 UTC (`--only sweep`; this section took 0.2 min)._\n\nS\n" in text
    assert "_From the run of 2026-01-02 00:00 UTC (`--only parity`)._\n\nP\n" in text
