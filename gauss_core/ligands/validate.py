"""One validation of a ligand SMILES (and of job parameters) used by every entry point: the CLI
commands, the queue and the dashboard. Checks run cheapest first and before any 3-D work:

text (empty, length, whitespace, control characters) -> RDKit parse -> one fragment, allowed elements
(no metals), closed shell (no radicals), heavy-atom bound, charge 0 or -1 -> donor: the first atom is
N or O, or, when it is not, the molecule is re-rooted at its single anionic N/O.

Limits are configurable (LigandLimits; GAUSS_MAX_HEAVY_ATOMS, GAUSS_MAX_SMILES_CHARS override the
defaults) so a 5000-carbon chain is refused in microseconds instead of exhausting memory in embedding.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gauss_core.errors import GaussError, InvalidSmilesError

# Elements of organic ligands; anything else (metals, noble gases, ...) is refused.
ORGANIC_ELEMENTS = frozenset({"H", "B", "C", "N", "O", "F", "Si", "P", "S", "Cl", "Br", "I", "Se"})
DONOR_ELEMENTS = ("N", "O")


class LigandRejectedError(InvalidSmilesError):
    """A parseable SMILES that is not a ligand this project can handle (size, metal, radical, donor)."""


@dataclass(frozen=True)
class LigandLimits:
    """Bounds checked before any work. Defaults cover every ligand of the bundled set with a margin."""

    max_smiles_chars: int = 250
    max_heavy_atoms: int = 60

    @classmethod
    def from_env(cls) -> LigandLimits:
        from gauss_core.inputs import env_number

        return cls(int(env_number("GAUSS_MAX_SMILES_CHARS", cls.max_smiles_chars, int, 1, "a whole number")),
                   int(env_number("GAUSS_MAX_HEAVY_ATOMS", cls.max_heavy_atoms, int, 1, "a whole number")))


@dataclass(frozen=True)
class ValidLigand:
    """A ligand that passed: its donor-first canonical SMILES (the dedup key) and donor element."""

    smiles: str
    donor: str
    charge: int
    heavy_atoms: int


def _short(text: str, n: int = 40) -> str:
    return repr(text if len(text) <= n else text[:n] + "...")


def check_text(smiles: object, limits: LigandLimits) -> str:
    """The text checks (no RDKit): a one-word, printable string within the length bound."""
    if not isinstance(smiles, str) or not smiles.strip():
        raise InvalidSmilesError("empty SMILES: type a SMILES string such as [O-]C")
    text = smiles.strip()
    if len(text) > limits.max_smiles_chars:
        raise LigandRejectedError(f"SMILES of {len(text)} characters is longer than the limit of "
                                  f"{limits.max_smiles_chars}; give a smaller ligand (or raise "
                                  "GAUSS_MAX_SMILES_CHARS)")
    if any(ch.isspace() for ch in text) or not text.isprintable() or not text.isascii():
        raise InvalidSmilesError(f"{_short(text)} contains spaces, control or non-ASCII characters; a SMILES "
                                 "is one ASCII word such as [O-]C")
    return text


_VALID: dict[tuple[str, LigandLimits], ValidLigand] = {}  # donor-first forms already checked (bulk adds check twice)


def validate_ligand(smiles: object, limits: LigandLimits | None = None, reroot: bool = True) -> ValidLigand:
    """Check a ligand SMILES; returns it donor-first and canonical, or raises InvalidSmilesError (one line)."""
    limits = limits or LigandLimits.from_env()
    if isinstance(smiles, str) and (smiles, limits) in _VALID:
        return _VALID[(smiles, limits)]
    valid = _validate(smiles, limits, reroot)
    if len(_VALID) > 500_000:
        _VALID.clear()
    _VALID[(valid.smiles, limits)] = valid
    return valid


def _validate_chunk(task: tuple[list[str], LigandLimits]) -> list[ValidLigand | str]:
    smiles, limits = task
    out: list[ValidLigand | str] = []
    for smi in smiles:
        try:
            out.append(validate_ligand(smi, limits))
        except GaussError as exc:
            out.append(str(exc))
    return out


def validate_many(smiles: Sequence[str], limits: LigandLimits | None = None,
                  workers: int | None = None) -> list[ValidLigand | str]:
    """validate_ligand over many rows: per row the ValidLigand or the one-line reason it was refused.

    Long lists are split over processes (RDKit needs ~0.4 ms per row, so 200k rows took 80 s on one core);
    the results fill this process's cache, so the queue's own check of the same rows costs nothing.
    """
    limits = limits or LigandLimits.from_env()
    workers = workers or min(4, os.cpu_count() or 1)
    if workers <= 1 or len(smiles) < 5000:
        return _validate_chunk((list(smiles), limits))
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = -(-len(smiles) // (4 * workers))
    tasks = [(list(smiles[i:i + size]), limits) for i in range(0, len(smiles), size)]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        out = [r for part in pool.map(_validate_chunk, tasks) for r in part]
    for r in out:
        if isinstance(r, ValidLigand):
            _VALID[(r.smiles, limits)] = r
    return out


def charge_separated_atoms(mol: object) -> set[int]:
    """Atoms of charge-separated groups that are neutral as a whole, such as nitro [N+](=O)[O-]: each +1
    atom with a bonded -1 atom. Their charges are not the ligand's: the O- of a nitro group is no anionic
    donor, and a nitro compound is no zwitterion."""
    out: set[int] = set()
    for atom in mol.GetAtoms():  # type: ignore[attr-defined]
        if atom.GetFormalCharge() == 1:
            partner = next((n for n in atom.GetNeighbors()
                            if n.GetFormalCharge() == -1 and n.GetIdx() not in out), None)
            if partner is not None:
                out.update((atom.GetIdx(), partner.GetIdx()))
    return out


def check_molecule(smiles: object, limits: LigandLimits | None = None) -> tuple[Any, set[int]]:
    """Every check but the donor's (text, parse, fragments, elements, size, radicals, charges): the parsed
    molecule and its charge-separated atoms. For imports that find the donor their own way."""
    return _check_molecule(smiles, limits or LigandLimits.from_env())[1:]


def _check_molecule(smiles: object, limits: LigandLimits) -> tuple[str, Any, set[int]]:
    from rdkit import Chem
    from rdkit.Chem import rdMolDescriptors

    from gauss_core.chem import mol_from_smiles

    text = check_text(smiles, limits)
    if "." in text:
        raise LigandRejectedError(f"{_short(text)} has several fragments ('.'); give one ligand")
    mol = mol_from_smiles(text)
    # C++ descriptors rather than Python loops over atoms: `queue add --file` validates 200k rows.
    formula = rdMolDescriptors.CalcMolFormula(mol)
    bad = sorted(set(re.findall(r"[A-Z][a-z]?", formula)) - ORGANIC_ELEMENTS)
    if bad:
        raise LigandRejectedError(f"{_short(text)} contains {', '.join(bad)}; a ligand is organic "
                                  "(the Dy(III) and waters are added by the complex builder)")
    heavy = mol.GetNumHeavyAtoms()
    if heavy > limits.max_heavy_atoms:
        raise LigandRejectedError(f"{_short(text)} has {heavy} heavy atoms, more than the limit of "
                                  f"{limits.max_heavy_atoms}; give a smaller ligand (or raise "
                                  "GAUSS_MAX_HEAVY_ATOMS)")
    # only bracket atoms can carry radical electrons in RDKit's reading of a SMILES
    if "[" in text and any(a.GetNumRadicalElectrons() for a in mol.GetAtoms()):
        raise LigandRejectedError(f"{_short(text)} is a radical (open shell); write the hydrogens or charge "
                                  "explicitly, e.g. [O-]C instead of [O]C")
    charge = Chem.GetFormalCharge(mol)
    if charge not in (0, -1):
        raise LigandRejectedError(f"{_short(text)} has net charge {charge:+d}; ligands are neutral or "
                                  "mono-anionic")
    paired = charge_separated_atoms(mol) if "+" in text else set()
    cations = [a for a in mol.GetAtoms() if a.GetFormalCharge() > 0 and a.GetIdx() not in paired] \
        if "+" in text else []  # a charge is written in the text: no atom loop for the 200k plain rows
    if cations:
        raise LigandRejectedError(f"{_short(text)} carries a positive charge on {cations[0].GetSymbol()} that no "
                                  "neighbouring negative charge balances (zwitterion or cation); ligands are "
                                  "neutral or mono-anionic (a nitro group [N+](=O)[O-] is fine)")
    return text, mol, paired


def _validate(smiles: object, limits: LigandLimits, reroot: bool) -> ValidLigand:
    from rdkit import Chem

    text, mol, paired = _check_molecule(smiles, limits)
    heavy, charge = mol.GetNumHeavyAtoms(), Chem.GetFormalCharge(mol)
    donor_idx = 0
    if 0 in paired:
        raise LigandRejectedError(f"{_short(text)} starts with the O- of a nitro-like group, which is no donor; "
                                  "write the donor atom (N or O) first")
    if mol.GetAtomWithIdx(0).GetSymbol() not in DONOR_ELEMENTS:
        anions = [a.GetIdx() for a in mol.GetAtoms()
                  if a.GetSymbol() in DONOR_ELEMENTS and a.GetFormalCharge() == -1 and a.GetIdx() not in paired]
        if not reroot or len(anions) != 1:
            first = mol.GetAtomWithIdx(0).GetSymbol()
            raise LigandRejectedError(f"{_short(text)} starts with {first}; write the donor atom (N or O) "
                                      "first, e.g. [O-]C or OCC")
        donor_idx = anions[0]
    donor_first = Chem.MolToSmiles(mol, rootedAtAtom=donor_idx, isomericSmiles=True, canonical=True)
    return ValidLigand(donor_first, mol.GetAtomWithIdx(donor_idx).GetSymbol(), charge, heavy)


# ------------------------------------------------------------------------------------------ parameters

def _coerce(key: str, value: object, default: object) -> object:
    """value converted to the type of default, or a GaussError naming the key and the expected type."""
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "yes", "1", "false", "no", "0"):
            return value.lower() in ("true", "yes", "1")
        raise GaussError(f"parameter {key}={value!r} must be true or false")
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise GaussError(f"parameter {key}={value!r} must be a whole number, e.g. {key}={default}")
        try:
            number = int(value)
        except ValueError:
            raise GaussError(f"parameter {key}={value!r} must be a whole number, e.g. {key}={default}") from None
        if number <= 0:
            raise GaussError(f"parameter {key}={number} must be positive")
        return number
    if isinstance(default, float):
        try:
            number_f = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise GaussError(f"parameter {key}={value!r} must be a number, e.g. {key}={default}") from None
        if not number_f > 0:
            raise GaussError(f"parameter {key}={number_f} must be positive")
        return number_f
    if isinstance(default, str) and not isinstance(value, str):
        raise GaussError(f"parameter {key}={value!r} must be text, e.g. {key}={default}")
    return value


def validate_params(kind: str, defaults: dict, params: dict | None,
                    choices: dict[str, tuple[str, ...]] | None = None) -> dict:
    """Defaults overlaid with params, each value of the default's type and, where listed, one of choices."""
    params = dict(params or {})
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise GaussError(f"unknown parameter(s) {', '.join(unknown)} for job kind {kind!r}; allowed: "
                         f"{', '.join(sorted(defaults))}")
    out = dict(defaults)
    for key, value in params.items():
        out[key] = _coerce(key, value, defaults[key]) if defaults[key] is not None else value
        allowed = (choices or {}).get(key)
        if allowed and out[key] not in allowed:
            raise GaussError(f"parameter {key}={out[key]!r} is not one of {', '.join(allowed)}")
    return out
