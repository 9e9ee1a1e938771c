"""Fast-path labelling throughput (ligands/s) on this machine: GFN2-xTB optimisation + GFN2 and GFN1
single points per ligand, through the same batch code as `gauss label --method xtb`.

Usage: python bench/bench_label.py [--n 300] [--workers 2] [--no-opt]
Prints one line per configuration; target >= 20 ligands/s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-opt", action="store_true", help="only the MMFF-geometry configuration")
    args = ap.parse_args()
    smiles, source = bench_smiles(args.n, args.seed)
    print(f"bench_label: {len(smiles)} ligands from {source}, {args.workers} workers, "
          f"{os.cpu_count()} CPUs, load avg {os.getloadavg()[0]:.1f}")
    configs = [("mmff geometry, GFN2+GFN1 single points", FastConfig(optimise=False))]
    if not args.no_opt:
        configs.insert(0, ("GFN2 opt + GFN1 single point (default)", FastConfig(optimise=True)))
    for name, fast in configs:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            s = label_batch(smiles, Path(tmp) / "bench.csv", BatchConfig(workers=args.workers, fast=fast,
                                                                          progress=False, write_every=10**9))
            wall = time.perf_counter() - t0
        print(f"  {name:42s} {s.n_ok / wall:6.1f} ligands/s  ({s.n_ok} ok, {s.n_failed} failed, {wall:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
