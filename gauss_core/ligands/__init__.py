"""The monodentate ligand set: donor rules, the QM9 build, loading the bundled set and user imports.

Public API (others code against these names):
    load_ligand_set(path=paths.LIGAND_SET) -> DataFrame with columns.LIGAND_COLUMNS
    ligand_class(element, charge) -> int (1 neutral O, 2 neutral N, 3 anionic O, 4 anionic N)
    smiles_class(smiles) -> int (the same from a donor-first SMILES; 0 when it has none)
    build_ligand_set(config=None, out_path=None) -> BuildResult
    import_ligand_csv(path) -> LigandImport ; import_labelled_dataset(path, layout=None) -> LabelledDataset
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gauss_core import columns, paths
from gauss_core.errors import DataFormatError
from gauss_core.ligands.build import (BuildConfig, BuildResult, build_ligand_set, ligand_class, smiles_class,
                                     write_ligand_set)
from gauss_core.ligands.io import (LabelledDataset, LigandImport, import_labelled_dataset, import_ligand_csv)

__all__ = [
    "BuildConfig", "BuildResult", "LabelledDataset", "LigandImport", "build_ligand_set", "import_labelled_dataset",
    "import_ligand_csv", "ligand_class", "load_ligand_set", "smiles_class", "write_ligand_set",
]

_DTYPES = {columns.LIGAND_ID: "int64", columns.SMILES: "str", columns.CANONICAL: "str", columns.DONOR_ELEMENT: "str",
           columns.DONOR_Z: "int64", columns.CHARGE: "int64", columns.LIGAND_CLASS: "int64", columns.QM9_INDEX: "int64"}


def load_ligand_set(path: Path | str = paths.LIGAND_SET) -> pd.DataFrame:
    """Read a ligand set (the bundled one by default).

    Args:
        path: CSV or gzipped CSV with columns.LIGAND_COLUMNS.
    Returns:
        DataFrame with exactly columns.LIGAND_COLUMNS, in that order.
    Raises:
        DataFormatError: the file is missing, unreadable, or lacks columns.
    """
    path = Path(path)
    if not path.exists():
        raise DataFormatError(
            f"ligand set {path} not found: rebuild it with `gauss ligands build --out {path}` "
            f"or pass the path of an existing set")
    try:
        frame = pd.read_csv(path, dtype={columns.SMILES: str, columns.CANONICAL: str, columns.DONOR_ELEMENT: str},
                            keep_default_na=False)
    except Exception as exc:  # gzip/CSV errors of many kinds
        raise DataFormatError(f"cannot read ligand set {path}: {exc}; rebuild it with `gauss ligands build`") from None
    missing = [c for c in columns.LIGAND_COLUMNS if c not in frame.columns]
    if missing:
        raise DataFormatError(
            f"ligand set {path} lacks column(s) {missing}; a ligand set needs {list(columns.LIGAND_COLUMNS)} "
            f"(rebuild with `gauss ligands build`)")
    frame = frame[list(columns.LIGAND_COLUMNS)]
    try:
        return frame.astype(_DTYPES)
    except (ValueError, TypeError) as exc:
        raise DataFormatError(f"ligand set {path} has a malformed value: {exc}") from None
