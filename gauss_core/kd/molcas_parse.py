"""Parsing an OpenMolcas CASSCF(9,7)+SO output: Kramers doublets, g-tensors, crystal-field parameters."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from gauss_core.kd.molcas_input import N_KD, MolcasRunError
from gauss_core.provenance import CASSCF_OPENMOLCAS


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



def molcas_error_summary(output: str) -> str:
    """The first OpenMolcas error lines (ERROR/Abend/rc) of an output, for a one-line message."""
    found = [ln.strip(" #") for ln in output.splitlines()
             if re.search(r"ERROR|Abend|_RC_(?!ALL_IS_WELL)|xquit", ln)]
    return "; ".join(dict.fromkeys(x for x in found if x))[:500] or "no error message in the output"


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
