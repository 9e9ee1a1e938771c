"""The needs_xtb / needs_molcas markers of tests/conftest.py: a missing program skips the test with the
reason on a developer machine and fails it under CI, where a silent skip would hide an untested QC path."""

from __future__ import annotations

from pathlib import Path

pytest_plugins = ["pytester"]

CONFTEST = Path(__file__).with_name("conftest.py")
MARKED = """
import pytest

@pytest.mark.needs_xtb
def test_runs_xtb():
    pass

@pytest.mark.needs_molcas
def test_runs_molcas():
    pass

def test_needs_nothing():
    pass
"""


def _run(pytester, monkeypatch, ci: str | None):
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile(test_marked=MARKED)
    monkeypatch.setenv("GAUSS_XTB", "/nonexistent/xtb")
    monkeypatch.setenv("GAUSS_PYMOLCAS", "/nonexistent/pymolcas")
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    return pytester.runpytest("-rs", "-p", "no:cacheprovider")


def test_missing_program_skips_with_the_install_hint(pytester, monkeypatch):
    result = _run(pytester, monkeypatch, ci=None)
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["*/nonexistent/xtb is not installed (apt-get install xtb*",
                                 "*/nonexistent/pymolcas is not installed (apt-get install openmolcas*"])


def test_missing_program_fails_under_ci(pytester, monkeypatch):
    result = _run(pytester, monkeypatch, ci="true")
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(["*CI runs every QC test, so a missing program is an error here*"])


def test_present_program_runs(pytester, monkeypatch):
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile(test_marked=MARKED)
    monkeypatch.setenv("GAUSS_XTB", "/bin/sh")           # any executable stands in: the hook only looks it up
    monkeypatch.setenv("GAUSS_PYMOLCAS", "/bin/sh")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)
