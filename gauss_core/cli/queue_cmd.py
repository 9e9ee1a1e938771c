"""`gauss queue add|list|show|cancel|retry|labels` and `gauss worker`: the CASSCF / LoProp job queue."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from gauss_core.errors import GaussError
from gauss_core.inputs import read_smiles_rows
from gauss_core.ligands.validate import LigandLimits, validate_many


def _parse_params(pairs: list[str], params_json: str | None) -> dict:
    """KEY=VALUE pairs (VALUE parsed as JSON when it can be, else kept as text) over --params-json."""
    params: dict = {}
    if params_json:
        try:
            params = json.loads(params_json)
        except json.JSONDecodeError as exc:
            raise GaussError(f"--params-json is not valid JSON ({exc}); "
                             "e.g. '{\"dy_basis\": \"ANO-RCC-VTZP\"}'") from None
        if not isinstance(params, dict):
            raise GaussError("--params-json must be a JSON object, e.g. '{\"relax\": true}'")
    for pair in pairs or []:
        if "=" not in pair:
            raise GaussError(f"--param {pair!r}: write KEY=VALUE, e.g. --param dy_basis=ANO-RCC-VTZP")
        key, value = pair.split("=", 1)
        try:
            params[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            params[key.strip()] = value
    return params


def _store(args: argparse.Namespace):
    from gauss_core.jobs.store import JobStore
    return JobStore(args.db)


def _age(t: float | None) -> str:
    if not t:
        return "-"
    s = time.time() - t
    return f"{s:.0f}s" if s < 120 else f"{s / 60:.0f}m" if s < 7200 else f"{s / 3600:.1f}h"


def _summary(job) -> str:
    res = job.result or {}
    if job.state == "done" and "gaps_cm1" in res:
        g = res.get("ground_g", [0, 0, 0])
        return f"gap1 {res['gaps_cm1'][0]:.0f} cm-1, gz {g[2]:.2f} [{res.get('provenance')}]"
    if job.state == "done":
        return f"[{res.get('provenance', '')}]"
    return (job.error or "")[:70]


def cmd_add(args: argparse.Namespace) -> int:
    store = _store(args)
    params = _parse_params(args.param, args.params_json)
    smiles_list = list(args.smiles)
    rejected: list[str] = []
    limits = LigandLimits.from_env()
    if args.file:
        rows = read_smiles_rows(args.file, "SMILES file")
        for note in rows.notes:
            print(f"{args.file}: {note}", file=sys.stderr)
        for lineno, valid in zip(rows.lines, validate_many(rows.smiles, limits), strict=True):
            if isinstance(valid, str):
                rejected.append(f"{args.file}:{lineno}: {valid}")
            else:
                smiles_list.append(valid.smiles)
    for reason in rejected[:20]:
        print(f"skipped {reason}", file=sys.stderr)
    if len(rejected) > 20:
        print(f"... and {len(rejected) - 20} more rows skipped", file=sys.stderr)
    if not smiles_list:
        raise GaussError("no valid SMILES given; pass them as arguments or with --file (one SMILES per line, "
                         "donor atom first)")
    for job, created in store.enqueue_many(args.kind, smiles_list, params):
        tag = "queued" if created else "existing"
        print(f"{job.id}\t{tag}\t{job.state}\t{job.kind}\t{job.smiles}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    store = _store(args)
    for job in store.recover_stale():
        print(f"recovered job {job.id} from a dead worker: now {job.state}", file=sys.stderr)
    jobs = store.list(state=args.state, kind=args.kind)
    if args.json:
        print(json.dumps([{"id": j.id, "kind": j.kind, "smiles": j.smiles, "state": j.state, "params": j.params,
                           "attempts": j.attempts, "error": j.error, "result": j.result} for j in jobs], indent=1))
        return 0
    print("id\tstate\tkind\tattempts\tage\tsmiles\tsummary")
    for j in jobs:
        print(f"{j.id}\t{j.state}\t{j.kind}\t{j.attempts}/{j.max_attempts}\t{_age(j.created_at)}\t{j.smiles}\t"
              f"{_summary(j)}")
    counts = store.counts()
    print(" ".join(f"{k}={v}" for k, v in counts.items()), file=sys.stderr)
    from gauss_core.jobs.progress import queue_progress

    every = store.list(kind=args.kind)  # all states: the progress needs the finished jobs too
    for kind in sorted({j.kind for j in every}):
        print(f"{kind}: {queue_progress(j for j in every if j.kind == kind).summary()}", file=sys.stderr)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    job = _store(args).get(args.job_id)
    info = {"id": job.id, "kind": job.kind, "smiles": job.smiles, "params": job.params, "state": job.state,
            "attempts": f"{job.attempts}/{job.max_attempts}", "executor": job.executor,
            "worker": f"{job.worker_host}:{job.worker_pid}" if job.worker_pid else None, "slurm_id": job.slurm_id,
            "directory": str(job.directory), "error": job.error}
    print(json.dumps(info, indent=1))
    if job.result is not None:
        res = dict(job.result)
        if not args.full:
            res.pop("so_energies_cm1", None)
            res.pop("rasscf_energies_hartree", None)
            cf = res.pop("crystal_field", {}) or {}
            res["crystal_field_k2"] = {k: v for k, v in cf.items() if k.startswith("B(2,")}
        print(json.dumps({"result": res}, indent=1))
    if args.log:
        print("---- log ----")
        print(job.log_text(tail_chars=None if args.full else 4000))
    return 0


def _kill_now(job) -> None:
    """Kill a cancelled job's program at once when it runs on this host (the worker would in a moment)."""
    import shutil
    import socket
    import subprocess

    from gauss_core.jobs.store import kill_process_group
    if job.runner_pgid and job.worker_host == socket.gethostname():
        kill_process_group(job.runner_pgid, job.directory)
    if job.slurm_id and shutil.which("scancel"):
        subprocess.run(["scancel", str(job.slurm_id)], capture_output=True, timeout=60)


