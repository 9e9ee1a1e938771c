"""Figure: seconds for `gauss queue add --file` of N rows (issue 15: linear, 200k rows in under a minute).

The rows are the first N ligands of the bundled set (real SMILES: every one is validated, re-rooted and
stored as a job). Wall and CPU time are printed: the machine is shared, so the CPU time is the figure
that does not depend on the neighbours.

Usage: python bench/bench_queue_add_file.py [N]   (default 200000; a temporary GAUSS_HOME)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def _cpu() -> float:
    """User + system CPU seconds of this process and of its finished children (the validation pool)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    with tempfile.TemporaryDirectory() as home:
        os.environ["GAUSS_HOME"] = home
        from gauss_core.cli import main as gauss

        import pandas as pd

        from gauss_core import paths

        ligands = pd.read_csv(paths.LIGAND_SET, usecols=["smiles"], dtype=str, nrows=n)["smiles"].tolist()
        rows = ["smiles"] + [ligands[i % len(ligands)] for i in range(n)]  # beyond the set: repeats (deduplicated)
        path = Path(home) / "ligands.csv"
        path.write_text("\n".join(rows) + "\n")
        start, cpu = time.perf_counter(), _cpu()
        with open(os.devnull, "w") as null:
            out, sys.stdout = sys.stdout, null
            try:
                rc = gauss(["queue", "add", "--file", str(path)])
            finally:
                sys.stdout = out
        took, cpu = time.perf_counter() - start, _cpu() - cpu
        from gauss_core.jobs.store import JobStore

        stored = len(JobStore().list())
        print(f"queue add --file: {n} rows in {took:.1f} s wall, {cpu:.1f} s CPU of this process and its "
              f"validation workers ({os.cpu_count()} cores; {n / took:.0f} rows/s); {stored} jobs stored, exit {rc}")


if __name__ == "__main__":
    main()
