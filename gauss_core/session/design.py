"""One named design session in a `SessionStore`: read and write its seeds, samples, complexes, picks,
settings and sampling runs. Each method is one transaction."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gauss_core import columns as C
from gauss_core.session import codec
from gauss_core.session.store import (FINISHED, RUNNING, SessionData, SessionStore, run_record, samples_frame,
                                      times_from_counts)

if TYPE_CHECKING:
    import sqlite3

RUN_COLUMNS = ("id, status, config_json, counters_json, done, total, first_row, stop_requested, error, started_at, "
               "updated_at")


class DesignSession:
    """Handle on the session `name` of `store` (made by `SessionStore.open`)."""

    def __init__(self, store: SessionStore, name: str):
        self.store = store
        self.name = name

    def _sid(self, conn: sqlite3.Connection) -> int:
        sid = self.store._require(conn, self.name)
        conn.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (time.time(), sid))
        return sid

    def _rsid(self) -> int:
        sid = self.store.session_id(self.name)
        if sid is None:
            from gauss_core.session.store import SessionNotFoundError

            raise SessionNotFoundError(f"the design session {self.name!r} was deleted or renamed; load another")
        return sid

    # -- seeds ------------------------------------------------------------------------------------
    def seeds(self) -> list[dict]:
        rows = self.store._read("SELECT smiles, source FROM seeds WHERE session_id = ? ORDER BY pos", (self._rsid(),))
        return [{"smiles": s, "source": src} for s, src in rows]

    def save_seeds(self, seeds: Iterable[dict]) -> None:
        """Replace the basket with `seeds` (dicts with smiles, source), in order, without repeats."""
        with self.store._tx() as conn:
            sid = self._sid(conn)
            conn.execute("DELETE FROM seeds WHERE session_id = ?", (sid,))
            conn.executemany("INSERT OR IGNORE INTO seeds VALUES (?, ?, ?, ?)",
                             [(sid, i, s["smiles"], s.get("source", "")) for i, s in enumerate(seeds)])

    def add_seeds(self, smiles: Iterable[str], source: str) -> int:
        """Add seeds not yet in the basket; returns how many were new."""
        with self.store._tx() as conn:
            sid = self._sid(conn)
            pos = conn.execute("SELECT COALESCE(MAX(pos), -1) + 1 FROM seeds WHERE session_id = ?",
                               (sid,)).fetchone()[0]
            before = conn.total_changes
            conn.executemany("INSERT OR IGNORE INTO seeds VALUES (?, ?, ?, ?)",
                             [(sid, pos + i, s, source) for i, s in enumerate(dict.fromkeys(smiles))])
            return conn.total_changes - before

    def remove_seeds(self, smiles: Iterable[str]) -> None:
        with self.store._tx() as conn:
            sid = self._sid(conn)
            conn.executemany("DELETE FROM seeds WHERE session_id = ? AND smiles = ?", [(sid, s) for s in smiles])

    # -- samples ----------------------------------------------------------------------------------
    def n_samples(self) -> int:
        return int(self.store._read("SELECT COUNT(*) FROM samples WHERE session_id = ?", (self._rsid(),))[0][0])

    def append_samples(self, rows: pd.DataFrame, latents: np.ndarray, run_id: int | None = None,
                       counts: dict[str, int] | None = None) -> int:
        """Append candidate rows with their latent vectors z' (one per row); returns the number of rows now.

        counts: times each canonical SMILES was generated so far (fills `times_generated`)."""
        z = np.asarray(latents, dtype=np.float32)
        if len(rows) != len(z):
            raise codec.SessionFormatError(f"{len(rows)} sample rows but {len(z)} latent vectors")
        if rows.empty:
            return self.n_samples()
        texts = codec.rows_to_json(rows.drop(columns=[C.TIMES_GENERATED], errors="ignore"))
        canon = rows[C.CANONICAL].tolist() if C.CANONICAL in rows else [None] * len(rows)
        times: list = times_from_counts(canon, counts) if counts is not None else (
            rows[C.TIMES_GENERATED].tolist() if C.TIMES_GENERATED in rows else [None] * len(rows))
        dim = z.shape[1] if z.ndim == 2 else 0
        with self.store._tx() as conn:
            sid = self._sid(conn)
            start = conn.execute("SELECT COALESCE(MAX(idx), -1) + 1 FROM samples WHERE session_id = ?",
                                 (sid,)).fetchone()[0]
            conn.executemany("INSERT INTO samples VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             [(sid, start + i, run_id, canon[i], texts[i], codec.latent_to_blob(z[i]), dim,
                               None if times[i] is None or pd.isna(times[i]) else int(times[i]))
                              for i in range(len(texts))])
            return int(start + len(texts))

    def samples(self, start: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
        """(candidate table in insertion order, latents aligned with it), from row `start` on (a reader that
        holds the first rows already asks only for the new ones)."""
        rows = self.store._read("SELECT row_json, latent, dim, times_generated FROM samples WHERE session_id = ? "
                                "AND idx >= ? ORDER BY idx", (self._rsid(), int(start)))
        return samples_frame(rows)

    def set_times_generated(self, run_id: int, counts: dict[str, int]) -> None:
        """Final `times_generated` of the rows a run added (from its tracker's per-molecule counts)."""
        with self.store._tx() as conn:
            sid = self._sid(conn)
            rows = conn.execute("SELECT idx, canonical FROM samples WHERE session_id = ? AND run_id = ?",
                                (sid, run_id)).fetchall()
            conn.executemany("UPDATE samples SET times_generated = ? WHERE session_id = ? AND idx = ?",
                             [(int(counts.get(c, 0)) if c else 0, sid, i) for i, c in rows])

    def clear_samples(self) -> None:
        with self.store._tx() as conn:
            conn.execute("DELETE FROM samples WHERE session_id = ?", (self._sid(conn),))

    # -- complexes, picks, settings ------------------------------------------------------------------
    def save_complex(self, smiles: str, entry: dict) -> None:
        """Store a complex entry (Complex, KDEstimate(s), descriptors, errors) as built, for exact restore."""
        text = codec.dumps(entry)
        with self.store._tx() as conn:
            conn.execute("INSERT OR REPLACE INTO complexes VALUES (?, ?, ?, ?)",
                         (self._sid(conn), smiles, text, time.time()))

    def remove_complex(self, smiles: str) -> None:
        with self.store._tx() as conn:
            conn.execute("DELETE FROM complexes WHERE session_id = ? AND smiles = ?", (self._sid(conn), smiles))

    def complexes(self) -> dict[str, dict]:
        rows = self.store._read("SELECT smiles, entry_json FROM complexes WHERE session_id = ? ORDER BY rowid",
                                (self._rsid(),))
        return {s: codec.loads(t) for s, t in rows}

    def save_picks(self, kind: str, smiles: Iterable[str]) -> None:
        with self.store._tx() as conn:
            conn.execute("INSERT OR REPLACE INTO picks VALUES (?, ?, ?)",
                         (self._sid(conn), kind, json.dumps(list(smiles))))

    def picks(self) -> dict[str, list[str]]:
        rows = self.store._read("SELECT kind, smiles_json FROM picks WHERE session_id = ?", (self._rsid(),))
        return {k: json.loads(t) for k, t in rows}

    def set_settings(self, values: dict[str, Any]) -> None:
        """Store settings (JSON-able values; a DataFrame such as the sigma sweep is kept as records)."""
        if not values:
            return
        with self.store._tx() as conn:
            sid = self._sid(conn)
            conn.executemany("INSERT OR REPLACE INTO settings VALUES (?, ?, ?)",
                             [(sid, k, codec.dumps(_frame_tag(v))) for k, v in values.items()])

    def settings(self) -> dict[str, Any]:
        rows = self.store._read("SELECT key, value_json FROM settings WHERE session_id = ?", (self._rsid(),))
        return {k: _frame_untag(codec.loads(t)) for k, t in rows}

    def settings_raw(self) -> dict[str, Any]:
        """Settings in their stored JSON form (for export)."""
        rows = self.store._read("SELECT key, value_json FROM settings WHERE session_id = ?", (self._rsid(),))
        return {k: json.loads(t) for k, t in rows}

    def set_settings_raw(self, values: dict[str, Any]) -> None:
        for v in values.values():
            _frame_untag(codec.from_jsonable(v))  # refuse what cannot be read back before storing it
        with self.store._tx() as conn:
            sid = self._sid(conn)
            conn.executemany("INSERT OR REPLACE INTO settings VALUES (?, ?, ?)",
                             [(sid, k, json.dumps(v)) for k, v in values.items()])

    # -- sampling runs ----------------------------------------------------------------------------
    def start_run(self, config: dict, total: int) -> int:
        """Record a new running sampling run; returns its id."""
        now = time.time()
        with self.store._tx() as conn:
            sid = self._sid(conn)
            first = conn.execute("SELECT COALESCE(MAX(idx), -1) + 1 FROM samples WHERE session_id = ?",
                                 (sid,)).fetchone()[0]
            cur = conn.execute(
                "INSERT INTO runs (session_id, status, config_json, counters_json, done, total, first_row, "
                "started_at, updated_at) VALUES (?, ?, ?, '{}', 0, ?, ?, ?, ?)",
                (sid, RUNNING, json.dumps(config), int(total), first, now, now))
            return int(cur.lastrowid or 0)

    def update_run(self, run_id: int, counters: dict | None = None, done: int | None = None,
                   status: str | None = None, error: str | None = None) -> None:
        sets, args = ["updated_at = ?"], [time.time()]  # type: list[str], list[object]
        for col, val in (("counters_json", None if counters is None else json.dumps(counters)), ("done", done),
                         ("status", status), ("error", error)):
            if val is not None:
                sets.append(f"{col} = ?")
                args.append(val)
        with self.store._tx() as conn:
            conn.execute(f"UPDATE runs SET {', '.join(sets)} WHERE id = ?", (*args, run_id))

    def request_stop(self, run_id: int) -> None:
        with self.store._tx() as conn:
            conn.execute("UPDATE runs SET stop_requested = 1 WHERE id = ?", (run_id,))

    def stop_requested(self, run_id: int) -> bool:
        rows = self.store._read("SELECT stop_requested FROM runs WHERE id = ?", (run_id,))
        return bool(rows and rows[0][0])

    def run(self, run_id: int) -> dict | None:
        rows = self.store._read(f"SELECT {RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        return run_record(rows[0]) if rows else None

    def last_run(self) -> dict | None:
        rows = self.store._read(f"SELECT {RUN_COLUMNS} FROM runs WHERE session_id = ? ORDER BY id DESC LIMIT 1",
                                (self._rsid(),))
        return run_record(rows[0]) if rows else None

    def forget_runs(self) -> None:
        with self.store._tx() as conn:
            conn.execute("DELETE FROM runs WHERE session_id = ? AND status != ?", (self._sid(conn), RUNNING))

    # -- everything -------------------------------------------------------------------------------
    def load(self) -> SessionData:
        df, z = self.samples()
        return SessionData(self.name, self.seeds(), df, z, self.complexes(), self.picks(), self.settings(),
                           self.last_run())


def _frame_tag(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return {"__frame__": codec.to_jsonable(value.astype(object).where(pd.notna(value), None).to_dict("split"))}
    return value


def _frame_untag(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"__frame__"}:
        split = value["__frame__"]
        return pd.DataFrame(split["data"], columns=split["columns"])
    return value


__all__ = ["DesignSession", "FINISHED", "RUNNING"]
