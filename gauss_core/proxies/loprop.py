"""The paper's real path: OpenMolcas KS-DFT (PBE) + LoProp local properties of the donor atom.

Input: &GATEWAY (ANO-R1 by default, ANO-R2 as in the paper) / &SEWARD / &SCF KSDFT=PBE with the ligand
charge / &LOPROP (static properties plus polarisabilities from LoProp's own +/- field SCFs).
Parsed from the "The Localized properties" section of the log, for the donor (atom 0, labelled by
OpenMolcas as e.g. "O1"):
- atomic domain: charge, dipole magnitude, isotropic polarisability (the paper's labels);
- "bond-half" variant: the atomic domain plus half of every bond domain that contains the donor
  (charge, |dipole vector sum|, isotropic polarisability).

pymolcas is run with Debian's /usr/bin/python3 and a clean environment: a venv's newer pyparsing breaks
the EMIL input parser.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gauss_core import provenance
from gauss_core.errors import MissingProgramError
from gauss_core.procs import kill_tree, with_job_tag
from gauss_core.proxies.errors import LopropError
from gauss_core.proxies.structure import Geometry, embed_ligand
import contextlib

BASIS_SETS = ("ANO-R1", "ANO-R2", "ANO-R3")
INPUT_NAME = "loprop.inp"
LOG_NAME = "loprop.log"
XYZ_NAME = "ligand.xyz"


@dataclass(frozen=True)
class LopropConfig:
    """OpenMolcas settings. basis: ANO-R1 (default) or ANO-R2 (the paper). memory_mb: MOLCAS_MEM.
    timeout_s: wall-clock cap. keep_scratch: keep MOLCAS_WORKDIR (large) after a successful run."""

    basis: str = "ANO-R1"
    functional: str = "PBE"
    memory_mb: int = 1000
    timeout_s: float = 3600.0
    keep_scratch: bool = False
    python: str = "/usr/bin/python3"
    pymolcas: str | None = None


@dataclass
class Domain:
    """One LoProp domain (atomic: atoms=(label,), bond: two labels). Atomic units."""

    atoms: tuple[str, ...]
    charge_e: float
    dipole_au: np.ndarray
    dipole_magnitude_au: float
    alpha_iso_au3: float
    alpha_tensor_au3: np.ndarray | None = field(default=None, repr=False)


def write_input(geometry: Geometry, jobdir: Path, config: LopropConfig = LopropConfig()) -> Path:
    """Write the XYZ file and the OpenMolcas input into `jobdir`; returns the input path."""
    if config.basis.upper() not in BASIS_SETS:
        raise LopropError(f"basis {config.basis!r} is not supported: use one of {', '.join(BASIS_SETS)} "
                          "(ANO-R0 is too small: donor charges off by ~0.4 e)")
    jobdir.mkdir(parents=True, exist_ok=True)
    (jobdir / XYZ_NAME).write_text(geometry.xyz_block(f"{geometry.smiles} charge {geometry.charge}"))
    text = (
        f"* GAUSS Studio LoProp label of {geometry.smiles} (donor = atom 1), geometry {geometry.method}\n"
        "&GATEWAY\n"
        f"  Coord = {XYZ_NAME}\n"
        f"  Basis = {config.basis.upper()}\n"
        "  Group = NoSym\n"
        "&SEWARD\n"
        "&SCF\n"
        f"  KSDFT = {config.functional}\n"
        f"  Charge = {geometry.charge}\n"
        "&LOPROP\n"
    )
    path = jobdir / INPUT_NAME
    path.write_text(text)
    return path


def pymolcas_path(config: LopropConfig = LopropConfig()) -> str:
    """Path of pymolcas; raises MissingProgramError naming the fix."""
    exe = config.pymolcas or os.environ.get("GAUSS_PYMOLCAS") or shutil.which("pymolcas") or "/usr/bin/pymolcas"
    if not Path(exe).exists():
        raise MissingProgramError("OpenMolcas driver pymolcas not found: install it (Debian: apt-get install "
                                  "openmolcas) or set GAUSS_PYMOLCAS")
    if not Path(config.python).exists():
        raise MissingProgramError(f"{config.python} not found: pymolcas needs the system Python")
    return exe


def run_openmolcas(jobdir: Path, config: LopropConfig = LopropConfig()) -> Path:
    """Run pymolcas on jobdir/loprop.inp; returns the log path. Raises LopropError on failure."""
    exe = pymolcas_path(config)
    scratch = jobdir / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)  # a run cut short leaves files OpenMolcas would pick up
    scratch.mkdir(parents=True, exist_ok=True)
    env = {  # clean environment: no venv PYTHONPATH, one thread (the machine is shared)
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", str(jobdir)),
        "LANG": "C.UTF-8",
        "MOLCAS_WORKDIR": str(scratch.resolve()),
        "MOLCAS_MEM": str(config.memory_mb),
        "MOLCAS_PROJECT": "loprop",
        "OMP_NUM_THREADS": "1",
    }
    env = with_job_tag(env)  # the job's cancel finds pymolcas and its modules by this tag
    log = jobdir / LOG_NAME
    with open(log, "w") as out, open(jobdir / "loprop.err", "w") as err:
        # own process group, so that a timeout, Ctrl-C or a terminated worker also ends the Fortran modules
        proc = subprocess.Popen([config.python, exe, INPUT_NAME], cwd=jobdir, env=env, stdout=out, stderr=err,
                                start_new_session=True)
        try:
            proc.wait(timeout=config.timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise LopropError(f"OpenMolcas ran past {config.timeout_s:.0f} s in {jobdir}; raise "
                              "LopropConfig.timeout_s or use a smaller ligand/basis") from None
        except BaseException:
            _kill_group(proc)
            raise
    text = log.read_text(errors="replace")
    if proc.returncode != 0 or "Stop Module: loprop" not in text or "_RC_ALL_IS_WELL_" not in text.split(
            "Stop Module: loprop")[-1][:200]:
        raise LopropError(f"OpenMolcas failed (exit {proc.returncode}): {_failure_reason(text)}; see {log}")
    if not config.keep_scratch:  # orbitals and integrals are large; the log holds every label
        shutil.rmtree(scratch, ignore_errors=True)
        for pattern in ("loprop.*Orb", "loprop.*.h5", "loprop.*.molden", "xmldump"):
            for path in jobdir.glob(pattern):
                path.unlink(missing_ok=True)
    return log


def _kill_group(proc: subprocess.Popen) -> None:
    """End pymolcas and every module below it (a module that left the group is found as a descendant)."""
    kill_tree(proc.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _failure_reason(text: str) -> str:
    rc = re.findall(r"Stop Module:\s+(\w+).*?/rc=(\w+)", text)
    bad = [f"{m} rc={r}" for m, r in rc if r != "_RC_ALL_IS_WELL_"]
    if "No convergence" in text or "not converged" in text.lower():
        bad.append("SCF did not converge")
    return ", ".join(bad) or "no LoProp section in the log"


_F = r"[-+]?\d+\.\d+(?:[EeDd][-+]?\d+)?"


def _find(pattern: str, body: str, atoms: tuple[str, ...], what: str) -> re.Match[str]:
    """The match of a value LoProp prints for every domain; LopropError naming it when absent."""
    match = re.search(pattern, body)
    if match is None:
        raise LopropError(f"LoProp domain {', '.join(atoms)} has no {what} (output truncated?)")
    return match


def parse_loprop_output(text: str) -> dict[tuple[str, ...], Domain]:
    """Parse every atomic and bond domain of the (last) "Localized properties" section.

    Returns:
        {("O1",): Domain, ("C2", "O1"): Domain, ...}; atom labels as OpenMolcas prints them.
    Raises:
        LopropError: the section is missing.
    """
    start = text.rfind("The Localized properties")
    if start < 0:
        raise LopropError("OpenMolcas log has no LoProp 'Localized properties' section")
    end = text.find("The Molecular Multipole Moments", start)
    section = text[start:end if end > 0 else len(text)]
    blocks = re.split(r"\n\s*=+\s*\n\s*(ATOMIC|BOND) DOMAIN:", section)
    domains: dict[tuple[str, ...], Domain] = {}
    # re.split with one group: [pre, kind, body, kind, body, ...]
    for kind, body in zip(blocks[1::2], blocks[2::2], strict=False):
        header = body.splitlines()[0]
        atoms = tuple(a.strip() for a in header.split(",")) if kind == "BOND" else (header.strip(),)
        charge = float(_find(rf"Total charge\s*:\s*({_F})", body, atoms, "total charge").group(1))
        dip_match = re.search(rf"\.\.\. with nuclear contribution\s*\n\s*({_F})\s+({_F})\s+({_F})", body)
        if dip_match is None:  # bond domains print only the electronic dipole (no nuclei)
            dip_match = _find(rf"Electronic Dipole\s*\n\s*({_F})\s+({_F})\s+({_F})", body, atoms, "dipole")
        dipole = np.array([float(v) for v in dip_match.groups()])
        magnitude = float(_find(rf"Dipole magnitude:\s*({_F})", body, atoms, "dipole magnitude").group(1))
        alpha_match = re.search(rf"Isotropic Polarizability:\s*({_F})", body)
        alpha = float(alpha_match.group(1)) if alpha_match else float("nan")
        tensor = None
        tmatch = re.search(rf"mat\. size =\s+3x\s+3\s*\n\s*({_F})\s*\n\s*({_F})\s+({_F})\s*\n"
                           rf"\s*({_F})\s+({_F})\s+({_F})", body)
        if tmatch:
            xx, xy, yy, xz, yz, zz = (float(v) for v in tmatch.groups())
            tensor = np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]])
        domains[atoms] = Domain(atoms, charge, dipole, magnitude, alpha, tensor)
    if not domains:
        raise LopropError("LoProp section has no domains (output truncated?)")
    return domains


def donor_labels(domains: dict[tuple[str, ...], Domain], donor_label: str) -> dict[str, float]:
    """Donor labels from parsed domains.

    Returns:
        q_donor_e, mu_donor_au, alpha_donor_au3 (atomic domain) and q_donor_bond_e, mu_donor_bond_au,
        alpha_donor_bond_au3 (atomic domain + half of each bond domain containing the donor),
        n_donor_bonds.
    """
    atom = domains.get((donor_label,))
    if atom is None:
        raise LopropError(f"LoProp output has no atomic domain {donor_label!r}")
    bonds = [d for key, d in domains.items() if len(key) == 2 and donor_label in key]
    dip = atom.dipole_au + 0.5 * sum((b.dipole_au for b in bonds), np.zeros(3))
    return {
        "q_donor_e": atom.charge_e,
        "mu_donor_au": atom.dipole_magnitude_au,
        "alpha_donor_au3": atom.alpha_iso_au3,
        "q_donor_bond_e": atom.charge_e + 0.5 * sum(b.charge_e for b in bonds),
        "mu_donor_bond_au": float(np.linalg.norm(dip)),
        "alpha_donor_bond_au3": atom.alpha_iso_au3 + 0.5 * sum(b.alpha_iso_au3 for b in bonds),
        "n_donor_bonds": len(bonds),
    }


def ligand_geometry(smiles: str, relax_gfn2: bool = True) -> Geometry:
    """Geometry used for LoProp: ETKDGv3+MMFF, then GFN2-xTB optimisation (when relax_gfn2)."""
    geometry = embed_ligand(smiles)
    if relax_gfn2:
        from gauss_core.proxies.xtb import optimise
        geometry = optimise(geometry)
    return geometry


def run_loprop_job(smiles: str, charge: int, workdir: Path, basis: str = "ANO-R1",
                   config: LopropConfig | None = None) -> dict:
    """One LoProp label: geometry, OpenMolcas input, run, parse. Plain function for the job queue.

    Args:
        smiles: donor-first SMILES (atom 0 = donor).
        charge: ligand charge; must equal the SMILES' formal charge.
        workdir: job directory (created); keeps ligand.xyz, loprop.inp, loprop.log.
        basis: ANO-R1 (default) or ANO-R2 (the paper).
    Returns:
        dict with smiles, donor_Z, the labels of donor_labels(), provenance "openmolcas-loprop", basis,
        geometry_method, input_path, log_path, wall_s.
    Raises:
        LabellingError subclasses (bad SMILES, charge mismatch, OpenMolcas failure) naming the fix.
    """
    t0 = time.time()
    cfg = config or LopropConfig(basis=basis)
    if config is not None and basis != cfg.basis:
        cfg = LopropConfig(**{**cfg.__dict__, "basis": basis})
    workdir = Path(workdir)
    geometry = ligand_geometry(smiles)
    if int(charge) != geometry.charge:
        raise LopropError(f"{smiles!r}: charge {charge} does not match the SMILES formal charge "
                          f"{geometry.charge}; pass the SMILES' charge")
    inp = write_input(geometry, workdir, cfg)
    log = run_openmolcas(workdir, cfg)
    labels = donor_labels(parse_loprop_output(log.read_text(errors="replace")),
                          f"{geometry.symbols[0]}1")
    return {
        "smiles": smiles,
        "donor_Z": geometry.donor_Z,
        **labels,
        "provenance": provenance.OPENMOLCAS_LOPROP,
        "basis": cfg.basis.upper(),
        "functional": cfg.functional,
        "geometry_method": geometry.method,
        "input_path": str(inp),
        "log_path": str(log),
        "wall_s": round(time.time() - t0, 2),
    }
