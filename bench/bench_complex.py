"""Benchmark: complexes per second for build + constrained GFN2-xTB relaxation + KD estimate.

Target (issue 4): <= 10 s per complex on the 2-core machine. Ligands: a seeded random sample of the
bundled ligand set (all four donor classes), so the figure reflects real ligand sizes.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_complex.py [--n 12] [--builder auto] [--relax constrained]
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_complex.py --builder search --relax axial-mapped   (issue 13 path)
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_complex.py --compare-free --n 20   (free vs constrained)
"""

from __future__ import annotations

import argparse
import os
import resource
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from gauss_core.complexes import assemble, relax  # noqa: E402
from gauss_core.errors import GaussError  # noqa: E402
from gauss_core.kd import estimate  # noqa: E402
from gauss_core.modes import Builder  # noqa: E402

FALLBACK = ["[O-]C", "[O-]c1ccccc1", "n1ccccc1", "O=C(C)C", "NC", "[N-]C(=O)C", "[O-]C(=O)C", "OC1CCCC1",
            "[O-]CC#N", "N#CC", "[O-]C(C)(C)C", "O=C1CCCO1"]


def sample_ligands(n: int, seed: int) -> list[str]:
    try:
        from gauss_core import columns
        from gauss_core.ligands import load_ligand_set
        table = load_ligand_set()
        per_class = max(1, n // 4)
        picks = []
        for _, group in table.groupby(columns.LIGAND_CLASS):
            picks += group.sample(min(per_class, len(group)), random_state=seed)[columns.SMILES].tolist()
        return picks[:n]
    except Exception as exc:  # ligand set not built: fixed list of real ligands
        print(f"(ligand set unavailable: {exc}; using a fixed list)")
        return FALLBACK[:n]


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def compare_free(n: int, builder: str) -> None:
    """Structural flags after free and after constrained relaxation of the same templates."""
    import collections

    from gauss_core.complexes import descriptors

    counts = {m: collections.Counter() for m in ("free", "constrained")}
    angles: dict[str, list[float]] = {m: [] for m in counts}
    structural = {"chelation", "lost-donor", "proton-transfer", "bent-axis", "bond-broken"}
    done = 0
    for smi in sample_ligands(n, 7):
        try:
            cx = assemble(smi, builder=builder)
            out = {m: relax(cx, m) for m in counts}
        except GaussError as exc:
            print(f"  {smi:28s} failed: {exc}")
            continue
        done += 1
        for m, r in out.items():
            kinds = {f.split(":")[0] for f in r.flags}
            counts[m].update(kinds)
            counts[m]["clean"] += not (kinds & structural)
            angles[m].append(descriptors(r)["angle_L_Dy_L_deg"])
        print(f"  {smi:28s} " + "  ".join(f"{m}: {sorted({f.split(':')[0] for f in r.flags}) or 'clean'}"
                                          for m, r in out.items()))
    for m in counts:
        print(f"{m:12s} clean {counts[m]['clean']}/{done}, " + ", ".join(
            f"{k} {v}" for k, v in sorted(counts[m].items()) if k != "clean")
              + f"; median L-Dy-L {np.median(angles[m]):.0f} deg")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--builder", default="auto", choices=list(Builder))
    parser.add_argument("--relax", default="constrained", choices=("constrained", "axial", "axial-ff", "axial-mapped"),
                        help="xtb relaxation (axial / axial-ff: the axial distance computed, issue 13)")
    parser.add_argument("--compare-free", action="store_true",
                        help="instead: flags of free vs constrained GFN2 relaxation (5 ligands per class, seed 7)")
    args = parser.parse_args()
    if args.compare_free:
        compare_free(args.n, args.builder)
        return
    ligands = sample_ligands(args.n, args.seed)
    assemble("[O-]C", builder=args.builder)  # import and warm-up (molSimplify import ~2 s), not timed
    times = {"build": [], "relax": [], "estimate": []}
    cpu0 = _cpu_seconds()
    total, done, failed = [], 0, 0
    t_all = time.perf_counter()
    for smi in ligands:
        t0 = time.perf_counter()
        try:
            cx = assemble(smi, builder=args.builder)
            t1 = time.perf_counter()
            rx = relax(cx, args.relax)
            t2 = time.perf_counter()
            est = estimate(rx)
            t3 = time.perf_counter()
        except GaussError as exc:
            failed += 1
            print(f"  {smi:28s} failed: {exc}")
            continue
        done += 1
        times["build"].append(t1 - t0)
        times["relax"].append(t2 - t1)
        times["estimate"].append(t3 - t2)
        total.append(t3 - t0)
        print(f"  {smi:28s} {rx.n_atoms:3d} atoms  build {t1 - t0:5.2f}  relax {t2 - t1:5.2f}  estimate "
              f"{t3 - t2:5.2f} s  gap1 {est.gaps_cm1[0]:6.0f} gap7 {est.gaps_cm1[-1]:6.0f} cm-1 ({est.provenance})"
              + (f"  flags: {len(rx.flags)}" if rx.flags else ""))
    wall = time.perf_counter() - t_all
    cpu = _cpu_seconds() - cpu0
    load = os.getloadavg()[0]
    print(f"\n{done} complexes ({failed} failed) in {wall:.1f} s: {done / wall:.3f} complexes/s, "
          f"{wall / max(done, 1):.2f} s per complex wall (target <= 10 s); builder {args.builder}, "
          f"relax {args.relax}")
    print(f"CPU time (this process + xtb children) {cpu / max(done, 1):.2f} s per complex = the wall time on an "
          f"idle core; load average during the run {load:.1f} on {os.cpu_count()} cores")
    for stage, vals in times.items():
        if vals:
            print(f"  {stage:9s} median {np.median(vals):5.2f} s  max {np.max(vals):5.2f} s")
    if total:
        print(f"  per complex median {np.median(total):.2f} s, max {np.max(total):.2f} s")


if __name__ == "__main__":
    main()
