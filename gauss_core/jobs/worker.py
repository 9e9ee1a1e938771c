"""The worker loop: claim queued jobs, start them on an executor, heartbeat, honour cancels, collect.

`gauss worker` runs one of these. Several workers may share a queue (each claim is atomic). On start
the worker recovers jobs orphaned by a dead worker (see JobStore.recover_stale); a SLURM worker also
adopts SLURM jobs submitted by a previous worker.
"""

from __future__ import annotations

import json
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from gauss_core.errors import GaussError, NotWritableError, QueueLockedError
from gauss_core.jobs.executors import Finished, LocalExecutor, SlurmExecutor
from gauss_core.jobs.store import (CANCELLED, ERROR_FILE, JOB_FILE, LOG_FILE, RESULT_FILE, RUNNING, SLURM, Job,
                                   JobStore, kill_job_processes, process_alive, worker_identity,
                                   write_json_atomic)

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class WorkerConfig:
    """How a worker behaves.

    poll_s: seconds between polls of the queue and of running jobs.
    exit_when_idle: stop once nothing is queued or running (for scripts, tests, SLURM allocations).
    max_jobs: stop after claiming this many jobs (None: no limit).
    kinds: only claim these kinds (None: all).
    stale_after_s: heartbeat age after which a worker on another host counts as dead.
    max_wall_s: stop (as on SIGTERM: running local jobs go back to the queue) after this many seconds.
    """

    poll_s: float = 2.0
    exit_when_idle: bool = False
    max_jobs: int | None = None
    kinds: tuple[str, ...] | None = None
    stale_after_s: float = 120.0
    max_wall_s: float | None = None


def prepare_job_dir(job: Job) -> None:
    """Write job.json for the runner; an earlier attempt's files move to attempt-<n>/ (kept, not overwritten)."""
    job.directory.mkdir(parents=True, exist_ok=True)
    leftovers = [p for p in job.directory.iterdir()
                 if p.name not in (LOG_FILE, JOB_FILE) and not p.name.startswith("attempt-")]
    if leftovers:
        n = 1 + sum(1 for p in job.directory.glob("attempt-*"))
        keep = job.directory / f"attempt-{n}"
        keep.mkdir()
        for path in leftovers:
            path.rename(keep / path.name)
    write_json_atomic(job.directory / JOB_FILE, {"id": job.id, "kind": job.kind, "smiles": job.smiles,
                                                 "params": job.params, "attempt": job.attempts})


def collect(store: JobStore, job_id: int, finished: Finished) -> str:
    """Move a finished runner's outcome into the store.

    Returns:
        The job's new state.
    """
    job = store.get(job_id)
    result_path, error_path = job.directory / RESULT_FILE, job.directory / ERROR_FILE
    if job.state != RUNNING:
        return job.state  # cancelled meanwhile: keep the user's decision
    if result_path.exists():
        store.finish(job_id, json.loads(result_path.read_text()))
        store.append_log(job_id, "job done")
    elif error_path.exists():
        store.fail(job_id, json.loads(error_path.read_text()).get("error", "unknown error"))
        store.append_log(job_id, "job failed")
    else:
        tail = job.log_text(tail_chars=400).strip().splitlines()[-3:]
        store.fail(job_id, f"runner ended (return code {finished.returncode}, {finished.detail or 'no detail'}) "
                           f"without a result; last log lines: {' | '.join(tail)}")
        store.append_log(job_id, "runner ended without result or error file; job failed")
    return store.get(job_id).state


