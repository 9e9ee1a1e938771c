"""SQLite errors of the queue database as one-line GaussErrors: a lock held by another process past the
busy timeout (naming the holder's pid when /proc/locks shows it), a read-only or unopenable database,
a file that is not a database."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from gauss_core.errors import GaussError, NotWritableError, QueueLockedError

BUSY_TIMEOUT_VAR = "GAUSS_QUEUE_BUSY_TIMEOUT_S"
DEFAULT_BUSY_TIMEOUT_S = 30.0


def busy_timeout_s(explicit: float | None = None) -> float:
    """The lock wait: explicit, else GAUSS_QUEUE_BUSY_TIMEOUT_S, else 30 s."""
    from gauss_core.inputs import env_number

    if explicit is not None:
        return float(explicit)
    return float(env_number(BUSY_TIMEOUT_VAR, DEFAULT_BUSY_TIMEOUT_S, float, 0.0, "a number of seconds"))


def lock_holders(db_path: Path) -> list[int]:
    """Pids (other than this one) holding a write lock on the database or its WAL index, from /proc/locks."""
    inodes = set()
    for path in (db_path, Path(f"{db_path}-shm")):
        try:
            inodes.add(path.stat().st_ino)
        except OSError:
            continue
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return []
    pids = set()
    for line in lines:
        # "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF" (a blocked waiter's line has "->" inserted)
        fields = line.replace("->", "").split()
        if len(fields) < 6 or fields[3] != "WRITE":
            continue
        try:
            pid, inode = int(fields[4]), int(fields[5].rsplit(":", 1)[1])
        except (ValueError, IndexError):
            continue
        if inode in inodes and pid != os.getpid():
            pids.add(pid)
    return sorted(pids)


def translate(exc: sqlite3.Error, db_path: Path) -> GaussError | None:
    """The user-facing error for an SQLite error of the queue at db_path, or None when it is a bug."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        holders = lock_holders(db_path)
        who = f" (pid {', '.join(map(str, holders))})" if holders else ""
        return QueueLockedError(f"the queue database {db_path} is locked by another process{who}; try again "
                                "in a moment")
    if "readonly" in text or "read-only" in text or "unable to open" in text or "disk i/o" in text:
        return NotWritableError(f"the queue database {db_path} is not writable ({exc}); set GAUSS_HOME to a "
                                "writable folder")
    if "not a database" in text:
        return GaussError(f"{db_path} is not an SQLite queue database; move it away or set GAUSS_HOME to "
                          "another folder")
    return None
