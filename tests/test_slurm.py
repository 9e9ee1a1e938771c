"""The SLURM executor against a real single-node Slurm started by the test on localhost.

The fixture writes its own slurm.conf and munge key in a temporary directory (nothing under /etc is
changed), starts munged, slurmctld and slurmd, and stops them afterwards. It needs the Debian packages
slurm-wlm and munge (DEB_TEST_PACKAGES in the Makefile) and root, because slurmd must run as root to
start jobs (SlurmdUser=root); without them the tests that need the cluster are skipped with that reason.
Accounting is off (no slurmdbd), so sacct answers "accounting storage is disabled" and the executor
falls back to squeue plus the result files in the shared job directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gauss_core.jobs import store as js
from gauss_core.jobs.executors import SlurmExecutor, SlurmResources, slurm_script
from gauss_core.jobs.store import JobStore
from gauss_core.jobs.worker import Worker, WorkerConfig
import contextlib

JOB_MEM_MB = 1500   # below any CI machine's memory; OpenMolcas uses MOLCAS_MEM (not enforced: task/none)
SLURM_PROGRAMS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _why_no_slurm() -> str | None:
    missing = [p for p in SLURM_PROGRAMS if not shutil.which(p) and not Path(f"/usr/sbin/{p}").exists()]
    if missing:
        return (f"Slurm/munge programs missing ({', '.join(missing)}): install the Debian packages slurm-wlm and "
                "munge (`make setup-test` does, they are in DEB_TEST_PACKAGES)")
    if os.geteuid() != 0:
        return "a local Slurm needs root: slurmd must run as root to launch jobs (run the tests as root or in CI)"
    return None


def _node_memory_mb() -> int:
    """What slurmd will find on this machine (a node declaring more than it has would be drained)."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(int(line.split()[1]) / 1024 * 0.9)
    return 2000


def _prog(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


@pytest.fixture(scope="module")
def local_slurm(tmp_path_factory):
    """Start munged + slurmctld + slurmd on localhost with a private configuration; yield its env."""
    reason = _why_no_slurm()
    if reason:
        pytest.skip(reason)
    d = tmp_path_factory.mktemp("slurm")
    host = socket.gethostname().split(".")[0]
    (d / "state").mkdir()
    (d / "spool").mkdir()
    key = d / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o600)
    conf = d / "slurm.conf"
    conf.write_text(f"""ClusterName=gausstest
SlurmctldHost={host}
SlurmUser=root
SlurmdUser=root
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
AuthType=auth/munge
AuthInfo=socket={d}/munge.socket
CredType=cred/munge
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
SlurmctldLogFile={d}/slurmctld.log
SlurmdLogFile={d}/slurmd.log
NodeName={host} CPUs={os.cpu_count() or 1} RealMemory={_node_memory_mb()} State=UNKNOWN
PartitionName=gauss Nodes={host} Default=YES MaxTime=INFINITE State=UP
""")
    old_conf = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = str(conf)
    env = dict(os.environ)
    subprocess.run([_prog("munged"), f"--socket={d}/munge.socket", f"--key-file={key}", f"--pid-file={d}/munged.pid",
                    f"--log-file={d}/munged.log", f"--seed-file={d}/munged.seed", "--force"], check=True, env=env)
    subprocess.run([_prog("slurmctld")], check=True, env=env)
    subprocess.run([_prog("slurmd")], check=True, env=env)
    try:
        end = time.time() + 60
        state = ""
        while time.time() < end:
            state = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, env=env).stdout.strip()
            if state in ("idle", "mix", "alloc"):
                break
            time.sleep(1)
        else:
            log = (d / "slurmctld.log").read_text()[-1500:] if (d / "slurmctld.log").exists() else ""
            pytest.skip(f"local Slurm did not come up (node state {state!r}); slurmctld log: {log}")
        yield env
    finally:
        for pidfile in ("slurmd.pid", "slurmctld.pid", "munged.pid"):
            with contextlib.suppress(OSError, ValueError):
                os.kill(int((d / pidfile).read_text().strip()), signal.SIGTERM)
        if old_conf is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = old_conf


