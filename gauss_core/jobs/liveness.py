"""Is a job's worker alive, and ending a job's processes: process identity (pid + kernel start time),
process-group kills confined to the job directory, and the tag sweep of gauss_core.procs."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

from gauss_core.procs import job_tag, kill_tagged


def process_start_time(pid: int) -> str | None:
    """Kernel start time of a process (clock ticks since boot) or None if it does not exist.

    Together with the pid it identifies a process even after pid reuse.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return fields[19]  # field 22 of stat, counted after the command name


def worker_identity() -> tuple[str, int, str]:
    """(host, pid, start time) of the calling process."""
    pid = os.getpid()
    return socket.gethostname(), pid, process_start_time(pid) or ""


def process_alive(host: str | None, pid: int | None, start: str | None) -> bool | None:
    """True/False for a process on this host; None when it runs elsewhere (cannot tell)."""
    if not pid or host != socket.gethostname():
        return None
    current = process_start_time(pid)
    if current is None:
        return False
    return not start or current == start


def kill_process_group(pgid: int, directory: Path) -> int:
    """SIGKILL the processes of group pgid whose working directory lies in `directory`.

    The directory check keeps a recycled pgid from killing an unrelated program.

    Returns:
        Number of processes signalled.
    """
    killed = 0
    root = str(Path(directory).resolve())
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            pgrp = int(stat[stat.rindex(")") + 2:].split()[2])
            if pgrp != pgid:
                continue
            cwd = os.readlink(proc / "cwd")
        except (OSError, ValueError):
            continue
        if cwd == root or cwd.startswith(root + os.sep):
            try:
                os.kill(int(proc.name), signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
    return killed


def kill_job_processes(directory: Path, pgid: int | None = None) -> int:
    """Kill every process of the job in directory: its runner's group and every process carrying its tag
    (pymolcas in its own session, orphaned Fortran modules). Returns the number signalled."""
    n = kill_process_group(pgid, directory) if pgid else 0
    return n + kill_tagged(job_tag(directory))

