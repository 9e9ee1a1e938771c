"""Persistent job queue in SQLite (WAL mode).

A job is (kind, ligand SMILES, parameters as canonical JSON); the triple is unique, so enqueuing the
same job twice returns the existing row. States: queued -> running -> done | failed | cancelled.
Each job owns a directory <root>/jobs/<id>/ holding its input, program output, log.txt and result.json.

Crash safety: every state change is one short transaction; workers claim with BEGIN IMMEDIATE so two
workers never take the same job; a running job records the worker's identity (host, pid, process start
time) and a heartbeat. `recover_stale()` (called by every worker at start and by `gauss queue list`)
finds running jobs whose worker is gone (killed with kill -9, machine rebooted), kills the orphaned
program's process group if it still runs on this host, appends a note to the job's log and puts the
job back in the queue while it has attempts left (default max_attempts=3), else marks it failed.
A job whose orphaned runner had already written result.json is collected as done instead.
"""

from __future__ import annotations

import builtins  # JobStore.list shadows the built-in inside the class
import hashlib
import json
import os
import signal
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gauss_core.atomic import atomic_write_json
from gauss_core import paths
from gauss_core.errors import GaussError
from gauss_core.modes import ExecutorName, JobState
from gauss_core.procs import job_tag, kill_tagged

QUEUED, RUNNING, DONE, FAILED, CANCELLED = JobState
STATES = tuple(JobState)
FINAL_STATES = (DONE, FAILED, CANCELLED)
LOCAL, SLURM = ExecutorName

RESULT_FILE = "result.json"
ERROR_FILE = "error.json"
JOB_FILE = "job.json"
LOG_FILE = "log.txt"

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    smiles TEXT NOT NULL,
    params_json TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    heartbeat_at REAL,
    executor TEXT,
    worker_host TEXT,
    worker_pid INTEGER,
    worker_start TEXT,
    runner_pgid INTEGER,
    slurm_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 3,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    result_json TEXT
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, id);
"""


class JobNotFoundError(GaussError):
    """A job id that is not in the queue."""


class JobStateError(GaussError):
    """An action not allowed in the job's current state (e.g. retry of a running job)."""


@dataclass
class Job:
    """One row of the queue."""

    id: int
    kind: str
    smiles: str
    params: dict
    state: str
    created_at: float
    started_at: float | None
    finished_at: float | None
    heartbeat_at: float | None
    executor: str | None
    worker_host: str | None
    worker_pid: int | None
    worker_start: str | None
    runner_pgid: int | None
    slurm_id: str | None
    attempts: int
    max_attempts: int
    cancel_requested: bool
    error: str | None
    result: dict | None
    directory: Path

    def log_text(self, tail_chars: int | None = None) -> str:
        """Contents of the job's log (last tail_chars characters if given); '' when none yet."""
        path = self.directory / LOG_FILE
        if not path.exists():
            return ""
        text = path.read_text(errors="replace")
        return text[-tail_chars:] if tail_chars else text


def canonical_params(params: dict | None) -> str:
    """Parameters as canonical JSON (sorted keys), the form used in the uniqueness key."""
    try:
        return json.dumps(params or {}, sort_keys=True, separators=(",", ":"))
    except TypeError as exc:
        raise GaussError(f"job parameters must be JSON-serialisable ({exc}); pass numbers, strings, "
                         "lists or dicts") from None


def job_key(kind: str, smiles: str, params: dict | None) -> str:
    """Uniqueness key of (kind, smiles, params)."""
    raw = json.dumps([kind, smiles, canonical_params(params)])
    return hashlib.sha256(raw.encode()).hexdigest()


