"""Queue progress: throughput over busy time (idle gaps excluded), median job time, time left."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gauss_core.jobs import JobStore
from gauss_core.jobs.progress import busy_seconds, queue_progress


def test_busy_seconds_merges_overlaps_and_skips_gaps():
    assert busy_seconds([]) == 0.0
    assert busy_seconds([(0, 10), (5, 20), (100, 110)]) == pytest.approx(30.0)
    assert busy_seconds([(100, 110), (0, 10)]) == pytest.approx(20.0)


def test_progress_of_two_at_once_with_an_idle_night(tmp_path):
    store = JobStore(tmp_path / "queue.db")
    jobs = [store.enqueue("casscf", f"[O-]{'C' * (i + 1)}", {}) for i in range(8)]
    # six finished jobs of 300 s, two at a time, in two sessions 10 hours apart; one running, one queued
    times = [(0, 300), (0, 300), (300, 600), (300, 600), (36000, 36300), (36000, 36300)]
    finished = [replace(j, state="done", started_at=s, finished_at=f) for j, (s, f) in zip(jobs, times, strict=False)]
    running = replace(jobs[6], state="running", started_at=36300.0)
    progress = queue_progress([*finished, running, jobs[7]])
    assert (progress.done, progress.running, progress.queued, progress.failed) == (6, 1, 1, 0)
    assert progress.median_job_s == pytest.approx(300.0)
    assert progress.jobs_per_hour == pytest.approx(6 / 900 * 3600)      # 900 s busy, the night not counted
    assert progress.eta_s == pytest.approx(1.5 / 24 * 3600)              # 1 queued + half of the running one
    text = progress.summary()
    assert "median 5 min" in text and "24.0 finished per hour" in text and "left at that rate" in text


def test_no_rate_without_enough_jobs_and_no_eta_without_a_worker(tmp_path):
    store = JobStore(tmp_path / "queue.db")
    jobs = [store.enqueue("casscf", s, {}) for s in ("[O-]C", "[O-]CC", "[O-]CCC", "[O-]CCCC")]
    few = queue_progress([replace(jobs[0], state="done", started_at=0.0, finished_at=60.0), *jobs[1:]])
    assert few.jobs_per_hour is None and few.eta_s is None and few.median_job_s is None
    idle = queue_progress([replace(j, state="done", started_at=60.0 * i, finished_at=60.0 * i + 60)
                           for i, j in enumerate(jobs[:3])] + [jobs[3]])
    assert idle.jobs_per_hour == pytest.approx(60.0) and idle.eta_s is None      # queued but nothing running
    assert "start a worker" in idle.summary()
