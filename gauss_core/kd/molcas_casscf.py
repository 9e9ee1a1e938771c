"""OpenMolcas CASSCF(9,7)+SO for Dy(III) complexes: input writer, runner and output parser.

The recipe (measured on the 2-core target machine, a few minutes for [Dy(H2O)5(OMe)2]+ with small
basis sets): &GATEWAY ANO-RCC, NoSym, RICD, AMFI, angular momentum about Dy; &SEWARD; &GUESSORB whose
orbitals seed &RASSCF (9 electrons in 7 orbitals, 21 sextet roots averaged); &RASSI spin-orbit with
angular-momentum integrals; &SINGLE_ANISO on the 8 Kramers doublets of the J=15/2 multiplet, printing
their energies, g-tensors and the crystal-field parameters B(k,q).

pymolcas is run through subprocess with an argument list (no shell) and a clean environment using
Debian's /usr/bin/python3, because pymolcas breaks under the project's venv interpreter.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from gauss_core.errors import GaussError, MissingProgramError
from gauss_core.procs import kill_tree, with_job_tag
from gauss_core.provenance import CASSCF_OPENMOLCAS

HARTREE_TO_CM1 = 219474.6313632
N_KD = 8                       # Kramers doublets of the Dy(III) 6H15/2 ground multiplet
N_4F_ELECTRONS = 9             # Dy(III) is 4f9
N_4F_ORBITALS = 7
N_SEXTET_ROOTS = 21            # all 6H, 6F, 6P sextets of 4f9

ATOMIC_NUMBER = {"H": 1, "B": 5, "C": 6, "N": 7, "O": 8, "F": 9, "Si": 14, "P": 15, "S": 16, "Cl": 17,
                 "Br": 35, "I": 53, "Dy": 66, "Se": 34}


class MolcasInputError(GaussError):
    """A structure the CASSCF writer cannot handle (no Dy, odd electron count, unknown element)."""


class MolcasRunError(GaussError):
    """pymolcas failed or its output lacks the SINGLE_ANISO results."""


@dataclass
class XyzStructure:
    """A molecule as element symbols, Cartesian coordinates (Angstrom) and total charge."""

    symbols: list[str]
    coords: list[tuple[float, float, float]]
    charge: int
    title: str = ""

    def n_electrons(self) -> int:
        """Total electron count (nuclear charges minus total charge)."""
        try:
            return sum(ATOMIC_NUMBER[s] for s in self.symbols) - self.charge
        except KeyError as exc:
            raise MolcasInputError(f"element {exc.args[0]!r} has no atomic number here; add it to "
                                   "gauss_core.kd.molcas_casscf.ATOMIC_NUMBER") from None

    def to_xyz(self) -> str:
        """XYZ file text (comment line holds title and charge)."""
        lines = [str(len(self.symbols)), f"{self.title} charge={self.charge}".strip()]
        for s, (x, y, z) in zip(self.symbols, self.coords, strict=False):
            lines.append(f"{s:<2s} {x:14.8f} {y:14.8f} {z:14.8f}")
        return "\n".join(lines) + "\n"


def structure_from(obj: object) -> XyzStructure:
    """Adapt a Complex (or anything with symbols/coords/charge) to an XyzStructure.

    Args:
        obj: an XyzStructure, or an object with `symbols` (or `atoms`), `coords` (n x 3, Angstrom), `charge`.
    Returns:
        XyzStructure.
    """
    if isinstance(obj, XyzStructure):
        return obj
    symbols = getattr(obj, "symbols", None) or getattr(obj, "atoms", None)
    coords = getattr(obj, "coords", None)
    charge = getattr(obj, "charge", None)
    if symbols is None or coords is None or charge is None:
        raise MolcasInputError(f"{type(obj).__name__} has no symbols/coords/charge; pass an XyzStructure")
    return XyzStructure([str(s) for s in symbols], [(float(x), float(y), float(z)) for x, y, z in coords], int(charge),
                        str(getattr(obj, "ligand_smiles", "") or getattr(obj, "smiles", "") or ""))


@dataclass(frozen=True)
class MolcasCasscfConfig:
    """Settings of the OpenMolcas CASSCF(9,7)+SO calculation.

    dy_basis / ligand_basis: ANO-RCC contractions (Dy VDZP and ligands MB is the small, fast choice;
    the paper-quality choice is Dy VTZP, ligands VDZP).
    """

    dy_basis: str = "ANO-RCC-VDZP"
    ligand_basis: str = "ANO-RCC-MB"
    n_roots: int = N_SEXTET_ROOTS
    memory_mb: int = 2000
    rasscf_max_iter: int = 200
    magnetism: bool = False       # SINGLE_ANISO susceptibility/magnetisation (slow); off for labels

    def validate(self) -> None:
        for name in (self.dy_basis, self.ligand_basis):
            if not re.fullmatch(r"ANO-RCC-(MB|VDZ|VDZP|VTZP|VQZP)", name, re.IGNORECASE):
                raise MolcasInputError(f"basis {name!r} is not an ANO-RCC contraction; use one of "
                                       "ANO-RCC-MB, -VDZ, -VDZP, -VTZP, -VQZP")
        if not 1 <= self.n_roots <= N_SEXTET_ROOTS:
            raise MolcasInputError(f"n_roots={self.n_roots}: a 4f9 sextet has 1..21 roots")
        if self.memory_mb < 200:
            raise MolcasInputError(f"memory_mb={self.memory_mb} is too small; give at least 200")


def write_molcas_input(structure: XyzStructure, config: MolcasCasscfConfig | None = None) -> str:
    """OpenMolcas input text for CASSCF(9,7) + RASSI-SO + SINGLE_ANISO on a mononuclear Dy(III) complex.

    Args:
        structure: the complex, Dy anywhere (angular momentum is taken about the Dy nucleus).
        config: basis sets and roots.
    Returns:
        The input file text.
    """
    config = config or MolcasCasscfConfig()
    config.validate()
    if structure.symbols.count("Dy") != 1:
        raise MolcasInputError(f"need exactly one Dy atom, got {structure.symbols.count('Dy')}; this "
                               "recipe is for mononuclear Dy(III) complexes")
    n_el = structure.n_electrons()
    n_inactive, rem = divmod(n_el - N_4F_ELECTRONS, 2)
    if rem:
        raise MolcasInputError(f"{n_el} electrons with charge {structure.charge}: Dy(III) 4f9 needs an odd "
                               "total; check the complex charge")
    i_dy = structure.symbols.index("Dy")
    dy = structure.coords[i_dy]
    lines = [f"* {structure.title or 'Dy(III) complex'}: CASSCF(9,7)+SO, written by GAUSS Studio",
             "&GATEWAY", "  Coord", f"  {len(structure.symbols)}", "  Angstrom"]
    for sym, (x, y, z) in zip(structure.symbols, structure.coords, strict=False):
        lines.append(f"  {sym:<2s} {x:14.8f} {y:14.8f} {z:14.8f}")
    # One default for the ligand atoms plus the Dy override keeps the line short: OpenMolcas cuts a long
    # per-element list near 90 characters, and a cut label (e.g. "O.ANO-R") silently means the full,
    # uncontracted-size basis (seen: 541 instead of ~200 functions, and hours of RASSCF).
    lines.append(f"  Basis = {config.ligand_basis}, Dy.{config.dy_basis}")
    lines += ["  Group = NoSym", "  RICD", "  AMFI",
              f"  ANGM = {dy[0]:.8f} {dy[1]:.8f} {dy[2]:.8f} Angstrom",
              "&SEWARD",
              "&GUESSORB",
              ">> COPY $Project.GssOrb INPORB",
              "&RASSCF",
              "  LUMORB",
              "  Title = CASSCF(9,7) 4f sextets",
              "  Spin = 6",
              f"  Charge = {structure.charge}",
              f"  Nactel = {N_4F_ELECTRONS} 0 0",
              f"  Inactive = {n_inactive}",
              f"  Ras2 = {N_4F_ORBITALS}",
              f"  CIRoot = {config.n_roots} {config.n_roots} 1",
              f"  Iterations = {config.rasscf_max_iter} 100",
              "  ORBA = FULL",
              # Per-root natural orbitals and LoProp/bond-order analyses for root 1 only: the other 20 cost
              # ~45 s CPU per job and feed nothing (measured: identical KD energies and g values).
              "  MAXORB = 1",
              ">> COPY $Project.JobIph JOB001",
              "&RASSI",
              f"  Nr of JobIph = 1 {config.n_roots}",
              "  " + " ".join(str(i) for i in range(1, config.n_roots + 1)),
              "  Spin Orbit",
              "  Ejob",
              "  MEES",
              "  Prop",
              "  3",
              "  'AngMom' 1",
              "  'AngMom' 2",
              "  'AngMom' 3",
              "&SINGLE_ANISO",
              "  MLTP",
              f"  {N_KD}",
              "  " + " ".join(["2"] * N_KD),
              "  CRYS",
              "  Dy"]
    if not config.magnetism:
        # Temperature/field scans are not needed for KD labels and cost minutes.
        lines += ["  TINT", "  0.0 300.0 2", "  HINT", "  0.0 1.0 2"]
    return "\n".join(lines) + "\n"


def find_pymolcas() -> list[str]:
    """Command prefix that runs pymolcas with the system Python.

    Returns:
        e.g. ["/usr/bin/python3", "/usr/bin/pymolcas"].
    Raises:
        MissingProgramError: pymolcas is not installed.
    """
    exe = os.environ.get("GAUSS_PYMOLCAS") or shutil.which("pymolcas", path="/usr/bin:/usr/local/bin") \
        or shutil.which("pymolcas")
    if not exe:
        raise MissingProgramError("pymolcas not found; install OpenMolcas (Debian: apt-get install openmolcas) "
                                  "or set GAUSS_PYMOLCAS to its path")
    python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else shutil.which("python3")
    if not python:
        raise MissingProgramError("pymolcas needs a system python3, and none is on PATH")
    return [python, exe]


def molcas_env(workdir: Path, memory_mb: int, threads: int = 1) -> dict[str, str]:
    """A clean environment for pymolcas: no venv variables, scratch inside the job directory."""
    keep = ("HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TMPDIR", "MOLCAS", "SLURM_JOB_ID")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    env["MOLCAS_WORKDIR"] = str(workdir / "scratch")
    env["MOLCAS_MEM"] = str(memory_mb)
    env["MOLCAS_OUTPUT"] = str(workdir)
    env["MOLCAS_PRINT"] = "NORMAL"
    env["OMP_NUM_THREADS"] = str(threads)
    env["MOLCAS_NPROCS"] = "1"
    return with_job_tag(env)  # a job's cancel finds pymolcas and its modules by this tag


@dataclass
class MolcasRun:
    """Where a run's files are and how it ended."""

    input_path: Path
    output_path: Path
    returncode: int


