"""Assemble the pentagonal-bipyramidal template [Dy(H2O)5L2]+ around one axial ligand L.

Two builders: molSimplify's legacy `startgen_pythonic` (what the paper used; geometry "pbp", the donor
given by 1-based `-smicat`, per-ligand Dy-L distances by `-MLbonds`) and an RDKit-only builder used
when molSimplify is missing or fails. Both produce the same atom order: Dy, five waters (O, H, H),
ligand 1, ligand 2, and the same topology, so everything downstream is builder-agnostic.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from dataclasses import dataclass

import numpy as np
from rdkit import Chem
from rdkit.Chem import rdDistGeom, rdForceFieldHelpers

from gauss_core.chem import mol_from_smiles
from gauss_core.complexes.checks import FLAG_NAMES, is_clean, run_checks
from gauss_core.complexes.structure import N_WATERS, Complex, perceive_bonds
from gauss_core.errors import GaussError, InvalidSmilesError
from gauss_core.modes import Builder
from gauss_core.proxies.structure import embed_parameters

BUILDERS = tuple(Builder)


class AssemblyError(GaussError):
    """A ligand that cannot be placed on the Dy template."""


@dataclass(frozen=True)
class TemplateDistances:
    """Dy-donor distances (Angstrom) used to build the template.

    Typical DFT values for Dy(III) pentagonal bipyramids: GFN2-xTB makes axial bonds 0.2 A too short,
    so these are also the distances the constrained relaxation keeps (see relax.py).
    """

    water_o: float = 2.40
    anionic_o: float = 2.15
    neutral_o: float = 2.30
    anionic_n: float = 2.30
    neutral_n: float = 2.50

    def axial(self, element: str, charge: int) -> float:
        if element == "O":
            return self.anionic_o if charge < 0 else self.neutral_o
        return self.anionic_n if charge < 0 else self.neutral_n


DISTANCES = TemplateDistances()
WATER_OH = 0.96
WATER_HOH_DEG = 105.0


@dataclass(frozen=True)
class LigandInfo:
    """What the template needs to know about L (parsed from its donor-first SMILES)."""

    smiles: str
    mol_h: Chem.Mol          # with explicit hydrogens, atom 0 = donor
    donor_element: str
    charge: int

    @property
    def ligand_class(self) -> int:
        """1 neutral O, 2 neutral N, 3 anionic O, 4 anionic N (columns.LIGAND_CLASS)."""
        from gauss_core.ligands.build import ligand_class

        return ligand_class(self.donor_element, self.charge)


def ligand_info(smiles: str) -> LigandInfo:
    """Parse a donor-first ligand SMILES and check it fits the template.

    Raises:
        InvalidSmilesError: unparsable SMILES.
        AssemblyError: donor (first atom) not O or N, or ligand charge not 0 or -1.
    """
    mol = mol_from_smiles(smiles)
    donor = mol.GetAtomWithIdx(0)
    element = donor.GetSymbol()
    if element not in ("O", "N"):
        raise AssemblyError(f"ligand {smiles!r} starts with {element}: write the SMILES donor-first, "
                            "starting with the O or N atom that binds Dy (e.g. [O-]C, not C[O-])")
    charge = Chem.GetFormalCharge(mol)
    if charge not in (0, -1):
        raise AssemblyError(f"ligand {smiles!r} has charge {charge}: the template takes neutral or "
                            "mono-anionic ligands only")
    if len(Chem.GetMolFrags(mol)) != 1:
        raise AssemblyError(f"ligand {smiles!r} has several fragments: give one molecule")
    return LigandInfo(smiles=smiles, mol_h=Chem.AddHs(mol), donor_element=element, charge=charge)


# ----------------------------------------------------------------------------- topology

def _water_topology(start: int, water_id: int):
    o, h1, h2 = start, start + 1, start + 2
    return [o, h1, h2], [water_id] * 3, [(o, h1, 1), (o, h2, 1)]


def _ligand_bonds(mol_h: Chem.Mol, order: list[int], offset: int) -> list[tuple[int, int, int]]:
    """Bonds of `mol_h` (Kekule orders) in complex numbering; order[k] = RDKit index of atom offset+k."""
    kek = Chem.Mol(mol_h)
    Chem.Kekulize(kek, clearAromaticFlags=True)
    position = {rd: offset + k for k, rd in enumerate(order)}
    bonds = []
    for b in kek.GetBonds():
        i, j = position[b.GetBeginAtomIdx()], position[b.GetEndAtomIdx()]
        bonds.append((min(i, j), max(i, j), int(round(b.GetBondTypeAsDouble()))))
    return bonds


def _make_complex(symbols, coords, info: LigandInfo, orders: list[list[int]], builder: str) -> Complex:
    """Complex from coordinates in template order; orders[l] maps ligand l's atoms to RDKit indices."""
    fragment = [0]
    bonds: list[tuple[int, int, int]] = []
    formal = [3]
    donors = []
    pos = 1
    for w in range(N_WATERS):
        _, frag, wb = _water_topology(pos, w + 1)
        fragment += frag
        bonds += wb
        formal += [0, 0, 0]
        donors.append(pos)
        pos += 3
    n_lig = info.mol_h.GetNumAtoms()
    for lig in range(2):
        order = orders[lig]
        fragment += [6 + lig] * n_lig
        bonds += _ligand_bonds(info.mol_h, order, pos)
        formal += [info.mol_h.GetAtomWithIdx(rd).GetFormalCharge() for rd in order]
        donors.append(pos + order.index(0))
        pos += n_lig
    cx = Complex(symbols=list(symbols), coords=np.asarray(coords, dtype=float), charge=3 + 2 * info.charge,
                 metal_index=0, donor_indices=donors, fragment=fragment, bonds=bonds, formal_charges=formal,
                 ligand_smiles=info.smiles, ligand_charge=info.charge, builder=builder,
                 geometry_provenance=builder)
    return run_checks(cx)


