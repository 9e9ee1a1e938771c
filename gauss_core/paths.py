"""Where the bundled data, checkpoints and per-user state live.

Bundled files sit in the repository (assets/, checkpoints/). Mutable state (job queue, caches,
job directories) goes under GAUSS_HOME, by default ./.gauss next to the repository, so that a
cluster user can point it at a shared filesystem.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSETS = REPO_ROOT / "assets"
CHECKPOINTS = REPO_ROOT / "checkpoints"

QM9_SMILES = ASSETS / "qm9" / "qm9_gdb17_smiles.csv.gz"
LIGAND_SET = ASSETS / "ligands" / "ligands.csv.gz"
PROXY_LABELS = ASSETS / "labels" / "proxy_xtb.csv.gz"
KD_MAPPING_SET = ASSETS / "kd" / "kd_mapping.csv.gz"
# CASSCF results computed by the project's own queue, exported with provenance (gauss kdmap export)
KD_CASSCF_SET = ASSETS / "kd" / "casscf_results.csv.gz"
# the calibrated KD estimate fitted to KD_CASSCF_SET, with its cross-validated accuracy (gauss complex calibrate)
KD_CALIBRATION = ASSETS / "kd" / "kd_calibration.json"
DEFAULT_CHECKPOINT = CHECKPOINTS / "gauss2_default.pt"


def gauss_home() -> Path:
    """Directory for mutable state (queue DB, caches, job dirs); created on first use."""
    home = Path(os.environ.get("GAUSS_HOME", REPO_ROOT / ".gauss"))
    home.mkdir(parents=True, exist_ok=True)
    return home
