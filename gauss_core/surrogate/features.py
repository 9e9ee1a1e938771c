"""Inputs of the KD surrogate: the CASSCF training table, donor-class one-hot, scaffold groups for CV.

The surrogate's input for a ligand is its 32-d latent mean (the checkpoint's encoder) concatenated with a
one-hot of its donor class (1 neutral O, 2 neutral N, 3 anionic O, 4 anionic N); the class carries most of
the first gap (anionic donors give 2-3x larger gaps), the latent the within-class variation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
from rdkit import Chem

from gauss_core import columns, provenance
from gauss_core.chem import scaffold_group  # noqa: F401  (the CV group; public here as before)
from gauss_core.errors import DataFormatError

N_CLASSES = 4


def class_onehot(ligand_class: Sequence[int] | np.ndarray) -> np.ndarray:
    """(n, 4) float one-hot of classes 1-4; a class outside 1-4 (0: not a ligand) gives a zero row."""
    cls = np.asarray(ligand_class, dtype=int).reshape(-1)
    out = np.zeros((len(cls), N_CLASSES), dtype=np.float64)
    ok = (cls >= 1) & (cls <= N_CLASSES)
    out[np.flatnonzero(ok), cls[ok] - 1] = 1.0
    return out


def classes_of(smiles: Sequence[str]) -> np.ndarray:
    """Ligand class (1-4, 0 when the SMILES is not a donor-first ligand) of each SMILES."""
    from gauss_core.ligands.build import smiles_class

    return np.asarray([smiles_class(s) for s in smiles], dtype=int)


def classes_from_ligand_set(smiles: Sequence[str], ligands: pd.DataFrame) -> np.ndarray:
    """Classes of SMILES looked up in a ligand set (its ligand_class column; fast for the 227k map), RDKit
    (classes_of) only for SMILES that are not in the set, e.g. session samples."""
    lookup = dict(zip(ligands[columns.SMILES], ligands[columns.LIGAND_CLASS], strict=False))
    out = np.asarray([lookup.get(s, -1) for s in smiles], dtype=int)
    missing = np.flatnonzero(out < 0)
    if len(missing):
        out[missing] = classes_of([smiles[int(i)] for i in missing])
    return out


def canonical(smiles: str) -> str:
    """RDKit canonical SMILES (the key for 'already has CASSCF'); the input itself when RDKit refuses it."""
    mol = Chem.MolFromSmiles(str(smiles))
    return Chem.MolToSmiles(mol) if mol is not None else str(smiles)


def casscf_training_rows(kd_rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of a KD results table that may train the surrogate: genuine CASSCF provenance, all 7 gaps
    finite, one row per canonical molecule (the last wins, as in gauss_core.jobs.all_kd_results).

    Args:
        kd_rows: e.g. gauss_core.jobs.all_kd_results(store): smiles, kd_gap1_cm1..kd_gap7_cm1, kd_provenance.
    Raises:
        DataFormatError: a required column is missing.
    """
    need = [columns.SMILES, *columns.KD_GAP_COLUMNS, columns.KD_PROVENANCE]
    missing = [c for c in need if c not in kd_rows.columns]
    if missing:
        raise DataFormatError(f"KD results table lacks columns {missing}; pass the table of "
                              "gauss_core.jobs.all_kd_results (bundled + queue CASSCF results)")
    df = kd_rows[need].copy()
    is_casscf = df[columns.KD_PROVENANCE].astype(str).map(provenance.is_casscf).astype(bool)  # bool when empty too
    gaps = df[list(columns.KD_GAP_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    df[list(columns.KD_GAP_COLUMNS)] = gaps
    df = df[is_casscf & np.isfinite(gaps.to_numpy(dtype=float, na_value=np.nan)).all(axis=1)]
    df["canonical"] = [canonical(s) for s in df[columns.SMILES]]
    return df.drop_duplicates("canonical", keep="last").reset_index(drop=True)


def rows_hash(train: pd.DataFrame) -> str:
    """First 16 hex digits of the SHA-256 of the training rows (SMILES and gaps, order-independent): the
    data part of the surrogate's cache key."""
    gap_cols = list(columns.KD_GAP_COLUMNS)
    lines = sorted(f"{s}|" + ",".join(f"{v:.4f}" for v in g)
                   for s, g in zip(train[columns.SMILES], train[gap_cols].to_numpy(), strict=True))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