# ----------------------------------------------------------------------------- molSimplify builder

def _match_fragment(info: LigandInfo, symbols: list[str], coords: np.ndarray) -> list[int]:
    """RDKit atom index for each atom of a ligand fragment, matched on the bond graph (orders ignored).

    Raises:
        AssemblyError: the fragment is not the ligand (molSimplify changed it).
    """
    def bare(mol: Chem.Mol) -> Chem.RWMol:
        rw = Chem.RWMol(mol)
        for a in rw.GetAtoms():
            a.SetFormalCharge(0)
            a.SetNumRadicalElectrons(0)  # compared by the matcher; e.g. RDKit gives [N-]C(=O)C's N a radical
            a.SetIsAromatic(False)
            a.SetNoImplicit(True)
            a.SetNumExplicitHs(0)
        for b in rw.GetBonds():
            b.SetBondType(Chem.BondType.SINGLE)
            b.SetIsAromatic(False)
        rw.UpdatePropertyCache(strict=False)
        Chem.FastFindRings(rw)
        return rw

    frag = Chem.RWMol()
    for s in symbols:
        atom = Chem.Atom(s)
        atom.SetNoImplicit(True)
        frag.AddAtom(atom)
    for i, j in perceive_bonds(symbols, coords):
        frag.AddBond(int(i), int(j), Chem.BondType.SINGLE)
    frag.UpdatePropertyCache(strict=False)
    Chem.FastFindRings(frag)
    template = bare(info.mol_h)
    # Strained small rings put 1,3 atoms within the bond cutoff, so the perceived graph may have extra
    # edges; the SMILES graph must embed in it (same atoms), which is what the mapping needs.
    if frag.GetNumAtoms() != template.GetNumAtoms() or frag.GetNumBonds() < template.GetNumBonds():
        raise AssemblyError("molSimplify returned a ligand with a different bond graph")
    match = frag.GetSubstructMatch(template)  # match[rd_index] = fragment index
    if not match:
        raise AssemblyError("molSimplify ligand does not match the SMILES graph")
    order = [0] * len(match)
    for rd, fi in enumerate(match):
        order[fi] = rd
    return order


