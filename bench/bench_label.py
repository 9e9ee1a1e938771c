"""Fast-path labelling throughput (ligands/s) on this machine, through the same batch code as
`gauss label --method xtb`, for three configurations:
  bundled:  MMFF geometry + GFN2-xTB single point in-process (tblite) + D4 alpha  (--no-opt --no-gfn1)
  +GFN1:    MMFF geometry + GFN2 and GFN1 (CM5) single points with the xtb program  (--no-opt)
  opt:      GFN2 optimisation (crude) + GFN1 single point with the xtb program      (default flags)

Usage: python bench/bench_label.py [--n 300] [--workers 2] [--quick]
Target >= 20 ligands/s on 2 cores for the bundled configuration. The machine is shared: the load average
printed with the figures says how much of the 2 cores the benchmark could have had.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gauss_core import paths  # noqa: E402
from gauss_core.proxies.batch import BatchConfig, label_batch, read_smiles_file, sample_ligands  # noqa: E402
from gauss_core.proxies.fast import FastConfig  # noqa: E402


def bench_smiles(n: int, seed: int) -> tuple[list[str], str]:
    """A seeded sample of the bundled ligand set (falls back to the calibration ligands)."""
    if paths.LIGAND_SET.exists():
        frame = read_smiles_file(paths.LIGAND_SET)
        return sample_ligands(frame, n, seed)["smiles"].tolist(), f"ligand set {paths.LIGAND_SET.name}"
    frame = read_smiles_file(paths.ASSETS / "labels" / "calibration_ligands.csv")
    return frame["smiles"].tolist()[:n], "calibration ligands (ligand set not built)"


def _cpu_s() -> float:
    """CPU seconds of this process and its reaped children (the pool workers and xtb processes)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="only the bundled configuration")
    args = ap.parse_args()
    smiles, source = bench_smiles(args.n, args.seed)
    print(f"bench_label: {len(smiles)} ligands from {source}, {args.workers} workers, "
          f"{os.cpu_count()} CPUs, load avg {os.getloadavg()[0]:.1f}")
    configs = [("bundled: MMFF + GFN2 (tblite) + D4", FastConfig(optimise=False, gfn1=False))]
    if not args.quick:
        configs += [("+GFN1: MMFF + GFN2 + GFN1 CM5 (xtb)", FastConfig(optimise=False, gfn1=True, backend="xtb")),
                    ("opt: GFN2 crude opt + GFN1 CM5 (xtb)", FastConfig(optimise=True, gfn1=True))]
    for name, fast in configs:
        with tempfile.TemporaryDirectory() as tmp:
            cpu0 = _cpu_s()
            t0 = time.perf_counter()
            s = label_batch(smiles, Path(tmp) / "bench.csv", BatchConfig(workers=args.workers, fast=fast,
                                                                          progress=False, write_every=10**9))
            wall = time.perf_counter() - t0
            cpu = _cpu_s() - cpu0
        print(f"  {name:40s} {s.n_ok / wall:6.1f} ligands/s wall  ({s.n_ok} ok, {s.n_failed} failed, {wall:.1f} s, "
              f"load avg {os.getloadavg()[0]:.1f}); CPU {1000 * cpu / max(s.n_input, 1):.0f} ms/ligand = "
              f"{args.workers * s.n_input / cpu:.1f} ligands/s on {args.workers} dedicated cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
