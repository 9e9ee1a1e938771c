"""Triage of sampled candidates: structure alerts, synthetic accessibility, surrogate KD, 2-D depiction.

One call turns sampled SMILES into a sortable table:

    from gauss_core.sampling.triage import triage_table
    table = triage_table(smiles, surrogate=sur, loaded=loaded, depict=True)

Columns (columns.py names): smiles, canonical_smiles, valid, ligand_class, structure_alerts ("; "-joined, ""
when none), n_alerts, sa_score (Ertl & Schuffenhauer 2009, 1 easy - 10 hard; RDKit Contrib SA_Score shipped in
the rdkit wheel), the surrogate's first gap + std + provenance (when a surrogate is given), depiction (SVG data
URI, when depict=True).

Alerts (why each matters for a Dy(III) ligand that must survive synthesis and complexation):
- peroxide: an O-O single bond (oxidising, unstable);
- antiaromatic ring: a 4-membered all-sp2 ring with two ring double bonds (cyclobutadiene-like, 4 pi
  electrons): not isolable (8-rings such as cyclooctatetraene pucker and are not flagged);
- radical: an atom with unpaired electrons;
- strained 3-ring / 4-ring: three- or four-membered rings (ring strain; decomposes or opens on binding);
- N-N / N-O single bond between heteroatoms carrying H or charge (hydrazine/hydroxylamine-like, reactive).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
import pandas as pd
from rdkit import Chem, RDConfig

from gauss_core import columns as C

ALERTS = "structure_alerts"
N_ALERTS = "n_alerts"
SA_SCORE = "sa_score"
DEPICTION = "depiction"

PEROXIDE = Chem.MolFromSmarts("[OX2,OX1-]-[OX2,OX1-]")
HETERO_SINGLE = Chem.MolFromSmarts("[N,O;!H0,-]-[N,O;!H0,-]")


def _sascorer():
    """RDKit's Contrib SA_Score module (ships in the rdkit wheel under RDConfig.RDContribDir)."""
    path = f"{RDConfig.RDContribDir}/SA_Score"
    if path not in sys.path:
        sys.path.append(path)
    import sascorer  # type: ignore[import-not-found]

    return sascorer


def sa_score(mol: Chem.Mol) -> float:
    """Synthetic accessibility, 1 (easy) to 10 (hard); NaN for an empty molecule."""
    if mol is None or mol.GetNumAtoms() == 0:
        return float("nan")
    return float(_sascorer().calculateScore(mol))


def _antiaromatic_rings(mol: Chem.Mol) -> int:
    count = 0
    for ring in mol.GetRingInfo().BondRings():
        if len(ring) != 4:
            continue
        bonds = [mol.GetBondWithIdx(i) for i in ring]
        atoms = {a for b in bonds for a in (b.GetBeginAtomIdx(), b.GetEndAtomIdx())}
        all_sp2 = all(mol.GetAtomWithIdx(a).GetHybridization() == Chem.HybridizationType.SP2 for a in atoms)
        doubles = sum(b.GetBondType() == Chem.BondType.DOUBLE for b in bonds)
        if all_sp2 and doubles == len(ring) // 2:
            count += 1
    return count


def structure_alerts(mol: Chem.Mol) -> list[str]:
    """Names of the module docstring's alerts that `mol` raises (empty list: none)."""
    alerts: list[str] = []
    if mol.HasSubstructMatch(PEROXIDE):
        alerts.append("peroxide O-O")
    kekul = Chem.Mol(mol)
    Chem.Kekulize(kekul, clearAromaticFlags=False)
    if _antiaromatic_rings(kekul):
        alerts.append("antiaromatic ring (cyclobutadiene-like)")
    if any(a.GetNumRadicalElectrons() for a in mol.GetAtoms()):
        alerts.append("radical")
    sizes = [len(r) for r in mol.GetRingInfo().AtomRings()]
    if 3 in sizes:
        alerts.append("strained 3-ring")
    if 4 in sizes:
        alerts.append("strained 4-ring")
    if mol.HasSubstructMatch(HETERO_SINGLE) and not mol.HasSubstructMatch(PEROXIDE):
        alerts.append("N-N/N-O single bond")
    return alerts


def triage_table(smiles: Sequence[str], surrogate=None, loaded=None, depict: bool = False) -> pd.DataFrame:
    """One row per input SMILES, in order (see the module docstring for the columns).

    Args:
        smiles: sampled (donor-first) SMILES.
        surrogate, loaded: a KDSurrogate and the LoadedModel that encodes for it; both or neither.
        depict: add the SVG depiction column (data URIs, ~5 kB each).
    """
    from gauss_core.chem import canonical_kekule
    from gauss_core.ligands.build import smiles_class

    rows = []
    for smi in smiles:
        mol = Chem.MolFromSmiles(str(smi)) if smi else None
        if mol is None or mol.GetNumAtoms() == 0:
            rows.append({C.SMILES: str(smi), C.CANONICAL: None, C.IS_VALID: False, C.LIGAND_CLASS: 0,
                         ALERTS: "invalid SMILES", N_ALERTS: 1, SA_SCORE: float("nan")})
            continue
        alerts = structure_alerts(mol)
        rows.append({C.SMILES: str(smi), C.CANONICAL: canonical_kekule(str(smi)), C.IS_VALID: True,
                     C.LIGAND_CLASS: smiles_class(str(smi)), ALERTS: "; ".join(alerts), N_ALERTS: len(alerts),
                     SA_SCORE: sa_score(mol)})
    table = pd.DataFrame(rows, columns=[C.SMILES, C.CANONICAL, C.IS_VALID, C.LIGAND_CLASS, ALERTS, N_ALERTS,
                                        SA_SCORE])
    if (surrogate is None) != (loaded is None):
        raise ValueError("triage_table: give both surrogate and loaded (its encoder), or neither")
    if surrogate is not None:
        pred = surrogate.predict_smiles(loaded, list(table[C.SMILES]))
        table[C.SURROGATE_GAP_COLUMNS[0]] = pred[C.SURROGATE_GAP_COLUMNS[0]].to_numpy()
        table[C.SURROGATE_STD_COLUMNS[0]] = pred[C.SURROGATE_STD_COLUMNS[0]].to_numpy()
        table[C.SURROGATE_PROVENANCE] = np.where(pred["surrogate_error"] == "", pred[C.SURROGATE_PROVENANCE],
                                                 pred["surrogate_error"])
    if depict:
        from gauss_core.depict import svg_data_uri

        table[DEPICTION] = [svg_data_uri(s) if ok else None for s, ok in zip(table[C.SMILES], table[C.IS_VALID],
                                                                             strict=True)]
    return table
