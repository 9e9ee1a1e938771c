"""`gauss suggest`: the next CASSCF jobs by the latent-space KD surrogate; `--benchmark` measures the rule."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from gauss_core import paths
from gauss_core.errors import GaussError


def _bin(text: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--target-bin {text!r}: write LO:HI in cm-1, e.g. 400:600") from None
    if not lo < hi:
        raise argparse.ArgumentTypeError(f"--target-bin {text!r}: LO must be below HI, e.g. 400:600")
    return lo, hi


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "suggest", help="rank ligands for the next CASSCF jobs with the latent-space KD surrogate",
        description="Fit (or load the cached) GP surrogate on all CASSCF results (bundled + queue), rank the "
                    "ligand set plus any --smiles by the probability of a first gap in --target-bin or by "
                    "expected improvement (--maximise), as a diverse batch; --queue enqueues CASSCF jobs. "
                    "Values are surrogate estimates (provenance surrogate-gp-latent), not CASSCF.")
    goal = p.add_mutually_exclusive_group()
    goal.add_argument("--target-bin", type=_bin, default=None, metavar="LO:HI", help="first-gap bin, cm-1")
    goal.add_argument("--maximise", action="store_true", help="largest first gap (default when no bin)")
    p.add_argument("--n", type=int, default=5, help="batch size (default 5)")
    p.add_argument("--smiles", action="append", default=[], metavar="SMILES",
                   help="extra candidate (e.g. a sampled ligand); repeat for several")
    p.add_argument("--smiles-file", type=Path, default=None, help="CSV/text with candidates in the first column")
    p.add_argument("--queue", action="store_true", help="enqueue CASSCF jobs for the suggestions")
    p.add_argument("--db", type=Path, default=None, help="queue database (default GAUSS_HOME/queue.db)")
    p.add_argument("--no-queue-results", action="store_true", help="fit on the bundled CASSCF results only")
    p.add_argument("--checkpoint", type=Path, default=paths.DEFAULT_CHECKPOINT)
    p.add_argument("--ligand-set", type=Path, default=None, help="candidate ligand set (default: bundled set)")
    p.add_argument("--no-ligand-set", action="store_true", help="rank only --smiles / --smiles-file")
    p.add_argument("--out", type=Path, default=None, help="also write the table as CSV")
    p.add_argument("--benchmark", action="store_true",
                   help="instead: retrospective benchmark on the bundled CASSCF set (surrogate vs point-charge vs "
                        "random) and the surrogate's group-CV; prints markdown")
    p.add_argument("--repeats", type=int, default=20, help="benchmark repeats (seeds 0..repeats-1)")
    p.add_argument("--doc", type=Path, default=None, help="benchmark: write the markdown section to this file")
    p.set_defaults(func=run_suggest)


def _extra_smiles(args) -> list[str]:
    extra = list(args.smiles)
    if args.smiles_file:
        for line in Path(args.smiles_file).read_text().splitlines():
            token = line.split(",")[0].strip()
            if token and token.lower() != "smiles" and not token.startswith("#"):
                extra.append(token)
    return extra


def _benchmark(args) -> int:
    from gauss_core.evaluate import surrogate_bench
    from gauss_core.model.checkpoint import load_checkpoint

    result = surrogate_bench.run(load_checkpoint(args.checkpoint), n_repeats=args.repeats)
    text = surrogate_bench.section(result)
    print(text)
    print(f"(benchmark took {result['seconds']:.0f} s)", file=sys.stderr)
    if args.doc:
        args.doc.write_text(text + "\n")
    return 0


def run_suggest(args: argparse.Namespace) -> int:
    if args.benchmark:
        return _benchmark(args)
    import numpy as np
    import pandas as pd

    from gauss_core.jobs import JobStore, all_kd_results
    from gauss_core.cli.model_cmd import encode_rows
    from gauss_core.model.checkpoint import load_checkpoint
    from gauss_core.surrogate import classes_from_ligand_set, classes_of, load_or_fit_kd_surrogate
    from gauss_core.surrogate.suggest import SuggestConfig, suggest_batch

    if args.n < 1:
        raise GaussError(f"--n {args.n}: ask for at least 1 suggestion")
    loaded = load_checkpoint(args.checkpoint)
    store = JobStore(args.db) if (args.queue or not args.no_queue_results) else None
    t0 = time.perf_counter()
    surrogate = load_or_fit_kd_surrogate(loaded, all_kd_results(None if args.no_queue_results else store))
    print(f"surrogate: {surrogate.label}, fitted/loaded in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if surrogate.cv:
        print(f"  {surrogate.cv.summary()}", file=sys.stderr)
    zs: list = []
    classes: list = []
    smiles: list[str] = []
    if not args.no_ligand_set:
        from gauss_core.latent.pca import load_or_build_latent_map
        from gauss_core.ligands import load_ligand_set

        ligands = load_ligand_set(args.ligand_set) if args.ligand_set else load_ligand_set()
        print(f"encoding / loading the latent map of {len(ligands)} ligands (cached after the first run) ...",
              file=sys.stderr)
        lmap = load_or_build_latent_map(loaded, ligands["smiles"].tolist())
        zs.append(np.asarray(lmap.z))
        classes.append(classes_from_ligand_set(list(lmap.smiles), ligands))
        smiles.extend(str(s) for s in lmap.smiles)
    extra = _extra_smiles(args)
    if extra:
        # re-rooted at the donor like `gauss encode`: a non-donor-first spelling is not encoded silently
        z, encoded, _, errors = encode_rows(loaded, extra)
        for smi, err in zip(extra, errors, strict=True):
            if err:
                print(f"skipped {smi}: {err}", file=sys.stderr)
        ok = [i for i, err in enumerate(errors) if not err]
        zs.append(np.asarray(z)[ok])
        classes.append(classes_of([encoded[i] for i in ok]))
        smiles.extend(encoded[i] for i in ok)
    if not smiles:
        raise GaussError("no candidates: drop --no-ligand-set or give --smiles / --smiles-file")
    config = SuggestConfig(n=args.n, target_bin=args.target_bin)
    t0 = time.perf_counter()
    table = suggest_batch(surrogate, np.vstack(zs), np.concatenate(classes), smiles, config)
    print(f"ranked {len(smiles)} candidates by {config.describe()} in {time.perf_counter() - t0:.1f} s",
          file=sys.stderr)
    table = table.drop(columns=["row"])
    with pd.option_context("display.width", 160, "display.max_colwidth", 60):
        print(table.drop(columns=["surrogate_provenance"]).to_string(index=False, float_format="%.2f"))
    print(f"values: {surrogate.label} (estimates, not CASSCF)")
    if args.out:
        table.to_csv(args.out, index=False)
    if store is not None and args.queue:
        for smi in table["smiles"]:
            job = store.enqueue("casscf", smi, {})
            print(f"queued job {job.id}\t{job.state}\tcasscf\t{smi}")
    return 0
