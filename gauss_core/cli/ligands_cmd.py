"""`gauss ligands build|import|stats`: build the QM9 ligand set, import user ligands or labelled files."""

from __future__ import annotations

import argparse
from pathlib import Path

from gauss_core import columns, paths


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ligands", help="build, import and inspect ligand sets",
                                   description="Build the monodentate ligand set from QM9, import user ligands "
                                               "or labelled training files, and show set statistics.")
    sub = parser.add_subparsers(dest="ligands_command", metavar="ACTION")
    parser.set_defaults(func=lambda args: (parser.print_help(), 1)[1])

    build = sub.add_parser("build",
                           help="build the ligand set from the QM9 SMILES (donor rules of docs/ligand_rules.md)",
                           description="Apply the donor rules to every QM9 molecule and write the ligand set; "
                                       "prints the counts per class next to the paper's.")
    build.add_argument("--qm9", type=Path, default=paths.QM9_SMILES, help="QM9 SMILES CSV (default: bundled)")
    build.add_argument("--out", type=Path, default=paths.LIGAND_SET, help="gzipped CSV to write (default: bundled set)")
    build.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    build.add_argument("--limit", type=int, default=None, help="only the first N QM9 molecules (quick look)")
    build.add_argument("--neutral-window", type=float, default=None,
                       help="also keep donors within this many pKBHX units of a molecule's best (default 0)")
    build.add_argument("--anion-window", type=float, default=None,
                       help="also keep N-H/O-H sites within this many pKa units of the most acidic (default 0)")
    build.add_argument("--no-progress", action="store_true", help="no progress bar")
    build.set_defaults(func=_build)

    imp = sub.add_parser("import", help="import a ligand CSV or a labelled whitespace file",
                         description="Import a ligand CSV (smiles[,donor_index]) or a labelled file in the authors' "
                                     "layouts: 'loprop' = SMILES Z q mu alpha, 'kd' = SMILES class MPP SDP angle r1 r2 "
                                     "E1..E7 (-1000000.0 = missing). Prints the imported count and every row error.")
    imp.add_argument("file", type=Path, help="file to import")
    imp.add_argument("--layout", choices=("auto", "csv", "loprop", "kd"), default="auto",
                     help="csv = ligand CSV; loprop/kd = labelled text; "
                          "auto = csv for *.csv(.gz), else by column count")
    imp.add_argument("--out", type=Path, default=None, help="write the imported table here (CSV; .gz compresses)")
    imp.set_defaults(func=_import)

    windows = sub.add_parser("windows", help="how many ligands other basicity/pKa windows would give",
                             description="Count (molecule, ligand) pairs over QM9 under wider donor-basicity "
                                         "(pKBHX) and anion-pKa windows than the defaults, to show how the rules "
                                         "shape the set.")
    windows.add_argument("--qm9", type=Path, default=paths.QM9_SMILES, help="QM9 SMILES CSV (default: bundled)")
    windows.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    windows.add_argument("--limit", type=int, default=None, help="only the first N QM9 molecules")
    windows.add_argument("--no-progress", action="store_true", help="no progress bar")
    windows.set_defaults(func=_windows)

    stats = sub.add_parser("stats", help="counts per class of a ligand set",
                           description="Counts per class, donor element and SMILES length of a ligand set.")
    stats.add_argument("--path", type=Path, default=paths.LIGAND_SET, help="ligand set (default: bundled)")
    stats.set_defaults(func=_stats)


def _build(args: argparse.Namespace) -> int:
    from gauss_core.ligands import BuildConfig, build_ligand_set

    config = BuildConfig(qm9_path=args.qm9, workers=max(1, args.workers), limit=args.limit,
                         progress=not args.no_progress)
    if args.neutral_window is not None:
        config.neutral_window = args.neutral_window
    if args.anion_window is not None:
        config.anion_window = args.anion_window
    result = build_ligand_set(config, out_path=args.out)
    print(result.counts_table())
    print(f"\n{result.n_molecules:,} QM9 molecules in {result.seconds:.0f} s; skipped:")
    for reason, n in result.skipped.most_common():
        print(f"  {n:>7,}  {reason}")
    print("ligands per donor-site kind (before duplicates are collapsed):")
    for kind, n in result.kinds.most_common():
        print(f"  {n:>7,}  {kind}")
    print(f"wrote {args.out}")
    return 0


def _windows(args: argparse.Namespace) -> int:
    from gauss_core.ligands import BuildConfig
    from gauss_core.ligands.build import PAPER_COUNTS, window_sensitivity

    config = BuildConfig(qm9_path=args.qm9, workers=max(1, args.workers), limit=args.limit,
                         progress=not args.no_progress)
    counts = window_sensitivity(config)
    print(f"{counts['molecules']:,} QM9 molecules; {counts.get('molecules_neutral', 0):,} have a neutral donor, "
          f"{counts.get('molecules_anion', 0):,} an N-H/O-H")
    print(f"neutral pairs: every N/O atom {counts.get('neutral_all_NO', 0):,}; paper ~{PAPER_COUNTS['neutral']:,}")
    for key in sorted(k for k in counts if k.startswith("neutral_") and k != "neutral_all_NO"):
        label = "every accepted donor" if key.endswith("inf") else f"within {key.split('_')[1]} pKBHX of the best"
        print(f"  {label:<32}{counts[key]:>10,}")
    print(f"anion pairs: paper ~{PAPER_COUNTS['anionic']:,}")
    for key in sorted(k for k in counts if k.startswith("anion_")):
        label = "every N-H/O-H" if key.endswith("inf") else f"within {key.split('_')[1]} pKa of the most acidic"
        print(f"  {label:<32}{counts[key]:>10,}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from gauss_core.ligands import import_labelled_dataset, import_ligand_csv

    layout = args.layout
    if layout == "auto" and args.file.name.lower().endswith((".csv", ".csv.gz")):
        layout = "csv"
    if layout == "csv":
        result = import_ligand_csv(args.file)
        frame, errors, what = result.frame, result.errors, "ligands"
    else:
        data = import_labelled_dataset(args.file, None if layout == "auto" else layout)
        frame, errors, what = data.frame, data.errors, f"labelled ligands (layout '{data.layout}')"
    if frame.empty:
        from gauss_core.errors import DataFormatError

        first = "; ".join(f"row {r.row}: {str(r.input)[:40]!r}: {r.reason}" for r in errors.head(3).itertuples())
        raise DataFormatError(f"nothing imported from {args.file}: all {len(errors):,} row(s) failed ({first})")
    print(f"imported {len(frame):,} {what} from {args.file}; {len(errors):,} row(s) failed")
    for row in errors.itertuples(index=False):
        print(f"  row {row.row}: {row.input}: {row.reason}")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(args.out, index=False)
        print(f"wrote {args.out}")
    return 0


def _stats(args: argparse.Namespace) -> int:
    from gauss_core.ligands import load_ligand_set
    from gauss_core.ligands.build import CLASS_NAMES, PAPER_COUNTS

    frame = load_ligand_set(args.path)
    counts = frame[columns.LIGAND_CLASS].value_counts()
    print(f"{args.path}: {len(frame):,} ligands (paper: ~{PAPER_COUNTS['total']:,})")
    for cls, name in CLASS_NAMES.items():
        print(f"  class {cls} {name:<10} {int(counts.get(cls, 0)):>8,}")
    lengths = frame[columns.SMILES].str.len()
    print(f"  SMILES length: median {lengths.median():.0f}, max {lengths.max()} characters; "
          f"{frame[columns.QM9_INDEX].nunique():,} parent QM9 molecules")
    return 0
