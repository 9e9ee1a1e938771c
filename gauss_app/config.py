"""Where the dashboard finds its model and data. Environment variables override the bundled defaults
(tests and cluster users point them at their own files)."""

from __future__ import annotations

import os
from pathlib import Path

from gauss_core import paths


def checkpoint_path() -> Path:
    """GAUSS_CHECKPOINT, else the bundled default checkpoint."""
    return Path(os.environ.get("GAUSS_CHECKPOINT", paths.DEFAULT_CHECKPOINT))


def ligand_set_path() -> Path:
    """GAUSS_LIGAND_SET, else the bundled ligand set (the map and the novelty reference)."""
    return Path(os.environ.get("GAUSS_LIGAND_SET", paths.LIGAND_SET))


def map_points() -> int:
    """Most points drawn on the latent map (GAUSS_MAP_POINTS, default 25000: the issue asks for >= 20k, and
    each extra point costs browser time); ligands with a known value are drawn first."""
    return int(os.environ.get("GAUSS_MAP_POINTS", "25000"))