def run_molcas(input_text: str, workdir: Path, memory_mb: int = 2000, project: str = "dy",
               on_start: Callable[[subprocess.Popen], None] | None = None,
               timeout_s: float | None = None, new_session: bool = True) -> MolcasRun:
    """Run pymolcas on input_text inside workdir (own process group, so cancel can kill it whole).

    Args:
        input_text: OpenMolcas input.
        workdir: job directory; input, output (<project>.out) and scratch/ go here.
        memory_mb: MOLCAS_MEM.
        project: project name (file stem).
        on_start: called with the Popen right after start (e.g. to record its pid).
        timeout_s: kill the run after this many seconds.
        new_session: start pymolcas in its own process group; False inside a job runner, whose group
            the executor kills on cancel.
    Returns:
        MolcasRun with the output path and return code.
    """
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", project):
        raise MolcasInputError(f"project name {project!r} must be letters, digits, _ or -")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "scratch").mkdir(exist_ok=True)
    inp = workdir / f"{project}.input"
    out = workdir / f"{project}.out"
    inp.write_text(input_text)
    cmd = find_pymolcas() + ["-clean", "-oe", str(out), inp.name]
    with open(workdir / f"{project}.stdout", "wb") as log:
        proc = subprocess.Popen(cmd, cwd=workdir, env=molcas_env(workdir, memory_mb), stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=new_session)
        if on_start:
            on_start(proc)
        try:
            rc = proc.wait(timeout=timeout_s)
        except BaseException as exc:  # timeout, Ctrl-C, SIGTERM turned into an exception
            kill_tree(proc.pid)  # pymolcas and its modules (gateway.exe, ...), whatever their group
            proc.wait()
            if not isinstance(exc, subprocess.TimeoutExpired):
                raise
            raise MolcasRunError(f"pymolcas exceeded {timeout_s:.0f} s in {workdir}; give a larger timeout "
                                 "or a smaller basis") from None
    return MolcasRun(inp, out, rc)


