"""Reading a user's input file with a one-line reason instead of a traceback: missing, a directory,
unreadable, empty, binary, a broken gzip; UTF-8 (with or without BOM) and UTF-16 with a BOM are read.

read_smiles_rows reads the SMILES lists every command takes (`queue add --file`, `encode`,
`reconstruct`, `complex estimate --file`, `label --input`): a CSV with a smiles column, or text with one
SMILES per line whose first word is the SMILES (the rest, e.g. a name, is kept apart); a header line is
skipped with a note, never read as a SMILES.
"""

from __future__ import annotations

import codecs
import os
import csv
import gzip
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from gauss_core.errors import DataFormatError, GaussError


def read_text_input(path: str | Path, what: str = "input file") -> str:
    """Text of a user's file, or DataFormatError naming the problem and the fix."""
    path = Path(path)
    if not path.exists():
        raise DataFormatError(f"{what} {path} does not exist; check the path")
    if path.is_dir():
        raise DataFormatError(f"{what} {path} is a directory; give a file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataFormatError(f"{what} {path} cannot be read ({exc.strerror}); check its permissions") from None
    if path.name.endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error):
            raise DataFormatError(f"{what} {path} is not a valid gzip file; give plain text or gzip it again") \
                from None
    if not raw.strip():
        raise DataFormatError(f"{what} {path} is empty; give one SMILES per line")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise DataFormatError(f"{what} {path} is not valid UTF-16; save it as UTF-8 text") from None
    if b"\0" in raw:
        raise DataFormatError(f"{what} {path} is binary (NUL bytes), not text; give a text/CSV file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataFormatError(f"{what} {path} is not UTF-8 text; save it as UTF-8") from None


def env_number(name: str, default: float, cast: type[int] | type[float] = float, minimum: float = 0,
               what: str = "a number") -> float:
    """A numeric setting from the environment (default when unset, at least minimum), or a GaussError
    naming the variable, its value and an example."""
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return max(minimum, cast(raw))
    except ValueError:
        raise GaussError(f"{name}={raw!r} is not {what}; unset it or give e.g. {default:g}") from None


SMILES_COLUMN = "smiles"
# first words of a header line in a plain SMILES list
HEADER_WORDS = frozenset({"smiles", "smi", "ligand", "ligands", "molecule", "molecules", "mol", "name", "id"})


@dataclass
class SmilesRows:
    """SMILES read from a file: smiles[i] came from line/row lines[i] (1-based line of the file), with the
    rest of a text line in names[i]; notes say what was skipped and why (header, comments)."""

    smiles: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _parses(word: str) -> bool:
    from rdkit import Chem

    import gauss_core.chem  # noqa: F401  (silences RDKit's stderr chatter)

    return Chem.MolFromSmiles(word) is not None


def _is_header(word: str) -> bool:
    """A first word that names a column rather than spells a molecule (e.g. 'SMILES', 'name', 'Compound')."""
    return word.lower() in HEADER_WORDS or (word.replace("_", "").isalpha() and not _parses(word))


def _is_csv(path: Path, first: str) -> bool:
    return path.name.lower().endswith((".csv", ".csv.gz")) or "," in first


def read_smiles_rows(path: str | Path, what: str = "SMILES file", column: str = SMILES_COLUMN) -> SmilesRows:
    """The SMILES of a user's file, or DataFormatError naming what is wrong with the file as a whole.

    A CSV (name *.csv, or a comma in the first line) needs a `smiles` column when it has a header; a
    headerless CSV gives its first column. Other files: one SMILES per line, the first word of the line.
    Blank lines and lines starting with '#' are skipped; rows are not validated here (callers do, per row).
    """
    path = Path(path)
    text = read_text_input(path, what)
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), 1)
                if line.strip() and not line.lstrip().startswith("#")]
    out = SmilesRows()
    if not numbered:
        raise DataFormatError(f"{what} {path} has only blank or comment lines; give one SMILES per line")
    if _is_csv(path, numbered[0][1]):
        cells = [(n, next(csv.reader([line]))) for n, line in numbered]
        header = [c.strip() for c in cells[0][1]]
        lower = [c.lower() for c in header]
        if column in lower:
            col = lower.index(column)
            cells = cells[1:]
        elif not header[0] or _is_header(header[0]):
            raise DataFormatError(f"{what} {path} has no '{column}' column (found: {', '.join(header)}); "
                                  f"name the SMILES column '{column}'")
        else:
            col = 0
        for n, row in cells:
            out.smiles.append(row[col].strip() if col < len(row) else "")
            out.lines.append(n)
            out.names.append("")
        return out
    for i, (n, line) in enumerate(numbered):
        word, rest = line.split()[0], " ".join(line.split()[1:])
        if i == 0 and _is_header(word):
            out.notes.append(f"line {n}: header {line.strip()[:40]!r} skipped")
            continue
        out.smiles.append(word)
        out.lines.append(n)
        out.names.append(rest)
    if not out.smiles:
        raise DataFormatError(f"{what} {path} has a header but no SMILES lines; give one SMILES per line")
    return out
