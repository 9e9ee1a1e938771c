"""ORCA 5 input for CASSCF(9,7)+QDPT spin-orbit on Dy(III) complexes, with the GAUSS-II paper's settings.

Paper (section IV): ORCA 5; scalar relativity with DKH2 and picture-change effects up to second order
in the spin-orbit operator; SARC2-DKH-QZVP on Dy, DKH-def2-TZVPP on all other atoms; state-averaged
CASSCF with the 7 4f orbitals and 9 electrons (21 sextet roots); Kramers-doublet energies from the
quasi-degenerate perturbation theory (QDPT) treatment of spin-orbit coupling.

This backend only writes inputs: it writes dy.inp and, when an `orca` binary is on PATH (or GAUSS_ORCA
points to it), runs ORCA on it, but it does not read the output, so an ORCA job reports no KD energies
and never enters the KD label table. ORCA is not free to redistribute and is not installed here, and no
real ORCA output of a Dy complex was available to test a QDPT parser on (the one real ORCA data set in
shared/data holds only SO matrices extracted by a third-party script, not ORCA's own output).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gauss_core.errors import GaussError, MissingProgramError
from gauss_core.kd.molcas_input import N_4F_ELECTRONS, N_4F_ORBITALS, N_SEXTET_ROOTS, XyzStructure
from gauss_core.modes import CasscfMethod
from gauss_core.provenance import CASSCF_ORCA


ONLY_WRITES_INPUTS = ("the ORCA backend only writes the input (dy.inp) and runs ORCA; it does not parse the "
                      "output, so this job has no KD energies: read them from the QDPT section of dy.out")


class OrcaInputError(GaussError):
    """Settings or a structure the ORCA writer cannot use."""


@dataclass(frozen=True)
class OrcaCasscfConfig:
    """ORCA 5 CASSCF(9,7)+QDPT settings (defaults: the paper's).

    nprocs / maxcore_mb: %pal and %maxcore (MB per core).
    picture_change: ORCA's %rel PictureChange (2 = second order, the paper's choice).
    guess_gbw: optional orbitals to start from (e.g. the paper's fragment guess), read with MORead.
    """

    dy_basis: str = "SARC2-DKH-QZVP"
    ligand_basis: str = "DKH-def2-TZVPP"
    n_roots: int = N_SEXTET_ROOTS
    nprocs: int = 4
    maxcore_mb: int = 4000
    picture_change: int = 2
    guess_gbw: str | None = None
    max_iter: int = 200

    def validate(self) -> None:
        if not 1 <= self.n_roots <= N_SEXTET_ROOTS:
            raise OrcaInputError(f"n_roots={self.n_roots}: a 4f9 sextet has 1..21 roots")
        if self.picture_change not in (0, 1, 2):
            raise OrcaInputError(f"picture_change={self.picture_change}: use 0, 1 or 2")
        if self.nprocs < 1 or self.maxcore_mb < 500:
            raise OrcaInputError("nprocs must be >= 1 and maxcore_mb >= 500")
        for name in (self.dy_basis, self.ligand_basis):
            if not name or any(c in name for c in '"\n'):
                raise OrcaInputError(f"basis name {name!r} is empty or has quotes/newlines")


def write_orca_input(structure: XyzStructure, config: OrcaCasscfConfig | None = None) -> str:
    """ORCA 5 input text for CASSCF(9,7) (21 sextets) + QDPT SOC on a mononuclear Dy(III) complex.

    Args:
        structure: the complex (Angstrom), exactly one Dy.
        config: OrcaCasscfConfig (paper defaults).
    Returns:
        The input file text.
    """
    config = config or OrcaCasscfConfig()
    config.validate()
    if structure.symbols.count("Dy") != 1:
        raise OrcaInputError(f"need exactly one Dy atom, got {structure.symbols.count('Dy')}")
    n_el = structure.n_electrons()
    if (n_el - N_4F_ELECTRONS) % 2:
        raise OrcaInputError(f"{n_el} electrons with charge {structure.charge}: Dy(III) 4f9 needs an odd total; "
                             "check the complex charge")
    guess = "MORead" if config.guess_gbw else ""
    lines = [f"# {structure.title or 'Dy(III) complex'}: CASSCF(9,7)+QDPT SOC, GAUSS-II settings (GAUSS Studio)",
             # DKH with %rel order 2 = DKH2; AutoAux builds the RI fitting sets (incl. Dy) for RIJCOSX.
             f"! DKH {config.ligand_basis} AutoAux RIJCOSX TightSCF {guess}".rstrip(),
             f"%pal nprocs {config.nprocs} end",
             f"%maxcore {config.maxcore_mb}"]
    if config.guess_gbw:
        lines.append(f'%moinp "{config.guess_gbw}"')
    lines += ["%rel",
              "  method DKH",
              "  order 2",
              f"  picturechange {config.picture_change}",
              "end",
              "%basis",
              f'  NewGTO Dy "{config.dy_basis}" end',
              "end",
              "%casscf",
              f"  nel {N_4F_ELECTRONS}",
              f"  norb {N_4F_ORBITALS}",
              "  mult 6",
              f"  nroots {config.n_roots}",
              f"  maxiter {config.max_iter}",
              "  rel",
              "    dosoc true",
              "    gtensor true",
              "    printlevel 2",
              "  end",
              "end",
              f"* xyz {structure.charge} 6"]
    for s, (x, y, z) in zip(structure.symbols, structure.coords, strict=False):
        lines.append(f"  {s:<2s} {x:14.8f} {y:14.8f} {z:14.8f}")
    lines.append("*")
    return "\n".join(lines) + "\n"


def find_orca() -> str:
    """Absolute path of the ORCA binary (ORCA must be called by its full path for parallel runs)."""
    exe = os.environ.get("GAUSS_ORCA") or shutil.which("orca")
    if not exe:
        raise MissingProgramError("ORCA not found: install ORCA 5 (free for academics from orcaforum.kofo.mpg.de) "
                                  "and put `orca` on PATH or set GAUSS_ORCA; or use method='openmolcas'")
    return str(Path(exe).resolve())


def run_orca_job(structure: XyzStructure, workdir: Path, config: OrcaCasscfConfig | None = None,
                 log: Callable[[str], None] = print) -> dict:
    """Write dy.inp in workdir and run ORCA on it (argument list, no shell).

    Returns:
        {"provenance": "casscf-orca", "method": "orca", "input", "output", "parsed": False, "note"}: this
        backend only writes inputs and runs ORCA; it does not parse the output, so the job carries no gaps
        and never enters the KD label table (`note` says so in the job result).
    Raises:
        MissingProgramError when ORCA is not installed; GaussError when it fails.
    """
    exe = find_orca()
    workdir = Path(workdir)
    inp = workdir / "dy.inp"
    inp.write_text(write_orca_input(structure, config))
    out = workdir / "dy.out"
    log(f"running ORCA {exe} on {inp.name}")
    with open(out, "w") as fh:
        rc = subprocess.run([exe, inp.name], cwd=workdir, stdout=fh, stderr=subprocess.STDOUT).returncode
    if rc != 0:
        raise GaussError(f"ORCA exited with code {rc}; see {out}")
    return {"provenance": CASSCF_ORCA, "method": CasscfMethod.ORCA.value, "input": inp.name, "output": out.name,
            "parsed": False, "note": ONLY_WRITES_INPUTS}
