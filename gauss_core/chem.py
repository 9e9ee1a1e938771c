"""Small RDKit helpers shared by every stage: parsing with readable errors, the canonical form used for
novelty and uniqueness, donor-first SMILES, the scaffold group that cross-validation folds keep together,
and Morgan fingerprints."""

from __future__ import annotations

import numpy as np
from rdkit import Chem, rdBase

from gauss_core.errors import InvalidSmilesError

rdBase.DisableLog("rdApp.*")  # RDKit's own stderr chatter; errors are reported through exceptions


def mol_from_smiles(smiles: str) -> Chem.Mol:
    """Parse and sanitise a SMILES.

    Raises:
        InvalidSmilesError: naming the SMILES and RDKit's reason (valence, aromaticity, syntax).
    """
    if not isinstance(smiles, str) or not smiles.strip():
        raise InvalidSmilesError("empty SMILES: type a SMILES string such as [O-]C")
    if any(ch.isspace() for ch in smiles.strip()):
        # RDKit reads text after a space as the molecule's name, so "O && x" would parse as water.
        raise InvalidSmilesError(f"{smiles!r} contains whitespace; a SMILES is one word such as [O-]C")
    mol = Chem.MolFromSmiles(smiles.strip(), sanitize=False)
    if mol is None:
        raise InvalidSmilesError(f"{smiles!r} is not valid SMILES syntax (check brackets, ring closures)")
    try:
        Chem.SanitizeMol(mol)
    except Exception as exc:  # RDKit raises several sanitisation exception types
        raise InvalidSmilesError(f"{smiles!r} is not a valid molecule: {exc}") from None
    return mol


def canonical_kekule(smiles: str) -> str | None:
    """Canonical kekulised SMILES without stereo (the paper's form for novelty), or None if invalid.

    The atom order is canonicalised on the aromatic graph first, so every input spelling of one
    molecule gives the same string.
    """
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return None
    try:
        return Chem.MolToSmiles(mol, isomericSmiles=False, kekuleSmiles=True)
    except Exception:
        return None


def donor_first_smiles(mol: Chem.Mol, donor_idx: int) -> str:
    """SMILES of `mol` written starting at atom `donor_idx` (RDKit rootedAtAtom), without stereo."""
    return Chem.MolToSmiles(mol, rootedAtAtom=int(donor_idx), isomericSmiles=False, canonical=True)


def scaffold_group(smiles: str) -> str:
    """CV group of a ligand: its Bemis-Murcko scaffold; an acyclic ligand (empty scaffold) is its own group
    (its canonical SMILES), so that all chains do not fall into one giant fold."""
    from rdkit.Chem.Scaffolds import MurckoScaffold

    mol = Chem.MolFromSmiles(str(smiles))
    if mol is None:
        return f"unparsed:{smiles}"
    scaffold = MurckoScaffold.MurckoScaffoldSmiles(mol=mol)
    return scaffold if scaffold else f"acyclic:{Chem.MolToSmiles(mol)}"


def morgan_bits(smiles: list[str], radius: int = 2, n_bits: int = 2048) -> np.ndarray:
    """Boolean Morgan (ECFP-like) fingerprints, one row per SMILES (all False for an unparsable one)."""
    from rdkit.Chem import rdFingerprintGenerator

    gen = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    out = np.zeros((len(smiles), n_bits), dtype=bool)
    for i, smi in enumerate(smiles):
        mol = Chem.MolFromSmiles(str(smi))
        if mol is not None:
            out[i] = gen.GetFingerprintAsNumPy(mol).astype(bool)
    return out
