"""Executors start, poll and cancel job runners: locally as process groups, or as SLURM batch jobs.

Both run `python -m gauss_core.jobs.runner <job_dir>`; the runner writes result.json or error.json
into the job directory, which the worker collects. Nothing here goes through a shell: commands are
argument lists, and the SLURM batch script quotes every value with shlex.quote (the SMILES never
appears in it at all; it is read from job.json by the runner).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from gauss_core.errors import GaussError, MissingProgramError
from gauss_core.jobs.store import LOG_FILE, Job, kill_job_processes
from gauss_core.procs import TAG_VAR, job_tag, lower_priority
from gauss_core.modes import ExecutorName

RUNNER_MODULE = "gauss_core.jobs.runner"


@dataclass
class Finished:
    """A runner that has ended (its result.json / error.json, if any, are in the job directory)."""

    job_id: int
    returncode: int | None
    detail: str = ""


def runner_command(job_dir: Path, python: str | None = None) -> list[str]:
    """Argument list that runs one job directory."""
    return [python or sys.executable, "-m", RUNNER_MODULE, str(job_dir)]


def _runner_env(job_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env[TAG_VAR] = job_tag(job_dir)  # every program the job starts inherits it: cancel sweeps by it
    env.setdefault("OMP_NUM_THREADS", "1")
    # The runner must import this checkout's gauss_core even when it is not installed.
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


class LocalExecutor:
    """Runs each job as its own process group on this machine, at most `concurrency` at a time.

    Args:
        concurrency: maximum number of jobs running at once.
        nice: niceness added to runners (QC programs share the machine with interactive work).
    """

    name = ExecutorName.LOCAL

    def __init__(self, concurrency: int = 1, nice: int = 10):
        if concurrency < 1:
            raise GaussError(f"concurrency={concurrency}: give at least 1")
        self.concurrency = concurrency
        self.nice = nice
        self.procs: dict[int, subprocess.Popen] = {}

    def free_slots(self) -> int:
        return self.concurrency - len(self.procs)

    def start(self, job: Job) -> dict:
        """Start the runner of job in a new session (its pid is the group id of everything it spawns).

        Returns:
            {"pgid": pid} to record in the store.
        """
        nice = self.nice

        def _lower_priority() -> None:  # runs in the child, after setsid and before exec; no shell involved
            lower_priority(nice)

        with open(job.directory / LOG_FILE, "ab") as log:  # the runner keeps its own descriptor
            proc = subprocess.Popen(runner_command(job.directory), cwd=job.directory, env=_runner_env(job.directory),
                                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True, preexec_fn=_lower_priority)
        self.procs[job.id] = proc
        return {"pgid": proc.pid}

    def poll(self) -> list[Finished]:
        done = []
        for job_id, proc in list(self.procs.items()):
            rc = proc.poll()
            if rc is not None:
                done.append(Finished(job_id, rc))
                del self.procs[job_id]
        return done

    def cancel(self, job: Job) -> None:
        """Kill the whole process group of the job's runner (runner, pymolcas, the Fortran modules)."""
        proc = self.procs.pop(job.id, None)
        if proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        kill_job_processes(job.directory, job.runner_pgid)

    def active(self) -> list[int]:
        return list(self.procs)

    def shutdown(self) -> None:
        """Kill all runners (used when the worker is stopped with Ctrl-C / SIGTERM)."""
        for job_id in list(self.procs):
            proc = self.procs.pop(job_id)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            kill_job_processes(Path(str(proc.args[-1])))  # type: ignore[index]  # the runner's argument is its job directory


# ------------------------------------------------------------------------------------------------ SLURM

@dataclass(frozen=True)
class SlurmResources:
    """Resources requested per job (sbatch options)."""

    partition: str | None = None
    cpus: int = 1
    mem_mb: int = 4000
    time_limit: str = "24:00:00"
    account: str | None = None
    extra: list[str] = field(default_factory=list)   # further "#SBATCH" options, e.g. ["--qos=short"]


SLURM_ACTIVE = {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "REQUEUED", "RESIZING", "SUSPENDED",
                "SIGNALING", "STAGE_OUT", "REQUEUE_HOLD", "REQUEUE_FED"}


