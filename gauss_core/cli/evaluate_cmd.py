"""`gauss evaluate` (the paper's six experiments -> docs/evaluation.md) and `gauss kdmap build|status|casscf`
(the KD mapping set)."""

from __future__ import annotations

import sys
from pathlib import Path

from gauss_core import paths
from gauss_core.modes import KDMode


def register(subparsers) -> None:
    _register_evaluate(subparsers)
    _register_kdmap(subparsers)


# ------------------------------------------------------------------------------------------- kdmap

def _register_kdmap(subparsers) -> None:
    p = subparsers.add_parser("kdmap", help="KD mapping set: ligands assembled into complexes with KD estimates",
                              description="Build the KD mapping set (assets/kd/kd_mapping.csv.gz): a stratified draw "
                                          "of the bundled ligands, each assembled into [Dy(H2O)5L2]+ and given a "
                                          "crystal-field KD estimate (provenance in every row). Resumable.")
    sub = p.add_subparsers(dest="kdmap_command", metavar="ACTION")
    p.set_defaults(func=lambda args: (p.print_help(), 1)[1])

    def common(sp) -> None:
        sp.add_argument("--n", type=int, default=2400, help="ligands to plan, equal per class (default 2400)")
        sp.add_argument("--mode", choices=tuple(KDMode), default=KDMode.TEMPLATE_SP.value,
                        help="template-sp: RDKit template + xtb single-point charges, no relaxation (~1 s each); "
                             "relaxed: assemble + constrained xtb relaxation (~5-10 s each); axial-mapped: "
                             "lowest-energy conformer, computed axial distance (~8 s each)")
        sp.add_argument("--seed", type=int, default=0)
        sp.add_argument("--out", type=Path, default=None,
                        help=f"output table (default {paths.KD_MAPPING_SET.name} for template-sp, "
                             f"{paths.KD_MAPPING_AXIAL.name} for axial-mapped)")
        sp.add_argument("--cache-dir", type=Path, default=None, help="JSONL caches (default GAUSS_HOME/kdmap)")

    b = sub.add_parser("build", help="build or resume the set (run it in the background with nice)")
    common(b)
    b.add_argument("--shard", default="0/1", help="I/N: process every N-th planned ligand starting at I")
    b.add_argument("--reverse", action="store_true",
                   help="walk the shard from its end (a second process on the same shard; they meet in the middle)")
    b.add_argument("--max-seconds", type=float, default=None, help="stop (resumably) after this long")
    b.add_argument("--write-every", type=int, default=25)
    b.add_argument("--ligands", type=Path, default=paths.LIGAND_SET, help="ligand set to draw from")
    b.set_defaults(func=_kdmap_build)

    s = sub.add_parser("status", help="how many ligands are done, per class")
    common(s)
    s.set_defaults(func=_kdmap_status)

    c = sub.add_parser("casscf", help="pick a stratified subset of the set and queue CASSCF jobs for it",
                       description="Pick N ligands (N/4 per class, spread over each class's range of the estimated "
                                   "first gap) and enqueue 'casscf' jobs; run them with `gauss worker` here or on "
                                   "SLURM. `gauss evaluate` reads the finished results with their provenance.")
    c.add_argument("--n", type=int, default=100)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--kd-mapping", type=Path, default=paths.KD_MAPPING_SET)
    c.add_argument("--db", type=Path, default=None, help="queue database (default GAUSS_HOME/queue.db)")
    c.add_argument("--dry-run", action="store_true", help="print the picks, queue nothing")
    c.set_defaults(func=_kdmap_casscf)


def _config(args):
    from gauss_core.kd.kd_mapping import KDMapConfig, default_out

    shard, n_shards = 0, 1
    if getattr(args, "shard", None):
        try:
            shard, n_shards = (int(x) for x in args.shard.split("/"))
        except ValueError:
            from gauss_core.errors import GaussError
            raise GaussError(f"--shard {args.shard!r}: write it as I/N, e.g. 0/2") from None
    return KDMapConfig(n_ligands=args.n, mode=args.mode, seed=args.seed, out=args.out or default_out(args.mode),
                       cache_dir=args.cache_dir,
                       write_every=getattr(args, "write_every", 25), shard=shard, n_shards=n_shards,
                       reverse=bool(getattr(args, "reverse", False)))


