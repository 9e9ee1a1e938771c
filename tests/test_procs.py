"""Every process a job starts ends with it: tag sweep and tree kills on real processes, and real
OpenMolcas LoProp jobs cancelled through the queue (with a live and with a kill -9'd worker)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gauss_core import procs
from gauss_core.jobs.executors import LocalExecutor
from gauss_core.jobs.store import JobStore
from gauss_core.jobs.worker import Worker, WorkerConfig

REPO = Path(__file__).resolve().parent.parent
# A child that starts a grandchild in its own session (as pymolcas is started by LoProp), then waits.
SPAWN = ("import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'],"
         " start_new_session=True); time.sleep(120)")


def _procs_in(directory: Path) -> list[int]:
    """Live processes whose working directory lies in directory (independent of the tag mechanism)."""
    root = str(directory.resolve())
    out = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            cwd = os.readlink(p / "cwd")
            state = (p / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and (cwd == root or cwd.startswith(root + os.sep)):
            out.append(int(p.name))
    return out


def _wait_for(predicate, timeout: float) -> bool:
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_kill_tagged_reaches_a_process_in_its_own_session(tmp_path):
    tag = procs.job_tag(tmp_path)
    proc = subprocess.Popen([sys.executable, "-c", SPAWN], env=dict(os.environ, **{procs.TAG_VAR: tag}),
                            start_new_session=True)
    try:
        assert _wait_for(lambda: len(procs.live_tagged(tag)) == 2, 20)
        os.killpg(proc.pid, signal.SIGKILL)  # what the executor used to do: the grandchild survives it
        proc.wait()
        assert len(procs.live_tagged(tag)) == 1
        assert procs.kill_tagged(tag) == 1
        assert _wait_for(lambda: not procs.live_tagged(tag), 5)
    finally:
        procs.kill_tagged(tag)


def test_kill_tree_reaches_a_grandchild_outside_the_group(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", SPAWN])
    try:
        assert _wait_for(lambda: len(procs.descendants(proc.pid)) == 1, 20)
        child = procs.descendants(proc.pid)[0]
        assert procs.kill_tree(proc.pid) == 2
        proc.wait()
        assert _wait_for(lambda: not Path(f"/proc/{child}").exists() or procs._is_zombie(child), 5)
    finally:
        procs.kill_tree(proc.pid)


def _openmolcas_started(directory: Path) -> bool:
    names = []
    for pid in _procs_in(directory):
        with contextlib.suppress(OSError):
            names.append(Path(f"/proc/{pid}/cmdline").read_bytes())
    return any(b"pymolcas" in n or b".exe" in n for n in names)


@pytest.mark.slow
@pytest.mark.needs_molcas
def test_cancel_of_a_running_loprop_job_leaves_no_process(tmp_path):
    store = JobStore(tmp_path / "queue.db")
    job = store.enqueue("loprop", "CC(C)(C)C(C)(C)C[O-]")
    worker = Worker(store, LocalExecutor(concurrency=1, nice=0), WorkerConfig())
    try:
        worker.step()
        assert _wait_for(lambda: _openmolcas_started(job.directory), 50), store.get(job.id).log_text()
        store.cancel(job.id)
        worker.step()
        assert _wait_for(lambda: not _procs_in(job.directory), 5), _procs_in(job.directory)
        assert not procs.live_tagged(procs.job_tag(job.directory))
    finally:
        worker.executor.shutdown()
        procs.kill_tagged(procs.job_tag(job.directory))


@pytest.mark.slow
@pytest.mark.needs_molcas
def test_kill_9_worker_then_cancel_and_requeue_leave_no_process(tmp_path):
    env = dict(os.environ, GAUSS_HOME=str(tmp_path), OMP_NUM_THREADS="1")
    store = JobStore(tmp_path / "queue.db")
    job = store.enqueue("loprop", "CC(C)(C)C(C)(C)C[O-]")
    worker = subprocess.Popen([sys.executable, "-m", "gauss_core", "worker", "--poll", "0.5"], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _wait_for(lambda: _openmolcas_started(job.directory), 50), store.get(job.id).log_text()
        worker.kill()  # kill -9: nobody is left to see a cancel flag
        worker.wait()
        assert _procs_in(job.directory)  # the orphaned programs are still there ...
        store.cancel(job.id)             # ... and the cancel itself ends them
        assert _wait_for(lambda: not _procs_in(job.directory), 5), _procs_in(job.directory)
    finally:
        if worker.poll() is None:
            worker.kill()
        procs.kill_tagged(procs.job_tag(job.directory))


def test_job_runners_get_a_lower_priority_in_their_own_session_too():
    """A runner starts its own session; under autogroup scheduling its nice must be set on the session's
    group as well, or a `--nice 15` QC job takes an equal share from interactive work."""
    proc = subprocess.Popen(["sleep", "30"], start_new_session=True,
                            preexec_fn=lambda: procs.lower_priority(7))
    try:
        assert os.getpriority(os.PRIO_PROCESS, proc.pid) - os.getpriority(os.PRIO_PROCESS, 0) == 7
        autogroup = Path(f"/proc/{proc.pid}/autogroup")
        if autogroup.exists():  # kernels built without autogroup have no such file
            assert autogroup.read_text().split()[-1] == "7"
    finally:
        proc.kill()
        proc.wait()
