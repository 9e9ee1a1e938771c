"""Persistent job queue in SQLite (WAL mode).

A job is (kind, ligand SMILES, parameters as canonical JSON); the triple is unique, so enqueuing the
same job twice returns the existing row. States: queued -> running -> done | failed | cancelled.
Each job owns a directory <root>/jobs/<id>/ holding its input, program output, log.txt and result.json.

Crash safety: every state change is one short transaction; workers claim with BEGIN IMMEDIATE so two
workers never take the same job; a running job records the worker's identity (host, pid, process start
time) and a heartbeat. `recover_stale()` (gauss_core.jobs.recovery) puts jobs of a dead worker back.

This module holds the connection and the queue operations; the row type and constants live in
gauss_core.jobs.schema, process identity and kills in gauss_core.jobs.liveness. They are re-exported
here, so `from gauss_core.jobs.store import ...` keeps working.
"""

from __future__ import annotations

import builtins  # JobStore.list shadows the built-in inside the class
import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from gauss_core.paths import writable_dir
from gauss_core.errors import NotWritableError
from gauss_core.jobs import dberrors
from gauss_core.jobs.liveness import (kill_job_processes, kill_process_group, process_alive, process_start_time,
                                      worker_identity)
from gauss_core.jobs.schema import (CANCELLED, DONE, ERROR_FILE, FAILED, FINAL_STATES, JOB_FILE, LOCAL, LOG_FILE,
                                    QUEUED, RESULT_FILE, RUNNING, SCHEMA, SLURM, STATES, Job, JobNotFoundError,
                                    JobStateError, canonical_params, default_db_path, job_key, write_json_atomic)

__all__ = ["CANCELLED", "DONE", "ERROR_FILE", "FAILED", "FINAL_STATES", "JOB_FILE", "LOCAL", "LOG_FILE", "QUEUED",
           "RESULT_FILE", "RUNNING", "SCHEMA", "SLURM", "STATES", "Job", "JobNotFoundError", "JobStateError",
           "JobStore", "canonical_params", "default_db_path", "job_key", "kill_job_processes", "kill_process_group",
           "process_alive", "process_start_time", "worker_identity", "write_json_atomic"]