def cmd_cancel(args: argparse.Namespace) -> int:
    store = _store(args)
    for job_id in args.job_ids:
        before = store.get(job_id)
        job = store.cancel(job_id)
        if before.state == "running":
            _kill_now(job)
        store.append_log(job_id, "cancelled by user")
        print(f"{job.id}\t{job.state}")
    return 0


def cmd_retry(args: argparse.Namespace) -> int:
    store = _store(args)
    for job_id in args.job_ids:
        job = store.retry(job_id)
        print(f"{job.id}\t{job.state}")
    return 0


def cmd_labels(args: argparse.Namespace) -> int:
    from gauss_core.jobs.labels import merge_kd_results, merge_loprop_results, write_kd_labels, write_loprop_labels
    store = _store(args)
    path = write_kd_labels(store, args.out)
    print(f"{len(merge_kd_results(store))} ligands with CASSCF KD labels -> {path}")
    path = write_loprop_labels(store, args.loprop_out)
    print(f"{len(merge_loprop_results(store))} ligands with LoProp proxy labels -> {path}")
    if args.bundle:
        from gauss_core.jobs.labels import bundle_kd_results

        path, before, after = bundle_kd_results(store, args.bundle_path)
        print(f"bundled CASSCF results: {before} -> {after} ligands in {path}")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    import logging

    from gauss_core.jobs.executors import LocalExecutor, SlurmExecutor, SlurmResources
    from gauss_core.jobs.worker import Worker, WorkerConfig

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    store = _store(args)
    config = WorkerConfig(poll_s=args.poll, exit_when_idle=args.exit_when_idle, max_jobs=args.max_jobs,
                          kinds=tuple(args.kinds.split(",")) if args.kinds else None, max_wall_s=args.max_wall)
    executor: LocalExecutor | SlurmExecutor
    if args.executor == "local":
        executor = LocalExecutor(concurrency=args.concurrency, nice=args.nice)
    else:
        executor = SlurmExecutor(SlurmResources(partition=args.partition, cpus=args.cpus, mem_mb=args.mem_mb,
                                                time_limit=args.time, account=args.account),
                                 max_jobs=args.concurrency)
    n = Worker(store, executor, config).run()
    print(f"worker finished: {n} job(s) claimed; {store.counts()}", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    db_help = "queue database (default GAUSS_HOME/queue.db)"
    q = subparsers.add_parser("queue", help="CASSCF / LoProp job queue: add, list, show, cancel, retry, labels",
                              description="Persistent job queue (SQLite). Jobs run with `gauss worker`.")
    q.add_argument("--db", type=Path, default=None, help=db_help)
    qs = q.add_subparsers(dest="queue_command", metavar="ACTION")
    q.set_defaults(func=lambda a: (q.print_help(), 1)[1])

    add = qs.add_parser("add", help="queue ligands (same kind+SMILES+params again returns the existing job)")
    add.add_argument("smiles", nargs="*", help="ligand SMILES, donor atom first (quote it in the shell)")
    add.add_argument("--file", type=Path, help="text/CSV file with one SMILES per line (first column)")
    add.add_argument("--kind", default="casscf", choices=("casscf", "loprop", "dft-axial"),
                     help="job kind (default casscf; dft-axial: DFT reference of the axial distance)")
    add.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                     help="job parameter, e.g. dy_basis=ANO-RCC-VTZP, relax=true, geometry=idealised")
    add.add_argument("--params-json", default=None, help="parameters as a JSON object")
    add.set_defaults(func=cmd_add)

    ls = qs.add_parser("list", help="list jobs (also recovers jobs of dead workers)")
    ls.add_argument("--state", choices=("queued", "running", "done", "failed", "cancelled"))
    ls.add_argument("--kind", choices=("casscf", "loprop", "dft-axial"))
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(func=cmd_list)

    show = qs.add_parser("show", help="details, result and log of one job")
    show.add_argument("job_id", type=int)
    show.add_argument("--log", action="store_true", help="print the job's log")
    show.add_argument("--full", action="store_true", help="all result fields and the whole log")
    show.set_defaults(func=cmd_show)

    cancel = qs.add_parser("cancel", help="cancel queued or running jobs (kills the running program)")
    cancel.add_argument("job_ids", type=int, nargs="+")
    cancel.set_defaults(func=cmd_cancel)

    retry = qs.add_parser("retry", help="queue failed or cancelled jobs again")
    retry.add_argument("job_ids", type=int, nargs="+")
    retry.set_defaults(func=cmd_retry)

    labels = qs.add_parser("labels", help="write labels of done jobs (GAUSS_HOME/labels/kd_casscf.csv, "
                                          "proxy_loprop.csv)")
    labels.add_argument("--out", type=Path, default=None, help="KD label CSV (default GAUSS_HOME/labels/kd_casscf.csv)")
    labels.add_argument("--loprop-out", type=Path, default=None,
                        help="LoProp label CSV (default GAUSS_HOME/labels/proxy_loprop.csv)")
    labels.add_argument("--bundle", action="store_true",
                        help="also merge the CASSCF results into the repository's bundled set "
                             "(assets/kd/casscf_results.csv.gz; rows already there are kept)")
    labels.add_argument("--bundle-path", type=Path, default=None, help=argparse.SUPPRESS)
    labels.set_defaults(func=cmd_labels)

    for sp in (add, ls, show, cancel, retry, labels):
        sp.add_argument("--db", type=Path, default=argparse.SUPPRESS, help=db_help)

    w = subparsers.add_parser("worker", help="run queued jobs (local process pool or SLURM)",
                              description="Claim queued jobs and run them until stopped (Ctrl-C puts running local "
                                          "jobs back in the queue).")
    w.add_argument("--db", type=Path, default=None, help=db_help)
    _worker_args(w)
    # `gauss queue worker` is the same command, for users who look for it under `queue`.
    qw = qs.add_parser("worker", help="same as `gauss worker`")
    qw.add_argument("--db", type=Path, default=argparse.SUPPRESS, help=db_help)
    _worker_args(qw)


