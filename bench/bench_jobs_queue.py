"""Job-queue throughput on this machine: enqueue, duplicate enqueue, claim+finish, list, and two
processes enqueuing at once, on a fresh SQLite (WAL) queue in a temporary directory.

Usage: python bench/bench_jobs_queue.py [--n 2000] [--casscf]
Prints one line per figure. --casscf also times one real OpenMolcas CASSCF job (methoxide, idealised
geometry, default small basis) through the local worker (minutes).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gauss_core.jobs import JobStore, LocalExecutor, Worker, WorkerConfig  # noqa: E402


def _enqueue(db: str, tag: str, n: int) -> None:
    s = JobStore(db)
    for i in range(n):
        s.enqueue("loprop", f"O{tag}{i}", {})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--casscf", action="store_true")
    args = ap.parse_args()
    n = args.n
    with tempfile.TemporaryDirectory() as tmp:
        store = JobStore(Path(tmp) / "queue.db")
        t = time.perf_counter()
        for i in range(n):
            store.enqueue("loprop", f"N{i}", {})
        dt = time.perf_counter() - t
        print(f"enqueue: {n / dt:.0f} jobs/s ({n} new jobs, one process)")
        t = time.perf_counter()
        for i in range(n):
            store.enqueue("loprop", f"N{i}", {})
        dt = time.perf_counter() - t
        print(f"duplicate enqueue (returns existing): {n / dt:.0f} jobs/s")
        t = time.perf_counter()
        k = 0
        while (job := store.claim()) is not None:
            store.finish(job.id, {"ok": True})
            k += 1
        dt = time.perf_counter() - t
        print(f"claim + finish: {k / dt:.0f} jobs/s ({k} jobs)")
        t = time.perf_counter()
        jobs = store.list()
        print(f"list {len(jobs)} jobs: {1000 * (time.perf_counter() - t):.0f} ms")
        db2 = str(Path(tmp) / "queue2.db")
        JobStore(db2)
        ctx = mp.get_context("spawn")
        procs = [ctx.Process(target=_enqueue, args=(db2, tag, n // 2)) for tag in ("a", "b")]
        t = time.perf_counter()
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        dt = time.perf_counter() - t
        got = len(JobStore(db2).list())
        print(f"two processes enqueuing at once: {got / dt:.0f} jobs/s overall incl. start-up ({got} of {n} stored)")
        if args.casscf:
            home = JobStore(Path(tmp) / "casscf" / "queue.db")
            job = home.enqueue("casscf", "[O-]C", {"geometry": "idealised"})
            t = time.perf_counter()
            Worker(home, LocalExecutor(concurrency=1), WorkerConfig(poll_s=1.0, exit_when_idle=True)).run()
            done = home.get(job.id)
            gz = done.result["ground_g"][2] if done.result else float("nan")
            print(f"CASSCF job [Dy(H2O)5(OMe)2]+ (Dy ANO-RCC-VDZP, ligands MB): {time.perf_counter() - t:.0f} s wall, "
                  f"state {done.state}, ground g_z {gz:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