def molcas_error_summary(output: str) -> str:
    """The first OpenMolcas error lines (ERROR/Abend/rc) of an output, for a one-line message."""
    found = [ln.strip(" #") for ln in output.splitlines()
             if re.search(r"ERROR|Abend|_RC_(?!ALL_IS_WELL)|xquit", ln)]
    return "; ".join(dict.fromkeys(x for x in found if x))[:500] or "no error message in the output"


# Per-root orbital files and integral libraries: tens of MB per job, not needed once parsed.
BULKY_PATTERNS = ("*.SpdOrb.*", "*.RasOrb.*", "*.rasscf.molden.*", "*.RICDLib", "*.LprOrb", "*.LoProp.molden",
                  "*.old.aniso")


def prune_outputs(workdir: Path) -> int:
    """Delete bulky intermediate files and the scratch folder of a finished run; returns bytes freed.

    Kept: input, output, GssOrb/RasOrb, rasscf.h5, rassi.h5, aniso files (enough to restart RASSI or
    SINGLE_ANISO).
    """
    workdir = Path(workdir)
    freed = 0
    for pattern in BULKY_PATTERNS:
        for f in workdir.glob(pattern):
            if f.is_file():
                freed += f.stat().st_size
                f.unlink()
    scratch = workdir / "scratch"
    if scratch.is_dir():
        freed += sum(f.stat().st_size for f in scratch.rglob("*") if f.is_file())
        shutil.rmtree(scratch, ignore_errors=True)
    return freed


