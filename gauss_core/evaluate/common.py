"""Inputs shared by the evaluation experiments, the R^2 definitions, and matplotlib helpers (PNG, Agg)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from gauss_core import columns as C
from gauss_core import provenance
from gauss_core.model.checkpoint import LoadedModel


@dataclass
class EvalInputs:
    """What every experiment reads.

    Attributes:
        loaded: the LoadedModel under evaluation.
        ligands: the ligand set (columns.LIGAND_COLUMNS).
        labels: proxy labels indexed by smiles (numeric columns incl. PROXY_COLUMNS), or None.
        labels_provenance: tag of those labels (e.g. xtb-gfn2).
        kd: KD-labelled ligands (smiles, ligand_class, 7 gaps, kd_provenance, ...; CASSCF rows in place of
            estimates where the queue has them), or None.
        reference: canonical SMILES of the model's training set (novelty reference).
        casscf: CASSCF results (bundled file + queue; LABEL_COLUMNS + casscf_source, ligand_class), or None.
    """

    loaded: LoadedModel
    ligands: pd.DataFrame
    labels: pd.DataFrame | None
    labels_provenance: str
    kd: pd.DataFrame | None
    reference: frozenset[str]
    casscf: pd.DataFrame | None = None

    @property
    def train_set(self) -> set[str]:
        return set(self.loaded.train_smiles)


def provenance_text(tags) -> str:
    """'crystal-field point-charge estimate (cf-pointcharge): 2400; CASSCF(9,7)+SO, OpenMolcas (...): 3'."""
    counts = pd.Series(list(tags)).dropna().value_counts()
    if counts.empty:
        return "none"
    return "; ".join(f"{provenance.describe(t)} ({t}): {n}" for t, n in counts.items())


def is_estimate(tags) -> bool:
    """True when any tag is not CASSCF (the report must then say the numbers are estimates)."""
    return any(not provenance.is_casscf(str(t)) for t in pd.Series(list(tags)).dropna())


def plt():
    """matplotlib.pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    return pyplot


def save_figure(fig, path: Path, footnote: str = "") -> Path:
    """Save a PNG (with an optional provenance footnote at the bottom) and close the figure."""
    import textwrap

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = textwrap.wrap(footnote, width=max(40, int(fig.get_figwidth() * 17))) if footnote else []
    bottom = min(0.3, 0.035 * len(lines) * 4 / fig.get_figheight()) if lines else 0
    fig.tight_layout(rect=(0, bottom, 1, 0.95))
    if lines:  # wrapped to the figure's width: a long note must not widen the PNG
        fig.text(0.01, 0.0, "\n".join(lines), fontsize=7, ha="left", va="bottom", color="#444444")
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt().close(fig)
    return path


def kd_labelled(kd: pd.DataFrame | None) -> pd.DataFrame:
    """Rows with a known first gap (estimate or CASSCF)."""
    if kd is None or len(kd) == 0:
        return pd.DataFrame(columns=[C.SMILES, *C.KD_GAP_COLUMNS, C.KD_PROVENANCE])
    return kd.dropna(subset=[C.KD_GAP_COLUMNS[0]]).reset_index(drop=True)
