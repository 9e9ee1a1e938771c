"""OpenMolcas CASSCF(9,7)+SO input: the structure type, the calculation's settings and the input writer.

The recipe (measured on the 2-core target machine, a few minutes for [Dy(H2O)5(OMe)2]+ with small
basis sets): &GATEWAY ANO-RCC, NoSym, RICD, AMFI, angular momentum about Dy; &SEWARD; &GUESSORB whose
orbitals seed &RASSCF (9 electrons in 7 orbitals, 21 sextet roots averaged); &RASSI spin-orbit with
angular-momentum integrals; &SINGLE_ANISO on the 8 Kramers doublets of the J=15/2 multiplet, printing
their energies, g-tensors and the crystal-field parameters B(k,q).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gauss_core.errors import GaussError

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
                                   "gauss_core.kd.molcas_input.ATOMIC_NUMBER") from None

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


DONOR_VDZP = "donor-VDZP"      # ligand_basis value: VDZP on the two axial donor atoms, MB elsewhere
# ligand_basis value: VDZP on Dy's whole first shell (the two axial donors, the five water O) and the H atoms
# bonded to them, MB elsewhere. donor-VDZP alone is unbalanced: on methoxide it moves the first gap by -5 % where
# VDZP on every ligand atom moves it by 0 % (docs/casscf.md, basis study).
SHELL_VDZP = "shell-VDZP"
PER_ATOM_BASES = (DONOR_VDZP, SHELL_VDZP)
DONOR_MAX_DISTANCE_A = 3.3     # a Dy-donor bond; the equatorial water O sit at ~2.4 A
X_H_BOND_A = 1.15              # an O-H / N-H bond


def per_atom_basis(name: str) -> str | None:
    """The per-atom ligand basis (DONOR_VDZP or SHELL_VDZP) that `name` spells, any case; None for a plain one."""
    return next((b for b in PER_ATOM_BASES if b.lower() == name.lower()), None)


def inactive_orbitals(structure: XyzStructure) -> int:
    """Doubly occupied orbitals below the (9,7) active space of the complex."""
    n_el = structure.n_electrons()
    n_inactive, rem = divmod(n_el - N_4F_ELECTRONS, 2)
    if rem:
        raise MolcasInputError(f"{n_el} electrons with charge {structure.charge}: Dy(III) 4f9 needs an odd "
                               "total; check the complex charge")
    return n_inactive


def axial_donor_indices(structure: XyzStructure) -> tuple[int, int]:
    """Indices of the two axial donor atoms: of the heavy atoms within DONOR_MAX_DISTANCE_A of Dy, the pair
    whose X-Dy-X angle is closest to 180 deg (in the pentagonal bipyramid the equatorial pairs sit at 72
    or 144 deg), so no ligand chemistry is needed to tell a donor from a water oxygen."""
    i_dy = structure.symbols.index("Dy")
    dy = structure.coords[i_dy]
    vecs = {i: tuple(c[k] - dy[k] for k in range(3)) for i, c in enumerate(structure.coords)
            if i != i_dy and structure.symbols[i] != "H"}
    near = {i: v for i, v in vecs.items() if sum(x * x for x in v) ** 0.5 <= DONOR_MAX_DISTANCE_A}
    best, best_cos = None, 1.0
    for a in near:
        for b in near:
            if a < b:
                va, vb = near[a], near[b]
                cos = sum(x * y for x, y in zip(va, vb, strict=True)) / (
                    sum(x * x for x in va) ** 0.5 * sum(x * x for x in vb) ** 0.5)
                if cos < best_cos:
                    best, best_cos = (a, b), cos
    if best is None or best_cos > -0.9:  # no pair within ~25 deg of linear
        raise MolcasInputError(f"no trans pair of donor atoms within {DONOR_MAX_DISTANCE_A} A of Dy; "
                               f"ligand_basis={DONOR_VDZP!r} needs an axial [Dy(H2O)5L2]+ geometry")
    return best


START_ORBITALS = ("guessorb-4f", "guessorb")


@dataclass(frozen=True)
class MolcasCasscfConfig:
    """Settings of the OpenMolcas CASSCF(9,7)+SO calculation.

    dy_basis / ligand_basis: ANO-RCC contractions. The default, Dy VDZP and every other atom VDZP, is 2.0-8.9 %
    off the largest basis tried (Dy VTZP, 4 complexes; first gap 2.0-5.7 %) in the basis study
    (docs/casscf.md); ligands MB is ~4-13x cheaper but moves a neutral donor's first gap by up to 10x.
    ligand_basis DONOR_VDZP puts ANO-RCC-VDZP on the two axial donor atoms only and ANO-RCC-MB on every other
    non-Dy atom (waters included); SHELL_VDZP puts it on all seven first-shell donor atoms and the H atoms
    bonded to them (the waters whole) and MB elsewhere.
    """

    dy_basis: str = "ANO-RCC-VDZP"
    ligand_basis: str = "ANO-RCC-VDZP"
    n_roots: int = N_SEXTET_ROOTS
    memory_mb: int = 2000
    rasscf_max_iter: int = 200
    magnetism: bool = False       # SINGLE_ANISO susceptibility/magnetisation (slow); off for labels
    # Cholesky threshold of the on-the-fly acCD auxiliary basis. 1e-3 instead of OpenMolcas's 1e-4: methoxide
    # (Dy VDZP, ligands MB) user CPU 126 -> 108 s, first gap 579.7 -> 580.0 cm-1, gap 7 1503.2 -> 1503.9
    # (docs/casscf.md). Full Cholesky without RICD was tried too: 268 s, same gaps within 1.3 cm-1.
    cd_threshold: float = 1e-3
    # "guessorb-4f": GUESSORB, then the seven most Dy-4f-like orbitals swapped into the active window before
    # RASSCF (two pymolcas runs, kd.molcas_orbitals): same result, 18 instead of 40 RASSCF iterations on a
    # neutral-O complex. "guessorb": one run straight from GUESSORB, as before.
    start_orbitals: str = "guessorb-4f"

    def validate(self) -> None:
        for name in (self.dy_basis, self.ligand_basis):
            if name is self.ligand_basis and per_atom_basis(name):
                continue
            if not re.fullmatch(r"ANO-RCC-(MB|VDZ|VDZP|VTZP|VQZP)", name, re.IGNORECASE):
                raise MolcasInputError(f"basis {name!r} is not an ANO-RCC contraction; use one of "
                                       f"ANO-RCC-MB, -VDZ, -VDZP, -VTZP, -VQZP (ligands also "
                                       f"{' or '.join(map(repr, PER_ATOM_BASES))})")
        if not 1 <= self.n_roots <= N_SEXTET_ROOTS:
            raise MolcasInputError(f"n_roots={self.n_roots}: a 4f9 sextet has 1..21 roots")
        if not 1e-8 <= self.cd_threshold <= 1e-2:
            raise MolcasInputError(f"cd_threshold={self.cd_threshold:g}: give a value between 1e-8 and 1e-2 "
                                   "(OpenMolcas's own default is 1e-4)")
        if self.start_orbitals not in START_ORBITALS:
            raise MolcasInputError(f"start_orbitals={self.start_orbitals!r}: choose one of {', '.join(START_ORBITALS)}")
        if self.memory_mb < 200:
            raise MolcasInputError(f"memory_mb={self.memory_mb} is too small; give at least 200")


STAGES = ("all", "guess", "casscf")


def write_molcas_input(structure: XyzStructure, config: MolcasCasscfConfig | None = None, stage: str = "all",
                       alter: str = "") -> str:
    """OpenMolcas input text for CASSCF(9,7) + RASSI-SO + SINGLE_ANISO on a mononuclear Dy(III) complex.

    Args:
        structure: the complex, Dy anywhere (angular momentum is taken about the Dy nucleus).
        config: basis sets and roots.
        stage: "all" (one run), or the two halves of a run that picks its starting orbitals in between:
            "guess" (GATEWAY, SEWARD, GUESSORB) and "casscf" (RASSCF from the GUESSORB orbitals, RASSI,
            SINGLE_ANISO; same project and WorkDir, so the integrals are reused).
        alter: a RASSCF ALTEr line (kd.molcas_orbitals.alter_keyword) for stage "casscf" or "all".
    Returns:
        The input file text.
    """
    if stage not in STAGES:
        raise MolcasInputError(f"stage {stage!r}: choose one of {', '.join(STAGES)}")
    config = config or MolcasCasscfConfig()
    config.validate()
    if structure.symbols.count("Dy") != 1:
        raise MolcasInputError(f"need exactly one Dy atom, got {structure.symbols.count('Dy')}; this "
                               "recipe is for mononuclear Dy(III) complexes")
    n_inactive = inactive_orbitals(structure)
    i_dy = structure.symbols.index("Dy")
    dy = structure.coords[i_dy]
    lines = [f"* {structure.title or 'Dy(III) complex'}: CASSCF(9,7)+SO, written by GAUSS Studio", "&GATEWAY"]
    if per_atom_basis(config.ligand_basis):
        lines += per_atom_basis_blocks(structure, config.dy_basis,
                                       whole_shell=per_atom_basis(config.ligand_basis) == SHELL_VDZP)
    else:
        lines += ["  Coord", f"  {len(structure.symbols)}", "  Angstrom"]
        for sym, (x, y, z) in zip(structure.symbols, structure.coords, strict=False):
            lines.append(f"  {sym:<2s} {x:14.8f} {y:14.8f} {z:14.8f}")
        # One default for the ligand atoms plus the Dy override keeps the line short: OpenMolcas cuts a long
        # per-element list near 90 characters, and a cut label (e.g. "O.ANO-R") silently means the full,
        # uncontracted-size basis (seen: 541 instead of ~200 functions, and hours of RASSCF).
        lines.append(f"  Basis = {config.ligand_basis}, Dy.{config.dy_basis}")
        lines.append("  Group = NoSym")  # XYZ-path keyword; the native blocks are C1 already and refuse it
    lines += ["  RICD", "  CDThreshold = " + f"{config.cd_threshold:.1e}".replace("e", "d"), "  AMFI",
              f"  ANGM = {dy[0]:.8f} {dy[1]:.8f} {dy[2]:.8f} Angstrom",
              "&SEWARD",
              "&GUESSORB"]
    guess = lines
    lines = [f"* {structure.title or 'Dy(III) complex'}: CASSCF(9,7)+SO from the GUESSORB orbitals"] \
        if stage == "casscf" else []
    lines += [">> COPY $Project.GssOrb INPORB",
              "&RASSCF",
              "  LUMORB",
              *([alter] if alter else []),
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
    if stage == "guess":
        return "\n".join(guess) + "\n"
    return "\n".join(lines if stage == "casscf" else guess + lines) + "\n"


def first_shell_indices(structure: XyzStructure) -> set[int]:
    """Dy's first coordination shell: the heavy atoms within DONOR_MAX_DISTANCE_A of Dy (the two axial donors
    and the five water O) and the H atoms bonded to them (the water H, an N-H or O-H of a donor)."""
    i_dy = structure.symbols.index("Dy")

    def dist(a: int, b: int) -> float:
        return sum((structure.coords[a][k] - structure.coords[b][k]) ** 2 for k in range(3)) ** 0.5

    shell = {i for i, sym in enumerate(structure.symbols)
             if i != i_dy and sym != "H" and dist(i, i_dy) <= DONOR_MAX_DISTANCE_A}
    hydrogens = {i for i, sym in enumerate(structure.symbols)
                 if sym == "H" and any(dist(i, j) <= X_H_BOND_A for j in shell)}
    return shell | hydrogens


def per_atom_basis_blocks(structure: XyzStructure, dy_basis: str, whole_shell: bool = False) -> list[str]:
    """Native &GATEWAY "Basis set" blocks: one block per (element, contraction), each atom under a unique
    label (element + 1-based index), so the two axial donors (whole_shell: Dy's whole first shell, see
    first_shell_indices) get ANO-RCC-VDZP and the rest ANO-RCC-MB.

    Args:
        structure: the complex (one Dy, an axial donor pair).
        dy_basis: Dy's contraction.
        whole_shell: VDZP on the first shell (SHELL_VDZP) instead of the axial donors only (DONOR_VDZP).
    Returns:
        Input lines, to follow "&GATEWAY".
    """
    axial = set(axial_donor_indices(structure))  # also checks the geometry is an axial complex
    donors = first_shell_indices(structure) | axial if whole_shell else axial
    groups: dict[tuple[str, str], list[int]] = {}
    for i, sym in enumerate(structure.symbols):
        basis = dy_basis if sym == "Dy" else "ANO-RCC-VDZP" if i in donors else "ANO-RCC-MB"
        groups.setdefault((sym, basis), []).append(i)
    lines = []
    for (sym, basis), atoms in groups.items():
        lines += ["  Basis set", f"  {sym}.{basis}"]
        for i in atoms:
            x, y, z = structure.coords[i]
            lines.append(f"  {sym}{i + 1:<5d} {x:14.8f} {y:14.8f} {z:14.8f} Angstrom")
        lines.append("  End of basis")
    return lines


def read_xyz_structure(text: str) -> XyzStructure:
    """Parse XyzStructure.to_xyz text back (the comment line carries "charge=N")."""
    lines = text.strip().splitlines()
    try:
        n = int(lines[0])
        charge = int(lines[1].rsplit("charge=", 1)[1].split()[0])
        rows = [ln.split() for ln in lines[2:2 + n]]
        coords = [(float(r[1]), float(r[2]), float(r[3])) for r in rows]
    except (IndexError, ValueError):
        raise MolcasInputError("not an XYZ file written by GAUSS Studio (atom count, 'charge=N' comment, "
                               "symbol x y z rows); write it with XyzStructure.to_xyz") from None
    return XyzStructure([r[0] for r in rows], coords, charge, lines[1].rsplit("charge=", 1)[0].strip())
