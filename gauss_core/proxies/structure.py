"""3D structure of a free ligand: RDKit ETKDGv3 embedding + MMFF94 relaxation, optionally refined with a
GFN2-xTB optimisation (see xtb.optimise).

The donor atom stays atom 0 throughout: hydrogens are appended after the heavy atoms by Chem.AddHs, so
the SMILES atom order (donor first) is the 3D atom order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from rdkit import Chem
from rdkit.Chem import rdDistGeom, rdForceFieldHelpers

from gauss_core.chem import mol_from_smiles
from gauss_core.proxies.errors import StructureError


@dataclass(frozen=True)
class Geometry:
    """A ligand geometry in the SMILES atom order (donor = index 0).

    symbols: element symbols; coords_A: (n, 3) Angstrom; charge: total formal charge (e);
    donor_Z: atomic number of atom 0; method: how the coordinates were made.
    """

    smiles: str
    symbols: tuple[str, ...]
    coords_A: np.ndarray
    charge: int
    donor_Z: int
    method: str

    def xyz_block(self, comment: str = "") -> str:
        """XYZ file text (Angstrom)."""
        lines = [str(len(self.symbols)), comment.replace("\n", " ")]
        for sym, (x, y, z) in zip(self.symbols, self.coords_A, strict=False):
            lines.append(f"{sym:2s} {x:14.8f} {y:14.8f} {z:14.8f}")
        return "\n".join(lines) + "\n"

    def with_coords(self, coords_A: np.ndarray, method: str) -> Geometry:
        return Geometry(self.smiles, self.symbols, np.asarray(coords_A, float), self.charge, self.donor_Z,
                        method)


def embed_parameters(factory: Callable[[], rdDistGeom.EmbedParameters],
                     **options: int | bool) -> rdDistGeom.EmbedParameters:
    """RDKit embedding parameters with `options` set by name (RDKit's generated stubs give the property
    setters no value type; an unknown name is an error, not a silently added attribute)."""
    params = factory()
    for name, value in options.items():
        if not hasattr(params, name):
            raise AttributeError(f"RDKit EmbedParameters has no {name!r}")
        setattr(params, name, value)
    return params


def _embed_attempts(seed: int) -> Iterator[rdDistGeom.EmbedParameters]:
    """ETKDGv3, then two looser settings that rescue most strained QM9 cages (8 of 11 failures in a
    sample). Kept to three tries: a cage that cannot embed costs seconds of CPU per try."""
    seed = int(seed)
    yield embed_parameters(rdDistGeom.ETKDGv3, randomSeed=seed)
    yield embed_parameters(rdDistGeom.ETKDGv3, randomSeed=seed, useRandomCoords=True, enforceChirality=False)
    yield embed_parameters(rdDistGeom.ETDG, randomSeed=seed, useRandomCoords=True, ignoreSmoothingFailures=True,
                        enforceChirality=False)


def embed_ligand(smiles: str, seed: int = 0x5EED, mmff_iterations: int = 500) -> Geometry:
    """ETKDGv3 conformer relaxed with MMFF94 (UFF when MMFF lacks parameters).

    Args:
        smiles: donor-first SMILES (atom 0 is the donor).
        seed: RDKit random seed, so labels are reproducible.
        mmff_iterations: force-field iteration cap.
    Returns:
        Geometry with method "etkdg3-mmff94" (or "etkdg3-uff").
    Raises:
        InvalidSmilesError: unparsable SMILES.  StructureError: no 3D embedding found.
    """
    mol = Chem.AddHs(mol_from_smiles(smiles))
    if not any(rdDistGeom.EmbedMolecule(mol, params) == 0 for params in _embed_attempts(seed)):
        raise StructureError(f"{smiles!r}: RDKit ETKDGv3 found no 3D embedding; check the SMILES "
                             "(strained or impossible ring system)")
    method = "etkdg3-mmff94"
    try:
        if rdForceFieldHelpers.MMFFHasAllMoleculeParams(mol):
            rdForceFieldHelpers.MMFFOptimizeMolecule(mol, maxIters=mmff_iterations)
        else:
            rdForceFieldHelpers.UFFOptimizeMolecule(mol, maxIters=mmff_iterations)
            method = "etkdg3-uff"
    except Exception as exc:  # force-field set-up failures are per-molecule, never fatal
        raise StructureError(f"{smiles!r}: force-field relaxation failed ({exc})") from None
    coords = np.asarray(mol.GetConformer().GetPositions(), dtype=float)
    symbols = tuple(a.GetSymbol() for a in mol.GetAtoms())
    return Geometry(smiles=smiles, symbols=symbols, coords_A=coords, charge=Chem.GetFormalCharge(mol),
                    donor_Z=mol.GetAtomWithIdx(0).GetAtomicNum(), method=method)
