"""Running pymolcas on an OpenMolcas input and pruning its bulky files afterwards.

pymolcas is run through subprocess with an argument list (no shell) and a clean environment using
Debian's /usr/bin/python3, because pymolcas breaks under the project's venv interpreter.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gauss_core.errors import MissingProgramError
from gauss_core.kd.molcas_input import N_4F_ORBITALS, MolcasInputError, MolcasRunError
from gauss_core.procs import kill_tree, with_job_tag


def find_pymolcas() -> list[str]:
    """Command prefix that runs pymolcas with the system Python.

    Returns:
        e.g. ["/usr/bin/python3", "/usr/bin/pymolcas"].
    Raises:
        MissingProgramError: pymolcas is not installed.
    """
    exe = os.environ.get("GAUSS_PYMOLCAS") or shutil.which("pymolcas", path="/usr/bin:/usr/local/bin") \
        or shutil.which("pymolcas")
    if not exe:
        raise MissingProgramError("pymolcas not found; install OpenMolcas (Debian: apt-get install openmolcas) "
                                  "or set GAUSS_PYMOLCAS to its path")
    python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else shutil.which("python3")
    if not python:
        raise MissingProgramError("pymolcas needs a system python3, and none is on PATH")
    return [python, exe]


def molcas_env(workdir: Path, memory_mb: int, threads: int = 1) -> dict[str, str]:
    """A clean environment for pymolcas: no venv variables, scratch inside the job directory."""
    keep = ("HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TMPDIR", "MOLCAS", "SLURM_JOB_ID")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    env["MOLCAS_WORKDIR"] = str(workdir / "scratch")
    env["MOLCAS_MEM"] = str(memory_mb)
    env["MOLCAS_OUTPUT"] = str(workdir)
    env["MOLCAS_PRINT"] = "NORMAL"
    env["OMP_NUM_THREADS"] = str(threads)
    env["MOLCAS_NPROCS"] = "1"
    return with_job_tag(env)  # a job's cancel finds pymolcas and its modules by this tag


@dataclass
class MolcasRun:
    """Where a run's files are and how it ended."""

    input_path: Path
    output_path: Path
    returncode: int


def run_molcas(input_text: str, workdir: Path, memory_mb: int = 2000, project: str = "dy",
               on_start: Callable[[subprocess.Popen], None] | None = None,
               timeout_s: float | None = None, new_session: bool = True, stem: str | None = None,
               clean: bool = True) -> MolcasRun:
    """Run pymolcas on input_text inside workdir (own process group, so cancel can kill it whole).

    Args:
        input_text: OpenMolcas input.
        workdir: job directory; input, output (<project>.out) and scratch/ go here.
        memory_mb: MOLCAS_MEM.
        project: project name (file stem).
        on_start: called with the Popen right after start (e.g. to record its pid).
        timeout_s: kill the run after this many seconds.
        new_session: start pymolcas in its own process group; False inside a job runner, whose group
            the executor kills on cancel.
        stem: name of the input and output files (default: project); runs of one project share its WorkDir.
        clean: remove the WorkDir afterwards; False keeps it (integrals, RunFile) for a next run of the project.
    Returns:
        MolcasRun with the output path and return code.
    """
    stem = stem or project
    for name in (project, stem):
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", name) or name.startswith("."):
            raise MolcasInputError(f"project name or file stem {name!r} must be letters, digits, _, - or .")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "scratch").mkdir(exist_ok=True)
    inp = workdir / f"{stem}.input"
    out = workdir / f"{stem}.out"
    inp.write_text(input_text)
    cmd = find_pymolcas() + (["-clean"] if clean else []) + ["-oe", str(out), inp.name]
    env = molcas_env(workdir, memory_mb) | {"MOLCAS_PROJECT": project}  # one WorkDir whatever the file name
    with open(workdir / f"{stem}.stdout", "wb") as log:
        proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=new_session)
        if on_start:
            on_start(proc)
        try:
            rc = proc.wait(timeout=timeout_s)
        except BaseException as exc:  # timeout, Ctrl-C, SIGTERM turned into an exception
            kill_tree(proc.pid)  # pymolcas and its modules (gateway.exe, ...), whatever their group
            proc.wait()
            if not isinstance(exc, subprocess.TimeoutExpired):
                raise
            raise MolcasRunError(f"pymolcas exceeded {timeout_s:.0f} s in {workdir}; give a larger timeout "
                                 "or a smaller basis") from None
    return MolcasRun(inp, out, rc)