def _worker_args(w: argparse.ArgumentParser) -> None:
    w.add_argument("--executor", choices=("local", "slurm"), default="local")
    w.add_argument("--concurrency", type=int, default=1, help="jobs at once (local) / in SLURM at once (slurm)")
    w.add_argument("--nice", type=int, default=10, help="niceness of local runners (default 10)")
    w.add_argument("--poll", type=float, default=2.0, help="seconds between polls")
    w.add_argument("--exit-when-idle", action="store_true", help="stop when nothing is queued or running")
    w.add_argument("--max-jobs", type=int, default=None, help="stop after claiming this many jobs")
    w.add_argument("--kinds", default=None, help="comma-separated kinds to run (default all)")
    w.add_argument("--max-wall", type=float, default=None, help="stop after this many seconds (e.g. inside an "
                   "allocation); running local jobs go back to the queue")
    w.add_argument("--partition", default=None, help="SLURM partition")
    w.add_argument("--account", default=None, help="SLURM account")
    w.add_argument("--cpus", type=int, default=1, help="SLURM cpus per job")
    w.add_argument("--mem-mb", type=int, default=4000, help="SLURM memory per job (MB)")
    w.add_argument("--time", default="24:00:00", help="SLURM time limit per job")
    w.set_defaults(func=cmd_worker)
