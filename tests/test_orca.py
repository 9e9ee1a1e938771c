"""ORCA 5 input writer with the GAUSS-II paper's settings (ORCA itself is not installed here)."""

from __future__ import annotations

import re
import shutil

import pytest

from gauss_core.errors import MissingProgramError
from gauss_core.jobs.geometry import idealised_dy_water5_methoxide2
from gauss_core.kd import orca
from gauss_core.kd.molcas_casscf import XyzStructure


def test_input_has_the_paper_settings():
    text = orca.write_orca_input(idealised_dy_water5_methoxide2())
    assert re.search(r"^! DKH DKH-def2-TZVPP ", text, re.M)                 # DKH-def2-TZVPP on the ligands
    assert 'NewGTO Dy "SARC2-DKH-QZVP" end' in text                         # SARC2-DKH-QZVP on Dy
    rel = text[text.index("%rel"):text.index("end", text.index("%rel"))]
    assert "method DKH" in rel and "order 2" in rel and "picturechange 2" in rel
    cas = text[text.index("%casscf"):]
    for needle in ("nel 9", "norb 7", "mult 6", "nroots 21", "dosoc true", "gtensor true"):
        assert needle in cas, needle
    assert "* xyz 1 6" in text
    atoms = re.findall(r"^  (Dy|O|C|H) ", text, re.M)
    assert len(atoms) == 26 and text.rstrip().endswith("*")


def test_guess_orbitals_are_read_when_given():
    text = orca.write_orca_input(idealised_dy_water5_methoxide2(),
                                 orca.OrcaCasscfConfig(guess_gbw="fragments.gbw", nprocs=8, maxcore_mb=6000))
    assert "MORead" in text and '%moinp "fragments.gbw"' in text
    assert "%pal nprocs 8 end" in text and "%maxcore 6000" in text


@pytest.mark.parametrize("config, message", [
    (orca.OrcaCasscfConfig(n_roots=0), "1..21"),
    (orca.OrcaCasscfConfig(picture_change=3), "picture_change"),
    (orca.OrcaCasscfConfig(dy_basis='SARC"x'), "quotes"),
])
def test_bad_settings_are_refused(config, message):
    with pytest.raises(orca.OrcaInputError, match=message):
        orca.write_orca_input(idealised_dy_water5_methoxide2(), config)


def test_wrong_charge_is_refused():
    s = idealised_dy_water5_methoxide2()
    with pytest.raises(orca.OrcaInputError, match="odd total"):
        orca.write_orca_input(XyzStructure(s.symbols, s.coords, 2))


def test_missing_orca_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.delenv("GAUSS_ORCA", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingProgramError, match="ORCA not found"):
        orca.run_orca_job(idealised_dy_water5_methoxide2(), tmp_path)


def test_orca_job_result_says_it_only_writes_inputs(tmp_path, monkeypatch):
    # /bin/true stands in for the ORCA binary (not installed here): it exits 0 and writes no output, which
    # is all the wrapper needs to reach its result. The result must say plainly that nothing was parsed.
    monkeypatch.setenv("GAUSS_ORCA", shutil.which("true") or "/bin/true")
    result = orca.run_orca_job(idealised_dy_water5_methoxide2(), tmp_path, log=lambda s: None)
    assert result["parsed"] is False and "gaps_cm1" not in result
    assert "only writes the input" in result["note"]
    assert (tmp_path / "dy.inp").read_text().startswith("# ")


def test_cli_help_says_orca_only_writes_inputs(capsys):
    from gauss_core.cli import main

    with pytest.raises(SystemExit):
        main(["queue", "add", "--help"])
    assert "method=orca only writes an ORCA input" in " ".join(capsys.readouterr().out.split())
