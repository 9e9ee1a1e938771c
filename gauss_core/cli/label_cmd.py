"""`gauss label`: proxy labels for a ligand file (donor atom: fast xTB path or OpenMolcas LoProp; bond length:
the Dy-L axial distance of the cheap xtb geometry)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gauss_core.modes import Builder


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "label", help="label ligands with donor-atom proxies (xtb fast path or OpenMolcas LoProp)",
        description="Label donor-first SMILES with donor-atom charge, dipole and polarisability. Results are "
                    "cached per molecule (resumable: re-run the same command after a crash or Ctrl-C).")
    p.add_argument("--method", choices=("xtb", "loprop", "axial"), default="xtb", help="xtb: fast path (MMFF "
                   "geometry, GFN2-xTB single point, D4 alpha; ~30 ms CPU per ligand); loprop: OpenMolcas PBE + "
                   "LoProp (minutes per ligand); axial: Dy-L axial distance r_dyl_A of [Dy(H2O)5L2]+ relaxed by "
                   "GFN2-xTB with metal and water pentagon held (several s CPU per ligand)")
    p.add_argument("--input", required=True, type=Path, help="CSV(.gz) with a 'smiles' column, or .smi/.txt")
    p.add_argument("--out", required=True, type=Path, help="label table to write (CSV; .gz compresses)")
    p.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--cache", type=Path, default=None, help="JSONL cache (default: <out>.cache.jsonl)")
    p.add_argument("--jobs-dir", type=Path, default=None, help="LoProp job directories (default: <out>.jobs)")
    p.add_argument("--basis", default="ANO-R1", help="LoProp basis: ANO-R1 (default) or ANO-R2 (paper)")
    p.add_argument("--opt", action="store_true",
                   help="xtb: GFN2-xTB (crude) optimisation of the MMFF geometry first (xtb program; ~3x the cost)")
    p.add_argument("--relax", choices=("axial", "axial-ff"), default="axial",
                   help="axial: which cheap path chooses the distance: GFN2-xTB (axial, default) or GFN-FF "
                        "(axial-ff); recorded in r_dyl_method")
    p.add_argument("--builder", choices=list(Builder), default="search",
                   help="axial: template builder (default search: the lowest-energy ligand conformer, so the "
                        "label does not depend on a random conformer; builder recorded in r_dyl_method)")
    p.add_argument("--r-correction", type=Path, default=None, metavar="FILE",
                   help="axial: JSON {\"method\": NAME, \"classes\": {\"1\": [slope, intercept], ..., \"4\": "
                        "[...]}} mapping the raw xtb distance per ligand class; applied when the table is written "
                        "(no new xtb run), NAME recorded in r_dyl_method")
    p.add_argument("--cm5", action="store_true",
                   help="xtb: add a GFN1-xTB single point for CM5 charges (xtb program; ~2x the cost)")
    # spellings of the first bundled run, kept so its command line still works
    p.add_argument("--no-opt", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--no-gfn1", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--sample", type=int, default=None,
                   help="label a seeded random subset of this size, stratified by ligand_class when present")
    p.add_argument("--seed", type=int, default=0, help="seed of --sample (default 0)")
    p.add_argument("--write-every", type=int, default=500, help="rewrite --out after this many new results")
    p.add_argument("--retry-errors", action="store_true", help="re-run ligands whose cached result is an error")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--enqueue", action="store_true",
                   help="loprop: add one 'loprop' job per ligand to the job queue (run by `gauss worker`, locally "
                        "or on SLURM) instead of running here; --out is not written")
    p.add_argument("--queue-db", type=Path, default=None, help="job queue database (default GAUSS_HOME/queue.db)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gauss_core.proxies.batch import BatchConfig, label_batch, read_smiles_file, sample_ligands
    from gauss_core.proxies.fast import FastConfig

    import signal

    def _stop(signum, frame):  # SIGTERM (kill, cluster pre-emption) ends like Ctrl-C: output rewritten
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    from gauss_core.errors import GaussError
    from gauss_core.inputs import read_text_input
    from gauss_core.ligands.validate import LigandLimits, validate_ligand

    read_text_input(args.input, "ligand file")  # missing, directory, empty, binary, broken gzip: one line
    try:
        frame = read_smiles_file(args.input)
    except (ValueError, UnicodeDecodeError) as exc:
        raise GaussError(f"{args.input} is not a readable CSV/SMILES file ({exc}); give one SMILES per "
                         "line or a CSV with a 'smiles' column") from None
    limits, keep, refused = LigandLimits.from_env(), [], 0
    for i, smi in enumerate(frame["smiles"].tolist()):
        try:  # refuse C/Cl donors, radicals and oversized ligands before any xtb/OpenMolcas work
            validate_ligand(smi, limits, reroot=False)
            keep.append(i)
        except GaussError as exc:
            refused += 1
            if refused <= 20:
                print(f"skipped row {i + 1}: {exc}", file=sys.stderr)
    if not keep:
        raise GaussError(f"no valid ligand in {args.input} ({refused} refused); give donor-first SMILES, e.g. [O-]C")
    frame = frame.iloc[keep].reset_index(drop=True)
    if args.sample:
        frame = sample_ligands(frame, args.sample, args.seed)
    if args.enqueue:
        return _enqueue(frame["smiles"].tolist(), args)
    labeller = None
    if args.method == "axial":
        from gauss_core.complexes.axial_map import load_r_correction
        from gauss_core.kd.bond_length import axial_labeller

        labeller = axial_labeller(load_r_correction(args.r_correction) if args.r_correction else None, args.relax,
                                  args.builder)
    elif args.r_correction is not None:
        raise GaussError("--r-correction corrects the axial distance: use it with --method axial")
    fast = FastConfig(optimise=args.opt and not args.no_opt, gfn1=args.cm5 and not args.no_gfn1)
    config = BatchConfig(method=args.method if labeller is None else "xtb", workers=max(1, args.workers),
                         cache_path=args.cache, jobs_dir=args.jobs_dir, basis=args.basis, fast=fast,
                         write_every=args.write_every, retry_errors=args.retry_errors, progress=not args.quiet,
                         labeller=labeller)
    summary = label_batch(frame["smiles"].tolist(), args.out, config)
    print(f"labelled {summary.n_ok}/{summary.n_input} ligands ({summary.n_failed} failed, "
          f"{summary.n_cached} from cache, {summary.n_new} new in {summary.wall_s:.1f} s, "
          f"{summary.rate_per_s:.2f}/s) -> {summary.out_path} (cache {summary.cache_path})", file=sys.stderr)
    return 0


def _enqueue(smiles: list[str], args: argparse.Namespace) -> int:
    """Queue LoProp labels as 'loprop' jobs (the same queue as CASSCF, so a cluster can run them)."""
    from gauss_core.errors import GaussError
    from gauss_core.jobs import JobStore

    if args.method != "loprop":
        raise GaussError("--enqueue is for --method loprop (xtb labels take seconds: run them directly)")
    store = JobStore(args.queue_db)
    ids = [store.enqueue("loprop", s, {"basis": args.basis.upper()}).id for s in dict.fromkeys(smiles)]
    print(f"queued {len(ids)} loprop jobs (ids {min(ids)}-{max(ids)}) in {store.db_path}; run them with "
          "`gauss worker`", file=sys.stderr)
    return 0
