"""Run the xtb program (Debian /usr/bin/xtb, 6.5) on a ligand geometry and parse per-atom properties.

One call = one xtb process in a private temporary directory (xtb writes fixed file names, so calls must
not share a directory). Parsed:
- GFN2: Mulliken charges and atomic dipoles (xtbout.json), covalent coordination numbers, D4 C6 and
  static polarisabilities alpha(0) per atom (the "covCN q C6AA alpha(0)" table of the output).
- GFN1: Mulliken and CM5 charges (the "Mulliken/CM5 charges" table).
- Optimisation (--opt): the relaxed coordinates (xtbopt.xyz).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gauss_core.errors import MissingProgramError
from gauss_core.proxies.errors import XtbError
from gauss_core.proxies.structure import Geometry

ATOMIC_NUMBERS = {"H": 1, "C": 6, "N": 7, "O": 8, "F": 9, "S": 16, "Cl": 17, "Br": 35, "I": 53, "P": 15,
                  "B": 5, "Si": 14, "Se": 34}


@dataclass(frozen=True)
class XtbConfig:
    """Settings of one xtb call.

    gfn: 1 or 2. accuracy: xtb --acc. max_scc_iterations: xtb --iterations (SCC cycles).
    opt_level: xtb --opt level when optimising. timeout_s: wall-clock cap per process.
    executable: program path (None: $GAUSS_XTB or `xtb` on PATH).
    """

    gfn: int = 2
    accuracy: float = 1.0
    max_scc_iterations: int = 250
    opt_level: str = "normal"
    timeout_s: float = 120.0
    executable: str | None = None


@dataclass
class XtbResult:
    """Parsed xtb output; per-atom arrays are in the input atom order (donor = 0). Atomic units."""

    gfn: int
    energy_Eh: float
    homo_lumo_gap_eV: float
    charges_e: np.ndarray                       # GFN2: Mulliken; GFN1: Mulliken
    cm5_charges_e: np.ndarray | None = None     # GFN1 only
    atomic_dipoles_au: np.ndarray | None = None  # GFN2 only, (n, 3) e*a0
    atomic_dipole_norms_au: np.ndarray | None = None  # |atomic dipole| (tblite gives only the magnitude)
    cov_cn: np.ndarray | None = None            # GFN2 table
    c6_au: np.ndarray | None = None             # GFN2 table (D4)
    alpha0_au3: np.ndarray | None = None        # GFN2 table (D4 static polarisability)
    coords_A: np.ndarray | None = None          # relaxed coordinates after --opt
    stdout: str = field(default="", repr=False)

    def array(self, name: str) -> np.ndarray:
        """The per-atom array `name` (e.g. "alpha0_au3"); XtbError when this run's output lacked it."""
        value = getattr(self, name)
        if value is None:
            raise XtbError(f"the GFN{self.gfn} output has no {name}: that property needs "
                           + ("an --opt run" if name == "coords_A" else "the other GFN level or a newer xtb"))
        return np.asarray(value)


def xtb_executable(explicit: str | None = None) -> str:
    """Path of the xtb program. Raises MissingProgramError naming the fix."""
    name = explicit or os.environ.get("GAUSS_XTB") or "xtb"
    path = shutil.which(name)
    if path is None:
        raise MissingProgramError(f"xtb program {name!r} not found: install it (Debian: apt-get install xtb) "
                                  "or set GAUSS_XTB to its path")
    return path


def _xtb_env() -> dict[str, str]:
    env = dict(os.environ)
    # xtb spins OpenMP threads per process: 10x slower for small molecules on a shared 2-core box.
    env["OMP_NUM_THREADS"] = "1"
    env["OMP_STACKSIZE"] = env.get("OMP_STACKSIZE", "200M")
    return env


def count_electrons(geometry: Geometry) -> int:
    """Number of electrons of the ligand (sum of Z minus charge)."""
    try:
        return sum(ATOMIC_NUMBERS[s] for s in geometry.symbols) - geometry.charge
    except KeyError as exc:
        raise XtbError(f"{geometry.smiles!r}: element {exc.args[0]} is not supported by the labeller") from None


def run_xtb(geometry: Geometry, config: XtbConfig = XtbConfig(), optimise: bool = False,
            keep_dir: Path | None = None) -> XtbResult:
    """Single point (or optimisation) with xtb.

    Args:
        geometry: ligand geometry; its charge is passed as --chrg.
        config: method and limits.
        optimise: run --opt and return the relaxed coordinates (plus properties at the final geometry).
        keep_dir: copy the xtb output there (for inspection); default: nothing is kept.
    Returns:
        XtbResult.
    Raises:
        XtbError: odd electron count, non-zero exit, SCC not converged, unreadable output.
    """
    if config.gfn not in (1, 2):
        raise XtbError(f"GFN{config.gfn} is not supported: use gfn=1 or gfn=2")
    if count_electrons(geometry) % 2:
        raise XtbError(f"{geometry.smiles!r} has an odd number of electrons (radical); ligands must be "
                       "closed-shell: fix the charge or hydrogens in the SMILES")
    exe = xtb_executable(config.executable)
    with tempfile.TemporaryDirectory(prefix="gauss-xtb-") as tmp:
        tmpdir = Path(tmp)
        (tmpdir / "mol.xyz").write_text(geometry.xyz_block(geometry.smiles))
        cmd = [exe, "mol.xyz", "--gfn", str(config.gfn), "--chrg", str(geometry.charge), "--uhf", "0",
               "--acc", str(config.accuracy), "--iterations", str(config.max_scc_iterations), "--json"]
        cmd += ["--opt", config.opt_level] if optimise else ["--sp"]
        try:
            proc = subprocess.run(cmd, cwd=tmpdir, env=_xtb_env(), capture_output=True, text=True,
                                  timeout=config.timeout_s)
        except subprocess.TimeoutExpired:
            raise XtbError(f"{geometry.smiles!r}: xtb ran past {config.timeout_s:.0f} s; raise "
                           "XtbConfig.timeout_s or skip this ligand") from None
        out = proc.stdout + "\n" + proc.stderr
        if keep_dir is not None:
            keep_dir.mkdir(parents=True, exist_ok=True)
            (keep_dir / f"xtb_gfn{config.gfn}.out").write_text(out)
            for name in ("xtbout.json", "xtbopt.xyz"):
                if (tmpdir / name).exists():
                    shutil.copy(tmpdir / name, keep_dir / f"gfn{config.gfn}_{name}")
        if proc.returncode != 0 or "normal termination of xtb" not in out:
            raise XtbError(f"{geometry.smiles!r}: xtb GFN{config.gfn} failed ({_failure_reason(out)})")
        result = parse_xtb_output(out, config.gfn, n_atoms=len(geometry.symbols))
        json_path = tmpdir / "xtbout.json"
        if json_path.exists():
            _merge_json(result, json.loads(json_path.read_text()), len(geometry.symbols))
        if optimise:
            opt = tmpdir / "xtbopt.xyz"
            if not opt.exists():
                raise XtbError(f"{geometry.smiles!r}: xtb --opt wrote no xtbopt.xyz")
            result.coords_A = read_xyz_coords(opt.read_text(), len(geometry.symbols))
        return result