class JobStore:
    """The SQLite job queue. Safe to use from several processes at once.

    Args:
        db_path: database file (default GAUSS_HOME/queue.db); job directories go to <its folder>/jobs/.
        busy_timeout_s: how long a writer waits for another writer's lock.
    """

    def __init__(self, db_path: str | Path | None = None, busy_timeout_s: float | None = None):
        self.db_path = Path(db_path) if db_path else default_db_path()
        self.jobs_root = self.db_path.parent / "jobs"
        # Checked before SQLite, which would say only "unable to open database file".
        writable_dir(self.db_path.parent, "queue folder")
        self.busy_timeout_s = dberrors.busy_timeout_s(busy_timeout_s)
        self._local = threading.local()
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)

    # -- connection -------------------------------------------------------------------------------
    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection (one per thread and process, kept open).

        Why kept open: closing the last connection checkpoints the WAL and fsyncs (20 ms here), which
        made every enqueue cost ~35 ms; with a kept connection an enqueue is about 1 ms.
        SQLite errors a user can fix (lock held by another process, read-only database) come out as
        one-line GaussErrors (gauss_core.jobs.dberrors).
        """
        try:
            conn = getattr(self._local, "conn", None)
            if conn is None or getattr(self._local, "pid", None) != os.getpid():
                conn = sqlite3.connect(self.db_path, timeout=self.busy_timeout_s, isolation_level=None)
                conn.row_factory = sqlite3.Row
                conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_s * 1000)}")
                conn.execute("PRAGMA synchronous=NORMAL")
                self._local.conn, self._local.pid = conn, os.getpid()
            yield conn
        except sqlite3.Error as exc:
            friendly = dberrors.translate(exc, self.db_path)
            if friendly is None:
                raise
            raise friendly from None

    def close(self) -> None:
        """Close this thread's connection (others close when their threads end)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == os.getpid():
            conn.close()
        self._local.conn = None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """An IMMEDIATE transaction: takes the write lock at once so read-modify-write is atomic."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def job_dir(self, job_id: int) -> Path:
        return self.jobs_root / str(int(job_id))

    def _row_to_job(self, row: sqlite3.Row) -> Job:
        return Job(
            id=row["id"], kind=row["kind"], smiles=row["smiles"], params=json.loads(row["params_json"]),
            state=row["state"], created_at=row["created_at"], started_at=row["started_at"],
            finished_at=row["finished_at"], heartbeat_at=row["heartbeat_at"], executor=row["executor"],
            worker_host=row["worker_host"], worker_pid=row["worker_pid"], worker_start=row["worker_start"],
            runner_pgid=row["runner_pgid"], slurm_id=row["slurm_id"], attempts=row["attempts"],
            max_attempts=row["max_attempts"], cancel_requested=bool(row["cancel_requested"]),
            error=row["error"], result=json.loads(row["result_json"]) if row["result_json"] else None,
            directory=self.job_dir(row["id"]))

    # -- queries ----------------------------------------------------------------------------------
    def get(self, job_id: int) -> Job:
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM jobs WHERE id=?", (int(job_id),)).fetchone()
        if row is None:
            raise JobNotFoundError(f"no job {job_id} in {self.db_path}; list jobs with `gauss queue list`")
        return self._row_to_job(row)

    def list(self, state: str | None = None, kind: str | None = None) -> list[Job]:
        sql, args = "SELECT * FROM jobs WHERE 1=1", []
        if state:
            sql += " AND state=?"
            args.append(state)
        if kind:
            sql += " AND kind=?"
            args.append(kind)
        with self._connect() as conn:
            rows = conn.execute(sql + " ORDER BY id", args).fetchall()
        return [self._row_to_job(r) for r in rows]

    def counts(self) -> dict[str, int]:
        with self._connect() as conn:
            rows = conn.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall()
        out = {s: 0 for s in STATES}
        out.update({r[0]: r[1] for r in rows})
        return out

    # -- state changes ----------------------------------------------------------------------------
    def enqueue(self, kind: str, smiles: str, params: dict | None = None, max_attempts: int = 3,
                validate: bool = True) -> Job:
        """Add a job, or return the existing one with the same (kind, smiles, params).

        Args:
            kind: registered job kind ('casscf', 'loprop').
            smiles: ligand SMILES (stored as given; never passed to a shell).
            params: JSON-serialisable parameters.
            max_attempts: how often a job is requeued after its worker died.
        Returns:
            The Job (new or existing).
        """
        job, created = self.enqueue_many(kind, [smiles], params, max_attempts, validate)[0]
        if created:
            self._make_job_dir(job.id)
        return job

    def enqueue_many(self, kind: str, smiles_list: Sequence[str], params: dict | None = None,
                     max_attempts: int = 3, validate: bool = True) -> builtins.list[tuple[Job, bool]]:
        """Validate and add many jobs in one transaction (linear in their number).

        Each SMILES is validated (gauss_core.ligands.validate) and stored donor-first and canonical, so
        [O-]C, C[O-] and [O-][CH3] are one job. Raises on the first invalid SMILES, before storing any.
        The jobs' folders are created when first needed (claim, log), not here.

        validate=False stores the text as given (only for tests of how a runner handles bad input).

        Returns:
            (job, created) per SMILES, in order; created is False for an existing job.
        """
        from gauss_core.jobs.kinds import get_kind, resolve_params  # kinds imports nothing heavy at import time
        from gauss_core.ligands.validate import LigandLimits, validate_ligand

        limits = LigandLimits.from_env()

        if not validate:
            get_kind(kind)
            canon = list(smiles_list)
            params = {**get_kind(kind).default_params, **(params or {})}
        else:
            params = resolve_params(kind, params)
            canon = [validate_ligand(smi, limits).smiles for smi in smiles_list]
        now = time.time()
        params_json = canonical_params(params)
        keys = [job_key(kind, smi, params, params_json) for smi in canon]
        first_smiles: dict[str, str] = {}  # key -> its first spelling, in input order (ids follow it)
        for key, smi in zip(keys, canon, strict=True):
            first_smiles.setdefault(key, smi)
        with self._write() as conn:
            # Set operations rather than a SELECT and an INSERT per row: 200k rows in seconds.
            existing = self._ids_of_keys(conn, list(first_smiles))
            new = [(key, smi) for key, smi in first_smiles.items() if key not in existing]
            before = conn.execute("SELECT COALESCE(MAX(id), 0) FROM jobs").fetchone()[0]
            conn.executemany(
                "INSERT INTO jobs (job_key, kind, smiles, params_json, state, created_at, max_attempts)"
                " VALUES (?,?,?,?,?,?,?)",
                [(key, kind, smi, params_json, QUEUED, now, int(max_attempts)) for key, smi in new])
            # AUTOINCREMENT ids only grow, so the rows above the old maximum are exactly the new ones
            created = dict(conn.execute("SELECT job_key, id FROM jobs WHERE id > ?", (before,)).fetchall())
        # No folder per job here: 200k mkdirs cost 45 s (and as long again to delete); the worker, the log
        # and enqueue() of a single job create it when it is first needed.
        jobs = self._get_many(list(existing.values()))
        stored_params = json.loads(params_json)  # as a stored row reads back
        for key, job_id in created.items():
            jobs[job_id] = Job(id=job_id, kind=kind, smiles=first_smiles[key], params=dict(stored_params),
                               state=QUEUED, created_at=now, started_at=None, finished_at=None, heartbeat_at=None,
                               executor=None, worker_host=None, worker_pid=None, worker_start=None,
                               runner_pgid=None, slurm_id=None, attempts=0, max_attempts=int(max_attempts),
                               cancel_requested=False, error=None, result=None, directory=self.job_dir(job_id))
        out, seen = [], set()
        for key in keys:
            job_id = created.get(key) or existing[key]
            out.append((jobs[job_id], key in created and key not in seen))
            seen.add(key)
        return out

    @staticmethod
    def _ids_of_keys(conn: sqlite3.Connection, keys: builtins.list[str]) -> dict[str, int]:
        """{job_key: id} of the keys already in the table (queried 500 at a time)."""
        found: dict[str, int] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            found.update(conn.execute(f"SELECT job_key, id FROM jobs WHERE job_key IN ({','.join('?' * len(chunk))})",
                                      chunk).fetchall())
        return found

    def _get_many(self, job_ids: Sequence[int]) -> dict[int, Job]:
        """Jobs by id, read in chunks (one query per 500, not one per job: bulk adds return 200k jobs)."""
        wanted = sorted(set(job_ids))
        found: dict[int, Job] = {}
        with self._connect() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                rows = conn.execute(f"SELECT * FROM jobs WHERE id IN ({','.join('?' * len(chunk))})", chunk)
                found.update((row["id"], self._row_to_job(row)) for row in rows)
        return found

    def claim(self, executor: str = LOCAL, kinds: tuple[str, ...] | None = None,
              identity: tuple[str, int, str] | None = None) -> Job | None:
        """Atomically take the oldest queued job and mark it running for this worker.

        Returns:
            The claimed Job, or None when nothing is queued.
        """
        host, pid, start = identity or worker_identity()
        now = time.time()
        with self._write() as conn:
            sql, args = "SELECT id FROM jobs WHERE state=?", [QUEUED]
            if kinds:
                sql += f" AND kind IN ({','.join('?' * len(kinds))})"
                args += list(kinds)
            row = conn.execute(sql + " ORDER BY id LIMIT 1", args).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE jobs SET state=?, started_at=?, heartbeat_at=?, executor=?, worker_host=?, worker_pid=?,"
                " worker_start=?, runner_pgid=NULL, slurm_id=NULL, attempts=attempts+1, cancel_requested=0,"
                " error=NULL, finished_at=NULL WHERE id=?",
                (RUNNING, now, now, executor, host, pid, start, row["id"]))
            job_row = conn.execute("SELECT * FROM jobs WHERE id=?", (row["id"],)).fetchone()
        return self._row_to_job(job_row)

    def set_runner(self, job_id: int, pgid: int | None = None, slurm_id: str | None = None) -> None:
        """Record the process group (local) or SLURM job id running this job."""
        with self._write() as conn:
            conn.execute("UPDATE jobs SET runner_pgid=COALESCE(?, runner_pgid), slurm_id=COALESCE(?, slurm_id)"
                         " WHERE id=?", (pgid, slurm_id, int(job_id)))

    def heartbeat(self, job_ids: Sequence[int], identity: tuple[str, int, str] | None = None) -> None:
        """Mark the worker's running jobs alive (and adopt them, for a SLURM worker taking over)."""
        if not job_ids:
            return
        host, pid, start = identity or worker_identity()
        with self._write() as conn:
            conn.executemany("UPDATE jobs SET heartbeat_at=?, worker_host=?, worker_pid=?, worker_start=?"
                             " WHERE id=? AND state=?",
                             [(time.time(), host, pid, start, int(j), RUNNING) for j in job_ids])

    def finish(self, job_id: int, result: dict) -> bool:
        """Store a result and mark the job done (ignored if it was cancelled meanwhile).

        Returns:
            True if the job is now done.
        """
        with self._write() as conn:
            cur = conn.execute("UPDATE jobs SET state=?, result_json=?, finished_at=?, error=NULL"
                               " WHERE id=? AND state=?",
                               (DONE, json.dumps(result), time.time(), int(job_id), RUNNING))
            return cur.rowcount == 1

    def fail(self, job_id: int, error: str) -> bool:
        """Mark a running job failed with an error message (its log stays in the job directory)."""
        with self._write() as conn:
            cur = conn.execute("UPDATE jobs SET state=?, error=?, finished_at=? WHERE id=? AND state=?",
                               (FAILED, error, time.time(), int(job_id), RUNNING))
            return cur.rowcount == 1

    def release(self, job_id: int) -> bool:
        """Give a running job back to the queue without counting the attempt (worker stopped politely)."""
        with self._write() as conn:
            cur = conn.execute("UPDATE jobs SET state=?, runner_pgid=NULL, attempts=MAX(attempts-1, 0)"
                               " WHERE id=? AND state=?", (QUEUED, int(job_id), RUNNING))
            return cur.rowcount == 1

    def cancel(self, job_id: int) -> Job:
        """Cancel a queued or running job. A running job's worker sees the flag and kills its program.

        Returns:
            The job after the change.
        """
        job = self.get(job_id)
        if job.state in FINAL_STATES:
            raise JobStateError(f"job {job_id} is already {job.state}; nothing to cancel")
        with self._write() as conn:
            conn.execute("UPDATE jobs SET state=?, cancel_requested=1, finished_at=?, error=? WHERE id=?"
                         " AND state IN (?,?)",
                         (CANCELLED, time.time(), "cancelled by user", int(job_id), QUEUED, RUNNING))
        if job.state == RUNNING and job.executor != SLURM and job.worker_host == socket.gethostname() \
                and not process_alive(job.worker_host, job.worker_pid, job.worker_start):
            # No worker will see the flag: end the job's programs here.
            n = kill_job_processes(job.directory, job.runner_pgid)
            self.append_log(job_id, f"cancelled while its worker was gone; killed {n} process(es)")
        return self.get(job_id)

    def retry(self, job_id: int) -> Job:
        """Put a failed or cancelled job back in the queue (its attempt count restarts)."""
        job = self.get(job_id)
        if job.state not in (FAILED, CANCELLED):
            raise JobStateError(f"job {job_id} is {job.state}; only failed or cancelled jobs can be retried")
        with self._write() as conn:
            conn.execute("UPDATE jobs SET state=?, attempts=0, cancel_requested=0, error=NULL, result_json=NULL,"
                         " started_at=NULL, finished_at=NULL, runner_pgid=NULL, slurm_id=NULL WHERE id=?",
                         (QUEUED, int(job_id)))
        self.append_log(job_id, "retry requested: job queued again")
        return self.get(job_id)

    def append_log(self, job_id: int, message: str) -> None:
        """Append a time-stamped line to the job's log.txt."""
        d = self._make_job_dir(job_id)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        try:
            with open(d / LOG_FILE, "a") as fh:
                fh.write(f"[{stamp}] [queue] {message}\n")
        except OSError as exc:
            raise NotWritableError(f"job log {d / LOG_FILE} is not writable ({exc.strerror}); set GAUSS_HOME "
                                   "to a writable folder") from None

    def _make_job_dir(self, job_id: int) -> Path:
        """The job's directory, created; NotWritableError (one line) when it cannot be."""
        d = self.job_dir(job_id)
        try:
            d.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            what = "is a file, not a folder" if isinstance(exc, FileExistsError) else f"cannot be created " \
                f"({exc.strerror})"
            raise NotWritableError(f"job directory {d} {what}; set GAUSS_HOME to a writable folder") from None
        return d

    # -- crash recovery ---------------------------------------------------------------------------
    # -- crash recovery ---------------------------------------------------------------------------
    def recover_stale(self, stale_after_s: float = 120.0) -> builtins.list[Job]:
        """Requeue (or fail) running jobs whose worker is gone; see gauss_core.jobs.recovery.

        Returns:
            The jobs that changed state.
        """
        from gauss_core.jobs.recovery import recover_stale

        return recover_stale(self, stale_after_s)
