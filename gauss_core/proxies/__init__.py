"""Donor-atom proxy labels (GAUSS-II head targets): fast xTB path and OpenMolcas LoProp path.

Modules: structure (3D geometry), xtb (xtb runner/parser), fast (fast-path descriptors and recipe),
loprop (OpenMolcas input/runner/parser, run_loprop_job for the job queue), batch (parallel, resumable).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gauss_core import columns, paths
from gauss_core.errors import DataFormatError

__all__ = ["load_proxy_labels", "run_loprop_job", "label_batch"]


def load_proxy_labels(path: Path | str = paths.PROXY_LABELS, drop_failed: bool = True) -> pd.DataFrame:
    """Bundled (or any batch-written) proxy label table.

    Args:
        path: CSV(.gz) written by `gauss label` (default: assets/labels/proxy_xtb.csv.gz).
        drop_failed: leave out ligands whose labelling failed (their `error` column is set).
    Returns:
        DataFrame keyed by `smiles` (unique) with columns.PROXY_COLUMNS + `provenance` first, then the
        method's extra columns; NaN where a label is missing.
    Raises:
        DataFormatError: missing file or columns.
    """
    path = Path(path)
    if not path.exists():
        raise DataFormatError(f"proxy label file {path} not found: run `gauss label --method xtb --input "
                              f"LIGANDS.csv --out {path}` or restore it from git")
    frame = pd.read_csv(path)
    if columns.SMILES not in frame.columns:
        raise DataFormatError(f"{path} has no '{columns.SMILES}' column: not a proxy label table")
    for col in (*columns.PROXY_COLUMNS, columns.PROVENANCE):
        if col not in frame.columns:
            frame[col] = np.nan
    if drop_failed and "error" in frame.columns:
        frame = frame[frame["error"].isna()]
    frame = frame.drop_duplicates(columns.SMILES, keep="last")
    first = [columns.SMILES, *columns.PROXY_COLUMNS, columns.PROVENANCE]
    frame = frame[first + [c for c in frame.columns if c not in first]]
    return frame.set_index(columns.SMILES, drop=False).rename_axis(None).reset_index(drop=True)


def __getattr__(name: str):  # lazy: keep `import gauss_core.proxies` light
    if name == "run_loprop_job":
        from gauss_core.proxies.loprop import run_loprop_job
        return run_loprop_job
    if name == "label_batch":
        from gauss_core.proxies.batch import label_batch
        return label_batch
    raise AttributeError(name)