def process_start_time(pid: int) -> str | None:
    """Kernel start time of a process (clock ticks since boot) or None if it does not exist.

    Together with the pid it identifies a process even after pid reuse.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return fields[19]  # field 22 of stat, counted after the command name


def worker_identity() -> tuple[str, int, str]:
    """(host, pid, start time) of the calling process."""
    pid = os.getpid()
    return socket.gethostname(), pid, process_start_time(pid) or ""


def process_alive(host: str | None, pid: int | None, start: str | None) -> bool | None:
    """True/False for a process on this host; None when it runs elsewhere (cannot tell)."""
    if not pid or host != socket.gethostname():
        return None
    current = process_start_time(pid)
    if current is None:
        return False
    return not start or current == start


def kill_process_group(pgid: int, directory: Path) -> int:
    """SIGKILL the processes of group pgid whose working directory lies in `directory`.

    The directory check keeps a recycled pgid from killing an unrelated program.

    Returns:
        Number of processes signalled.
    """
    killed = 0
    root = str(Path(directory).resolve())
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            pgrp = int(stat[stat.rindex(")") + 2:].split()[2])
            if pgrp != pgid:
                continue
            cwd = os.readlink(proc / "cwd")
        except (OSError, ValueError):
            continue
        if cwd == root or cwd.startswith(root + os.sep):
            try:
                os.kill(int(proc.name), signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
    return killed


def kill_job_processes(directory: Path, pgid: int | None = None) -> int:
    """Kill every process of the job in directory: its runner's group and every process carrying its tag
    (pymolcas in its own session, orphaned Fortran modules). Returns the number signalled."""
    n = kill_process_group(pgid, directory) if pgid else 0
    return n + kill_tagged(job_tag(directory))


def write_json_atomic(path: Path, data: dict) -> None:
    """Write JSON so that readers see either nothing or the whole file (temporary file + rename)."""
    atomic_write_json(path, data, indent=1)


def default_db_path() -> Path:
    """The queue database under GAUSS_HOME."""
    return paths.gauss_home() / "queue.db"


class JobStore:
    """The SQLite job queue. Safe to use from several processes at once.

    Args:
        db_path: database file (default GAUSS_HOME/queue.db); job directories go to <its folder>/jobs/.
        busy_timeout_s: how long a writer waits for another writer's lock.
    """

    def __init__(self, db_path: str | Path | None = None, busy_timeout_s: float = 30.0):
        self.db_path = Path(db_path) if db_path else default_db_path()
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self.jobs_root = self.db_path.parent / "jobs"
        self.busy_timeout_s = busy_timeout_s
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
        """
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            conn = sqlite3.connect(self.db_path, timeout=self.busy_timeout_s, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_s * 1000)}")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn, self._local.pid = conn, os.getpid()
        yield conn

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
        out: dict[str, int] = {s: 0 for s in STATES}
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
        return self.enqueue_many(kind, [smiles], params, max_attempts, validate)[0][0]

    def enqueue_many(self, kind: str, smiles_list: Sequence[str], params: dict | None = None,
                     max_attempts: int = 3, validate: bool = True) -> builtins.list[tuple[Job, bool]]:
        """Validate and add many jobs in one transaction (linear in their number).

        Each SMILES is validated (gauss_core.ligands.validate) and stored donor-first and canonical, so
        [O-]C, C[O-] and [O-][CH3] are one job. Raises on the first invalid SMILES, before storing any.

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
        out: list[tuple[int, bool]] = []
        now = time.time()
        with self._write() as conn:
            for smi in canon:
                key = job_key(kind, smi, params)
                row = conn.execute("SELECT id FROM jobs WHERE job_key=?", (key,)).fetchone()
                if row is None:
                    cur = conn.execute(
                        "INSERT INTO jobs (job_key, kind, smiles, params_json, state, created_at, max_attempts)"
                        " VALUES (?,?,?,?,?,?,?)",
                        (key, kind, smi, canonical_params(params), QUEUED, now, int(max_attempts)))
                    out.append((int(cur.lastrowid or 0), True))
                else:
                    out.append((int(row[0]), False))
        for job_id, created in out:
            if created:
                self.job_dir(job_id).mkdir(parents=True, exist_ok=True)
        return [(self.get(job_id), created) for job_id, created in out]

    def claim(self, executor: str = LOCAL, kinds: tuple[str, ...] | None = None,
              identity: tuple[str, int, str] | None = None) -> Job | None:
        """Atomically take the oldest queued job and mark it running for this worker.

        Returns:
            The claimed Job, or None when nothing is queued.
        """
        host, pid, start = identity or worker_identity()
        now = time.time()
        with self._write() as conn:
            sql, args = "SELECT id FROM jobs WHERE state=?", [str(QUEUED)]
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
        d = self.job_dir(job_id)
        d.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        with open(d / LOG_FILE, "a") as fh:
            fh.write(f"[{stamp}] [queue] {message}\n")

    # -- crash recovery ---------------------------------------------------------------------------
    def recover_stale(self, stale_after_s: float = 120.0) -> builtins.list[Job]:
        """Find running jobs whose worker is gone; requeue them (or fail them when out of attempts).

        A worker is gone when it ran on this host and its (pid, start time) no longer exists, or when
        it ran elsewhere and its heartbeat is older than stale_after_s. SLURM jobs are left running:
        the SLURM job survives its submitting worker and the next SLURM worker adopts it.

        Returns:
            The jobs that changed state.
        """
        now = time.time()
        changed: list[Job] = []
        for job in self.list(state=RUNNING):
            alive = process_alive(job.worker_host, job.worker_pid, job.worker_start)
            if alive is None:
                alive = job.heartbeat_at is not None and now - job.heartbeat_at < stale_after_s
            if alive or job.executor == SLURM:
                continue
            who = f"worker {job.worker_host}:{job.worker_pid}"
            if job.worker_host == socket.gethostname():
                n = kill_job_processes(job.directory, job.runner_pgid)
                if n:
                    self.append_log(job.id, f"{who} is gone; killed {n} orphaned process(es) of the job")
            result_path = job.directory / RESULT_FILE
            with self._write() as conn:
                row = conn.execute("SELECT * FROM jobs WHERE id=? AND state=? AND worker_pid IS ?",
                                   (job.id, RUNNING, job.worker_pid)).fetchone()
                if row is None:
                    continue  # someone else recovered it meanwhile
                if result_path.exists():
                    conn.execute("UPDATE jobs SET state=?, result_json=?, finished_at=? WHERE id=?",
                                 (DONE, result_path.read_text(), now, job.id))
                    note = f"{who} is gone; its runner had finished, result collected"
                elif row["attempts"] < row["max_attempts"]:
                    conn.execute("UPDATE jobs SET state=?, runner_pgid=NULL, error=? WHERE id=?",
                                 (QUEUED, f"{who} died during attempt {row['attempts']}; requeued", job.id))
                    note = (f"{who} died during attempt {row['attempts']} of {row['max_attempts']}; "
                            "job requeued")
                else:
                    conn.execute("UPDATE jobs SET state=?, error=?, finished_at=? WHERE id=?",
                                 (FAILED, f"{who} died during the last attempt ({row['attempts']} of "
                                          f"{row['max_attempts']}); see log, then `gauss queue retry "
                                          f"{job.id}`", now, job.id))
                    note = f"{who} died during the last attempt; job failed"
            self.append_log(job.id, note)
            changed.append(self.get(job.id))
        return changed
