"""Re-root a ligand SMILES at its donor before the model reads it.

The model was trained on donor-first SMILES (the donor atom written first, spelled by
chem.donor_first_smiles). A SMILES of a valid ligand written from another atom ('CO', 'C[O-]',
'C1CC1[O-]') encodes to a different latent than its donor-first spelling, so every inference entry point
(`gauss encode`, `gauss reconstruct`, `gauss sample` seeds, the dashboard's seed box) passes its input
through `donor_first_spelling` first.

A SMILES is kept as typed when its first atom can be the donor: an N or O (not the O- of a nitro group)
of a neutral ligand, or the charged N-/O- of an anion. Otherwise the donor is the one the set was built
with: the most basic donor kind of a neutral molecule (donors.neutral_sites, as `gauss ligands build`),
the only N-/O- of an anion (ligands.io.resolve_donor); a molecule with no donor or with two candidate
donors (two equally basic sites, two N-/O-) is refused with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gauss_core import chem
from gauss_core.errors import GaussError
from gauss_core.ligands import donors
from gauss_core.ligands.io import RowError, resolve_donor
from gauss_core.ligands.validate import (DONOR_ELEMENTS, LigandLimits, LigandRejectedError, check_molecule,
                                         check_text)


class DonorNotFoundError(LigandRejectedError):
    """A ligand SMILES that does not start with its donor and whose donor cannot be told (none, or two)."""


@dataclass(frozen=True)
class DonorFirst:
    """A ligand SMILES as typed (stripped) and the spelling the model encodes."""

    smiles: str
    encoded: str
    rerooted: bool


def donor_first_spelling(smiles: object, limits: LigandLimits | None = None) -> DonorFirst:
    """The donor-first spelling of a ligand SMILES to encode.

    Raises:
        InvalidSmilesError / LigandRejectedError: not a ligand (the queue's checks).
        DonorNotFoundError: not donor-first, and no donor or several candidate donors (the message says to
        write the donor first).
    """
    limits = limits or LigandLimits.from_env()
    text = check_text(smiles, limits)
    mol, paired = check_molecule(text, limits)
    first = mol.GetAtomWithIdx(0)
    anion = sum(a.GetFormalCharge() for a in mol.GetAtoms()) == -1
    if first.GetSymbol() in DONOR_ELEMENTS and 0 not in paired and (not anion or first.GetFormalCharge() == -1):
        return DonorFirst(text, text, False)
    if not anion:
        # the build's own rule first: the most basic donor kind, as the training set was rooted
        sites = donors.neutral_sites(mol)
        if len(sites) == 1:
            return DonorFirst(text, sites[0].smiles, True)
        if len(sites) > 1:
            raise DonorNotFoundError(f"{text[:40]!r} does not start with its donor and has {len(sites)} equally "
                                      f"basic candidate donors ({', '.join(s.smiles for s in sites[:3])}); write "
                                      "the donor atom you mean first")
    try:
        idx = resolve_donor(mol, None)
    except RowError as exc:
        reason = str(exc).split(": write")[0]  # resolve_donor's own fix names a CSV column this input lacks
        raise DonorNotFoundError(f"{text[:40]!r} does not start with its donor and cannot be re-rooted ({reason}); "
                                  "write the donor atom (N or O) first, e.g. [O-]C or OCC") from None
    return DonorFirst(text, chem.donor_first_smiles(mol, idx), True)


def donor_first_many(smiles: Sequence[str]) -> tuple[list[str], list[bool], list[str | None]]:
    """donor_first_spelling over rows: (spelling to encode, re-rooted?, error) per row; a refused row keeps
    its input as the spelling and gets the one-line reason."""
    limits = LigandLimits.from_env()
    encoded: list[str] = []
    rerooted: list[bool] = []
    errors: list[str | None] = []
    for smi in smiles:
        try:
            row = donor_first_spelling(smi, limits)
        except GaussError as exc:
            encoded.append(smi)
            rerooted.append(False)
            errors.append(str(exc))
            continue
        encoded.append(row.encoded)
        rerooted.append(row.rerooted)
        errors.append(None)
    return encoded, rerooted, errors


def rerooted_note(smiles: Sequence[str], encoded: Sequence[str], rerooted: Sequence[bool]) -> str | None:
    """One line for the user: how many inputs were re-rooted and the first example; None when none was."""
    rows = [(s, e) for s, e, r in zip(smiles, encoded, rerooted, strict=True) if r]
    if not rows:
        return None
    s, e = rows[0]
    return (f"re-rooted {len(rows)} of {len(smiles)} SMILES at their donor atom (the model reads donor-first "
            f"SMILES), e.g. {s[:40]!r} -> {e[:40]!r}")
