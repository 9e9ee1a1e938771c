"""Start a queue worker (`gauss worker`) from the dashboard as a detached background process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from gauss_core import paths


def slurm_available() -> bool:
    """SLURM is configured when its client tools are on PATH."""
    return shutil.which("sbatch") is not None and shutil.which("squeue") is not None


def start_worker(executor: str = "local", concurrency: int = 1) -> tuple[int, Path]:
    """Launch `python -m gauss_core worker --exit-when-idle` in its own session; returns (pid, log path).

    The worker outlives the page (and the Streamlit server); it exits when the queue is empty.
    """
    log = paths.gauss_home() / "worker.log"
    cmd = [sys.executable, "-m", "gauss_core", "worker", "--executor", executor, "--concurrency",
           str(int(concurrency)), "--exit-when-idle"]
    with open(log, "ab") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")})
    return proc.pid, log


def alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a finished child stays a zombie until reaped
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True
