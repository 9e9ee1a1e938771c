"""Run one job inside its directory: `python -m gauss_core.jobs.runner <job_dir>`.

Reads job.json (id, kind, smiles, params) written by the worker, runs the kind and writes
result.json (atomically: temporary file + rename) or error.json. The same entry point runs under the
local executor (as a process-group leader the worker can kill) and inside a SLURM batch job (on a
compute node, with the job directory on a shared filesystem; the queue database is not touched here).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path

from gauss_core.errors import GaussError
from gauss_core.jobs.store import ERROR_FILE, JOB_FILE, RESULT_FILE, write_json_atomic


def run_job_dir(job_dir: Path) -> int:
    """Run the job described by job_dir/job.json.

    Returns:
        0 when result.json was written, 1 when error.json was written.
    """
    from gauss_core.jobs.kinds import JobContext, get_kind

    job_dir = Path(job_dir).resolve()
    spec = json.loads((job_dir / JOB_FILE).read_text())
    ctx = JobContext(job_id=int(spec["id"]), kind=spec["kind"], smiles=spec["smiles"], params=spec["params"],
                     workdir=job_dir)
    ctx.log(f"runner pid {os.getpid()} started on {os.uname().nodename}")
    try:
        result = get_kind(spec["kind"]).run(ctx)
    except GaussError as exc:
        ctx.log(f"failed: {exc}")
        write_json_atomic(job_dir / ERROR_FILE, {"error": str(exc), "type": type(exc).__name__})
        return 1
    except Exception as exc:  # noqa: BLE001 - a job's crash must end as a failed job, with its traceback
        tb = traceback.format_exc()
        ctx.log(f"crashed: {type(exc).__name__}: {exc}\n{tb}")
        write_json_atomic(job_dir / ERROR_FILE, {"error": f"{type(exc).__name__}: {exc}", "type": "crash",
                                                 "traceback": tb})
        return 1
    write_json_atomic(job_dir / RESULT_FILE, result)
    ctx.log("done, result.json written")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m gauss_core.jobs.runner JOB_DIR", file=sys.stderr)
        return 2
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    return run_job_dir(Path(argv[0]))


if __name__ == "__main__":
    sys.exit(main())
