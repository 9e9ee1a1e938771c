"""Figure: seconds for `gauss queue add --file` of N rows (issue 15: linear, 200k rows in under a minute).

Usage: python bench/bench_queue_add_file.py [N]   (default 200000; a temporary GAUSS_HOME)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    with tempfile.TemporaryDirectory() as home:
        os.environ["GAUSS_HOME"] = home
        from gauss_core.cli import main as gauss

        # valid donor-first ligands, 27,000 distinct (longer files repeat them: repeats are deduplicated)
        rows = ["smiles"] + [f"OC{'C' * (i % 30)}(C{'C' * (i // 30 % 30)})N{'C' * (i // 900 % 30)}"
                             for i in range(n)]
        path = Path(home) / "ligands.csv"
        path.write_text("\n".join(rows) + "\n")
        start = time.perf_counter()
        with open(os.devnull, "w") as null:
            out, sys.stdout = sys.stdout, null
            try:
                rc = gauss(["queue", "add", "--file", str(path)])
            finally:
                sys.stdout = out
        took = time.perf_counter() - start
        print(f"queue add --file: {n} rows in {took:.1f} s ({n / took:.0f} rows/s), exit {rc}")


if __name__ == "__main__":
    main()