def _kdmap_build(args) -> int:
    from gauss_core.kd.kd_mapping import build_kd_mapping

    from gauss_core.ligands import load_ligand_set

    status = build_kd_mapping(_config(args), load_ligand_set(args.ligands), log=lambda s: print(s, flush=True),
                              max_seconds=args.max_seconds)
    print(status.line())
    print("These are crystal-field estimates (kd_provenance cf-pointcharge), not CASSCF.")
    return 0


def _kdmap_status(args) -> int:
    from gauss_core.kd.kd_mapping import kd_mapping_status

    print(kd_mapping_status(_config(args)).line())
    return 0


def _kdmap_casscf(args) -> int:
    from gauss_core import columns as C
    from gauss_core.kd.kd_mapping import enqueue_casscf, load_kd_mapping, pick_casscf_ligands

    picks = pick_casscf_ligands(load_kd_mapping(args.kd_mapping), args.n, args.seed)
    for row in picks.itertuples(index=False):
        print(f"class {getattr(row, C.LIGAND_CLASS)}  est. gap1 {getattr(row, C.KD_GAP_COLUMNS[0]):7.0f} cm-1  "
              f"{getattr(row, C.SMILES)}")
    if args.dry_run:
        print(f"{len(picks)} ligands picked (dry run: nothing queued)")
        return 0
    from gauss_core.jobs import JobStore

    jobs = enqueue_casscf(JobStore(args.db), picks)
    states: dict[str, int] = {}
    for j in jobs:
        states[j.state] = states.get(j.state, 0) + 1
    counts = ", ".join(f"{v} {k}" for k, v in states.items())
    print(f"{len(jobs)} CASSCF jobs in the queue for these ligands ({counts}); "
          "run them with `nice -n 10 gauss worker` (or --executor slurm)", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------------------- evaluate

def _register_evaluate(subparsers) -> None:
    from gauss_core.evaluate import EXPERIMENTS

    p = subparsers.add_parser(
        "evaluate", help="run the paper's six experiments on a checkpoint; write docs/evaluation.md + figures",
        description="Learning curve (Fig. 2b), sigma sweep (2c), proxy parity (6c) + R2 curve (6b), latent PCA (7), "
                    "seed-to-sample fidelity (8), targeted repopulation (10) and the KD mapping / CASSCF comparison. "
                    "Writes the Markdown report, PNG figures, a numbers table (CSV + JSON) and raw tables. KD numbers "
                    "from estimates are labelled as such.")
    p.add_argument("--checkpoint", type=Path, default=paths.DEFAULT_CHECKPOINT)
    p.add_argument("--ligands", type=Path, default=paths.LIGAND_SET)
    p.add_argument("--labels", type=Path, default=paths.PROXY_LABELS, help="proxy label table ('none' = no labels)")
    p.add_argument("--kd-mapping", type=Path, default=paths.KD_MAPPING_SET)
    p.add_argument("--db", type=Path, default=None,
                   help="queue database with CASSCF results (default GAUSS_HOME/queue.db)")
    p.add_argument("--casscf", type=Path, default=paths.KD_CASSCF_SET,
                   help="bundled CASSCF results read beside the queue (default assets/kd/casscf_results.csv.gz; "
                        "'none' = queue only)")
    p.add_argument("--calibration", type=Path, default=paths.KD_CALIBRATION,
                   help="calibrated KD estimate: used by the fidelity experiment beside cf-pointcharge and its "
                        "cross-validated accuracy reported, when the file exists "
                        "(default assets/kd/kd_calibration.json; 'none' = point-charge estimate only)")
    p.add_argument("--out", type=Path, default=paths.REPO_ROOT / "docs" / "evaluation.md",
                   help="report path; figures/, evaluation_data/ and evaluation_numbers.csv go beside it (the report "
                        "holds only the experiments run, unless --update)")
    p.add_argument("--only", default=None, help=f"comma-separated experiments: {', '.join(EXPERIMENTS)}")
    p.add_argument("--update", action="store_true",
                   help="keep the other experiments' sections and numbers from earlier runs into the same --out "
                        "(stored in GAUSS_HOME/evaluate/, one file per report path; same checkpoint only) and "
                        "replace those run now")
    p.add_argument("--quick", action="store_true", help="tiny settings (tests, smoke runs)")
    p.add_argument("--train-sizes", default=None, help="learning curve sizes (default 1000,4000,16000)")
    p.add_argument("--max-batches", type=int, default=None,
                   help="cap on batches of 100 per learning-curve model (default 3000; each stops earlier when its "
                        "validation accuracy stops improving)")
    p.add_argument("--label-counts", default=None, help="R2 curve labelled counts (default 100,500,2500)")
    p.add_argument("--label-max-batches", type=int, default=None,
                   help="cap on batches per R2-curve model (default 2000)")
    p.add_argument("--sweep-batches", type=int, default=None, help="batches of 100 per sigma (paper 50)")
    p.add_argument("--fidelity-seeds-per-bin", type=int, default=None, help="paper 5")
    p.add_argument("--fidelity-samples-per-seed", type=int, default=None, help="paper 10")
    p.add_argument("--repop-attempts", type=int, default=None, help="LP attempts per repopulation seed")
    p.add_argument("--repop-estimate", type=int, default=None, help="generated ligands to KD-estimate")
    p.add_argument("--kd-mode", choices=tuple(KDMode), default=None,
                   help="KD estimate of seeds and new samples (default: template-sp, as the bundled mapping set)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_evaluate)


def _ints(text: str) -> tuple[int, ...]:
    from gauss_core.errors import GaussError

    try:
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise GaussError(f"{text!r}: give comma-separated integers, e.g. 1000,2000,4000") from None


def _evaluate(args) -> int:
    import os
    from dataclasses import replace

    import torch

    from gauss_core.evaluate.report import ReportConfig, run_report

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1") or 1))

    def optional(path):
        return None if str(path).lower() == "none" else path

    kw = dict(checkpoint=args.checkpoint, ligands=args.ligands, labels=optional(args.labels),
              kd_mapping=args.kd_mapping, queue_db=args.db, out_md=args.out, casscf_set=optional(args.casscf),
              kd_calibration=optional(args.calibration), update=args.update)
    if args.only:
        kw["experiments"] = tuple(x.strip() for x in args.only.split(",") if x.strip())
    config = ReportConfig.quick_config(**kw) if args.quick else ReportConfig(**kw)
    lc = config.learning
    if args.train_sizes:
        lc = replace(lc, train_sizes=_ints(args.train_sizes))
    if args.label_counts:
        lc = replace(lc, label_counts=_ints(args.label_counts))
    if args.max_batches:
        lc = replace(lc, max_batches=args.max_batches)
    if args.label_max_batches:
        lc = replace(lc, label_max_batches=args.label_max_batches)
    sweep, fidelity, repop = config.sweep, config.fidelity, config.repopulation
    if args.sweep_batches:
        sweep = replace(sweep, batches=args.sweep_batches)
    if args.fidelity_seeds_per_bin:
        fidelity = replace(fidelity, seeds_per_bin=args.fidelity_seeds_per_bin)
    if args.fidelity_samples_per_seed:
        fidelity = replace(fidelity, samples_per_seed=args.fidelity_samples_per_seed)
    if args.kd_mode:
        fidelity = replace(fidelity, kd_mode=args.kd_mode)
        repop = replace(repop, kd_mode=args.kd_mode)
    if args.repop_attempts:
        repop = replace(repop, attempts_per_seed=args.repop_attempts)
    if args.repop_estimate is not None:
        repop = replace(repop, n_estimate=args.repop_estimate)
    config = replace(config, learning=replace(lc, seed=args.seed), sweep=replace(sweep, seed=args.seed),
                     fidelity=replace(fidelity, seed=args.seed), repopulation=replace(repop, seed=args.seed))
    result = run_report(config, log=lambda s: print(s, flush=True))
    targets = result["numbers"][result["numbers"]["target"].astype(str) != ""]
    print("\ntargets:")
    for _, r in targets.iterrows():
        flag = {True: "PASS", False: "FAIL"}.get(r["passed"], "    ")
        print(f"  {flag} {r['experiment']}: {r['metric']} = {r['value']} (target {r['target']}) [{r['provenance']}]")
    for name, why in result["skipped"].items():
        print(f"  skipped {name}: {why}")
    return 0
