"""The queue's table, its row type and the small helpers every part of the queue shares.

A job is (kind, ligand SMILES, parameters as canonical JSON); the triple is unique (job_key). Each job
owns a directory <root>/jobs/<id>/ holding its input (job.json), program output, log.txt and
result.json or error.json.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from gauss_core import paths
from gauss_core.errors import GaussError

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
STATES = (QUEUED, RUNNING, DONE, FAILED, CANCELLED)
FINAL_STATES = (DONE, FAILED, CANCELLED)
LOCAL, SLURM = "local", "slurm"

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


def job_key(kind: str, smiles: str, params: dict | None, params_json: str | None = None) -> str:
    """Uniqueness key of (kind, smiles, params); params_json: canonical_params(params) when already known."""
    raw = json.dumps([kind, smiles, canonical_params(params) if params_json is None else params_json])
    return hashlib.sha256(raw.encode()).hexdigest()


def write_json_atomic(path: Path, data: dict) -> None:
    """Write JSON so that readers see either nothing or the whole file (temporary file + rename)."""
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)


def default_db_path() -> Path:
    """The queue database under GAUSS_HOME."""
    return paths.gauss_home() / "queue.db"

