"""The worker with the local executor, on real OpenMolcas runs: end to end, kill -9, cancel, shell safety.

The slow tests run `gauss queue ...` and `gauss worker` as separate processes, exactly as a user would.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from gauss_core import columns
from gauss_core.errors import GaussError
from gauss_core.jobs import store as js
from gauss_core.jobs.executors import LocalExecutor, runner_command
from gauss_core.jobs.labels import merge_kd_results
from gauss_core.jobs.store import JobStore
from gauss_core.jobs.worker import Worker, WorkerConfig
from gauss_core.provenance import CASSCF_OPENMOLCAS

REPO = Path(__file__).resolve().parent.parent


def gauss(home: Path, *args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    """Run the gauss CLI in a subprocess with GAUSS_HOME=home (argument list: no shell)."""
    env = dict(os.environ, GAUSS_HOME=str(home), OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "gauss_core", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=kw.pop("timeout", 1800), **kw)
    if check:
        assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc


def start_worker(home: Path, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, GAUSS_HOME=str(home), OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "gauss_core", "worker", "--poll", "0.5", *extra], cwd=REPO,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(pred, timeout: float, what: str):
    end = time.time() + timeout
    while time.time() < end:
        value = pred()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def group_members(pgid: int) -> list[tuple[int, str]]:
    """(pid, command name) of live processes whose process group is pgid."""
    out = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            out.append((int(proc.name), stat[stat.index("(") + 1:stat.rindex(")")]))
    return out


def molcas_running(store: JobStore, job_id: int):
    """The job's runner group once OpenMolcas (pymolcas or one of its modules) runs inside it."""
    job = store.get(job_id)
    if job.state != js.RUNNING or not job.runner_pgid:
        return None
    names = [n for _, n in group_members(job.runner_pgid)]
    return job.runner_pgid if any("molcas" in n or n.endswith(".exe") for n in names) else None


@pytest.mark.slow
@pytest.mark.needs_molcas
@pytest.mark.needs_xtb   # the job relaxes the complex with GFN2-xTB first
def test_end_to_end_methoxide_casscf(tmp_path):
    """Enqueue methoxide; the local worker runs OpenMolcas CASSCF(9,7)+SO; 8 KDs and ground g_z near 20."""
    home = tmp_path / "home"
    out = gauss(home, "queue", "add", "[O-]C").stdout
    job_id = int(out.split()[0])
    t0 = time.time()
    run = gauss(home, "worker", "--exit-when-idle", "--poll", "1")
    wall = time.time() - t0
    store = JobStore(home / "queue.db")
    job = store.get(job_id)
    assert job.state == js.DONE, f"{job.error}\n{job.log_text()[-3000:]}\n{run.stderr[-2000:]}"
    res = job.result
    assert res["provenance"] == CASSCF_OPENMOLCAS and res["method"] == "openmolcas"
    assert len(res["doublets"]) == 8 and len(res["gaps_cm1"]) == 7
    assert all(b > a for a, b in zip(res["energies_cm1"], res["energies_cm1"][1:], strict=False))
    gx, gy, gz = res["ground_g"]
    assert 19.5 < gz < 20.05 and gx < 0.1 and gy < 0.1          # Ising ground doublet |+-15/2>
    assert res["crystal_field"]["B(2,0)"] < 0                      # easy axis
    print(f"methoxide CASSCF job: {wall:.0f} s wall, gaps {[round(g) for g in res['gaps_cm1']]}, gz {gz:.3f}, "
          f"geometry {res['geometry_source']}")
    # The result merges into the KD label table with its provenance, also written by `gauss queue labels`.
    labels = merge_kd_results(store)
    assert list(labels[columns.SMILES]) == ["[O-]C"]
    assert labels.loc[0, columns.KD_PROVENANCE] == CASSCF_OPENMOLCAS
    assert labels.loc[0, columns.KD_GAP_COLUMNS[0]] == pytest.approx(res["gaps_cm1"][0])
    # The job kept the calibrated estimate's descriptors of the very geometry CASSCF saw (an anionic O donor).
    feats = res["estimate_features"]
    assert feats["anionic"] == 1.0 and feats["donor_is_N"] == 0.0 and feats["q_donor_xtb_e"] < -0.3
    assert 0 < feats["cf_gap1_cm1"] < feats["cf_gap7_cm1"]
    assert labels.loc[0, "cf_gap1_cm1"] == pytest.approx(feats["cf_gap1_cm1"])
    gauss(home, "queue", "labels")
    csv = pd.read_csv(home / "labels" / "kd_casscf.csv")
    assert set(columns.KD_GAP_COLUMNS) <= set(csv.columns) and len(csv) == 1
    shown = gauss(home, "queue", "show", str(job_id), "--log").stdout
    assert "KD energies" in shown and "casscf-openmolcas" in shown
    # Bulky per-root files are pruned; the output and the wave-function files stay.
    assert (job.directory / "casscf.out").exists() and (job.directory / "casscf.rassi.h5").exists()
    assert not list(job.directory.glob("*.SpdOrb.*")) and not (job.directory / "scratch").exists()


