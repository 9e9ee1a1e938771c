"""2D depictions of ligands (RDKit SVG) for tables and reports."""

from __future__ import annotations

import base64
from functools import lru_cache

from rdkit import Chem
from rdkit.Chem.Draw import rdMolDraw2D


@lru_cache(maxsize=20000)
def mol_svg(smiles: str, width: int = 160, height: int = 110) -> str | None:
    """SVG text of a 2D depiction with the donor atom (atom 0) highlighted; None for an invalid SMILES."""
    mol = Chem.MolFromSmiles(smiles) if smiles else None
    if mol is None or mol.GetNumAtoms() == 0:
        return None
    drawer = rdMolDraw2D.MolDraw2DSVG(width, height)
    rdMolDraw2D.PrepareAndDrawMolecule(drawer, mol, highlightAtoms=[0])
    drawer.FinishDrawing()
    return drawer.GetDrawingText()


def svg_data_uri(smiles: str, width: int = 160, height: int = 110) -> str | None:
    """The depiction as a data: URI (usable as an image cell in a table); None for an invalid SMILES."""
    svg = mol_svg(smiles, width, height)
    if svg is None:
        return None
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
