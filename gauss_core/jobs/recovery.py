"""Crash recovery: running jobs whose worker is gone (kill -9, reboot) are requeued, failed when out of
attempts, or collected as done when their orphaned runner had already written result.json. Called by
every worker at start, by `gauss queue list` and by the dashboard's queue page."""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING

from gauss_core.jobs.liveness import kill_job_processes, process_alive
from gauss_core.jobs.schema import DONE, FAILED, QUEUED, RESULT_FILE, RUNNING, SLURM, Job

if TYPE_CHECKING:
    from gauss_core.jobs.store import JobStore


def recover_stale(store: JobStore, stale_after_s: float = 120.0) -> list[Job]:
    """Find running jobs whose worker is gone; requeue them (or fail them when out of attempts).

    A worker is gone when it ran on this host and its (pid, start time) no longer exists, or when
    it ran elsewhere and its heartbeat is older than stale_after_s. SLURM jobs are left running:
    the SLURM job survives its submitting worker and the next SLURM worker adopts it.

    Returns:
        The jobs that changed state.
    """
    now = time.time()
    changed: list[Job] = []
    for job in store.list(state=RUNNING):
        alive = process_alive(job.worker_host, job.worker_pid, job.worker_start)
        if alive is None:
            alive = job.heartbeat_at is not None and now - job.heartbeat_at < stale_after_s
        if alive or job.executor == SLURM:
            continue
        who = f"worker {job.worker_host}:{job.worker_pid}"
        if job.worker_host == socket.gethostname():
            n = kill_job_processes(job.directory, job.runner_pgid)
            if n:
                store.append_log(job.id, f"{who} is gone; killed {n} orphaned process(es) of the job")
        result_path = job.directory / RESULT_FILE
        with store._write() as conn:
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
        store.append_log(job.id, note)
        changed.append(store.get(job.id))
    return changed