# ----------------------------------------------------------------------------------------------- parsing

@dataclass
class KramersDoublet:
    """One Kramers doublet: energy above the ground KD and its main g-values (gx <= gy <= gz)."""

    energy_cm1: float
    g: tuple[float, float, float]


@dataclass
class MolcasKDResult:
    """Parsed SINGLE_ANISO results of one run."""

    doublets: list[KramersDoublet]
    crystal_field: dict[str, float] = field(default_factory=dict)   # "B(k,q)" -> cm^-1 (Extended Stevens)
    rasscf_energies_hartree: list[float] = field(default_factory=list)
    so_energies_cm1: list[float] = field(default_factory=list)
    active_occupations: list[float] = field(default_factory=list)
    provenance: str = CASSCF_OPENMOLCAS

    @property
    def energies_cm1(self) -> list[float]:
        return [d.energy_cm1 for d in self.doublets]

    @property
    def gaps_cm1(self) -> list[float]:
        """E(KD i+1) - E(KD 1), i = 1..7 (the KD_GAP_COLUMNS)."""
        e0 = self.doublets[0].energy_cm1
        return [d.energy_cm1 - e0 for d in self.doublets[1:]]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["energies_cm1"] = self.energies_cm1
        d["gaps_cm1"] = self.gaps_cm1
        d["ground_g"] = list(self.doublets[0].g)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> MolcasKDResult:
        return cls(doublets=[KramersDoublet(x["energy_cm1"], tuple(x["g"])) for x in d["doublets"]],
                   crystal_field=dict(d.get("crystal_field", {})),
                   rasscf_energies_hartree=list(d.get("rasscf_energies_hartree", [])),
                   so_energies_cm1=list(d.get("so_energies_cm1", [])),
                   active_occupations=list(d.get("active_occupations", [])),
                   provenance=d.get("provenance", CASSCF_OPENMOLCAS))


