"""Export a complex as XYZ, MOL2 or SDF text. Every file names the geometry's provenance and flags."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from rdkit import Chem
from rdkit.Geometry import Point3D

from gauss_core.complexes.structure import Complex
from gauss_core.errors import GaussError
from gauss_core.modes import ExportFormat

FORMATS = tuple(ExportFormat)


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


def to_rdkit(cx: Complex, metal_bonds: bool = True) -> Chem.Mol:
    """RDKit molecule of the complex: fragment bonds with their orders, Dy-donor bonds as dative bonds
    (left out with metal_bonds=False: V2000 has no dative bond type)."""
    rw = Chem.RWMol()
    for s, q in zip(cx.symbols, cx.formal_charges, strict=True):
        atom = Chem.Atom(s)
        atom.SetFormalCharge(int(q))
        atom.SetNoImplicit(True)
        rw.AddAtom(atom)
    kinds = {1: Chem.BondType.SINGLE, 2: Chem.BondType.DOUBLE, 3: Chem.BondType.TRIPLE}
    for i, j, order in cx.bonds:
        rw.AddBond(int(i), int(j), kinds[order])
    if metal_bonds:
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


def sdf_record(mol: Chem.Mol, fields: Sequence[str], v3000: bool = True) -> str:
    """One SDF record ($$$$-terminated) of `mol`: its mol block and the named properties as data fields.

    The one SDF writer of the project (complex files and the 3-D viewer's record)."""
    block = Chem.MolToMolBlock(mol, forceV3000=v3000, kekulize=False)
    return block + "".join(f">  <{k}>\n{mol.GetProp(k)}\n\n" for k in fields) + "$$$$\n"


def to_sdf(cx: Complex) -> str:
    """SDF (V3000, which keeps the Dy-donor bonds as dative bonds) with provenance as data fields."""
    return sdf_record(to_rdkit(cx), ("ligand_smiles", "total_charge", "multiplicity", "geometry_provenance",
                                     "builder", "flags"))


def to_mol2(cx: Complex) -> str:
    """Tripos MOL2 written by Open Babel, Dy-donor bonds as single bonds, residues DY / HOH / LG1 / LG2.

    SYBYL types are Open Babel's (note: it types every O(-) as O.co2); aromaticity is perceived on the
    ligands before the metal bonds are added, which would otherwise hide it. Partial charges are the
    complex's own (USER_CHARGES) or zeros (NO_CHARGES), never Open Babel's Gasteiger ones.
    """
    from openbabel import openbabel as ob

    conv = ob.OBConversion()
    conv.SetInAndOutFormats("mol", "mol2")
    mol = ob.OBMol()
    if not conv.ReadString(mol, Chem.MolToMolBlock(to_rdkit(cx, metal_bonds=False), kekulize=False)):
        raise GaussError(f"Open Babel could not read the complex of {cx.ligand_smiles!r}")
    for atom in ob.OBMolAtomIter(mol):
        atom.IsAromatic()  # perceive aromaticity now, on the ligands alone
    for d in cx.donor_indices:
        mol.AddBond(int(cx.metal_index) + 1, int(d) + 1, 1)
    ob.OBAtomTyper().AssignTypes(mol)
    charges = cx.atomic_charges if cx.atomic_charges is not None else np.zeros(cx.n_atoms)
    names = {0: "DY", 6: "LG1", 7: "LG2"}
    residues: dict[int, ob.OBResidue] = {}
    for i, atom in enumerate(ob.OBMolAtomIter(mol)):
        atom.SetPartialCharge(float(charges[i]))
        frag = int(cx.fragment[i])
        if frag not in residues:
            residues[frag] = mol.NewResidue()
            residues[frag].SetName(names.get(frag, "HOH"))
            residues[frag].SetNum(frag + 1)
        residues[frag].AddAtom(atom)
        residues[frag].SetAtomID(atom, f"{cx.symbols[i]}{i + 1}")  # MOL2 atom names come from the residue
    mol.SetPartialChargesPerceived()
    mol.SetChainsPerceived()  # else Open Babel re-perceives residues and names them all UNL1
    mol.SetTitle(_title(cx))
    lines = conv.WriteString(mol).split("\n")
    # Open Babel labels every charge set GASTEIGER (line 5 of the MOLECULE record); say what they are.
    head = lines.index("@<TRIPOS>MOLECULE")
    lines[head + 4] = "USER_CHARGES" if cx.atomic_charges is not None else "NO_CHARGES"
    return "\n".join(lines)


def export(cx: Complex, fmt: ExportFormat | str) -> str:
    """Text of `cx` in format `fmt` ("xyz", "mol2" or "sdf")."""
    writers: dict[str, Callable[[Complex], str]] = {ExportFormat.XYZ: to_xyz, ExportFormat.MOL2: to_mol2,
                                                    ExportFormat.SDF: to_sdf}
    if fmt not in writers:
        raise GaussError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    return writers[fmt](cx)
