"""OpenMolcas CASSCF(9,7)+SO output parser.

The parser is checked on a real OpenMolcas 22.10 output (tests/data/molcas/, the idealised
[Dy(H2O)5(OMe)2]+ run with Dy ANO-RCC-VDZP / ligands ANO-RCC-MB made on this machine by
write_molcas_input + run_molcas); the full live run is in test_jobs_worker.py (slow).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from gauss_core.jobs.geometry import idealised_dy_water5_methoxide2
from gauss_core.kd import molcas_input as mi
from gauss_core.kd import molcas_parse as mp
from gauss_core.provenance import CASSCF_OPENMOLCAS

FIXTURE = Path(__file__).parent / "data" / "molcas" / "dy_water5_ome2_idealised.out.gz"


@pytest.fixture(scope="module")
def output_text() -> str:
    return gzip.open(FIXTURE, "rt").read()


def test_parse_real_output_eight_kds_and_g(output_text):
    r = mp.parse_molcas_output(output_text)
    assert r.provenance == CASSCF_OPENMOLCAS
    assert len(r.doublets) == 8
    e = r.energies_cm1
    assert e[0] == 0.0 and all(b > a for a, b in zip(e, e[1:], strict=False))
    assert r.gaps_cm1[0] == pytest.approx(555.005, abs=0.01)
    assert r.gaps_cm1[-1] == pytest.approx(1131.150, abs=0.01)
    gx, gy, gz = r.doublets[0].g
    assert gz == pytest.approx(19.993, abs=0.001) and gx < 1e-6 and gy < 1e-6   # Ising |+-15/2>
    assert r.doublets[1].g[2] == pytest.approx(17.008, abs=0.001)                # |+-13/2>
    assert len(r.so_energies_cm1) == 16 and len(r.rasscf_energies_hartree) == 21


def test_parse_crystal_field(output_text):
    cf = mp.parse_molcas_output(output_text).crystal_field
    # Axial field along z: B(2,0) dominates, B(2,+-2) vanish by symmetry.
    assert cf["B(2,0)"] == pytest.approx(-6.1477222834437, rel=1e-9)
    assert cf["B(4,0)"] == pytest.approx(-0.014360256259522, rel=1e-9)
    assert cf["B(6,0)"] == pytest.approx(3.5778861424506e-06, rel=1e-9)
    assert abs(cf["B(2,2)"]) < 1e-5
    assert {f"B(2,{q})" for q in range(-2, 3)} <= set(cf)


def test_active_space_is_the_4f_shell(output_text):
    occ, weight = mp.parse_active_orbitals(output_text)
    assert occ == pytest.approx([9 / 7] * 7, abs=1e-4)
    assert all(w > 0.95 for w in weight)


def test_wrong_active_space_is_detected(output_text):
    # Pretend 69 inactive orbitals: the active window then starts at a doubly occupied ligand orbital.
    shifted = output_text.replace("Number of inactive orbitals               70",
                                  "Number of inactive orbitals               69")
    with pytest.raises(mi.MolcasRunError, match="4f weight"):
        mp.parse_molcas_output(shifted)


def test_truncated_output_is_an_error(output_text):
    cut = output_text[: output_text.index("CALCULATION OF PSEUDOSPIN HAMILTONIAN TENSORS FOR THE MULTIPLET 5")]
    with pytest.raises(mi.MolcasRunError, match="SINGLE_ANISO did not finish"):
        mp.parse_molcas_output(cut)


def test_result_round_trips_through_json(output_text):
    import json
    r = mp.parse_molcas_output(output_text)
    back = mp.MolcasKDResult.from_dict(json.loads(json.dumps(r.to_dict())))
    assert back.energies_cm1 == r.energies_cm1 and back.crystal_field == r.crystal_field
    assert back.doublets[0].g == r.doublets[0].g


def test_error_summary_names_the_failure():
    text = " ###    ERROR: COORD keyword is not found   ###\n--- Stop Module: gateway /rc=_RC_INPUT_ERROR_ ---"
    assert "COORD keyword is not found" in mp.molcas_error_summary(text)


def test_basis_line_stays_short_for_many_elements_and_a_misread_basis_is_refused():
    """OpenMolcas cut a 95-character per-element basis list ("O.ANO-R"), silently giving O a far larger basis
    (541 instead of ~200 functions for a fluorinated ligand). The writer keeps one short line; the parser
    refuses an output whose basis labels are not the ANO-RCC contractions (real recorded output, one label
    changed to the misread form)."""
    s = idealised_dy_water5_methoxide2()
    many = mi.XyzStructure(s.symbols[:-4] + ["F", "N", "S", "Cl"], s.coords, s.charge)
    line = next(x for x in mi.write_molcas_input(many).splitlines() if "Basis =" in x)
    assert line == "  Basis = ANO-RCC-VDZP, Dy.ANO-RCC-VDZP"
    with gzip.open(FIXTURE, "rt") as fh:
        text = fh.read()
    mp.check_basis_labels(text)                          # the real output passes
    bad = text.replace("O.ANO-RCC...2S1P.", "O.ANO-R.........", 1)
    assert bad != text
    with pytest.raises(mi.MolcasRunError, match="not ANO-RCC"):
        mp.parse_molcas_output(bad)