class Worker:
    """Runs queued jobs on one executor until stopped (or idle, if configured).

    Args:
        store: the queue.
        executor: LocalExecutor or SlurmExecutor.
        config: WorkerConfig.
    """

    def __init__(self, store: JobStore, executor: LocalExecutor | SlurmExecutor,
                 config: WorkerConfig | None = None):
        self.store = store
        self.executor = executor
        self.config = config or WorkerConfig()
        self.identity = worker_identity()
        self.claimed = 0
        self._stop = False

    def request_stop(self, *_: object) -> None:
        self._stop = True

    def _start_one(self, job: Job) -> None:
        # A requeued job must not start a second OpenMolcas beside one left from its previous attempt.
        leftover = kill_job_processes(job.directory)
        if leftover:
            self.store.append_log(job.id, f"killed {leftover} process(es) left from an earlier attempt")
        try:
            prepare_job_dir(job)
            self.store.append_log(job.id, f"claimed by {self.executor.name} worker {self.identity[0]}:"
                                          f"{self.identity[1]} (attempt {job.attempts} of {job.max_attempts})")
        except (OSError, NotWritableError) as exc:
            # One job's unwritable directory fails that job; the worker goes on with the others.
            reason = str(exc) if isinstance(exc, NotWritableError) else (
                f"job directory {job.directory} is not writable ({exc.strerror}); set GAUSS_HOME to a "
                "writable folder")
            self.store.fail(job.id, reason)
            log.error("job %s failed: %s", job.id, reason)
            return
        try:
            info = self.executor.start(job)
        except GaussError as exc:
            self.store.fail(job.id, str(exc))
            self.store.append_log(job.id, f"could not start: {exc}")
            return
        self.store.set_runner(job.id, pgid=info.get("pgid"), slurm_id=info.get("slurm_id"))

    def _adopt_slurm_jobs(self) -> None:
        """Take over SLURM jobs whose submitting worker is gone (they keep running in SLURM)."""
        if not isinstance(self.executor, SlurmExecutor):
            return
        now = time.time()
        for job in self.store.list(state=RUNNING):
            if job.executor != SLURM or not job.slurm_id or job.id in self.executor.active():
                continue
            alive = process_alive(job.worker_host, job.worker_pid, job.worker_start)
            if alive is None:
                alive = job.heartbeat_at is not None and now - job.heartbeat_at < self.config.stale_after_s
            if alive and (job.worker_host, job.worker_pid) != self.identity[:2]:
                continue
            self.executor.adopt(job)
            self.store.heartbeat([job.id], self.identity)
            self.store.append_log(job.id, f"SLURM job {job.slurm_id} adopted by worker "
                                          f"{self.identity[0]}:{self.identity[1]}")

    def step(self) -> bool:
        """One round: cancels, collection, heartbeat, claims.

        Returns:
            True while there is work (running or just claimed).
        """
        for job_id in self.executor.active():
            job = self.store.get(job_id)
            if job.state == CANCELLED:
                self.executor.cancel(job)
                self.store.append_log(job_id, "cancelled: runner killed")
            elif job.state != RUNNING or (job.worker_host, job.worker_pid) != self.identity[:2]:
                # Cancelled and retried before we noticed, or taken over: this runner is no longer the job's.
                self.executor.cancel(job)
                self.store.append_log(job_id, f"worker {self.identity[1]} lost the job (now {job.state}); "
                                              "its runner was killed")
        self._adopt_slurm_jobs()
        for finished in self.executor.poll():
            state = collect(self.store, finished.job_id, finished)
            log.info("job %s %s", finished.job_id, state)
        self.store.heartbeat(self.executor.active(), self.identity)
        while self.executor.free_slots() > 0 and not self._stop:
            if self.config.max_jobs is not None and self.claimed >= self.config.max_jobs:
                break
            claimed = self.store.claim(self.executor.name, self.config.kinds, self.identity)
            if claimed is None:
                break
            self.claimed += 1
            self._start_one(claimed)
        return bool(self.executor.active())

    def _retry_locked(self, action: Callable[[], T]) -> T:
        """action(), repeated with a growing pause (poll_s doubling up to 60 s) while another process holds
        the queue's write lock past the busy timeout; a stop request ends the waiting."""
        delay = max(self.config.poll_s, 0.1)
        while True:
            try:
                return action()
            except QueueLockedError as exc:
                if self._stop:
                    raise
                log.warning("%s; worker retries in %.1f s", exc, delay)
                time.sleep(delay)
                delay = min(2 * delay, 60.0)

    def run(self) -> int:
        """Loop until stopped; returns the number of jobs claimed."""
        recovered = self._retry_locked(lambda: self.store.recover_stale(self.config.stale_after_s))
        for job in recovered:
            log.warning("recovered job %s from a dead worker: now %s", job.id, job.state)
        self._adopt_slurm_jobs()
        old_handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            signal.signal(signal.SIGTERM, self.request_stop)
            signal.signal(signal.SIGINT, self.request_stop)
        except ValueError:  # not in the main thread (e.g. inside a test thread): rely on request_stop()
            old_handlers = {}
        started = time.time()
        try:
            while not self._stop:
                if self.config.max_wall_s is not None and time.time() - started > self.config.max_wall_s:
                    log.warning("worker wall limit of %.0f s reached; stopping", self.config.max_wall_s)
                    break
                busy = self._retry_locked(self.step)
                limit_hit = self.config.max_jobs is not None and self.claimed >= self.config.max_jobs
                if not busy and (self.config.exit_when_idle or limit_hit):
                    break
                time.sleep(self.config.poll_s)
        finally:
            # Stopping politely (SIGTERM/Ctrl-C) hands running local jobs back to the queue.
            for job_id in self.executor.active() if isinstance(self.executor, LocalExecutor) else []:
                self.executor.cancel(self.store.get(job_id))
                if self.store.release(job_id):
                    self.store.append_log(job_id, "worker stopped; job put back in the queue")
            self.executor.shutdown()
            for sig, handler in old_handlers.items():
                signal.signal(sig, handler)
        return self.claimed


def run_worker(store: JobStore | None = None, executor: str = "local", concurrency: int = 1,
               config: WorkerConfig | None = None, **slurm_kwargs: object) -> int:
    """Convenience: build an executor by name and run a Worker.

    Returns:
        Number of jobs claimed.
    """
    from gauss_core.jobs.executors import SlurmResources

    store = store or JobStore()
    ex: LocalExecutor | SlurmExecutor
    if executor == "local":
        ex = LocalExecutor(concurrency=concurrency)
    elif executor == "slurm":
        ex = SlurmExecutor(SlurmResources(**slurm_kwargs), max_jobs=concurrency)  # type: ignore[arg-type]
    else:
        raise GaussError(f"executor {executor!r}: choose 'local' or 'slurm'")
    return Worker(store, ex, config).run()
