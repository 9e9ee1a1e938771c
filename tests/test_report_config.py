"""Where `gauss evaluate` keeps its --update state: under GAUSS_HOME, one file per report, never beside it."""

from __future__ import annotations

from gauss_core.evaluate.report_config import ReportConfig


def test_update_state_lives_beside_the_report(tmp_path, monkeypatch):
    """The --update state travels with the report it describes (a fresh clone has no GAUSS_HOME of the run that
    wrote it: session 13 lost the state with a machine), one file per report folder."""
    monkeypatch.setenv("GAUSS_HOME", str(tmp_path / "home"))
    docs = ReportConfig(out_md=tmp_path / "repo" / "docs" / "evaluation.md")
    other = ReportConfig(out_md=tmp_path / "elsewhere" / "evaluation.md")
    assert docs.sections_json == tmp_path / "repo" / "docs" / "evaluation_data" / "sections.json"
    assert docs.sections_json != other.sections_json                  # two reports do not share their sections
    assert not docs.sections_json.is_relative_to(tmp_path / "home")
    assert docs.sections_json == ReportConfig(out_md=docs.out_md).sections_json   # stable between runs
    # figures, raw tables and numbers go beside the report too
    assert docs.data_dir == tmp_path / "repo" / "docs" / "evaluation_data"
    assert docs.numbers_csv == tmp_path / "repo" / "docs" / "evaluation_numbers.csv"
    assert ReportConfig(state_json=tmp_path / "s.json").sections_json == tmp_path / "s.json"
