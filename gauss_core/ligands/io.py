"""User imports: a ligand CSV (smiles + optional donor index) and labelled training files in the
whitespace layout the paper's authors use (`SMILES Z q mu alpha` or `SMILES class MPP SDP angle r1 r2 E1..E7`).

Bad rows are reported one by one (row, input, reason) and the rest imports; a file whose columns or
layout are wrong as a whole raises DataFormatError naming what was expected.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from rdkit import Chem

from gauss_core import chem, columns, provenance
from gauss_core.errors import DataFormatError, InvalidSmilesError
from gauss_core.inputs import read_text_input
from gauss_core.ligands import donors
from gauss_core.ligands.build import ligand_class
from gauss_core.ligands.validate import LigandRejectedError, charge_separated_atoms, check_molecule

DONOR_INDEX = "donor_index"           # optional column of an imported ligand CSV: 0-based RDKit atom index
INPUT_SMILES = "input_smiles"         # the SMILES as the user wrote it (before re-rooting)
ERROR_COLUMNS = ("row", "input", "reason")

LABEL_LAYOUTS: dict[str, tuple[str, ...]] = {
    "loprop": (columns.DONOR_Z, columns.Q_DONOR, columns.MU_DONOR, columns.ALPHA_DONOR),
    "kd": (*columns.STRUCT_COLUMNS, *columns.KD_GAP_COLUMNS),
}
LAYOUT_BY_FIELDS = {1 + len(v): k for k, v in LABEL_LAYOUTS.items()}   # 5 -> loprop, 14 -> kd
_LAYOUT_TEXT = "'loprop' (SMILES Z q mu alpha: 5 columns) or 'kd' (SMILES class MPP SDP angle r1 r2 E1..E7: 14 columns)"


class RowError(ValueError):
    """Why one input row cannot be imported (collected into the error table, never raised to the user)."""


@dataclass
class LigandImport:
    """Result of import_ligand_csv: imported ligands (columns.LIGAND_COLUMNS + input_smiles) and per-row errors."""

    frame: pd.DataFrame
    errors: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(ERROR_COLUMNS)))


@dataclass
class LabelledDataset:
    """Result of import_labelled_dataset.

    frame: smiles (RDKit donor-first), input_smiles, canonical_smiles, donor_element, ligand_charge,
    ligand_class, then the layout's label columns (NaN where the file says -1000000.0), then the
    provenance column (`provenance` for loprop, `kd_provenance` for kd) set to 'imported'.
    """

    frame: pd.DataFrame
    layout: str
    errors: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(ERROR_COLUMNS)))


def _accepted_neutral(mol: Chem.Mol, atom: Chem.Atom) -> bool:
    return atom.GetSymbol() in ("N", "O") and donors.NEUTRAL_BASICITY[donors.site_kind(mol, atom)] is not None


def _net_charge(mol: Chem.Mol) -> int:
    return sum(a.GetFormalCharge() for a in mol.GetAtoms())


def resolve_donor(mol: Chem.Mol, donor_index: int | None) -> int:
    """Index of the donor atom of a ligand.

    Args:
        mol: parsed ligand (net charge 0 or -1).
        donor_index: the user's 0-based atom index, or None to use the first atom if it is a valid donor,
            else the only donor of the molecule.
    Raises:
        RowError: with the reason the donor cannot be found.
    """
    charge = _net_charge(mol)
    if charge not in (0, -1):
        raise RowError(f"net charge {charge:+d}: ligands must be neutral (0) or mono-anionic (-1)")
    paired = charge_separated_atoms(mol)  # nitro [N+](=O)[O-]: neutral as a group, its O- is no donor
    anionic = [a.GetIdx() for a in mol.GetAtoms() if a.GetFormalCharge() == -1 and a.GetIdx() not in paired]
    if donor_index is not None:
        if not 0 <= donor_index < mol.GetNumAtoms():
            raise RowError(f"donor index {donor_index} out of range: the molecule has {mol.GetNumAtoms()} heavy atoms "
                           f"(indices 0..{mol.GetNumAtoms() - 1})")
        atom = mol.GetAtomWithIdx(donor_index)
        if atom.GetSymbol() not in ("N", "O"):
            raise RowError(f"atom at index {donor_index} is {atom.GetSymbol()}, not N or O")
        if charge == -1 and atom.GetFormalCharge() != -1:
            raise RowError(f"anion: the donor must be the atom carrying the -1 charge, not atom {donor_index}")
        if charge == 0 and atom.GetFormalCharge() != 0:
            raise RowError(f"atom {donor_index} carries charge {atom.GetFormalCharge():+d} in a net-neutral molecule "
                           "(zwitterion): not a class 1-4 ligand")
        return donor_index
    first = mol.GetAtomWithIdx(0)
    if charge == -1:
        if first.GetSymbol() in ("N", "O") and first.GetFormalCharge() == -1 and 0 not in paired:
            return 0
        candidates = [i for i in anionic if mol.GetAtomWithIdx(i).GetSymbol() in ("N", "O")]
        if len(candidates) == 1 and len(anionic) == 1:
            return candidates[0]
        raise RowError("anion without a unique N-/O- donor: write the charged N or O first, or give donor_index")
    if any(a.GetFormalCharge() and a.GetIdx() not in paired for a in mol.GetAtoms()):
        raise RowError("zwitterion (separated formal charges): not a class 1-4 ligand")
    if 0 not in paired and _accepted_neutral(mol, first):
        return 0
    candidates = [a.GetIdx() for a in mol.GetAtoms() if a.GetIdx() not in paired and _accepted_neutral(mol, a)]
    if not candidates:
        excluded = sorted({donors.site_kind(mol, a) for a in mol.GetAtoms() if a.GetSymbol() in ("N", "O")})
        why = "; ".join(donors.EXCLUDED_REASONS[k] for k in excluded if k in donors.EXCLUDED_REASONS)
        raise RowError("no N/O donor: " + (why if why else "the molecule has no N or O atom")
                       + " (rules: docs/ligand_rules.md)")
    ranks = list(Chem.CanonicalRankAtoms(mol, breakTies=False))
    if len({ranks[i] for i in candidates}) == 1:
        return candidates[0]
    raise RowError(f"first atom is not a donor and the molecule has several donors (atoms {candidates}): "
                   "write the donor first or add a donor_index column")


def _checked_mol(smiles: str) -> Chem.Mol:
    """The parsed ligand after the queue's checks (size, metals, radicals, charges), or RowError."""
    try:
        mol, _ = check_molecule(smiles)
    except InvalidSmilesError as exc:
        raise RowError(str(exc) if isinstance(exc, LigandRejectedError) else f"unparseable SMILES: {exc}") \
            from None
    return mol