def test_batch_script_quotes_values_and_never_contains_the_smiles(tmp_path):
    store = JobStore(tmp_path / "weird dir; echo x" / "queue.db")
    smi = "[O-]C$(touch /tmp/pwned)"
    job = store.enqueue("casscf", smi, {"geometry": "idealised"}, validate=False)  # the script must quote even this
    text = slurm_script(job, SlurmResources(partition="short", cpus=4, mem_mb=8000, time_limit="02:00:00",
                                            account="chem; rm -rf /", extra=["--qos=low"]), sys.executable)
    assert smi not in text and "$(touch" not in text
    assert "#SBATCH --cpus-per-task=4" in text and "#SBATCH --mem=8000M" in text
    assert "#SBATCH --time=02:00:00" in text and "#SBATCH --partition=short" in text
    assert "#SBATCH --account='chem; rm -rf /'" in text and "#SBATCH --qos=low" in text
    assert f"--chdir='{job.directory}'" in text                     # path with a space and ';' is quoted
    assert "-m gauss_core.jobs.runner" in text


def test_executor_explains_missing_slurm(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    store = JobStore(tmp_path / "queue.db")
    store.enqueue("casscf", "[O-]C", {"geometry": "idealised"})
    job = store.claim(executor="slurm")
    from gauss_core.errors import MissingProgramError
    with pytest.raises(MissingProgramError, match="sbatch not found"):
        SlurmExecutor().start(job)


def _dead_identity() -> tuple[str, int, str]:
    p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    ident = (socket.gethostname(), p.pid, js.process_start_time(p.pid))
    p.kill()
    p.wait()
    return ident


@pytest.mark.slow
def test_slurm_runs_jobs_and_a_new_worker_collects_them(local_slurm, tmp_path):
    """Submit with `sbatch --parsable`; the submitting worker dies; a new worker adopts the SLURM jobs,
    polls squeue and collects result.json / error.json from the shared job directory.

    The job is a real OpenMolcas LoProp run on water (about a minute); the CASSCF kind runs through
    the same runner and is exercised end to end by test_jobs_worker.py.
    """
    store = JobStore(tmp_path / "home" / "queue.db")
    job = store.enqueue("loprop", "O", {})
    bad = store.enqueue("casscf", "not a smiles", {}, validate=False)  # must fail in the runner
    first = Worker(store, SlurmExecutor(SlurmResources(cpus=1, mem_mb=JOB_MEM_MB, time_limit="00:30:00")),
                   WorkerConfig(poll_s=1.0))
    first.identity = _dead_identity()     # this worker "dies" right after submitting
    first.step()
    submitted = store.get(job.id)
    assert submitted.executor == "slurm" and submitted.slurm_id and submitted.slurm_id.isdigit()
    assert (submitted.directory / "slurm_job.sh").exists()
    # The worker is gone; a fresh one picks the SLURM jobs up and waits for them.
    assert store.recover_stale() == []    # SLURM jobs are not requeued: they still run in SLURM
    second = Worker(store, SlurmExecutor(), WorkerConfig(poll_s=2.0, exit_when_idle=True, max_wall_s=1800))
    t0 = time.time()
    second.run()
    done = store.get(job.id)
    assert done.state == js.DONE, f"{done.error}\n{done.log_text()[-3000:]}"
    assert done.result["provenance"] == "openmolcas-loprop" and done.result["donor_Z"] == 8
    assert "adopted by worker" in done.log_text()
    assert list(done.directory.glob("slurm-*.out"))
    failed = store.get(bad.id)
    assert failed.state == js.FAILED and "SMILES" in failed.error
    print(f"SLURM jobs collected after {time.time() - t0:.0f} s")


@pytest.mark.slow
def test_slurm_cancel_uses_scancel(local_slurm, tmp_path):
    store = JobStore(tmp_path / "home" / "queue.db")
    job = store.enqueue("casscf", "[O-]C", {"geometry": "idealised"})
    executor = SlurmExecutor(SlurmResources(mem_mb=JOB_MEM_MB))
    worker = Worker(store, executor, WorkerConfig(poll_s=1.0))
    worker.step()
    slurm_id = store.get(job.id).slurm_id
    end = time.time() + 60
    while executor.slurm_state(slurm_id) != "RUNNING" and time.time() < end:
        time.sleep(1)
    assert executor.slurm_state(slurm_id) == "RUNNING"
    store.cancel(job.id)
    worker.step()
    end = time.time() + 60
    while executor.slurm_state(slurm_id) in ("RUNNING", "COMPLETING") and time.time() < end:
        time.sleep(1)
    assert executor.slurm_state(slurm_id) not in ("RUNNING", "PENDING", "COMPLETING")
    assert store.get(job.id).state == js.CANCELLED and "cancelled" in store.get(job.id).log_text()
