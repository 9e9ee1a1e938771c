"""What the CASSCF basis study (docs/casscf.md, docs/casscf_basis_study.csv) says about one stored result.

Ligands ANO-RCC-MB, the default until session 13, stays within a few per cent of the larger bases for anionic
donors but moves a weak neutral donor's first gap by up to a factor 10 (N-methylaziridine 21 vs 231 cm-1 with
all-ligand VDZP), in either direction; such a value must not be read as the complex's gap."""

from __future__ import annotations

from gauss_core.ligands.build import smiles_class
from gauss_core.provenance import recorded_basis

NEUTRAL_CLASSES = (1, 2)  # neutral O, neutral N donors


def mb_caveat(smiles: str, kd_basis: object) -> str:
    """A warning for a CASSCF result of a neutral donor computed with ligands MB; "" otherwise (another basis,
    an anionic donor, or a basis not recorded)."""
    if "ligands ANO-RCC-MB" not in recorded_basis(kd_basis) or smiles_class(smiles) not in NEUTRAL_CLASSES:
        return ""
    return ("Computed with ligands ANO-RCC-MB: for a neutral donor the basis study found first gaps off by up to "
            "a factor 10 against all-ligand VDZP (docs/casscf.md); re-run it in the default basis before trusting "
            "this value.")