def build_molsimplify(info: LigandInfo) -> Complex:
    """Template from molSimplify's legacy builder (geometry pbp, smicat 1 = the donor, -MLbonds).

    Raises:
        AssemblyError: molSimplify is missing, reports an error, or returns something unexpected.
    """
    saved = np.geterr()
    try:
        return _build_molsimplify(info)
    finally:
        # molSimplify's structgen module sets numpy to raise on every underflow, process-wide, when imported:
        # a later GP fit (the KD surrogate) or PySCF screening in the same process then fails
        np.seterr(**saved)


def _build_molsimplify(info: LigandInfo) -> Complex:
    try:
        from molSimplify.Scripts.generator import startgen_pythonic
    except Exception as exc:  # broken optional install must not break the RDKit path
        raise AssemblyError(f"molSimplify is not usable ({exc}); use builder='rdkit'") from None
    with contextlib.suppress(Exception):  # Open Babel's C++ warnings would go straight to stderr
        from openbabel import openbabel as ob
        ob.obErrorLog.SetOutputLevel(0)
    r_ax = DISTANCES.axial(info.donor_element, info.charge)
    input_dict = {
        "-core": "dy", "-geometry": "pbp", "-coord": "7", "-oxstate": "3", "-spin": "6",
        "-lig": ",".join(["water"] * N_WATERS + [info.smiles, info.smiles]),
        "-ligocc": ",".join(["1"] * 7),
        "-smicat": "[1],[1]",
        "-MLbonds": ",".join([f"{DISTANCES.water_o:.3f}"] * N_WATERS + [f"{r_ax:.3f}"] * 2),
        "-skipANN": "True", "-ffoption": "N", "-keepHs": ",".join(["yes"] * 7),
    }
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="gauss-ms-") as tmp:
        input_dict["-rundir"] = tmp
        sink = io.StringIO()
        try:
            os.chdir(tmp)  # molSimplify writes a Runs/ folder into the working directory
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                _, emsg, diag = startgen_pythonic(input_dict, flag=False, write=False)
        except Exception as exc:
            raise AssemblyError(f"molSimplify failed on {info.smiles!r}: {exc}") from None
        finally:
            os.chdir(cwd)
    if emsg:
        raise AssemblyError(f"molSimplify failed on {info.smiles!r}: {emsg}")
    mol3d = diag.mol
    symbols = [a.sym for a in mol3d.atoms]
    coords = np.array([a.coords() for a in mol3d.atoms], dtype=float)
    n_lig = info.mol_h.GetNumAtoms()
    expected = 1 + 3 * N_WATERS + 2 * n_lig
    if len(symbols) != expected or symbols[0] != "Dy":
        raise AssemblyError(f"molSimplify returned {len(symbols)} atoms for {info.smiles!r}, expected {expected}")
    for w in range(N_WATERS):
        if symbols[1 + 3 * w: 4 + 3 * w] != ["O", "H", "H"]:
            raise AssemblyError("molSimplify water order is not O, H, H")
    orders = []
    start = 1 + 3 * N_WATERS
    for lig in range(2):
        sl = slice(start + lig * n_lig, start + (lig + 1) * n_lig)
        orders.append(_match_fragment(info, symbols[sl], coords[sl]))
    return _make_complex(symbols, coords, info, orders, "molsimplify")


# ----------------------------------------------------------------------------- RDKit builder

