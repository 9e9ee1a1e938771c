"""Atomic file writes: readers see the old file or the whole new one, never a half-written one.

The one writer every module uses: a temporary file in the target's folder (same file system, so the
rename is atomic), fsync, then os.replace; the temporary file is removed when writing fails.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def umask_mode() -> int:
    """File mode a normally created file gets (mkstemp's temporary files are 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_path(path: str | Path, mode: int | None = None) -> Iterator[Path]:
    """A temporary path beside `path` to write to; it replaces `path` when the block ends without error.

    The temporary name keeps the target's last suffix (pandas and numpy pick compression / format from it).

    Args:
        path: the final file (its folder is created).
        mode: permission bits of the result (default: what the umask gives a new file, so a file written
            here is as readable as any other, e.g. by a dashboard run by another user).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, umask_mode() if mode is None else mode)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(path: str | Path, data: bytes, mode: int | None = None) -> Path:
    """Write `data` to `path` atomically; returns the path."""
    with atomic_path(path, mode) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | Path, text: str, mode: int | None = None) -> Path:
    """Write `text` (UTF-8) to `path` atomically; returns the path."""
    return atomic_write_bytes(path, text.encode("utf-8"), mode)


def atomic_write_json(path: str | Path, data: Any, **dumps_options: Any) -> Path:
    """json.dumps(data, **dumps_options) written to `path` atomically; returns the path."""
    return atomic_write_text(path, json.dumps(data, **dumps_options))
