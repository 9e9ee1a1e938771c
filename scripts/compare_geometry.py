"""Collect the DFT axial-distance references from a queue and score the cheap geometry paths against them.

    GAUSS_HOME=<campaign home> python scripts/compare_geometry.py --export   # writes the bundled table
    python scripts/compare_geometry.py                                        # scores the bundled table
    python scripts/compare_geometry.py --builder search --ref-start search --out docs/geometry_compare_search.csv
                                          # the product's path: reference and cheap path on one conformer

--export writes assets/geometry/dft_axial_reference.csv.gz from the queue's finished dft-axial jobs (keeping
bundled rows the queue no longer has). The per-reference distances go to docs/geometry_compare.csv, the
scores to stdout; --correction writes the per-class linear map of one cheap path (the bond-length labeller's
--r-correction file).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from gauss_core import paths
from gauss_core.complexes.assemble import BUILDERS
from gauss_core.complexes.axial_reference import (RELAXED_PATHS, compare_cheap_paths, correction_json,
                                                  load_references, reference_rows_from_jobs, score_table)

BUNDLED = paths.ASSETS / "geometry" / "dft_axial_reference.csv.gz"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--export", action="store_true", help="refresh the bundled table from GAUSS_HOME's queue")
    ap.add_argument("--out", type=Path, default=Path("docs/geometry_compare.csv"))
    ap.add_argument("--correction", type=Path, default=None,
                    help="write the per-class linear map of --correction-path fitted on all references (JSON)")
    ap.add_argument("--builder", default="auto", choices=BUILDERS,
                    help="template builder of the cheap paths (rdkit: seeded, repeatable; search: lowest-energy "
                         "of 8 seeded RDKit conformers)")
    ap.add_argument("--start", default="build", choices=("build", "reference"),
                    help="build: relax a new build (what the product does); reference: relax each reference's "
                         "own DFT structure (same conformer: the method's error alone)")
    ap.add_argument("--ref-start", default="any", choices=("any", *BUILDERS),
                    help="score only references whose DFT run started from this builder's conformer (search: the "
                         "lowest-energy one, as `--builder search` builds: reference and cheap path share it)")
    ap.add_argument("--correction-path", default="gfnff_axial", choices=sorted(RELAXED_PATHS))
    args = ap.parse_args()
    if args.export:
        from gauss_core.jobs import JobStore
        from gauss_core.jobs.store import default_db_path

        fresh = reference_rows_from_jobs(JobStore(default_db_path()).list(kind="dft-axial"))
        old = load_references(BUNDLED) if BUNDLED.exists() else fresh.iloc[:0]
        key = ["smiles", "start_builder"]  # one reference per ligand and start conformer choice
        kept = old.merge(fresh[key], on=key, how="left", indicator=True)["_merge"].eq("left_only").to_numpy()
        table = pd.concat([fresh, old[kept]], ignore_index=True)
        BUNDLED.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(BUNDLED, index=False)
        print(f"{len(table)} references -> {BUNDLED}")
    refs = load_references(BUNDLED)
    # dissociated / unconverged ones are not references
    refs = refs[refs["flags"].fillna("").astype(str).str.len() == 0]
    if args.ref_start != "any":
        refs = refs[refs["start_builder"] == args.ref_start]
    if refs.empty:
        raise SystemExit(f"no usable references (--ref-start {args.ref_start}) in {BUNDLED}; export finished "
                         "dft-axial jobs first (--export with GAUSS_HOME set)")
    compared = compare_cheap_paths(refs, log=print, builder=args.builder,
                                   from_reference=args.start == "reference")
    compared.to_csv(args.out, index=False)
    scores = score_table(compared)
    print(scores.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    for stem in RELAXED_PATHS:
        cpu = compared[f"{stem}_cpu_s"] + compared["build_cpu_s"]
        print(f"{stem}: median {cpu.median():.1f} s CPU per complex (build and xtb included)")
    if args.correction:
        fitted_on = "the reference's own conformer" if args.start == "reference" else f"a new {args.builder} build"
        fit = correction_json(compared, args.correction_path, fitted_on=fitted_on)
        args.correction.write_text(json.dumps(fit, indent=1) + "\n")
        print(f"per-class linear map of {args.correction_path} -> {args.correction}")


if __name__ == "__main__":
    main()
