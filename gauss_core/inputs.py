"""Reading a user's input file with a one-line reason instead of a traceback: missing, a directory,
unreadable, empty, binary; UTF-8 (with or without BOM) and UTF-16 with a BOM are read."""

from __future__ import annotations

import codecs
from pathlib import Path

from gauss_core.errors import DataFormatError


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
