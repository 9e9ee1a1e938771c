"""`gauss complex build|estimate|calibrate`: assemble [Dy(H2O)5L2]+, relax it, export it, estimate its KDs."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from gauss_core import columns, paths, provenance
from gauss_core.modes import Builder, ExportFormat, RelaxMode


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("complex", help="assemble Dy complexes and estimate their KD gaps",
                                   description="Assemble [Dy(H2O)5L2]+ around a donor-first ligand SMILES, relax it "
                                               "with GFN2-xTB (Y analogue, constrained), export it and estimate its "
                                               "Kramers doublets without CASSCF.")
    sub = parser.add_subparsers(dest="complex_command", metavar="ACTION")
    parser.set_defaults(func=lambda args: (parser.print_help(), 1)[1])

    build = sub.add_parser("build", help="assemble (and relax) one complex, print checks, write XYZ/MOL2/SDF",
                           description="Assemble [Dy(H2O)5L2]+ for one ligand, run the checks (7 donors, axis, "
                                       "contacts), optionally relax, print the structural descriptors and write files.")
    build.add_argument("smiles", help="axial ligand, donor atom first, e.g. '[O-]C'")
    build.add_argument("--builder", choices=list(Builder), default="auto",
                       help="auto = molSimplify with RDKit fallback (default); search = lowest-energy of 8 seeded "
                            "RDKit conformers, GFN-FF then GFN2 (repeatable; needs xtb)")
    build.add_argument("--relax", choices=list(RelaxMode), default="constrained",
                       help="xtb relaxation on the Y analogue (default constrained: axial distance of the template; "
                            "axial / axial-ff: GFN2 / GFN-FF choose it; free is for comparison only)")
    build.add_argument("--out", type=Path, default=None,
                       help="file stem to write (STEM.xyz/.mol2/.sdf per --format); default: print XYZ only")
    build.add_argument("--format", choices=(*ExportFormat, "all"), default="all", help="files to write")
    build.set_defaults(func=_build)

    est = sub.add_parser("estimate", help="KD estimate (crystal field or calibrated) for one or more ligands",
                         description="Assemble, relax (constrained) and estimate the 8 KDs of each ligand's complex. "
                                     "Every row says which estimate it comes from; none is CASSCF. Bad ligands are "
                                     "reported and skipped.")
    est.add_argument("smiles", nargs="*", help="ligand SMILES (donor first)")
    est.add_argument("--file", type=Path, default=None, help="CSV with a 'smiles' column, or one SMILES per line")
    est.add_argument("--relax", choices=[m for m in RelaxMode if m != RelaxMode.FREE], default="constrained",
                     help="geometry (default constrained; axial / axial-ff compute the axial distance)")
    est.add_argument("--builder", choices=list(Builder), default="auto")
    est.add_argument("--radial", choices=("bare", "shielded"), default="bare",
                     help="<r^k> without (bare, default) or with Sternheimer shielding")
    est.add_argument("--calibrated", nargs="?", const="default", default=None, metavar="MODEL.json",
                     help="use the calibrated estimate (default model: $GAUSS_HOME/kd_calibrated.json)")
    est.add_argument("--csv", type=Path, default=None, help="write the rows (with provenance) to this CSV")
    est.set_defaults(func=_estimate)

    cal = sub.add_parser("calibrate", help="fit the calibrated KD estimate to CASSCF results",
                         description="Fit the ridge-regression KD estimate to CASSCF results (CSV: smiles, "
                                     "kd_gap1..7_cm1, kd_provenance casscf-*) and print its cross-validated "
                                     "accuracy. Refuses without enough CASSCF rows.")
    cal.add_argument("--casscf", type=Path, action="append", default=None,
                     help="CASSCF results CSV; repeat it to fit on several (e.g. the bundled results, the "
                          "computed-distance campaign and an r-scan; a ligand on several geometries trains on each). "
                          "Default: the bundled results, assets/kd/casscf_results.csv.gz, plus the finished jobs "
                          "of the queue")
    cal.add_argument("--db", type=Path, default=None, help="queue database (default GAUSS_HOME/queue.db)")
    cal.add_argument("--out", type=Path, default=None, help="model JSON (default $GAUSS_HOME/kd_calibrated.json)")
    cal.add_argument("--builder", choices=list(Builder), default="auto")
    cal.set_defaults(func=_calibrate)


def _prepare(smiles: str, builder: str, relax_mode: str):
    from gauss_core.kd.characterise import build_geometry

    return build_geometry(smiles, relax_mode, builder=builder)


def _build(args: argparse.Namespace) -> int:
    from gauss_core.complexes import descriptors, export

    t0 = time.perf_counter()
    cx = _prepare(args.smiles, args.builder, args.relax)
    print(f"[Dy(H2O)5L2]{cx.charge:+d}  L = {cx.ligand_smiles}  ({cx.n_atoms} atoms, {cx.formula}; builder "
          f"{cx.builder}; geometry {cx.geometry_provenance}; {time.perf_counter() - t0:.1f} s)")
    ch = cx.checks
    print(f"checks: donors bound {int(ch['n_donors'])}/7, L-Dy-L {ch['angle_L_Dy_L_deg']:.1f} deg, shortest "
          f"non-bonded contact {ch['shortest_contact_A']:.2f} A, clashes {int(ch['n_clashes'])}")
    print("flags: " + ("; ".join(cx.flags) if cx.flags else "none"))
    print("descriptors: " + ", ".join(f"{k} = {v:.3f}" for k, v in descriptors(cx).items()))
    if args.out is None:
        sys.stdout.write(export(cx, "xyz"))
        return 0
    formats = tuple(ExportFormat) if args.format == "all" else (args.format,)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for fmt in formats:
        path = args.out.with_suffix(f".{fmt}")
        path.write_text(export(cx, fmt))
        print(f"wrote {path}")
    return 0


def _read_smiles(args: argparse.Namespace) -> list[str]:
    smiles = list(args.smiles)
    if args.file is not None:
        from gauss_core.inputs import read_smiles_rows

        rows = read_smiles_rows(args.file, "ligand file")
        for note in rows.notes:
            print(f"{args.file}: {note}", file=sys.stderr)
        smiles += rows.smiles
    if not smiles:
        from gauss_core.errors import GaussError
        raise GaussError("no ligands given: pass SMILES arguments or --file")
    return smiles


def _estimate(args: argparse.Namespace) -> int:
    import pandas as pd

    from gauss_core.errors import GaussError
    from gauss_core.kd import CFConfig
    from gauss_core.kd.calibration import CalibratedModel, default_calibration_path
    from gauss_core.kd.characterise import characterise

    model = None
    if args.calibrated:
        model = CalibratedModel.load(default_calibration_path() if args.calibrated == "default"
                                     else Path(args.calibrated))
    rows, errors = [], []
    for smi in _read_smiles(args):
        t0 = time.perf_counter()
        try:
            result = characterise(smi, args.relax, builder=args.builder, estimators=(model,),
                                  cf_config=CFConfig(radial=args.radial))
            if result.estimate is None:
                raise GaussError(result.estimate_error or "no estimate")
            est = result.estimate
        except GaussError as exc:
            errors.append((smi, str(exc)))
            print(f"{smi}: error: {exc}", file=sys.stderr)
            continue
        row = est.to_row()
        row["seconds"] = time.perf_counter() - t0
        rows.append(row)
        gaps = " ".join(f"{g:6.0f}" for g in est.gaps_cm1)
        print(f"{smi:30s} gaps/cm-1 {gaps}  g = {est.g_tensor[0]:.2f} {est.g_tensor[1]:.2f} {est.g_tensor[2]:.2f}"
              f"  [{provenance.describe(est.provenance)}; geometry {est.geometry_provenance}]"
              + (f"  flags: {'; '.join(est.flags)}" if est.flags else ""))
    print(f"{len(rows)} estimated, {len(errors)} failed. These are estimates, not CASSCF.")
    if args.csv is not None and rows:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_csv(args.csv, index=False)
        print(f"wrote {args.csv}")
    return 0 if rows else 2


def split_flagged_geometries(table):
    """(rows whose CASSCF geometry passed the structural checks, [(smiles, flags) of the others]).

    A CASSCF result on a broken, chelated or proton-transferred geometry is a fine number for that structure
    but not for the ligand the estimate is asked about, so it does not train the calibration.
    """
    from gauss_core.complexes.checks import FLAG_NAMES

    source = table.get("kd_geometry_source")
    if source is None:
        return table, []
    bad = source.fillna("").astype(str).map(lambda s: [f for f in FLAG_NAMES if f"{f}:" in s])
    keep = bad.map(len) == 0
    return table.loc[keep].reset_index(drop=True), [(r, ", ".join(b)) for r, b in
                                                    zip(table.loc[~keep, columns.SMILES], bad[~keep], strict=False)]


def _calibrate(args: argparse.Namespace) -> int:
    import pandas as pd

    from gauss_core.errors import GaussError
    from gauss_core.jobs import JobStore, all_kd_results
    from gauss_core.kd.calibration import (FEATURES, GEOMETRY_SOURCE, USER_CALIBRATION_NAME, CalibrationError,
                                           casscf_table, complex_features, fit_calibration)

    # Where the fit goes is checked first: a read-only GAUSS_HOME is reported before minutes of work.
    out = args.out or paths.writable_dir(paths.gauss_home(), "GAUSS_HOME") / USER_CALIBRATION_NAME
    if args.casscf:
        missing = [str(p) for p in args.casscf if not p.exists()]
        if missing:
            raise CalibrationError(f"{', '.join(missing)} does not exist: pass CASSCF results CSVs")
        source = pd.concat([pd.read_csv(p) for p in args.casscf], ignore_index=True)
    else:
        db = args.db or paths.gauss_home() / "queue.db"
        source = all_kd_results(JobStore(db) if Path(db).exists() else None)
    table = casscf_table(source)  # refuses before any expensive work when there are no CASSCF rows
    table, flagged = split_flagged_geometries(table)
    for smi, why in flagged:
        print(f"{smi}: left out: its CASSCF geometry was flagged ({why})", file=sys.stderr)
    # Descriptors of the CASSCF job's own geometry when the job stored them, else rebuilt the same way.
    stored = table.dropna(subset=[f for f in FEATURES if f != "alpha_donor_au3" and f in table.columns]) \
        if set(FEATURES) <= set(table.columns) else table.iloc[:0]
    # one descriptor row per CASSCF row: a ligand with results on several geometries trains on each
    key = [columns.SMILES] + ([GEOMETRY_SOURCE] if GEOMETRY_SOURCE in table.columns else [])
    feats = [dict(row) for row in stored[[*key, *FEATURES]].to_dict("records")]
    failed = 0
    done_keys = set(map(tuple, stored[key].astype(str).to_numpy()))
    todo = table[[tuple(k) not in done_keys for k in table[key].astype(str).to_numpy()]]
    for row in todo[key].to_dict("records"):
        smi = row[columns.SMILES]
        try:
            feats.append({**complex_features(_prepare(smi, args.builder, "constrained")), **row})
        except GaussError as exc:
            failed += 1
            print(f"{smi}: skipped: {exc}", file=sys.stderr)
    print(f"{len(table)} CASSCF complexes ({len(flagged)} more left out for flagged geometries): "
          f"descriptors stored by {len(stored)} jobs, rebuilt for {len(todo) - failed}, {failed} failed")
    model = fit_calibration(pd.DataFrame(feats), table)
    model.save(out)
    print(f"{model.name}: {model.n_train} CASSCF complexes ({', '.join(model.training_provenance)}), "
          f"{failed} skipped; features {', '.join(model.feature_names)}")
    print(f"cross-validated MAE {model.cv_mae_cm1:.0f} cm-1 (per gap: "
          + " ".join(f"{v:.0f}" for v in model.cv_mae_per_gap_cm1)
          + f"); r(gap1) {model.cv_r_gap1:.2f}, r(gap7) {model.cv_r_gap7:.2f}, Spearman(gap1) "
          f"{model.cv_spearman_gap1:.2f}; point-charge alone r(gap1) {model.cf_only_r_gap1:.2f}, Spearman(gap1) "
          f"{model.cf_only_spearman_gap1:.2f}")
    print(f"cross-validation: {model.cv_grouping}; descriptors on {model.feature_geometry} geometries")
    for cls, row in model.cv_per_class.items():
        weak = " (weak-ranking: flagged on this class's estimates)" if model.weak_ranking_note(int(cls)) else ""
        print(f"  class {cls}: n {row['n']}, CV MAE(gap1) {row['mae_gap1_cm1']:.0f} cm-1, "
              f"Spearman(gap1) {row['spearman_gap1']:.2f}{weak}")
    print(f"wrote {out}")
    return 0
