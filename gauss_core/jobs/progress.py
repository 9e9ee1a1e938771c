"""How fast a queue is draining: recent throughput, typical job time and an estimate of the time left.

The estimate uses completions per hour of busy time over the most recent finished jobs, so it already
reflects how many run at once and how loaded the machine is; it is None while nothing is running (no worker,
no progress).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from gauss_core.jobs.store import DONE, FAILED, QUEUED, RUNNING, Job

RECENT_JOBS = 20   # throughput window: the last finished jobs
MIN_FOR_RATE = 3   # fewer finished jobs give no rate


@dataclass(frozen=True)
class QueueProgress:
    """Counts, typical job time and time left of a set of jobs.

    Attributes:
        median_job_s: median start-to-finish time of the recent done jobs (None with fewer than MIN_FOR_RATE).
        jobs_per_hour: completions per hour over the recent done jobs (None with fewer than MIN_FOR_RATE).
        eta_s: seconds until queued + running jobs are done at that rate; None when nothing runs or no rate.
    """

    queued: int
    running: int
    done: int
    failed: int
    median_job_s: float | None
    jobs_per_hour: float | None
    eta_s: float | None

    def summary(self) -> str:
        """One line for a page caption or a terminal."""
        parts = [f"{self.done} done, {self.running} running, {self.queued} queued, {self.failed} failed"]
        if self.median_job_s is not None and self.jobs_per_hour is not None:
            parts.append(f"recent jobs: median {_duration(self.median_job_s)} each, "
                         f"{self.jobs_per_hour:.1f} finished per hour")
        if self.eta_s is not None:
            parts.append(f"about {_duration(self.eta_s)} left at that rate")
        elif self.queued and not self.running:
            parts.append("nothing running: start a worker (`gauss worker`) to drain the queue")
        return "; ".join(parts)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def busy_seconds(intervals: Iterable[tuple[float, float]]) -> float:
    """Length of the union of [start, end] intervals (time during which at least one job ran)."""
    total = 0.0
    cur: tuple[float, float] | None = None  # the merged interval being extended
    for start, end in sorted(intervals):
        if cur is None or start > cur[1]:
            if cur is not None:
                total += cur[1] - cur[0]
            cur = (start, end)
        else:
            cur = (cur[0], max(cur[1], end))
    return total + (cur[1] - cur[0] if cur is not None else 0.0)


def queue_progress(jobs: Iterable[Job], recent: int = RECENT_JOBS) -> QueueProgress:
    """Progress of `jobs` (e.g. store.list(kind="casscf")).

    Args:
        recent: how many of the latest finished jobs the rate and the median use.
    """
    jobs = list(jobs)
    count = {s: sum(j.state == s for j in jobs) for s in (QUEUED, RUNNING, DONE, FAILED)}
    timed = [(j.started_at, j.finished_at) for j in jobs
             if j.state == DONE and j.started_at is not None and j.finished_at is not None]
    finished = sorted(timed, key=lambda span: span[1])[-recent:]  # (start, end) of the latest finished
    median = rate = eta = None
    if len(finished) >= MIN_FOR_RATE:
        median = statistics.median(end - start for start, end in finished)
        # completions per hour of busy time: idle stretches (no worker) between the jobs do not count
        busy = busy_seconds(finished)
        rate = 3600.0 * len(finished) / busy if busy > 0 else None
    if rate and count[RUNNING]:
        eta = 3600.0 * (count[QUEUED] + 0.5 * count[RUNNING]) / rate
    return QueueProgress(count[QUEUED], count[RUNNING], count[DONE], count[FAILED], median, rate, eta)
