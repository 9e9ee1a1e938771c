"""The paper's Fig. 8 with CASSCF on a reduced scale (issue 13.5): 6 bins x 2 seeds x 4 novel samples at sigma 0.2.

Plan (bundled model; seeds from the CASSCF results binned on their CASSCF first gap when every bin has 2, else the
KD mapping set's estimate bins; writes $GAUSS_HOME/fig8_casscf/plan.csv; refuses to redraw an existing plan):
    GAUSS_HOME=/work/fig8_home python scripts/fig8_casscf.py --plan
Queue (one casscf job per planned ligand; idempotent; a seed in the bundled CASSCF results on the same geometry
and basis reuses that value):
    GAUSS_HOME=/work/fig8_home python scripts/fig8_casscf.py --queue [--geometry assemble]
Run the queue in the background:
    GAUSS_HOME=/work/fig8_home PYTHONPATH=. nice -n 15 python -m gauss_core worker --concurrency 1
Collect (docs/fig8_casscf.csv, docs/figures/fig8_casscf.png; prints progress and the scores):
    GAUSS_HOME=/work/fig8_home python scripts/fig8_casscf.py --collect
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gauss_core import paths  # noqa: E402
from gauss_core.evaluate import casscf_fidelity as cf  # noqa: E402
from gauss_core.jobs.labels import load_bundled_kd_results  # noqa: E402
from gauss_core.jobs.store import JobStore  # noqa: E402


def plan(args) -> None:
    import torch

    from gauss_core.evaluate.report_config import ReportConfig
    from gauss_core.evaluate.report_inputs import load_inputs

    torch.set_num_threads(1)
    out = cf.plan_dir() / cf.PLAN_FILE
    if out.exists() and not args.force:
        print(f"{out} exists: the draw is fixed (use --force to draw a new plan; queued jobs stay queued)")
        return
    # bundled CASSCF results only (not a queue), so the draw does not depend on what has run since
    inputs = load_inputs(ReportConfig(checkpoint=args.checkpoint, read_queue=False), log=print)
    config = cf.Fig8CasscfConfig(seed=args.seed)
    table, candidates, summary = cf.make_plan(inputs, config, log=lambda s: print(s, flush=True))
    path = cf.write_plan(table, candidates, summary)
    ligands = cf.planned_ligands(table)
    print(f"wrote {path}: {(ligands.role == 'seed').sum()} seeds, {(ligands.role == 'sample').sum()} samples "
          f"(seed source: {summary['seed_source']}; {summary['seconds']} s)")


def queue(args) -> None:
    store = JobStore(paths.gauss_home() / "queue.db")
    bundled = None if args.no_reuse else load_bundled_kd_results(paths.KD_CASSCF_SET)
    table = cf.queue_plan(store, cf.read_plan(), args.geometry, bundled)
    for r in table.itertuples(index=False):
        what = ("reuses bundled CASSCF" if r.source == "bundled" else "queued" if r.created else "already queued")
        print(f"{r.role:6s} bin {r.kd_bin}  job {int(r.job_id):4d}  {what:21s} {r.smiles}")
    n_new, n_reused = int(table.created.sum()), int((table.source == "bundled").sum())
    print(f"{len(table)} ligands: {n_new} jobs added, {len(table) - n_new - n_reused} already queued, {n_reused} "
          f"seeds reuse the bundled CASSCF value (same geometry and basis); geometry={args.geometry}")


def collect(args) -> None:
    from gauss_core.evaluate import casscf_fidelity_scores as cs

    store = JobStore(paths.gauss_home() / "queue.db")
    jobs = cf.read_jobs()
    results = cs.casscf_results(jobs, store, load_bundled_kd_results(paths.KD_CASSCF_SET))
    pairs = cs.pair_table(cf.read_plan(), results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    pairs.to_csv(args.out, index=False)
    table, totals = cs.progress(pairs)
    print(f"CASSCF done for {totals['done']} / {totals['planned']} planned ligands; "
          f"{totals['pairs_scored']} / {totals['pairs_planned']} pairs scored")
    print(table.to_string(index=False))
    scores = cs.paired_scores(pairs)
    for tag, sc in scores.items():
        print(f"{tag:26s} R2-like score gap1 {sc['score_gap1']:.3f}  gap7 {sc['score_gap7']:.3f}  "
              f"({sc['n_pairs']} pairs, {sc['n_seeds']} seeds)")
    if not cs.enough_pairs(totals):
        print(f"fewer than {cf.MIN_PAIRS} scored CASSCF pairs: the scores are not meaningful yet")
    fig = cs.casscf_figure(pairs, scores, args.figure)
    print(f"wrote {args.out} and {fig}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    step = ap.add_mutually_exclusive_group(required=True)
    step.add_argument("--plan", action="store_true", help="draw seeds and samples, write the plan")
    step.add_argument("--queue", action="store_true", help="enqueue a casscf job per planned ligand")
    step.add_argument("--collect", action="store_true", help="join finished jobs, score, write CSV + figure")
    ap.add_argument("--checkpoint", type=Path, default=paths.DEFAULT_CHECKPOINT)
    ap.add_argument("--seed", type=int, default=0, help="random seed of the draw (default 0)")
    ap.add_argument("--force", action="store_true", help="--plan: draw again over an existing plan")
    ap.add_argument("--geometry", choices=cf.queue_geometries(), default=cf.default_geometry(),
                    help="casscf job geometry (default: the product's CASSCF default, %(default)s)")
    ap.add_argument("--no-reuse", action="store_true", help="--queue: run every seed too (no bundled values)")
    ap.add_argument("--out", type=Path, default=cf.DOC_CSV)
    ap.add_argument("--figure", type=Path, default=cf.DOC_FIGURE)
    args = ap.parse_args()
    pd.set_option("display.width", 200)
    (plan if args.plan else queue if args.queue else collect)(args)


if __name__ == "__main__":
    main()
