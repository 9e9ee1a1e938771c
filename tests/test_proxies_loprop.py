"""OpenMolcas LoProp path: input writer, a real PBE/ANO-R1 LoProp run on methoxide, parser checks
against the log text, and recorded failures."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from gauss_core import provenance
from gauss_core.errors import InvalidSmilesError
from gauss_core.proxies.errors import LopropError
from gauss_core.proxies.loprop import (LopropConfig, donor_labels, parse_loprop_output, run_loprop_job, run_openmolcas,
                                       write_input)
from gauss_core.proxies.structure import embed_ligand


def test_input_has_charge_basis_and_loprop(tmp_path):
    geometry = embed_ligand("[O-]c1ccccc1")
    inp = write_input(geometry, tmp_path, LopropConfig(basis="ANO-R2")).read_text()
    assert re.search(r"Basis = ANO-R2", inp) and "KSDFT = PBE" in inp and "Charge = -1" in inp
    assert inp.index("&GATEWAY") < inp.index("&SEWARD") < inp.index("&SCF") < inp.index("&LOPROP")
    xyz = (tmp_path / "ligand.xyz").read_text().splitlines()
    assert int(xyz[0]) == len(geometry.symbols) and xyz[2].split()[0] == "O"  # donor is atom 1


def test_too_small_basis_is_refused(tmp_path):
    with pytest.raises(LopropError, match="ANO-R0 is too small"):
        write_input(embed_ligand("[O-]C"), tmp_path, LopropConfig(basis="ANO-R0"))


def test_charge_mismatch_and_bad_smiles_raise(tmp_path):
    with pytest.raises(InvalidSmilesError):
        run_loprop_job("C1CC", 0, tmp_path / "bad")
    with pytest.raises(LopropError, match="does not match"):
        run_loprop_job("[O-]C", 0, tmp_path / "charge")


@pytest.mark.needs_molcas
def test_failed_openmolcas_run_is_a_loprop_error(tmp_path):
    # an unknown basis set makes GATEWAY stop within a second: a real failure, recorded with its reason
    geometry = embed_ligand("OC")
    write_input(geometry, tmp_path)
    inp = tmp_path / "loprop.inp"
    inp.write_text(inp.read_text().replace("ANO-R1", "NO-SUCH-BASIS"))
    with pytest.raises(LopropError, match="OpenMolcas failed"):
        run_openmolcas(tmp_path, LopropConfig(timeout_s=120))


def _domain_block(log: str, header: str) -> str:
    """The text of one domain, cut by plain string search (independent of the parser's regexes)."""
    section = log[log.rfind("The Localized properties"):]
    start = section.index(header)
    nxt = min(i for i in (section.find(" ====", start + len(header) + 30), section.find("=== Charge", start))
              if i > 0)
    return section[start:nxt]


def _number_after(block: str, label: str) -> float:
    line = next(ln for ln in block.splitlines() if ln.strip().startswith(label))
    return float(line.split(":")[-1])


@pytest.mark.slow
@pytest.mark.needs_molcas
def test_methoxide_loprop_ano_r1(tmp_path):
    result = run_loprop_job("[O-]C", -1, tmp_path / "meo", basis="ANO-R1")
    assert result["provenance"] == provenance.OPENMOLCAS_LOPROP and result["basis"] == "ANO-R1"
    log = Path(result["log_path"]).read_text()
    assert "ANO-R1" in Path(result["input_path"]).read_text()
    assert "_RC_ALL_IS_WELL_" in log
    block = _domain_block(log, "ATOMIC DOMAIN: O1")
    assert result["q_donor_e"] == pytest.approx(_number_after(block, "Total charge"), abs=1e-7)
    assert result["mu_donor_au"] == pytest.approx(_number_after(block, "Dipole magnitude"), abs=1e-7)
    assert result["alpha_donor_au3"] == pytest.approx(_number_after(block, "Isotropic Polarizability"), abs=1e-7)
    # the static "LoProp Charges per center" table agrees with the domain charge (same density)
    totals = re.findall(r"^\s+Total\s+(-?\d+\.\d+)", log, re.M)
    assert float(totals[-1]) == pytest.approx(result["q_donor_e"], abs=0.02)
    # methoxide's O carries most of the negative charge; PBE/ANO-R1 LoProp gives about -0.7 e
    assert -0.85 < result["q_donor_e"] < -0.55
    assert 0.3 < result["mu_donor_au"] < 0.9 and 2.0 < result["alpha_donor_au3"] < 6.0
    # the bond-half variant adds half of the single C-O bond domain
    bond = _domain_block(log, "BOND DOMAIN: C2    ,O1")
    assert result["n_donor_bonds"] == 1
    assert result["alpha_donor_bond_au3"] == pytest.approx(
        result["alpha_donor_au3"] + 0.5 * _number_after(bond, "Isotropic Polarizability"), abs=1e-6)
    # parser: every atom has its atomic domain and the charges add up to the ligand charge
    domains = parse_loprop_output(log)
    atomic = [d for k, d in domains.items() if len(k) == 1]
    assert len(atomic) == 5
    assert sum(d.charge_e for d in atomic) == pytest.approx(-1.0, abs=1e-3)
    labels = donor_labels(domains, "O1")
    assert labels["mu_donor_au"] == pytest.approx(np.linalg.norm(domains[("O1",)].dipole_au), abs=1e-6)
