"""The assembled complex: atoms, coordinates, which atoms are the metal and its seven donors, the bond
graph of each fragment, and the checks and flags attached on the way (build, relax)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

# Covalent radii (Angstrom, Cordero 2008) used to perceive bonds inside a fragment.
COVALENT_RADIUS = {"H": 0.31, "B": 0.84, "C": 0.76, "N": 0.71, "O": 0.66, "F": 0.57, "Si": 1.11, "P": 1.07,
                   "S": 1.05, "Cl": 1.02, "Br": 1.20, "I": 1.39, "Y": 1.90, "Dy": 1.92}
# Van der Waals radii (Angstrom, Bondi; H 1.10 after Rowland & Taylor) for the contact check.
VDW_RADIUS = {"H": 1.10, "B": 1.92, "C": 1.70, "N": 1.55, "O": 1.52, "F": 1.47, "Si": 2.10, "P": 1.80,
              "S": 1.80, "Cl": 1.75, "Br": 1.85, "I": 1.98, "Y": 2.19, "Dy": 2.29}

METAL = "Dy"
N_WATERS = 5
N_DONORS = 7
# Fragment ids: 0 the metal, 1..5 the waters, 6 and 7 the two axial ligands.
AXIAL_FRAGMENTS = (6, 7)


@dataclass
class Complex:
    """[Dy(H2O)5L2]^charge with its topology.

    Attributes:
        symbols: element symbols, one per atom.
        coords: (n, 3) Cartesian coordinates, Angstrom.
        charge: total charge = 3 + 2 * ligand charge.
        multiplicity: spin multiplicity of the Dy(III) complex (4f9, S = 5/2 -> 6).
        metal_index: index of Dy.
        donor_indices: the seven donors, five water O first (in ring order), then the two axial donors.
        fragment: fragment id per atom (0 metal, 1..5 waters, 6..7 axial ligands).
        bonds: (i, j, order) inside fragments, Kekule orders 1..3; metal-donor bonds are implied by
            donor_indices and not listed.
        formal_charges: formal charge per atom (the anionic donor carries -1).
        ligand_smiles: the axial ligand, donor atom first.
        ligand_charge: formal charge of one ligand (0 or -1).
        builder: "molsimplify" or "rdkit".
        geometry_provenance: what made the current coordinates ("molsimplify", "rdkit",
            "xtb-gfn2-constrained", "xtb-gfn2-bounded").
        flags: problems found (clash, chelation, lost donor, proton transfer, bent axis ...).
        checks: numbers measured by the checks (angle, shortest contact, ...).
        atomic_charges: partial charges per atom (e) or None; atomic_charges_provenance names their method.
    """

    symbols: list[str]
    coords: np.ndarray
    charge: int
    metal_index: int
    donor_indices: list[int]
    fragment: list[int]
    bonds: list[tuple[int, int, int]]
    formal_charges: list[int]
    ligand_smiles: str
    ligand_charge: int
    builder: str
    geometry_provenance: str
    multiplicity: int = 6
    flags: list[str] = field(default_factory=list)
    checks: dict[str, float] = field(default_factory=dict)
    atomic_charges: np.ndarray | None = None
    atomic_charges_provenance: str | None = None

    @property
    def n_atoms(self) -> int:
        return len(self.symbols)

    @property
    def water_o_indices(self) -> list[int]:
        return list(self.donor_indices[:N_WATERS])

    @property
    def axial_indices(self) -> list[int]:
        return list(self.donor_indices[N_WATERS:])

    @property
    def donor_element(self) -> str:
        return self.symbols[self.donor_indices[N_WATERS]]

    @property
    def formula(self) -> str:
        counts: dict[str, int] = {}
        for s in self.symbols:
            counts[s] = counts.get(s, 0) + 1
        order = ["C", "H"] + sorted(k for k in counts if k not in ("C", "H"))
        return "".join(f"{e}{counts[e] if counts[e] > 1 else ''}" for e in order if e in counts)

    def copy(self, **changes) -> Complex:
        """A deep-enough copy (new arrays and lists) with `changes` applied."""
        base = replace(self, coords=np.array(self.coords, dtype=float), flags=list(self.flags),
                       checks=dict(self.checks), donor_indices=list(self.donor_indices),
                       fragment=list(self.fragment), bonds=list(self.bonds),
                       formal_charges=list(self.formal_charges), symbols=list(self.symbols),
                       atomic_charges=None if self.atomic_charges is None else np.array(self.atomic_charges))
        return replace(base, **changes) if changes else base

    def fragment_atoms(self, frag_id: int) -> list[int]:
        return [i for i, f in enumerate(self.fragment) if f == frag_id]


def distance_matrix(coords: np.ndarray) -> np.ndarray:
    """All pairwise distances of an (n, 3) array."""
    diff = coords[:, None, :] - coords[None, :, :]
    return np.sqrt((diff ** 2).sum(-1))


def perceive_bonds(symbols: list[str], coords: np.ndarray, tolerance: float = 0.45) -> set[tuple[int, int]]:
    """Pairs (i < j) closer than the sum of covalent radii + `tolerance`, metal pairs excluded."""
    dist = distance_matrix(np.asarray(coords))
    rad = np.array([COVALENT_RADIUS.get(s, 1.5) for s in symbols])
    limit = rad[:, None] + rad[None, :] + tolerance
    pairs = set()
    n = len(symbols)
    for i in range(n):
        if symbols[i] in ("Dy", "Y"):
            continue
        for j in range(i + 1, n):
            if symbols[j] in ("Dy", "Y"):
                continue
            if dist[i, j] < limit[i, j]:
                pairs.add((i, j))
    return pairs
