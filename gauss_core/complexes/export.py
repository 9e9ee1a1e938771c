"""Export a complex as XYZ, MOL2 or SDF text. Every file names the geometry's provenance and flags."""

from __future__ import annotations

import numpy as np
from rdkit import Chem
from rdkit.Geometry import Point3D

from gauss_core.complexes.structure import Complex
from gauss_core.errors import GaussError

FORMATS = ("xyz", "mol2", "sdf")


def _title(cx: Complex) -> str:
    flags = "; ".join(cx.flags) if cx.flags else "none"
    return (f"[Dy(H2O)5L2]{cx.charge:+d} L={cx.ligand_smiles} charge={cx.charge} mult={cx.multiplicity} "
            f"geometry={cx.geometry_provenance} builder={cx.builder} flags={flags}")


def to_xyz(cx: Complex) -> str:
    """XYZ text; the comment line carries charge, multiplicity, provenance and flags."""
    lines = [str(cx.n_atoms), _title(cx).replace("\n", " ")]
    for s, (x, y, z) in zip(cx.symbols, cx.coords, strict=True):
        lines.append(f"{s:<2s} {x:14.8f} {y:14.8f} {z:14.8f}")
    return "\n".join(lines) + "\n"


def to_rdkit(cx: Complex) -> Chem.Mol:
    """RDKit molecule of the complex: fragment bonds with their orders, Dy-donor bonds as dative bonds."""
    rw = Chem.RWMol()
    for s, q in zip(cx.symbols, cx.formal_charges, strict=True):
        atom = Chem.Atom(s)
        atom.SetFormalCharge(int(q))
        atom.SetNoImplicit(True)
        rw.AddAtom(atom)
    kinds = {1: Chem.BondType.SINGLE, 2: Chem.BondType.DOUBLE, 3: Chem.BondType.TRIPLE}
    for i, j, order in cx.bonds:
        rw.AddBond(int(i), int(j), kinds[order])
    for d in cx.donor_indices:
        rw.AddBond(int(d), int(cx.metal_index), Chem.BondType.DATIVE)
    mol = rw.GetMol()
    mol.UpdatePropertyCache(strict=False)
    conf = Chem.Conformer(cx.n_atoms)
    for i, (x, y, z) in enumerate(np.asarray(cx.coords, dtype=float)):
        conf.SetAtomPosition(i, Point3D(float(x), float(y), float(z)))
    conf.Set3D(True)
    mol.AddConformer(conf, assignId=True)
    mol.SetProp("_Name", f"[Dy(H2O)5L2]{cx.charge:+d} L={cx.ligand_smiles}")
    mol.SetProp("ligand_smiles", cx.ligand_smiles)
    mol.SetProp("total_charge", str(cx.charge))
    mol.SetProp("multiplicity", str(cx.multiplicity))
    mol.SetProp("geometry_provenance", cx.geometry_provenance)
    mol.SetProp("builder", cx.builder)
    mol.SetProp("flags", "; ".join(cx.flags) if cx.flags else "none")
    return mol


def to_sdf(cx: Complex) -> str:
    """SDF (V3000, which keeps the Dy-donor bonds as dative bonds) with provenance as data fields."""
    mol = to_rdkit(cx)
    block = Chem.MolToMolBlock(mol, forceV3000=True, kekulize=False)
    props = [f">  <{k}>\n{mol.GetProp(k)}\n" for k in
             ("ligand_smiles", "total_charge", "multiplicity", "geometry_provenance", "builder", "flags")]
    return block + "\n".join(props) + "\n$$$$\n"


def _sybyl_type(mol: Chem.Mol, idx: int) -> str:
    atom = mol.GetAtomWithIdx(idx)
    s = atom.GetSymbol()
    if s in ("H", "Dy", "Y", "F", "Cl", "Br", "I"):
        return s
    if s not in ("C", "N", "O", "S", "P"):
        return s
    if atom.GetIsAromatic():
        return f"{s}.ar"
    hyb = atom.GetHybridization()
    if s == "O" and not any(b.GetBondType() == Chem.BondType.DOUBLE for b in atom.GetBonds()):
        return "O.3"
    if hyb == Chem.HybridizationType.SP:
        return f"{s}.1"
    if hyb == Chem.HybridizationType.SP2 or any(b.GetBondType() == Chem.BondType.DOUBLE for b in atom.GetBonds()):
        return f"{s}.2"
    return f"{s}.3"


def to_mol2(cx: Complex) -> str:
    """Tripos MOL2; SYBYL atom types from RDKit perception of the ligand, Dy-donor bonds as single bonds."""
    mol = to_rdkit(cx)
    lig = Chem.RWMol(mol)
    for b in list(lig.GetBonds()):
        if b.GetBondType() == Chem.BondType.DATIVE:
            lig.RemoveBond(b.GetBeginAtomIdx(), b.GetEndAtomIdx())
    lig = lig.GetMol()
    try:
        Chem.SanitizeMol(lig)
    except Exception:  # unusual valence: plain element types are still a valid MOL2
        lig.UpdatePropertyCache(strict=False)
    charges = cx.atomic_charges if cx.atomic_charges is not None else np.zeros(cx.n_atoms)
    bonds = [(i, j, str(o)) for i, j, o in cx.bonds]
    bonds += [(cx.metal_index, d, "1") for d in cx.donor_indices]
    for k, (i, j, _) in enumerate(bonds):
        if lig.GetBondBetweenAtoms(int(i), int(j)) is not None and \
                lig.GetBondBetweenAtoms(int(i), int(j)).GetIsAromatic():
            bonds[k] = (i, j, "ar")
    out = ["@<TRIPOS>MOLECULE", _title(cx), f"{cx.n_atoms} {len(bonds)} {max(cx.fragment) + 1} 0 0", "SMALL",
           "USER_CHARGES" if cx.atomic_charges is not None else "NO_CHARGES", "", "@<TRIPOS>ATOM"]
    names = {0: "DY", 6: "LG1", 7: "LG2"}
    for i, (s, (x, y, z)) in enumerate(zip(cx.symbols, cx.coords, strict=True)):
        frag = cx.fragment[i]
        resname = names.get(frag, "HOH")
        out.append(f"{i + 1:6d} {s}{i + 1:<5d} {x:11.5f} {y:11.5f} {z:11.5f} {_sybyl_type(lig, i):<6s}"
                   f" {frag + 1:3d} {resname}{frag + 1:<3d} {charges[i]:9.5f}")
    out.append("@<TRIPOS>BOND")
    for k, (i, j, o) in enumerate(bonds):
        out.append(f"{k + 1:6d} {i + 1:5d} {j + 1:5d} {o}")
    return "\n".join(out) + "\n"


def export(cx: Complex, fmt: str) -> str:
    """Text of `cx` in format `fmt` ("xyz", "mol2" or "sdf")."""
    writers = {"xyz": to_xyz, "mol2": to_mol2, "sdf": to_sdf}
    if fmt not in writers:
        raise GaussError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    return writers[fmt](cx)