@pytest.mark.slow
@pytest.mark.needs_molcas
def test_kill_9_worker_leaves_queue_intact_and_job_recoverable(tmp_path):
    home = tmp_path / "home"
    store = JobStore(home / "queue.db")
    job = store.enqueue("casscf", "[O-]C", {"geometry": "idealised"})
    other = store.enqueue("casscf", "[O-]CC", {"geometry": "idealised"})
    worker = start_worker(home)
    pgid = wait_for(lambda: molcas_running(store, job.id), 120, "OpenMolcas to start under the worker")
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    # The queue survives: the database is consistent and still says running; the other job is untouched.
    conn = sqlite3.connect(store.db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert store.get(job.id).state == js.RUNNING and store.get(other.id).state == js.QUEUED
    assert group_members(pgid), "the orphaned OpenMolcas run should still be alive before recovery"
    # `gauss queue list` finds the dead worker, kills its orphaned program and requeues the job.
    listing = gauss(home, "queue", "list")
    assert f"recovered job {job.id}" in listing.stderr
    wait_for(lambda: not group_members(pgid), 20, "the orphaned process group to die")
    recovered = store.get(job.id)
    assert recovered.state == js.QUEUED and recovered.attempts == 1
    log = recovered.log_text()
    assert "killed" in log and "died during attempt 1 of 3; job requeued" in log
    # Recoverable: the next worker takes it again (attempt 2) and it runs.
    again = store.claim()
    assert again.id == job.id and again.attempts == 2
    store.release(job.id)


@pytest.mark.slow
@pytest.mark.needs_molcas
def test_cancel_kills_the_running_program_and_worker_goes_on(tmp_path):
    home = tmp_path / "home"
    store = JobStore(home / "queue.db")
    job = store.enqueue("casscf", "[O-]C", {"geometry": "idealised"})
    worker = start_worker(home, "--exit-when-idle")
    pgid = wait_for(lambda: molcas_running(store, job.id), 120, "OpenMolcas to start")
    store.cancel(job.id)                       # what the dashboard's Cancel button does
    wait_for(lambda: not group_members(pgid), 30, "the worker to kill the OpenMolcas process group")
    out, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0, out
    final = store.get(job.id)
    assert final.state == js.CANCELLED and final.result is None
    assert "cancelled: runner killed" in final.log_text()
    assert store.retry(job.id).state == js.QUEUED


@pytest.mark.slow
@pytest.mark.needs_molcas
def test_sigterm_puts_the_running_job_back(tmp_path):
    home = tmp_path / "home"
    store = JobStore(home / "queue.db")
    job = store.enqueue("casscf", "[O-]C", {"geometry": "idealised"})
    worker = start_worker(home)
    pgid = wait_for(lambda: molcas_running(store, job.id), 120, "OpenMolcas to start")
    worker.send_signal(signal.SIGTERM)
    worker.communicate(timeout=60)
    assert not group_members(pgid)
    back = store.get(job.id)
    assert back.state == js.QUEUED and back.attempts == 0 and "put back in the queue" in back.log_text()


HOSTILE = ("C$(touch {d}/pwned_dollar)", "O;touch {d}/pwned_semicolon", "N`touch {d}/pwned_tick`",
           "O|touch {d}/pwned_pipe", "O && touch {d}/pwned_and", "O > {d}/pwned_redirect", "'; touch {d}/pwned_q #")


@pytest.mark.slow   # 7 real runner processes: ~10 s idle, ~25 s on the shared machine
def test_user_text_never_reaches_a_shell(tmp_path):
    """SMILES with shell metacharacters are stored and passed verbatim (argument lists, job.json), so
    they only ever meet RDKit, which rejects them; no command inside them runs."""
    marker_dir = tmp_path / "markers"
    marker_dir.mkdir()
    store = JobStore(tmp_path / "queue.db")
    jobs = []
    for i, template in enumerate(HOSTILE):
        smi = template.format(d=marker_dir)
        with pytest.raises(GaussError):  # the queue refuses it ...
            store.enqueue("casscf" if i % 2 else "loprop", smi, {})
        # ... and a runner given it anyway (stored unvalidated) passes it only to RDKit
        jobs.append(store.enqueue("casscf" if i % 2 else "loprop", smi, {}, validate=False))
        assert store.get(jobs[-1].id).smiles == smi
        assert smi not in " ".join(runner_command(jobs[-1].directory))
    Worker(store, LocalExecutor(concurrency=2, nice=0), WorkerConfig(poll_s=0.2, exit_when_idle=True)).run()
    assert list(marker_dir.iterdir()) == []
    for job in jobs:
        final = store.get(job.id)
        assert final.state == js.FAILED, final.log_text()
        assert "SMILES" in final.error
        assert json.loads((final.directory / js.JOB_FILE).read_text())["smiles"] == job.smiles


def test_runner_crash_and_missing_result_end_as_failed_with_log(tmp_path):
    store = JobStore(tmp_path / "queue.db")
    job = store.enqueue("casscf", "[O-]C", {"geometry": "idealised", "method": "nwchem"}, validate=False)
    Worker(store, LocalExecutor(concurrency=1, nice=0), WorkerConfig(poll_s=0.2, exit_when_idle=True)).run()
    final = store.get(job.id)
    assert final.state == js.FAILED and "method='nwchem'" in final.error
    assert "claimed by local worker" in final.log_text() and "job failed" in final.log_text()


@pytest.mark.slow   # 5 real runner processes: ~8 s idle, ~20 s on the shared machine
def test_local_pool_respects_the_concurrency_limit(tmp_path):
    import threading

    store = JobStore(tmp_path / "queue.db")
    for i in range(5):
        store.enqueue("loprop", f"X{i}(", {}, validate=False)          # invalid SMILES: each runner fails in seconds
    seen: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            seen.append(store.counts()["running"])
            time.sleep(0.05)

    t = threading.Thread(target=sample)
    t.start()
    try:
        Worker(store, LocalExecutor(concurrency=2, nice=0), WorkerConfig(poll_s=0.2, exit_when_idle=True)).run()
    finally:
        stop.set()
        t.join()
    assert max(seen) == 2
    assert store.counts()["failed"] == 5


@pytest.mark.slow
@pytest.mark.needs_molcas
def test_loprop_job_through_the_queue(tmp_path):
    """Kind 'loprop' runs gauss_core.proxies.loprop on the free ligand; labels merge with provenance."""
    from gauss_core.jobs.labels import merge_loprop_results

    store = JobStore(tmp_path / "queue.db")
    job = store.enqueue("loprop", "O", {})                    # water: the smallest O-donor ligand
    Worker(store, LocalExecutor(concurrency=1), WorkerConfig(poll_s=0.5, exit_when_idle=True)).run()
    done = store.get(job.id)
    assert done.state == js.DONE, f"{done.error}\n{done.log_text()[-2000:]}"
    assert done.result["provenance"] == "openmolcas-loprop" and done.result["donor_Z"] == 8
    assert done.result[columns.Q_DONOR] < -0.3                # water O carries a negative LoProp charge
    labels = merge_loprop_results(store)
    assert list(labels[columns.SMILES]) == ["O"] and labels.loc[0, columns.PROVENANCE] == "openmolcas-loprop"
    assert labels.loc[0, columns.ALPHA_DONOR] > 0


def test_a_requeued_job_keeps_the_previous_attempts_output(tmp_path):
    from gauss_core.jobs.worker import prepare_job_dir

    store = JobStore(tmp_path / "queue.db")
    job = store.enqueue("casscf", "[O-]C")
    (job.directory / "casscf.out").write_text("first attempt")
    (job.directory / js.ERROR_FILE).write_text("{}")
    prepare_job_dir(job)
    assert (job.directory / "attempt-1" / "casscf.out").read_text() == "first attempt"
    assert not (job.directory / "casscf.out").exists() and not (job.directory / js.ERROR_FILE).exists()
    (job.directory / "casscf.out").write_text("second attempt")
    prepare_job_dir(job)
    assert (job.directory / "attempt-2" / "casscf.out").read_text() == "second attempt"