def _rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rotation matrix taking unit vector a onto unit vector b."""
    a = a / np.linalg.norm(a)
    b = b / np.linalg.norm(b)
    v = np.cross(a, b)
    c = float(np.dot(a, b))
    if np.linalg.norm(v) < 1e-9:
        if c > 0:
            return np.eye(3)
        perp = np.array([1.0, 0, 0]) if abs(a[0]) < 0.9 else np.array([0, 1.0, 0])
        v = np.cross(a, perp)
        v /= np.linalg.norm(v)
        return 2 * np.outer(v, v) - np.eye(3)
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx * (1 / (1 + c))


def _rot_z(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])


def water_ring(r_o: float = DISTANCES.water_o) -> tuple[list[str], np.ndarray]:
    """Five waters in the xy plane at 72 degree steps, H atoms above/below the plane (H-O-H 105 deg)."""
    symbols, coords = [], []
    half = np.radians(WATER_HOH_DEG / 2)
    for k in range(N_WATERS):
        phi = np.radians(72.0 * k)
        radial = np.array([np.cos(phi), np.sin(phi), 0.0])
        o = r_o * radial
        h1 = o + WATER_OH * (np.cos(half) * radial + np.sin(half) * np.array([0, 0, 1.0]))
        h2 = o + WATER_OH * (np.cos(half) * radial - np.sin(half) * np.array([0, 0, 1.0]))
        symbols += ["O", "H", "H"]
        coords += [o, h1, h2]
    return symbols, np.array(coords)


def _ligand_conformers(info: LigandInfo, n_conf: int, seed: int) -> list[np.ndarray]:
    mol = Chem.Mol(info.mol_h)
    params = embed_parameters(rdDistGeom.ETKDGv3, randomSeed=seed)
    ids = list(rdDistGeom.EmbedMultipleConfs(mol, numConfs=n_conf, params=params))
    if not ids:
        params = embed_parameters(rdDistGeom.ETKDGv3, randomSeed=seed, useRandomCoords=True)
        ids = list(rdDistGeom.EmbedMultipleConfs(mol, numConfs=n_conf, params=params))
    if not ids:
        raise AssemblyError(f"RDKit cannot embed {info.smiles!r} in 3D; check the structure")
    with contextlib.suppress(Exception):
        rdForceFieldHelpers.MMFFOptimizeMoleculeConfs(mol, maxIters=200)
    return [mol.GetConformer(i).GetPositions() for i in ids]


def _orient(lig: np.ndarray, info: LigandInfo, r_ax: float, up: bool) -> np.ndarray:
    """Put the donor on the z axis at +-r_ax with its substituents pointing away from Dy."""
    donor = lig[0]
    nbrs = [a.GetIdx() for a in info.mol_h.GetAtomWithIdx(0).GetNeighbors()]
    away = (lig[nbrs] - donor).sum(0) if nbrs else np.array([0, 0, 1.0])
    if np.linalg.norm(away) < 1e-6:  # symmetric donor: any direction will do
        away = lig[nbrs[0]] - donor
    target = np.array([0, 0, 1.0 if up else -1.0])
    rot = _rotation_between(away, target)
    return (lig - donor) @ rot.T + target * r_ax


def _min_dist(a: np.ndarray, b: np.ndarray) -> float:
    if not len(a) or not len(b):  # a lone donor atom has nothing that could clash
        return float("inf")
    return float(np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)).min())


def _place_pair(confs: list[np.ndarray], info: LigandInfo, r_ax: float, w_coords: np.ndarray) -> list[np.ndarray]:
    """Both axial ligands, each the conformer and rotation about the axis with the largest clearance from the
    waters and from the ligand placed before it."""
    angles = np.radians(np.arange(0, 360, 10))
    placed: list[np.ndarray] = []
    for up in (True, False):
        best: np.ndarray | None = None
        best_d = -1.0
        env = np.vstack([w_coords] + placed)
        for conf in confs:
            base = _orient(conf, info, r_ax, up)
            for ang in angles:
                cand = base @ _rot_z(ang).T
                d = _min_dist(cand[1:], env)  # donor itself is excluded (it sits at the template spot)
                if d > best_d:
                    best, best_d = cand, d
        assert best is not None  # confs holds at least one conformer
        placed.append(best)
    return placed


def _rdkit_complex(info: LigandInfo, placed: list[np.ndarray], w_symbols: list[str], w_coords: np.ndarray,
                   builder: str) -> Complex:
    symbols = ["Dy"] + w_symbols + [a.GetSymbol() for a in info.mol_h.GetAtoms()] * 2
    coords = np.vstack([np.zeros((1, 3)), w_coords] + placed)
    identity = list(range(info.mol_h.GetNumAtoms()))
    return _make_complex(symbols, coords, info, [identity, identity], builder)


def build_rdkit(info: LigandInfo, n_conformers: int = 6, seed: int = 7) -> Complex:
    """Template from RDKit alone: ETKDG ligand conformers placed on the axis, rotated about it and
    picked for the largest clearance from the waters and from each other."""
    r_ax = DISTANCES.axial(info.donor_element, info.charge)
    w_symbols, w_coords = water_ring()
    confs = _ligand_conformers(info, n_conformers, seed)
    return _rdkit_complex(info, _place_pair(confs, info, r_ax, w_coords), w_symbols, w_coords, "rdkit")


def rdkit_candidates(info: LigandInfo, n_conformers: int = 8, seed: int = 7) -> list[Complex]:
    """One template per ETKDG ligand conformer (both ligands that conformer, each rotated for clearance):
    the candidates an energy-based conformer choice ranks (complexes/conformers.py)."""
    r_ax = DISTANCES.axial(info.donor_element, info.charge)
    w_symbols, w_coords = water_ring()
    return [_rdkit_complex(info, _place_pair([conf], info, r_ax, w_coords), w_symbols, w_coords, "rdkit")
            for conf in _ligand_conformers(info, n_conformers, seed)]


def assemble(smiles: str, builder: str = "auto") -> Complex:
    """Build [Dy(H2O)5L2]^(3+2q) for a donor-first ligand SMILES and check it.

    Args:
        smiles: the axial ligand, donor (O or N) first, e.g. "[O-]C" or "n1ccccc1".
        builder: "auto" (molSimplify; RDKit if molSimplify fails, or if molSimplify's build is flagged
            and the RDKit build has fewer flags), "molsimplify", "rdkit" or "search" (the lowest-energy of
            8 seeded RDKit conformers, GFN-FF then GFN2; needs xtb; complexes/conformers.py).
    Returns:
        Complex with checks and flags filled (a clash is flagged, not hidden).
    Raises:
        InvalidSmilesError / AssemblyError naming the problem.
    """
    if builder not in BUILDERS:
        raise AssemblyError(f"unknown builder {builder!r}: choose one of {', '.join(BUILDERS)}")
    info = ligand_info(smiles)
    if builder == "rdkit":
        return build_rdkit(info)
    if builder == Builder.SEARCH:  # needs xtb; imported here because conformers.py builds on this module
        from gauss_core.complexes.conformers import lowest_energy_build

        return lowest_energy_build(info)
    try:
        cx = build_molsimplify(info)
    except (AssemblyError, InvalidSmilesError) as exc:
        if builder == "molsimplify":
            raise
        cx = build_rdkit(info)
        cx.flags.append(f"molsimplify-failed: {exc}; built with RDKit instead")
        return cx
    if builder == "auto" and not is_clean(cx):
        # molSimplify's Open Babel conformers of strained polycycles can be distorted (atoms on the
        # metal, H-H 0.8 A); take the RDKit build when it has fewer structural flags.
        alt = build_rdkit(info)
        if len(_structural(alt)) < len(_structural(cx)):
            alt.flags.append("molsimplify-flagged: " + "; ".join(f.split(":")[0] for f in _structural(cx))
                             + "; built with RDKit instead")
            return alt
    return cx


def _structural(cx: Complex) -> list[str]:
    return [f for f in cx.flags if f.startswith(FLAG_NAMES)]
