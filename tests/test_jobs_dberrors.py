"""Queue database faults as one-line errors (issue 15 pt 5): a GAUSS_HOME or job directory that cannot be
written and a write lock held by another process past the busy timeout. The CLI prints one line naming
the path (or the holder's pid) and exits 2; the worker fails only the affected job, or waits for the lock."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time

import pytest

from gauss_core.cli import main
from gauss_core.jobs import dberrors
from gauss_core.jobs.executors import LocalExecutor
from gauss_core.jobs.store import FAILED, JobStore
from gauss_core.jobs.worker import Worker, WorkerConfig

ENTRY_POINTS = [["queue", "add", "[O-]C"], ["queue", "list"], ["queue", "show", "1"], ["queue", "cancel", "1"],
                ["queue", "retry", "1"], ["queue", "labels"], ["worker", "--exit-when-idle"],
                ["queue", "worker", "--exit-when-idle"], ["complex", "calibrate"]]


def _assert_one_line(capsys, args, *needles):
    rc = main(args)
    err = capsys.readouterr().err
    assert rc == 2, (args, rc, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for needle in needles:
        assert needle in err, (needle, err)
    return err


@pytest.mark.parametrize("args", ENTRY_POINTS, ids=" ".join)
def test_gauss_home_that_is_a_file(tmp_path, monkeypatch, capsys, args):
    # A regular file stops root as well as a user (a chmod'ed folder would not stop root).
    home = tmp_path / "home"
    home.write_text("not a folder")
    monkeypatch.setenv("GAUSS_HOME", str(home))
    _assert_one_line(capsys, args, str(home), "set GAUSS_HOME to a writable folder")
    assert home.read_text() == "not a folder"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
@pytest.mark.parametrize("args", ENTRY_POINTS, ids=" ".join)
def test_read_only_gauss_home(tmp_path, monkeypatch, capsys, args):
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o500)
    monkeypatch.setenv("GAUSS_HOME", str(home))
    try:
        _assert_one_line(capsys, args, str(home), "not writable", "set GAUSS_HOME to a writable folder")
    finally:
        home.chmod(0o700)


def test_unwritable_job_directory_fails_that_job_only(tmp_path, caplog):
    store = JobStore(tmp_path / "queue.db")
    job = store.enqueue("casscf", "[O-]C")
    job.directory.rmdir()
    job.directory.write_text("in the way")  # the job's folder cannot be created (also for root)
    with caplog.at_level(logging.ERROR):
        Worker(store, LocalExecutor(concurrency=1, nice=0), WorkerConfig(poll_s=0.1, exit_when_idle=True)).run()
    failed = store.get(job.id)
    assert failed.state == FAILED and str(job.directory) in failed.error and "GAUSS_HOME" in failed.error
    assert job.directory.read_text() == "in the way"


@pytest.fixture()
def held_lock(tmp_path):
    """A second process holding the queue's write lock (BEGIN IMMEDIATE) for 2.5 s."""
    store = JobStore(tmp_path / "queue.db")
    store.close()
    code = ("import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN IMMEDIATE')\n"
            "print('locked', flush=True)\n"
            "time.sleep(2.5)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "queue.db")], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    yield proc
    proc.kill()
    proc.wait()


def test_cli_names_the_process_holding_the_lock(tmp_path, monkeypatch, capsys, held_lock):
    monkeypatch.setenv(dberrors.BUSY_TIMEOUT_VAR, "0.3")
    err = _assert_one_line(capsys, ["queue", "add", "--db", str(tmp_path / "queue.db"), "[O-]C"],
                           "locked by another process", f"pid {held_lock.pid}", "try again")
    assert "OperationalError" not in err
    held_lock.wait()
    assert JobStore(tmp_path / "queue.db").list() == []


def test_worker_waits_for_a_lock_held_past_the_timeout(tmp_path, caplog, held_lock):
    store = JobStore(tmp_path / "queue.db", busy_timeout_s=0.3)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        claimed = Worker(store, LocalExecutor(concurrency=1, nice=0),
                         WorkerConfig(poll_s=0.2, exit_when_idle=True)).run()
    # it outlived the 2.5 s lock (several 0.3 s timeouts) instead of dying under the first one
    assert claimed == 0 and time.monotonic() - started > 2.0
    assert any("locked by another process" in r.getMessage() and "retries" in r.getMessage()
               for r in caplog.records)


def test_busy_timeout_from_environment(monkeypatch):
    monkeypatch.setenv(dberrors.BUSY_TIMEOUT_VAR, "1.5")
    assert dberrors.busy_timeout_s() == 1.5 and dberrors.busy_timeout_s(4) == 4.0
    monkeypatch.setenv(dberrors.BUSY_TIMEOUT_VAR, "soon")
    with pytest.raises(Exception, match="not a number of seconds"):
        dberrors.busy_timeout_s()
