"""Ending every process a job started: an environment tag per job, a /proc sweep, process-tree kills.

Process groups are not enough: OpenMolcas' pymolcas may run in its own session (LoProp) and its Fortran
modules (gateway.exe, scf.exe, ...) outlive a killed pymolcas. So every job runner carries
GAUSS_JOB_TAG=<job directory>, every program it starts inherits it (clean environments copy it via
with_job_tag), and ending a job kills every process whose environment holds that tag.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import time
from pathlib import Path

TAG_VAR = "GAUSS_JOB_TAG"


def job_tag(directory: str | Path) -> str:
    """The tag of the job that runs in directory (its resolved path)."""
    return str(Path(directory).resolve())


def with_job_tag(env: dict[str, str]) -> dict[str, str]:
    """env plus this process's job tag, if it has one (for the clean environments of QC programs)."""
    tag = os.environ.get(TAG_VAR)
    if tag:
        env = dict(env, **{TAG_VAR: tag})
    return env


def _pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _stat(pid: int) -> tuple[int, int] | None:
    """(ppid, session id) of pid, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2:].split()
        return int(fields[1]), int(fields[3])
    except (OSError, ValueError, IndexError):
        return None


def _ancestors() -> set[int]:
    """This process and its ancestors (never killed by a sweep run from inside a job)."""
    out, pid = set(), os.getpid()
    while pid > 1 and pid not in out:
        out.add(pid)
        st = _stat(pid)
        pid = st[0] if st else 1
    return out


def tagged_pids(tag: str) -> list[int]:
    """Processes (of this user; others' environments are unreadable) whose environment has TAG_VAR=tag."""
    needle = f"{TAG_VAR}={tag}".encode()
    found = []
    for pid in _pids():
        try:
            env = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if needle in env.split(b"\0"):
            found.append(pid)
    return found


def descendants(pid: int) -> list[int]:
    """All processes below pid (children, their children, ...), plus the members of pid's session when
    pid leads one."""
    parent: dict[int, int] = {}
    session: dict[int, int] = {}
    for p in _pids():
        st = _stat(p)
        if st:
            parent[p], session[p] = st
    out: set[int] = {p for p, s in session.items() if s == pid and p != pid}
    frontier = [pid]
    while frontier:
        cur = frontier.pop()
        for child, par in parent.items():
            if par == cur and child not in out:
                out.add(child)
                frontier.append(child)
    return sorted(out)


def _kill_all(find, rounds: int = 20) -> int:
    """SIGKILL whatever find() returns until it returns nothing (children forked meanwhile included)."""
    spare = _ancestors()
    killed: set[int] = set()
    for _ in range(rounds):
        pids = [p for p in find() if p not in spare]
        alive = [p for p in pids if _stat(p) is not None and not _is_zombie(p)]
        if not alive:
            break
        for p in alive:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(p, signal.SIGKILL)
                killed.add(p)
        time.sleep(0.05)
    return len(killed)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat[stat.rindex(")") + 2:].split()[0] == "Z"
    except (OSError, ValueError, IndexError):
        return True


def kill_tagged(tag: str) -> int:
    """Kill every live process carrying the job tag (except the caller and its ancestors); returns the count."""
    return _kill_all(lambda: tagged_pids(tag))


def kill_tree(pid: int) -> int:
    """Kill pid, its descendants and its session; returns the number of processes signalled."""
    def find() -> list[int]:
        return ([pid] if _stat(pid) else []) + descendants(pid)
    return _kill_all(find)


def live_tagged(tag: str) -> list[int]:
    """Tagged processes that are still running (not zombies), for checks and tests."""
    return [p for p in tagged_pids(tag) if not _is_zombie(p)]


def cpu_seconds_with_children() -> float:
    """CPU seconds of this process plus its finished children (xtb, pymolcas run as child processes)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def lower_priority(nice: int) -> None:
    """Make this process (a job runner, in its new session) yield the CPU to interactive work.

    os.nice alone is not enough: with the kernel's autogroup scheduling (sched_autogroup_enabled=1, the
    default of many kernels) every session gets an equal CPU share, and nice only ranks processes inside one
    session. A job runner starts its own session (so it can be killed as a group), so it would compete with
    the user's shell as an equal; measured on this machine, two `--nice 15` DFT jobs took 110 % of 2 cores
    from a nice-2 training process. Setting the session's autogroup nice too restores the intent.
    """
    if nice <= 0:
        return
    os.nice(nice)
    # no autogroup (other kernels, containers): os.nice is all there is
    with contextlib.suppress(OSError), open("/proc/self/autogroup", "w") as fh:
        fh.write(str(nice))