_FLOAT = r"[-+]?\d+\.\d*(?:[EeDd][-+]?\d+)?"


def _floats(line: str) -> list[float]:
    return [float(x.replace("D", "E").replace("d", "e")) for x in re.findall(_FLOAT, line)]


def _section(text: str, start: str, end_patterns: Sequence[str]) -> str:
    """Text from the first line containing start up to the first following end pattern."""
    i = text.find(start)
    if i < 0:
        return ""
    j = len(text)
    for pat in end_patterns:
        k = text.find(pat, i + len(start))
        if k >= 0:
            j = min(j, k)
    return text[i:j]


def parse_so_energies(text: str) -> list[float]:
    """SINGLE_ANISO's low-lying spin-orbit energies (cm^-1, relative to the lowest)."""
    return [float(m) for m in re.findall(r"ENERGY OF THE SPIN-ORBIT STATE \(\s*\d+\) =\s+(" + _FLOAT + ")", text)]


def parse_g_tensors(text: str) -> list[tuple[float, float, float]]:
    """Main g-values (gX, gY, gZ) of each pseudospin-1/2 multiplet (KD), in multiplet order."""
    out: dict[int, tuple[float, float, float]] = {}
    blocks = re.split(r"CALCULATION OF PSEUDOSPIN HAMILTONIAN TENSORS FOR THE MULTIPLET\s+", text)[1:]
    for block in blocks:
        m = re.match(r"(\d+)", block)
        g = {axis: float(v) for axis, v in re.findall(r"^\s*g([XYZ]) =\s+(" + _FLOAT + ")", block, re.M)}
        if m and len(g) == 3 and int(m.group(1)) not in out:
            out[int(m.group(1))] = (g["X"], g["Y"], g["Z"])
    return [out[k] for k in sorted(out)]


def parse_crystal_field(text: str) -> dict[str, float]:
    """Crystal-field parameters B(k,q) (cm^-1, Extended Stevens Operators) of the ground J multiplet.

    Returns:
        {"B(2,0)": ..., "B(2,-2)": ..., ...} from SINGLE_ANISO's CRYS table; {} when not printed.
    """
    sec = _section(text, "CALCULATION OF CRYSTAL-FIELD PARAMETERS OF THE GROUND ATOMIC MULTIPLET",
                   ["DECOMPOSITION OF THE RASSI WAVE FUNCTIONS",
                    "CALCULATION OF CRYSTAL-FIELD PARAMETERS OF THE GROUND ATOMIC TERM"])
    k = sec.find("Extended Stevens Operators")
    if k < 0:
        return {}
    table = sec[k:]
    cf: dict[str, float] = {}
    for kk, q, val in re.findall(r"^\s*(\d+)\s*\|\s*(-?\d+)\s*\|\s*" + _FLOAT + r"\s*\|\s*(" + _FLOAT + r")\s*\|",
                                 table, re.M):
        cf.setdefault(f"B({int(kk)},{int(q)})", float(val))
    return cf