def _failure_reason(out: str) -> str:
    if re.search(r"did not converge|not converged|convergence failed", out, re.I):
        return "SCC did not converge: try a better geometry or more iterations"
    errors = re.findall(r"\[ERROR\].*|#\s*ERROR.*|-\d+-\s+\S+.*", out)
    return "; ".join(e.strip() for e in errors[:3]) or "no normal termination"


_FLOAT = r"[-+]?\d+\.\d+(?:[eEdD][-+]?\d+)?"


def parse_xtb_output(text: str, gfn: int, n_atoms: int) -> XtbResult:
    """Parse the energy, gap and per-atom tables of an xtb stdout.

    Raises:
        XtbError: a table or the energy is missing or has the wrong number of atoms.
    """
    energies = re.findall(rf"TOTAL ENERGY\s+({_FLOAT})\s+Eh", text)
    gaps = re.findall(rf"HOMO-LUMO GAP\s+({_FLOAT})\s+eV", text)
    if not energies:
        raise XtbError("xtb output has no TOTAL ENERGY line (run failed or output truncated)")
    result = XtbResult(gfn=gfn, energy_Eh=float(energies[-1]), homo_lumo_gap_eV=float(gaps[-1]) if gaps else
                       float("nan"), charges_e=np.full(n_atoms, np.nan), stdout=text)
    if gfn == 2:
        table = _last_table(text, r"#\s+Z\s+covCN\s+q\s+C6AA\s+α\(0\)", n_atoms,
                            rf"\s*(\d+)\s+\d+\s+[A-Za-z]+\s+({_FLOAT})\s+({_FLOAT})\s+({_FLOAT})\s+({_FLOAT})")
        arr = np.array([[float(v) for v in row[1:]] for row in table])
        result.cov_cn, result.charges_e, result.c6_au, result.alpha0_au3 = arr.T.copy()
    else:
        table = _last_table(text, r"Mulliken/CM5 charges", n_atoms,
                            rf"\s*(\d+)[A-Za-z]+\s+({_FLOAT})\s+({_FLOAT})")
        arr = np.array([[float(v) for v in row[1:]] for row in table])
        result.charges_e, result.cm5_charges_e = arr.T.copy()
    return result


def _last_table(text: str, header: str, n_atoms: int, row_pattern: str) -> list[tuple[str, ...]]:
    heads = [m.end() for m in re.finditer(header, text)]
    if not heads:
        raise XtbError(f"xtb output lacks the table {header!r}")
    lines = text[heads[-1]:].splitlines()[1:]
    rows = []
    for line in lines:
        m = re.match(row_pattern, line)
        if not m:
            break
        rows.append(m.groups())
    if len(rows) != n_atoms:
        raise XtbError(f"xtb table {header!r} has {len(rows)} rows for {n_atoms} atoms")
    return rows


def _merge_json(result: XtbResult, data: dict, n_atoms: int) -> None:
    if "atomic dipole moments" in data:
        dip = np.asarray(data["atomic dipole moments"], float)
        if dip.shape == (n_atoms, 3):
            result.atomic_dipoles_au = dip
    if result.gfn == 2 and "partial charges" in data:
        q = np.asarray(data["partial charges"], float)
        if q.shape == (n_atoms,):
            result.charges_e = q  # more digits than the stdout table


def read_xyz_coords(text: str, n_atoms: int) -> np.ndarray:
    """Coordinates (Angstrom) from XYZ text. Raises XtbError on a size mismatch."""
    lines = text.splitlines()
    try:
        coords = np.array([[float(v) for v in ln.split()[1:4]] for ln in lines[2:2 + n_atoms]])
    except (ValueError, IndexError):
        raise XtbError("unreadable xtbopt.xyz") from None
    if coords.shape != (n_atoms, 3):
        raise XtbError(f"xtbopt.xyz has {coords.shape[0]} atoms, expected {n_atoms}")
    return coords


def optimise(geometry: Geometry, config: XtbConfig = XtbConfig(gfn=2)) -> Geometry:
    """GFN-xTB optimisation; returns the relaxed geometry (method "<old>+gfn2-opt")."""
    result = run_xtb(geometry, config, optimise=True)
    return geometry.with_coords(result.array("coords_A"), f"{geometry.method}+gfn{config.gfn}-opt")