def slurm_script(job: Job, res: SlurmResources, python: str) -> str:
    """Text of the sbatch script for a job; every interpolated value is shell-quoted."""
    q = shlex.quote
    lines = ["#!/bin/bash",
             f"#SBATCH --job-name=gauss-{int(job.id)}",
             f"#SBATCH --output={q(str(job.directory / 'slurm-%j.out'))}",
             f"#SBATCH --chdir={q(str(job.directory))}",
             f"#SBATCH --cpus-per-task={int(res.cpus)}",
             f"#SBATCH --mem={int(res.mem_mb)}M",
             f"#SBATCH --time={q(res.time_limit)}",
             "#SBATCH --ntasks=1"]
    if res.partition:
        lines.append(f"#SBATCH --partition={q(res.partition)}")
    if res.account:
        lines.append(f"#SBATCH --account={q(res.account)}")
    lines += [f"#SBATCH {q(x)}" for x in res.extra]
    root = str(Path(__file__).resolve().parents[2])
    lines += ["set -u",
              f"export OMP_NUM_THREADS={int(res.cpus)}",
              f"export PYTHONPATH={q(root)}${{PYTHONPATH:+:$PYTHONPATH}}",
              " ".join(q(x) for x in runner_command(job.directory, python)) + f" >> {q(LOG_FILE)} 2>&1"]
    return "\n".join(lines) + "\n"


def _slurm_tool(name: str) -> str:
    exe = shutil.which(name)
    if not exe:
        raise MissingProgramError(f"{name} not found; the SLURM executor needs the SLURM client tools "
                                  "(sbatch, squeue, sacct, scancel) on PATH")
    return exe


class SlurmExecutor:
    """Submits each job with `sbatch --parsable`, polls squeue (then sacct) and cancels with scancel.

    The job directory must be on a filesystem shared with the compute nodes (GAUSS_HOME on it).
    The submitting worker holds no process per job: a restarted worker re-adopts running SLURM jobs.
    """

    name = ExecutorName.SLURM

    def __init__(self, resources: SlurmResources | None = None, max_jobs: int = 50, python: str | None = None):
        self.resources = resources or SlurmResources()
        self.max_jobs = max_jobs
        self.python = python or sys.executable
        self.jobs: dict[int, tuple[str, Path]] = {}

    def free_slots(self) -> int:
        return self.max_jobs - len(self.jobs)

    def start(self, job: Job) -> dict:
        script = job.directory / "slurm_job.sh"
        script.write_text(slurm_script(job, self.resources, self.python))
        proc = subprocess.run([_slurm_tool("sbatch"), "--parsable", str(script)], capture_output=True, text=True,
                              cwd=job.directory, timeout=120)
        if proc.returncode != 0:
            raise GaussError(f"sbatch failed for job {job.id}: {proc.stderr.strip() or proc.stdout.strip()}; "
                             "check the partition/account options and `sinfo`")
        slurm_id = proc.stdout.strip().split(";")[0]
        self.jobs[job.id] = (slurm_id, job.directory)
        return {"slurm_id": slurm_id}

    def adopt(self, job: Job) -> None:
        """Track a SLURM job submitted by an earlier (dead) worker."""
        if job.slurm_id:
            self.jobs[job.id] = (job.slurm_id, job.directory)

    def slurm_state(self, slurm_id: str) -> str:
        """SLURM state of a job: squeue while it is known there, else sacct; 'UNKNOWN' if neither knows."""
        out = subprocess.run([_slurm_tool("squeue"), "-h", "-j", slurm_id, "-o", "%T"], capture_output=True,
                             text=True, timeout=60)
        state = out.stdout.strip().split("\n")[0].strip() if out.returncode == 0 else ""
        if state:
            return state
        if shutil.which("sacct"):
            acct = subprocess.run(["sacct", "-n", "-X", "-P", "-j", slurm_id, "-o", "State"], capture_output=True,
                                  text=True, timeout=60)
            lines = [ln.strip() for ln in acct.stdout.splitlines() if ln.strip()]
            if acct.returncode == 0 and lines:
                return lines[0].split()[0]
        return "UNKNOWN"

    def poll(self) -> list[Finished]:
        done = []
        for job_id, (slurm_id, directory) in list(self.jobs.items()):
            state = self.slurm_state(slurm_id)
            if state in SLURM_ACTIVE:
                continue
            if state == "UNKNOWN" and not any((directory / f).exists() for f in ("result.json", "error.json")):
                continue  # not yet visible to squeue/sacct (or accounting is off) and no result yet
            done.append(Finished(job_id, 0 if state in ("COMPLETED", "UNKNOWN") else 1, f"slurm state {state}"))
            del self.jobs[job_id]
        return done

    def cancel(self, job: Job) -> None:
        slurm_id = self.jobs.pop(job.id, (job.slurm_id, None))[0]
        if slurm_id:
            subprocess.run([_slurm_tool("scancel"), slurm_id], capture_output=True, text=True, timeout=60)

    def active(self) -> list[int]:
        return list(self.jobs)

    def shutdown(self) -> None:
        """SLURM jobs keep running without the worker; the next worker adopts them."""
        self.jobs.clear()
