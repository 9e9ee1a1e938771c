"""Design sessions in SQLite (GAUSS_HOME/sessions.db, WAL): the seed basket, sampled candidates with their
latent vectors, assembled complexes with their KD estimates, picks, dashboard settings and sampling runs,
under a session name, so that a reload, a new tab or a server restart brings the work back.

Every mutation is one transaction (a crash leaves the session as it was before or after the change, never
half-written). Several threads and processes may use one file: a sampling run writes batches from a
background thread while the page reads them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gauss_core import columns as C
from gauss_core import paths
from gauss_core.errors import GaussError
from gauss_core.session import codec

if TYPE_CHECKING:
    from gauss_core.session.design import DesignSession

SCHEMA_VERSION = 1
DB_NAME = "sessions.db"
DEFAULT_SESSION = "default"
MAX_NAME = 80
# run states; "interrupted" is set by the dashboard for a run whose thread died with the server
RUNNING, FINISHED, STOPPED, FAILED, INTERRUPTED = "running", "finished", "stopped", "failed", "interrupted"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, created_at REAL NOT NULL,
    updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS seeds (
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE, pos INTEGER NOT NULL,
    smiles TEXT NOT NULL, source TEXT NOT NULL, PRIMARY KEY (session_id, smiles));
CREATE TABLE IF NOT EXISTS samples (
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE, idx INTEGER NOT NULL,
    run_id INTEGER, canonical TEXT, row_json TEXT NOT NULL, latent BLOB, dim INTEGER NOT NULL,
    times_generated INTEGER, PRIMARY KEY (session_id, idx));
CREATE TABLE IF NOT EXISTS complexes (
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE, smiles TEXT NOT NULL,
    entry_json TEXT NOT NULL, updated_at REAL NOT NULL, PRIMARY KEY (session_id, smiles));
CREATE TABLE IF NOT EXISTS picks (
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE, kind TEXT NOT NULL,
    smiles_json TEXT NOT NULL, PRIMARY KEY (session_id, kind));
CREATE TABLE IF NOT EXISTS settings (
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE, key TEXT NOT NULL,
    value_json TEXT NOT NULL, PRIMARY KEY (session_id, key));
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE, status TEXT NOT NULL,
    config_json TEXT NOT NULL, counters_json TEXT NOT NULL, done INTEGER NOT NULL, total INTEGER NOT NULL,
    first_row INTEGER NOT NULL, stop_requested INTEGER NOT NULL DEFAULT 0, error TEXT,
    started_at REAL NOT NULL, updated_at REAL NOT NULL);
"""
# tables holding a session's content, copied by save-as and written by export
CONTENT_TABLES = {"seeds": "pos, smiles, source",
                  "samples": "idx, run_id, canonical, row_json, latent, dim, times_generated",
                  "complexes": "smiles, entry_json, updated_at", "picks": "kind, smiles_json",
                  "settings": "key, value_json"}


class SessionStoreError(GaussError):
    """The session database cannot be opened or written (damaged, read-only, newer schema)."""


class SessionNotFoundError(SessionStoreError):
    """A session name that is not in the store."""


@dataclass(frozen=True)
class SessionInfo:
    name: str
    created_at: float
    updated_at: float
    n_seeds: int
    n_samples: int
    n_complexes: int


@dataclass
class SessionData:
    """Everything a session holds, as the dashboard uses it."""

    name: str
    seeds: list[dict] = field(default_factory=list)
    samples: pd.DataFrame = field(default_factory=pd.DataFrame)
    latents: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    complexes: dict = field(default_factory=dict)
    picks: dict[str, list[str]] = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    last_run: dict | None = None


def check_name(name: str) -> str:
    """The session name stripped, or SessionStoreError saying what a name may be."""
    clean = (name or "").strip()
    if not clean or len(clean) > MAX_NAME or not clean.isprintable():
        raise SessionStoreError(f"session name {name!r} is not usable: give 1-{MAX_NAME} printable characters, "
                                "e.g. 'phenolates-0.3'")
    return clean