def run_casscf_4f_guess(structure, config, workdir: Path, project: str = "casscf", timeout_s: float | None = None,
                        new_session: bool = True, log: Callable[[str], None] = lambda m: None
                        ) -> tuple[MolcasRun, str, list[tuple[int, int]]]:
    """CASSCF(9,7)+SO in two pymolcas runs with the 4f-selected starting orbitals (kd.molcas_orbitals).

    Run 1 (`<project>.guess.input`): GATEWAY, SEWARD, GUESSORB, WorkDir kept. Then the seven most Dy-4f-like
    GUESSORB orbitals are swapped into the active window (ALTEr), and run 2 (`<project>.input`) does RASSCF,
    RASSI and SINGLE_ANISO on the same integrals. Same result as one run from GUESSORB, in fewer RASSCF
    iterations (docs/casscf.md).
    Returns:
        (the second run, both outputs' text joined (what parse_molcas_output reads), the ALTEr pairs).
    Raises:
        MolcasRunError when a run fails (the message names its output file).
    """
    from gauss_core.kd.molcas_input import inactive_orbitals, write_molcas_input
    from gauss_core.kd.molcas_orbitals import alter_keyword, four_f_swaps

    t0 = time.monotonic()
    first = run_molcas(write_molcas_input(structure, config, stage="guess"), workdir, config.memory_mb, project,
                       timeout_s=timeout_s, new_session=new_session, stem=f"{project}.guess", clean=False)
    guess_text = first.output_path.read_text(errors="replace") if first.output_path.exists() else ""
    if first.returncode != 0:
        shutil.rmtree(Path(workdir) / "scratch", ignore_errors=True)
        raise MolcasRunError(f"pymolcas (integrals and GUESSORB) exited with code {first.returncode}; see "
                             f"{first.output_path}")
    n_inactive = inactive_orbitals(structure)
    pairs = four_f_swaps(Path(workdir) / f"{project}.guessorb.h5", n_inactive, N_4F_ORBITALS)
    log(f"starting orbitals: GUESSORB, {len(pairs)} orbital pair(s) swapped to put the Dy 4f in the active space"
        + (f" ({', '.join(f'{a}<->{b}' for a, b in pairs)})" if pairs else ""))
    left = None if timeout_s is None else max(1.0, timeout_s - (time.monotonic() - t0))
    second = run_molcas(write_molcas_input(structure, config, stage="casscf", alter=alter_keyword(pairs)),
                        workdir, config.memory_mb, project, timeout_s=left, new_session=new_session)
    text = second.output_path.read_text(errors="replace") if second.output_path.exists() else ""
    return second, guess_text + text, pairs


# Per-root orbital files and integral libraries: tens of MB per job, not needed once parsed.
BULKY_PATTERNS = ("*.SpdOrb.*", "*.RasOrb.*", "*.rasscf.molden.*", "*.RICDLib", "*.LprOrb", "*.LoProp.molden",
                  "*.old.aniso")


def prune_outputs(workdir: Path) -> int:
    """Delete bulky intermediate files and the scratch folder of a finished run; returns bytes freed.

    Kept: input, output, GssOrb/RasOrb, rasscf.h5, rassi.h5, aniso files (enough to restart RASSI or
    SINGLE_ANISO).
    """
    workdir = Path(workdir)
    freed = 0
    for pattern in BULKY_PATTERNS:
        for f in workdir.glob(pattern):
            if f.is_file():
                freed += f.stat().st_size
                f.unlink()
    scratch = workdir / "scratch"
    if scratch.is_dir():
        freed += sum(f.stat().st_size for f in scratch.rglob("*") if f.is_file())
        shutil.rmtree(scratch, ignore_errors=True)
    return freed