def ligand_row(smiles: str, donor_index: int | None = None) -> dict:
    """One ligand as a dict of columns.LIGAND_COLUMNS (qm9_index 0, no ligand_id), re-rooted at its donor.

    Raises:
        RowError: unparseable SMILES or no valid donor.
    """
    mol = _checked_mol(smiles)
    idx = resolve_donor(mol, donor_index)
    rooted = chem.donor_first_smiles(mol, idx)
    atom = mol.GetAtomWithIdx(idx)
    charge = atom.GetFormalCharge()
    return {columns.SMILES: rooted, columns.CANONICAL: chem.canonical_kekule(rooted),
            columns.DONOR_ELEMENT: atom.GetSymbol(), columns.DONOR_Z: atom.GetAtomicNum(), columns.CHARGE: charge,
            columns.LIGAND_CLASS: ligand_class(atom.GetSymbol(), charge), columns.QM9_INDEX: 0}


def _errors_frame(errors: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(errors, columns=list(ERROR_COLUMNS)).astype({"row": "int64"})


def import_ligand_csv(path: Path | str) -> LigandImport:
    """Import a user's ligand CSV.

    The file needs a `smiles` column; an optional `donor_index` column (0-based RDKit atom index, blank
    for none) names the donor. Without it the first atom must be a valid donor, or the molecule must
    have exactly one (up to symmetry). SMILES are re-rooted at the donor.

    Args:
        path: CSV file.
    Returns:
        LigandImport: frame (columns.LIGAND_COLUMNS + input_smiles; ligand_id = data row number,
        qm9_index 0) and errors (row = 1-based data row, input, reason).
    Raises:
        DataFormatError: unreadable file or no smiles column.
    """
    path = Path(path)
    text = read_text_input(path, "ligand CSV")  # missing, directory, empty, binary: one line each
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except Exception as exc:
        raise DataFormatError(f"cannot read ligand CSV {path}: {exc}; expected a CSV with header "
                              f"'{columns.SMILES}[,{DONOR_INDEX}]'") from None
    lookup = {c.strip().lower(): c for c in table.columns}
    if columns.SMILES not in lookup:
        raise DataFormatError(f"ligand CSV {path} has columns {list(table.columns)}; expected a '{columns.SMILES}' "
                              f"column and optionally '{DONOR_INDEX}' (0-based atom index of the donor)")
    smiles_col = lookup[columns.SMILES]
    index_col = lookup.get(DONOR_INDEX)
    rows, errors = [], []
    for i, record in enumerate(table.to_dict("records"), start=1):
        smiles = str(record[smiles_col]).strip()
        raw_index = str(record[index_col]).strip() if index_col else ""
        try:
            donor_index = None
            if raw_index:
                try:
                    donor_index = int(float(raw_index))
                except ValueError:
                    raise RowError(f"donor index {raw_index!r} is not an integer") from None
            row = ligand_row(smiles, donor_index)
        except RowError as exc:
            errors.append((i, smiles if not raw_index else f"{smiles} (donor_index {raw_index})", str(exc)))
            continue
        row[columns.LIGAND_ID] = i
        row[INPUT_SMILES] = smiles
        rows.append(row)
    frame = pd.DataFrame(rows, columns=[*columns.LIGAND_COLUMNS, INPUT_SMILES])
    return LigandImport(frame=frame, errors=_errors_frame(errors))


def _parse_label(token: str, name: str) -> float:
    try:
        value = float(token)
    except ValueError:
        raise RowError(f"label {name} = {token!r} is not a number") from None
    if value == columns.MISSING_LABEL or math.isnan(value):
        return math.nan
    return value


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def import_labelled_dataset(path: Path | str, layout: str | None = None) -> LabelledDataset:
    """Import a whitespace-separated labelled file: donor-first SMILES then label columns per line.

    Layouts: 'loprop' = SMILES Z q mu alpha; 'kd' = SMILES class MPP SDP angle r1 r2 E1..E7 (cm^-1).
    -1000000.0 (columns.MISSING_LABEL) marks a missing label and becomes NaN. Blank lines and lines
    starting with '#' are skipped, and so is a header line whose label fields are not numbers.

    Args:
        path: text file.
        layout: 'loprop', 'kd', or None/'auto' to recognise it from the column count (5 or 14).
    Returns:
        LabelledDataset(frame, layout, errors); rows with bad SMILES or labels go to errors (row = line number).
    Raises:
        DataFormatError: unknown layout name, or a line whose column count does not match the layout.
    """
    path = Path(path)
    if layout in (None, "", "auto"):
        layout = None
    elif layout not in LABEL_LAYOUTS:
        raise DataFormatError(f"unknown layout {layout!r}: use {_LAYOUT_TEXT}, or 'auto'")
    text = read_text_input(path, "labelled file")
    lines = [(n, line.split()) for n, line in enumerate(text.splitlines(), start=1)
             if line.strip() and not line.lstrip().startswith("#")]
    if lines and not any(_is_number(t) for t in lines[0][1][1:]):
        lines = lines[1:]   # header line such as "SMILES Z q mu alpha"
    if not lines:
        raise DataFormatError(f"labelled file {path} has no data lines; expected {_LAYOUT_TEXT}")
    if layout is None:
        n_fields = len(lines[0][1])
        layout = LAYOUT_BY_FIELDS.get(n_fields)
        if layout is None:
            raise DataFormatError(f"{path}, line {lines[0][0]}: {n_fields} columns match no layout; "
                                  f"expected {_LAYOUT_TEXT}")
    names = LABEL_LAYOUTS[layout]
    expected = 1 + len(names)
    for n, fields in lines:
        if len(fields) != expected:
            raise DataFormatError(f"{path}, line {n}: {len(fields)} columns, but layout '{layout}' has {expected}; "
                                  f"expected {_LAYOUT_TEXT}")
    prov_col = columns.PROVENANCE if layout == "loprop" else columns.KD_PROVENANCE
    rows, errors = [], []
    for n, fields in lines:
        smiles = fields[0]
        try:
            labels = {name: _parse_label(tok, name) for name, tok in zip(names, fields[1:], strict=False)}
            mol = _checked_mol(smiles)
            first = mol.GetAtomWithIdx(0)
            if first.GetSymbol() not in ("N", "O"):
                raise RowError(f"first atom is {first.GetSymbol()}: files of this layout must be donor-first "
                               "(N or O first)")
            if first.GetFormalCharge() not in (0, -1) or _net_charge(mol) != first.GetFormalCharge():
                raise RowError(f"donor charge {first.GetFormalCharge():+d} with net charge {_net_charge(mol):+d}: "
                               "ligands must be neutral or mono-anions charged on the donor")
            given_class = labels.get(columns.STRUCT_COLUMNS[0])
            own_class = ligand_class(first.GetSymbol(), first.GetFormalCharge())
            if given_class is not None and not math.isnan(given_class) and int(round(given_class)) != own_class:
                raise RowError(f"class {given_class:g} but the SMILES is class {own_class} "
                               "(1 neutral O, 2 neutral N, 3 anionic O, 4 anionic N)")
            z = labels.get(columns.DONOR_Z)
            if z is not None and not math.isnan(z) and int(round(z)) != first.GetAtomicNum():
                raise RowError(f"Z = {z:g} but the first atom of the SMILES is {first.GetSymbol()} "
                               f"(Z {first.GetAtomicNum()})")
        except RowError as exc:
            errors.append((n, " ".join(fields), str(exc)))
            continue
        charge = first.GetFormalCharge()
        rooted = chem.donor_first_smiles(mol, 0)
        rows.append({columns.SMILES: rooted, INPUT_SMILES: smiles, columns.CANONICAL: chem.canonical_kekule(rooted),
                     columns.DONOR_ELEMENT: first.GetSymbol(), columns.CHARGE: charge,
                     columns.LIGAND_CLASS: ligand_class(first.GetSymbol(), charge), **labels,
                     prov_col: provenance.IMPORTED})
    order = [columns.SMILES, INPUT_SMILES, columns.CANONICAL, columns.DONOR_ELEMENT, columns.CHARGE,
             columns.LIGAND_CLASS, *names, prov_col]
    frame = pd.DataFrame(rows, columns=order)
    for name in names:
        frame[name] = frame[name].astype(float)
    return LabelledDataset(frame=frame, layout=layout, errors=_errors_frame(errors))