class SessionStore:
    """The design-session database of one GAUSS_HOME.

    Args:
        home: GAUSS_HOME (default `gauss_core.paths.gauss_home()`); the file is <home>/sessions.db.
    """

    def __init__(self, home: str | Path | None = None, busy_timeout_s: float = 30.0):
        self.home = Path(home) if home is not None else paths.gauss_home()
        self.db_path = self.home / DB_NAME
        self.busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SessionStoreError(f"cannot create GAUSS_HOME {self.home} ({exc}); set GAUSS_HOME to a "
                                    "writable folder") from None
        with self._tx() as conn:
            for statement in SCHEMA.split(";"):   # not executescript: it would commit our transaction
                if statement.strip():
                    conn.execute(statement)
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif int(row[0]) > SCHEMA_VERSION:
                raise SessionStoreError(f"{self.db_path} was written by a newer GAUSS Studio (schema {row[0]}, "
                                        f"this one reads {SCHEMA_VERSION}); update GAUSS Studio or point "
                                        "GAUSS_HOME elsewhere")

    # -- connection -------------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        """This thread's connection, opened once (closing one checkpoints the WAL: slow per call)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            try:
                conn = sqlite3.connect(self.db_path, timeout=self.busy_timeout_s, isolation_level=None,
                                       check_same_thread=True)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA foreign_keys=ON")
                conn.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error as exc:
                raise self._explain(exc) from None
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _explain(self, exc: sqlite3.Error) -> SessionStoreError:
        text = str(exc)
        if "readonly" in text or "read-only" in text or "unable to open" in text:
            return SessionStoreError(f"the session store {self.db_path} cannot be written ({text}): make it and "
                                     "its folder writable (chmod u+w) or set GAUSS_HOME to a writable folder")
        if isinstance(exc, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text):
            return SessionStoreError(f"the session store {self.db_path} is damaged ({text}): move it aside "
                                     f"(mv {self.db_path} {self.db_path}.bad) to start afresh; an exported "
                                     "session file can then be imported")
        return SessionStoreError(f"the session store {self.db_path} failed: {text}")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction; sqlite errors become SessionStoreError naming the fix."""
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._explain(exc) from None

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        try:
            return self._conn().execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise self._explain(exc) from None

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            conn.close()
        self._local.conn = None

    # -- sessions ---------------------------------------------------------------------------------
    def session_id(self, name: str) -> int | None:
        rows = self._read("SELECT id FROM sessions WHERE name = ?", (name,))
        return int(rows[0][0]) if rows else None

    def exists(self, name: str) -> bool:
        return self.session_id(name) is not None

    def open(self, name: str = DEFAULT_SESSION, create: bool = True) -> DesignSession:
        """Handle on the named session, created empty when missing (unless create=False)."""
        name = check_name(name)
        if not self.exists(name):
            if not create:
                raise SessionNotFoundError(f"no design session named {name!r}; known: "
                                           f"{', '.join(s.name for s in self.list_sessions()) or 'none'}")
            now = time.time()
            with self._tx() as conn:
                conn.execute("INSERT OR IGNORE INTO sessions (name, created_at, updated_at) VALUES (?, ?, ?)",
                             (name, now, now))
        from gauss_core.session.design import DesignSession

        return DesignSession(self, name)

    def list_sessions(self) -> list[SessionInfo]:
        rows = self._read(
            "SELECT s.name, s.created_at, s.updated_at, "
            "(SELECT COUNT(*) FROM seeds WHERE session_id = s.id), "
            "(SELECT COUNT(*) FROM samples WHERE session_id = s.id), "
            "(SELECT COUNT(*) FROM complexes WHERE session_id = s.id) FROM sessions s ORDER BY s.updated_at DESC")
        return [SessionInfo(r[0], r[1], r[2], int(r[3]), int(r[4]), int(r[5])) for r in rows]

    def _require(self, conn: sqlite3.Connection, name: str) -> int:
        row = conn.execute("SELECT id FROM sessions WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise SessionNotFoundError(f"no design session named {name!r}")
        return int(row[0])

    def rename(self, old: str, new: str) -> None:
        new = check_name(new)
        with self._tx() as conn:
            sid = self._require(conn, old)
            if conn.execute("SELECT 1 FROM sessions WHERE name = ?", (new,)).fetchone():
                raise SessionStoreError(f"a session named {new!r} exists already: choose another name")
            conn.execute("UPDATE sessions SET name = ?, updated_at = ? WHERE id = ?", (new, time.time(), sid))

    def copy(self, src: str, dst: str, overwrite: bool = False) -> DesignSession:
        """Save-as: a new session `dst` with everything of `src` (runs are not copied)."""
        dst = check_name(dst)
        with self._tx() as conn:
            sid = self._require(conn, src)
            if conn.execute("SELECT 1 FROM sessions WHERE name = ?", (dst,)).fetchone():
                if not overwrite:
                    raise SessionStoreError(f"a session named {dst!r} exists already: choose another name")
                conn.execute("DELETE FROM sessions WHERE name = ?", (dst,))
            now = time.time()
            did = conn.execute("INSERT INTO sessions (name, created_at, updated_at) VALUES (?, ?, ?)",
                               (dst, now, now)).lastrowid
            for table, cols in CONTENT_TABLES.items():
                # run ids belong to the source session
                sel = cols.replace("run_id", "NULL") if table == "samples" else cols
                conn.execute(f"INSERT INTO {table} (session_id, {cols}) SELECT ?, {sel} FROM {table} "
                             "WHERE session_id = ?", (did, sid))
        return self.open(dst, create=False)

    def delete(self, name: str) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM sessions WHERE name = ?", (name,))

    def export(self, name: str) -> bytes:
        """The session as a JSON document (see `gauss_core.session.transfer`)."""
        from gauss_core.session.transfer import export_session

        return export_session(self, name)

    def import_(self, data: bytes | str | Path, name: str | None = None, overwrite: bool = False) -> str:
        """Import an exported session; returns the name it was stored under."""
        from gauss_core.session.transfer import import_session

        return import_session(self, data, name=name, overwrite=overwrite)


def times_from_counts(canonicals: Iterable[str | None], counts: dict[str, int]) -> list[int]:
    return [int(counts.get(c, 0)) if c else 0 for c in canonicals]


def samples_frame(rows: list[tuple]) -> tuple[pd.DataFrame, np.ndarray]:
    """(candidate table, latents) from (row_json, latent, dim, times_generated) rows."""
    if not rows:
        return pd.DataFrame(), np.zeros((0, 0), dtype=np.float32)
    df = codec.rows_from_json([r[0] for r in rows])
    times = [r[3] for r in rows]
    if any(t is not None for t in times):
        df[C.TIMES_GENERATED] = pd.array(times, dtype="Int64")
    dims = {int(r[2]) for r in rows}
    if len(dims) != 1:
        raise codec.SessionFormatError("stored samples mix latent sizes (different models); clear the samples "
                                       "or start a new session")
    return df, codec.latents_from_blobs([r[1] for r in rows], dims.pop())


def run_record(row: tuple) -> dict:
    """A runs row as the dict the dashboard shows."""
    (run_id, status, config_json, counters_json, done, total, first_row, stop, error, started, updated) = row
    config = json.loads(config_json)
    return {"id": int(run_id), "status": status, "config": config, "sigma": config.get("sigma"),
            "counters": json.loads(counters_json), "done": int(done), "total": int(total),
            "progress": int(done) / max(int(total), 1), "first_row": int(first_row), "stop_requested": bool(stop),
            "error": error, "started_at": started, "updated_at": updated}
