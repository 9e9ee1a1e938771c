"""Job queue for expensive calculations (CASSCF, LoProp): SQLite store, local/SLURM executors, worker.

Typical use:
    store = JobStore()                               # GAUSS_HOME/queue.db
    job = store.enqueue("casscf", "[O-]C", {})       # same triple again returns the same job
    Worker(store, LocalExecutor(concurrency=1), WorkerConfig(exit_when_idle=True)).run()
    merge_kd_results(store)                          # KD labels of done CASSCF jobs
"""

from gauss_core.jobs.executors import LocalExecutor, SlurmExecutor, SlurmResources
from gauss_core.jobs.kinds import REGISTRY as JOB_KINDS
from gauss_core.jobs.kinds import get_kind, register_kind
from gauss_core.jobs.labels import (all_kd_results, bundle_kd_results, merge_kd_results, merge_loprop_results,
                                   write_kd_labels, write_loprop_labels)
from gauss_core.jobs.store import (CANCELLED, DONE, FAILED, QUEUED, RUNNING, STATES, Job, JobNotFoundError,
                                   JobStateError, JobStore)
from gauss_core.modes import JobState
from gauss_core.jobs.worker import Worker, WorkerConfig, run_worker

__all__ = ["CANCELLED", "DONE", "FAILED", "JOB_KINDS", "Job", "JobNotFoundError", "JobState", "JobStateError",
           "JobStore", "LocalExecutor", "QUEUED", "RUNNING", "STATES", "SlurmExecutor", "SlurmResources", "Worker",
           "WorkerConfig", "all_kd_results", "bundle_kd_results", "get_kind", "merge_kd_results",
           "merge_loprop_results", "register_kind", "run_worker", "write_kd_labels", "write_loprop_labels"]