def parse_active_orbitals(text: str) -> tuple[list[float], list[float]]:
    """Occupations and Dy-4f weight (sum of squared Dy f coefficients) of the RASSCF active orbitals.

    The weight checks that the active space really holds the seven 4f orbitals (about 1 each) and
    not a ligand orbital that GUESSORB ordered among them.
    """
    m = re.search(r"Number of inactive orbitals\s+(\d+)", text)
    n_act = re.search(r"Number of active orbitals\s+(\d+)", text)
    mo = text.find("Molecular orbitals for symmetry species 1")
    if not m or not n_act or mo < 0:
        return [], []
    first, n = int(m.group(1)) + 1, int(n_act.group(1))
    wanted = set(range(first, first + n))
    occ: dict[int, float] = {}
    weight: dict[int, float] = {}
    end = text.find("Mulliken population analysis", mo)
    body = text[mo:end if end > 0 else len(text)]
    for block in re.split(r"\n\s*Orbital\s+", body)[1:]:
        lines = block.splitlines()
        idx = [int(x) for x in lines[0].split()]
        if not wanted.intersection(idx):
            continue
        for ln in lines[1:]:
            if ln.strip().startswith("Occ. No."):
                for i, v in zip(idx, _floats(ln), strict=False):
                    occ[i] = v
            row = re.match(r"\s*\d+\s+DY\d*\s+\d+f\S*\s+(.*)$", ln, re.I)
            if row:
                for i, v in zip(idx, _floats(row.group(1)), strict=False):
                    weight[i] = weight.get(i, 0.0) + v * v
    order = sorted(wanted)
    return [occ.get(i, math.nan) for i in order], [weight.get(i, 0.0) for i in order]


def parse_rasscf_energies(text: str) -> list[float]:
    """RASSCF root energies (Hartree)."""
    return [float(x) for x in re.findall(r"RASSCF root number\s+\d+ Total energy:\s+(" + _FLOAT + ")", text)]


def check_basis_labels(text: str) -> None:
    """Refuse an output whose basis sets are not the ANO-RCC contractions asked for (a truncated input label
    such as "O.ANO-R" makes OpenMolcas take another, much larger basis without complaint)."""
    labels = set(re.findall(r"Basis set label:\s*(\S+)", text))
    odd = sorted(lab for lab in labels if not re.match(r"^[A-Z][A-Z]?\.ANO-RCC\.+\d", lab, re.IGNORECASE))
    if odd:
        raise MolcasRunError(f"basis set label(s) {odd} are not ANO-RCC contractions: the GATEWAY basis line was "
                             "misread; rerun the job (the input writer keeps that line short)")


def parse_molcas_output(text: str, min_4f_weight: float = 0.8) -> MolcasKDResult:
    """Parse KD energies, g-tensors and crystal-field parameters from an OpenMolcas output.

    Args:
        text: full OpenMolcas output (RASSCF + RASSI + SINGLE_ANISO).
        min_4f_weight: smallest Dy-4f weight accepted for an active orbital.
    Returns:
        MolcasKDResult with 8 doublets.
    Raises:
        MolcasRunError: no SINGLE_ANISO results, fewer than 8 KDs, or an active space that is not 4f.
    """
    check_basis_labels(text)
    occupations, weights = parse_active_orbitals(text)
    bad = [i + 1 for i, w in enumerate(weights) if w < min_4f_weight]
    if bad:
        raise MolcasRunError(f"active orbital(s) {bad} have Dy-4f weight {[round(weights[i - 1], 2) for i in bad]}"
                             f" < {min_4f_weight}: the guess put a ligand orbital in the active space; "
                             "reorder the orbitals (ALTER) or use a larger Dy basis")
    so = parse_so_energies(text)
    g = parse_g_tensors(text)
    if len(so) < 2 * N_KD or len(g) < N_KD:
        raise MolcasRunError(f"the output holds {len(so)} spin-orbit energies and {len(g)} g-tensors; need "
                             f"{2 * N_KD} and {N_KD}: SINGLE_ANISO did not finish ({molcas_error_summary(text)})")
    doublets = []
    for i in range(N_KD):
        e = 0.5 * (so[2 * i] + so[2 * i + 1])
        gx, gy, gz = sorted(g[i])
        doublets.append(KramersDoublet(round(e - 0.5 * (so[0] + so[1]), 6), (gx, gy, gz)))
    return MolcasKDResult(doublets=doublets, crystal_field=parse_crystal_field(text),
                          rasscf_energies_hartree=parse_rasscf_energies(text), so_energies_cm1=so[:2 * N_KD],
                          active_occupations=occupations)
