"""Seeds for LP sampling typed by a user: check them with readable reasons, then encode them.

A seed not written donor-first is re-rooted at its donor (ligands.reroot, the spelling the model was
trained on). A seed is refused, in this order, when it is not a valid molecule (RDKit), is more than one
molecule, has no donor or two candidate donors and does not start with one, contains a token the model's
vocabulary lacks, or is longer than the model's maximum length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rdkit import Chem

from gauss_core.chem import canonical_kekule, donor_first_smiles, mol_from_smiles
from gauss_core.errors import InvalidSmilesError
from gauss_core.tokens import Vocabulary

DONOR_ELEMENTS = ("N", "O")


class NoDonorError(InvalidSmilesError):
    """A seed SMILES that does not start with its donor and cannot be re-rooted (no donor, or two)."""


@dataclass(frozen=True)
class CheckedSeed:
    """A seed that passed every check. `smiles` is the donor-first string the model encodes; `typed` the
    seed as given, which differs when it was re-rooted."""

    smiles: str
    canonical: str
    typed: str = ""
    rerooted: bool = False


def check_seed(smiles: str, vocab: Vocabulary) -> CheckedSeed:
    """Check one typed seed SMILES against chemistry and the model's vocabulary.

    Args:
        smiles: ligand SMILES as typed (surrounding spaces are ignored); re-rooted when not donor-first.
        vocab: the loaded model's vocabulary.
    Returns:
        CheckedSeed.
    Raises:
        InvalidSmilesError: not a molecule, or several molecules.
        NoDonorError: not donor-first and no single donor to re-root at (the message suggests a spelling).
        UnknownTokenError, SmilesTooLongError: from the vocabulary, naming the token or both lengths.
    """
    text = (smiles or "").strip()
    mol = mol_from_smiles(text)
    if len(Chem.GetMolFrags(mol)) > 1:
        raise InvalidSmilesError(f"{text!r} contains several molecules ('.'); give one ligand")
    first = mol.GetAtomWithIdx(0)
    typed, rerooted = text, False
    if first.GetSymbol() not in DONOR_ELEMENTS or (Chem.GetFormalCharge(mol) == -1
                                                    and first.GetFormalCharge() != -1):
        from gauss_core.ligands.reroot import DonorNotFoundError, donor_first_spelling

        try:
            text, rerooted = donor_first_spelling(text).encoded, True
        except DonorNotFoundError as exc:
            donors = [a.GetIdx() for a in mol.GetAtoms() if a.GetSymbol() in DONOR_ELEMENTS]
            hint = (f"; did you mean {donor_first_smiles(mol, donors[0])!r} (same molecule written from its "
                    f"{mol.GetAtomWithIdx(donors[0]).GetSymbol()} atom)?" if donors else
                    "; this molecule has no N or O atom that could bind Dy(III)")
            raise NoDonorError(f"{exc}{hint}") from None
    vocab.encode(text)  # raises UnknownTokenError / SmilesTooLongError with the details
    from gauss_core.ligands.validate import validate_ligand

    validate_ligand(text, reroot=False)  # the queue's checks too: radicals, metals, charges, size
    return CheckedSeed(smiles=text, canonical=canonical_kekule(text) or text, typed=typed, rerooted=rerooted)


def encode_seeds(loaded, smiles: Sequence[str]) -> np.ndarray:
    """Latent means (n, d) of checked seeds with a `LoadedModel`; raises like `check_seed`."""
    from gauss_core.latent import encode_smiles

    checked = [check_seed(s, loaded.vocab).smiles for s in smiles]
    return np.asarray(encode_smiles(loaded, checked), dtype=np.float32)
