"""`gauss sample` (LP sampling around seed SMILES, candidates to CSV) and `gauss sweep` (sigma sweep)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from gauss_core import paths


def register(subparsers) -> None:
    p = subparsers.add_parser("sample", help="LP sampling z' = z + sigma*eps around seed SMILES; candidates to CSV",
                              description="Local-perturbation sampling around donor-first seed SMILES. Writes one "
                                          "row per distinct valid molecule (columns: see docs/dashboard.md).")
    p.add_argument("--seed", dest="seeds", action="append", required=True, metavar="SMILES",
                   help="seed SMILES, re-rooted at its donor when not donor-first (repeat for several seeds)")
    p.add_argument("--sigma", type=float, default=0.3, help="perturbation std (default 0.3)")
    p.add_argument("--attempts", type=int, default=5000, help="samples per seed (default 5000)")
    p.add_argument("--batch-size", type=int, default=1000, help="samples per decoder call (default 1000)")
    p.add_argument("--random-seed", type=int, default=0)
    p.add_argument("--checkpoint", type=Path, default=paths.DEFAULT_CHECKPOINT)
    p.add_argument("--ligand-set", type=Path, default=None,
                   help="ligand set for canonical-SMILES lookup of the training set (default: bundled set)")
    p.add_argument("--novel-only", action="store_true", help="write only novel molecules")
    p.add_argument("--triage", action="store_true",
                   help="add structure alerts, SA score and the latent KD surrogate (fitted on all CASSCF results "
                        "of the bundled file + queue; estimates, provenance surrogate-gp-latent)")
    p.add_argument("--out", type=Path, required=True, help="CSV file to write")
    p.set_defaults(func=run_sample)

    s = subparsers.add_parser("sweep", help="validity/novelty/uniqueness against sigma from one seed (Fig. 2c)")
    s.add_argument("--seed", required=True, metavar="SMILES",
                   help="seed SMILES (re-rooted at its donor when not donor-first)")
    s.add_argument("--max-sigma", type=float, default=1.0)
    s.add_argument("--steps", type=int, default=11, help="sigma values from 0 to max-sigma (default 11)")
    s.add_argument("--batches", type=int, default=50, help="batches per sigma (paper: 50)")
    s.add_argument("--batch-size", type=int, default=100, help="samples per batch (paper: 100)")
    s.add_argument("--random-seed", type=int, default=0)
    s.add_argument("--checkpoint", type=Path, default=paths.DEFAULT_CHECKPOINT)
    s.add_argument("--ligand-set", type=Path, default=None)
    s.add_argument("--out", type=Path, required=True, help="CSV of the sweep table")
    s.add_argument("--plot", type=Path, default=None, help="optional HTML chart (plotly, self-contained)")
    s.set_defaults(func=run_sweep)

    m = subparsers.add_parser("map", help="encode the ligand set and cache its latent PCA map (the dashboard's map)",
                              description="Build GAUSS_HOME/cache/latent_map_<checkpoint>_<set>.npz once, so that "
                                          "the Latent space page opens without encoding the set.")
    m.add_argument("--checkpoint", type=Path, default=paths.DEFAULT_CHECKPOINT)
    m.add_argument("--ligand-set", type=Path, default=None)
    m.set_defaults(func=run_map)


def _load(args):
    from gauss_core.model.checkpoint import load_checkpoint
    from gauss_core.ligands import load_ligand_set
    from gauss_core.sampling.lp import LPSampler, training_reference

    loaded = load_checkpoint(args.checkpoint)
    ligands = load_ligand_set(args.ligand_set) if args.ligand_set else load_ligand_set()
    reference = training_reference(loaded, ligands)
    return loaded, LPSampler.from_model(loaded, reference)


def _donor_first_seeds(loaded, seeds: list[str]) -> list[str]:
    """The seeds as the model reads them (re-rooted at their donor when not written donor-first); one
    stderr line says which were re-rooted."""
    from gauss_core.ligands.reroot import rerooted_note
    from gauss_core.sampling import check_seed

    checked = [check_seed(s, loaded.vocab) for s in seeds]
    note = rerooted_note([c.typed for c in checked], [c.smiles for c in checked], [c.rerooted for c in checked])
    if note:
        print(note, file=sys.stderr)
    return [c.smiles for c in checked]


def run_sample(args: argparse.Namespace) -> int:
    from gauss_core.export import build_candidate_table, candidates_csv
    from gauss_core.sampling import LPConfig, encode_seeds

    loaded, sampler = _load(args)
    args.seeds = _donor_first_seeds(loaded, args.seeds)
    z = encode_seeds(loaded, args.seeds)
    config = LPConfig(sigma=args.sigma, attempts_per_seed=args.attempts, batch_size=args.batch_size,
                      random_seed=args.random_seed)
    t0 = time.perf_counter()

    def report(batch) -> None:
        c = batch.counters
        print(f"\r{batch.done_attempts}/{batch.total_attempts} attempts  valid {c.valid}  unique {c.unique}  "
              f"novel {c.novel}", end="", file=sys.stderr, flush=True)

    result = sampler.run(args.seeds, z, config, on_batch=report)
    print(file=sys.stderr)
    table = result.candidates
    if args.novel_only:
        table = table[table["novel"]]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    from gauss_core.latent.pca import file_hash

    surrogate = None
    if args.triage:
        from gauss_core.jobs import JobStore, all_kd_results
        from gauss_core.sampling.triage import ALERTS, N_ALERTS, SA_SCORE, triage_table
        from gauss_core.surrogate import load_or_fit_kd_surrogate

        tri = triage_table(list(table["smiles"]))
        table = table.reset_index(drop=True).assign(**{c: tri[c].to_numpy() for c in (ALERTS, N_ALERTS, SA_SCORE)})
        surrogate = load_or_fit_kd_surrogate(loaded, all_kd_results(JobStore()))
    out = build_candidate_table(table, checkpoint_hash=file_hash(loaded.path), surrogate=surrogate,
                                loaded=loaded if surrogate is not None else None)
    args.out.write_text(candidates_csv(out))
    c = result.counters
    print(f"{c.attempts} attempts in {time.perf_counter() - t0:.1f} s: valid {c.valid}, unique (distinct valid) "
          f"{c.unique}, novel (distinct, not in training, not a seed) {c.novel}; {len(table)} rows written to "
          f"{args.out}")
    return 0


def run_sweep(args: argparse.Namespace) -> int:
    from gauss_core.sampling import SweepConfig, encode_seeds, sigma_sweep, sweep_figure, sweep_sigmas

    loaded, sampler = _load(args)
    args.seed = _donor_first_seeds(loaded, [args.seed])[0]
    z = encode_seeds(loaded, [args.seed])[0]
    config = SweepConfig(sigmas=tuple(sweep_sigmas(args.max_sigma, args.steps)), batches=args.batches,
                         batch_size=args.batch_size, random_seed=args.random_seed)

    def report(row: dict) -> None:
        print(f"sigma {row['sigma']:.3f}: valid {row['validity_pct']:.1f}%  novel {row['novelty_pct']:.1f}%  "
              f"unique {row['uniqueness_pct']:.1f}%  ({row['seconds']:.1f} s)", file=sys.stderr)

    table = sigma_sweep(sampler, args.seed, z, config, on_step=report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    if args.plot:
        sweep_figure(table, f"LP sweep from {args.seed}").write_html(args.plot, include_plotlyjs=True)
    print(f"sweep of {len(table)} sigma values written to {args.out}")
    return 0


def run_map(args: argparse.Namespace) -> int:
    from gauss_core.latent.pca import load_or_build_latent_map
    from gauss_core.ligands import load_ligand_set
    from gauss_core.model.checkpoint import load_checkpoint

    loaded = load_checkpoint(args.checkpoint)
    ligands = load_ligand_set(args.ligand_set) if args.ligand_set else load_ligand_set()
    t0 = time.perf_counter()

    def progress(done: int, total: int) -> None:
        print(f"\rencoded {done:,}/{total:,}", end="", file=sys.stderr, flush=True)

    lmap = load_or_build_latent_map(loaded, ligands["smiles"].tolist(), progress=progress)
    print(file=sys.stderr)
    evr = lmap.explained_variance_ratio
    print(f"latent map of {len(lmap):,} ligands ({lmap.skipped} not encodable) ready in "
          f"{time.perf_counter() - t0:.1f} s; PC1/PC2 explain {evr[0]:.0%}/{evr[1]:.0%}")
    return 0
