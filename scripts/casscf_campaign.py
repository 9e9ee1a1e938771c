"""CASSCF campaign on the new geometries (issue 13.4): plan, queue and collect >= 300 casscf jobs.

The ligands are drawn from the bundled set, spread over the 4 donor classes and, within each class, over
quantile bins of a KD estimate (default: the point-charge first gap of the bundled KD mapping set), seeded,
leaving out the ligands that already have a bundled CASSCF result. The plan is a CSV, so the draw is fixed
and a queue/collect can be repeated at any time. ~10 CPU-min per job: the jobs run in the background
through the project's queue, never here.

Plan (writes $GAUSS_HOME/casscf_campaign/plan.csv; an existing plan is kept unless --overwrite):
    GAUSS_HOME=~/campaign python scripts/casscf_campaign.py --plan 300
Queue (idempotent: a job already in the queue, in any state, is not added twice):
    GAUSS_HOME=~/campaign python scripts/casscf_campaign.py --queue --geometry axial
Run the queue in the background (resumable: a killed worker's job is requeued):
    GAUSS_HOME=~/campaign PYTHONPATH=. nohup python -m gauss_core worker --concurrency 1 --nice 15 &
Collect (the columns of assets/kd/casscf_results.csv.gz; progress per class on stdout):
    GAUSS_HOME=~/campaign python scripts/casscf_campaign.py --collect --geometry axial
    python -m gauss_core complex calibrate --casscf ~/campaign/casscf_campaign/casscf_results_axial.csv
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gauss_core import columns, paths  # noqa: E402
from gauss_core.atomic import atomic_path  # noqa: E402
from gauss_core.errors import DataFormatError, GaussError  # noqa: E402
from gauss_core.jobs.store import JobStore  # noqa: E402
from gauss_core.ligands.build import CLASS_NAMES  # noqa: E402
from gauss_core.complexes.assemble import BUILDERS  # noqa: E402
from gauss_core.jobs.kinds import CASSCF_DEFAULTS, PARAM_CHOICES  # noqa: E402
from gauss_core.modes import CasscfGeometry  # noqa: E402

ESTIMATES = paths.ASSETS / "kd" / "kd_mapping.csv.gz"
EXISTING = paths.ASSETS / "kd" / "casscf_results.csv.gz"
# the CASSCF product default (assembled + constrained GFN2 relaxation) and the computed-axial-distance geometries
GEOMETRIES = (CasscfGeometry.ASSEMBLE.value, CasscfGeometry.AXIAL.value, CasscfGeometry.AXIAL_FF.value,
              CasscfGeometry.AXIAL_MAPPED.value)
DEFAULT_BUILDER = str(CASSCF_DEFAULTS["builder"])  # a job without the parameter was built this way
DEFAULT_LIGAND_BASIS = str(CASSCF_DEFAULTS["ligand_basis"])  # likewise for the ligand basis
LIGAND_BASES = PARAM_CHOICES["ligand_basis"]
PLAN_COLUMNS = ("order", columns.SMILES, columns.LIGAND_ID, columns.LIGAND_CLASS, "class_name", "estimate_cm1",
                "estimate_bin", "estimate_source", "seed")


def ligand_key(smiles: str) -> str:
    """One spelling per ligand, donor first (the queue stores its own canonical spelling; the set and the
    bundled results spell ligands the build's way): RDKit canonical SMILES rooted at atom 0."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(str(smiles))
    return Chem.MolToSmiles(mol, rootedAtAtom=0) if mol is not None else str(smiles)


def pick(ligands: pd.DataFrame, estimates: pd.DataFrame, exclude: set[str], n: int, seed: int = 0,
         bins: int = 5, column: str = columns.KD_GAP_COLUMNS[0], source: str = "") -> pd.DataFrame:
    """n ligands spread over the 4 classes (n/4 each) and, within a class, evenly over `bins` quantile bins
    of the estimate (bins over the whole class, so they span its range; a short bin's share goes to the
    others). Deterministic for a seed. Rows are ordered round-robin over class and bin, so that the first k
    jobs of a partly run plan are spread too.

    Raises:
        DataFormatError: the estimate table lacks columns.
    """
    need = [columns.SMILES, columns.LIGAND_CLASS, column]
    missing = [c for c in need if c not in estimates.columns]
    if missing:
        raise DataFormatError(f"estimate table lacks {missing}; it needs {need} (e.g. {ESTIMATES.name})")
    pool = estimates[need].rename(columns={column: "estimate_cm1"})
    pool = pool[np.isfinite(pool["estimate_cm1"].astype(float))]
    pool = pool.merge(ligands[[columns.SMILES, columns.LIGAND_ID]], on=columns.SMILES, how="inner")
    pool = pool.drop_duplicates(columns.SMILES).sort_values(columns.SMILES).reset_index(drop=True)
    quotas = {c: n // 4 + (1 if i < n % 4 else 0) for i, c in enumerate(sorted(CLASS_NAMES))}
    picked = []
    for cls, quota in quotas.items():
        rows = pool[pool[columns.LIGAND_CLASS] == cls].copy()
        if rows.empty:
            print(f"class {cls} ({CLASS_NAMES[cls]}): no ligand with an estimate", file=sys.stderr)
            continue
        # rank first: qcut needs distinct edges, and ties in the estimate would merge bins
        rows["estimate_bin"] = pd.qcut(rows["estimate_cm1"].rank(method="first"), min(bins, len(rows)),
                                       labels=False)
        rows = rows[~rows[columns.SMILES].map(ligand_key).isin(exclude)]
        rng = np.random.default_rng([seed, cls])
        queues = [list(rng.permutation(g.index.to_numpy())) for _, g in rows.groupby("estimate_bin")]
        order: list[int] = []
        while len(order) < quota and any(queues):
            for q in queues:
                if q and len(order) < quota:
                    order.append(int(q.pop(0)))
        if len(order) < quota:
            print(f"class {cls} ({CLASS_NAMES[cls]}): only {len(order)} of {quota} ligands available",
                  file=sys.stderr)
        part = rows.loc[order].assign(round=range(len(order)))
        picked.append(part)
    plan = pd.concat(picked).sort_values(["round", columns.LIGAND_CLASS], kind="stable")
    plan["order"] = range(1, len(plan) + 1)
    plan["class_name"] = plan[columns.LIGAND_CLASS].map(CLASS_NAMES)
    plan["estimate_source"] = source or column
    plan["seed"] = seed
    return plan[list(PLAN_COLUMNS)].reset_index(drop=True)


def write_plan(plan: pd.DataFrame, path: Path, overwrite: bool = False) -> bool:
    """Write the plan; an existing plan is kept (False returned) unless overwrite: the draw stays fixed."""
    if path.exists() and not overwrite:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        plan.to_csv(tmp, index=False)
    return True


def read_plan(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise DataFormatError(f"no campaign plan at {path}: draw one first with --plan N")
    plan = pd.read_csv(path, keep_default_na=False)
    missing = [c for c in PLAN_COLUMNS if c not in plan.columns]
    if missing:
        raise DataFormatError(f"{path} lacks plan columns {missing}; redraw it with --plan N --overwrite")
    return plan.sort_values("order")


def job_params(geometry: str, builder: str = DEFAULT_BUILDER, ligand_basis: str = DEFAULT_LIGAND_BASIS) -> dict:
    """The casscf parameters that make a campaign job: the geometry always; the builder and the ligand basis only
    where they differ from the kind's default, so jobs queued before those options existed keep their identity."""
    if geometry not in GEOMETRIES:
        raise GaussError(f"geometry {geometry!r}: choose one of {', '.join(GEOMETRIES)}")
    if ligand_basis not in LIGAND_BASES:
        raise GaussError(f"ligand basis {ligand_basis!r}: choose one of {', '.join(LIGAND_BASES)}")
    return ({"geometry": geometry} | ({} if builder == DEFAULT_BUILDER else {"builder": builder})
            | ({} if ligand_basis == DEFAULT_LIGAND_BASIS else {"ligand_basis": ligand_basis}))


def queue(plan: pd.DataFrame, store: JobStore, geometry: str, builder: str = DEFAULT_BUILDER,
          ligand_basis: str = DEFAULT_LIGAND_BASIS) -> tuple[int, int]:
    """Enqueue one casscf job per plan row with job_params(...), in plan order; (new, already there)."""
    rows = store.enqueue_many("casscf", list(plan[columns.SMILES]), job_params(geometry, builder, ligand_basis))
    new = sum(created for _, created in rows)
    return new, len(rows) - new


def campaign_jobs(plan: pd.DataFrame, store: JobStore, geometry: str, builder: str = DEFAULT_BUILDER,
                  ligand_basis: str = DEFAULT_LIGAND_BASIS) -> tuple[pd.DataFrame, list]:
    """(the plan's rows with the id and state of their casscf job on this geometry, builder and ligand basis,
    those jobs)."""
    want = job_params(geometry, builder, ligand_basis)
    keys = {ligand_key(s): s for s in plan[columns.SMILES]}
    jobs = {}
    for job in store.list(kind="casscf"):
        if job_params(job.params.get("geometry", ""), job.params.get("builder", DEFAULT_BUILDER),
                      job.params.get("ligand_basis", DEFAULT_LIGAND_BASIS)) == want \
                and ligand_key(job.smiles) in keys:
            jobs[keys[ligand_key(job.smiles)]] = job  # the latest job of a ligand wins (ids grow)
    out = plan.copy()
    out["job_id"] = [jobs[s].id if s in jobs else None for s in plan[columns.SMILES]]
    out["state"] = [str(jobs[s].state) if s in jobs else "not queued" for s in plan[columns.SMILES]]
    return out, [jobs[s] for s in plan[columns.SMILES] if s in jobs]


def collect(plan: pd.DataFrame, store: JobStore, geometry: str, builder: str = DEFAULT_BUILDER,
            ligand_basis: str = DEFAULT_LIGAND_BASIS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(results in the columns of the bundled casscf_results, with kd_geometry_source; progress per class)."""
    from gauss_core.jobs.labels import kd_rows_from_jobs

    status, jobs = campaign_jobs(plan, store, geometry, builder, ligand_basis)
    results = kd_rows_from_jobs(jobs)
    progress = pd.crosstab(status["class_name"], status["state"], margins=True, margins_name="all")
    return results, progress


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    act = ap.add_mutually_exclusive_group(required=True)
    act.add_argument("--plan", type=int, metavar="N", help="draw N ligands and write the plan")
    act.add_argument("--queue", action="store_true", help="enqueue the plan's casscf jobs (idempotent)")
    act.add_argument("--collect", action="store_true", help="write the finished results and print progress")
    ap.add_argument("--plan-file", type=Path, default=None,
                    help="plan CSV (default $GAUSS_HOME/casscf_campaign/plan.csv)")
    ap.add_argument("--geometry", choices=GEOMETRIES, default=CasscfGeometry.ASSEMBLE.value,
                    help="CASSCF geometry: 'assemble' (constrained GFN2 relaxation, today's default), 'axial' "
                         "(GFN2 chooses the axial distance), 'axial-ff' (GFN-FF chooses it) or 'axial-mapped' (GFN2's "
                         "distance mapped onto the DFT references)")
    ap.add_argument("--builder", choices=BUILDERS, default=DEFAULT_BUILDER,
                    help="template builder of the jobs ('search': the lowest-energy ligand conformer, as the DFT "
                         "references use); part of a job's identity, like the geometry")
    ap.add_argument("--ligand-basis", choices=LIGAND_BASES, default=DEFAULT_LIGAND_BASIS,
                    help=f"ligand basis of the jobs (default {DEFAULT_LIGAND_BASIS}; docs/casscf.md, basis study); "
                         "part of a job's identity, like the geometry")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bins", type=int, default=5, help="estimate quantile bins per class (default 5)")
    ap.add_argument("--estimates", type=Path, default=ESTIMATES, help=f"estimate table (default {ESTIMATES.name})")
    ap.add_argument("--estimate-column", default=columns.KD_GAP_COLUMNS[0])
    ap.add_argument("--exclude", type=Path, default=EXISTING,
                    help="CASSCF results whose ligands are left out (default the bundled ones)")
    ap.add_argument("--overwrite", action="store_true", help="redraw an existing plan")
    ap.add_argument("--out", type=Path, default=None,
                    help="--collect CSV (default $GAUSS_HOME/casscf_campaign/casscf_results_<geometry>.csv)")
    args = ap.parse_args(argv)
    try:
        return _run(args)
    except GaussError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from gauss_core.ligands import load_ligand_set

    home = paths.gauss_home()
    plan_file = args.plan_file or home / "casscf_campaign" / "plan.csv"
    if args.plan is not None:
        if args.plan < 1 or args.bins < 1:
            raise GaussError("--plan N and --bins need positive numbers")
        estimates = pd.read_csv(args.estimates)
        exclude = {ligand_key(s) for s in pd.read_csv(args.exclude)[columns.SMILES]} if args.exclude else set()
        mode = estimates["kd_mode"].iloc[0] if "kd_mode" in estimates and len(estimates) else "?"
        source = f"{args.estimates.name}:{args.estimate_column} ({mode})"
        plan = pick(load_ligand_set(), estimates, exclude, args.plan, args.seed, args.bins, args.estimate_column,
                    source)
        if not write_plan(plan, plan_file, args.overwrite):
            kept = read_plan(plan_file)
            print(f"{plan_file} exists ({len(kept)} ligands, seed {kept['seed'].iloc[0]}): kept, so the draw stays "
                  "fixed; pass --overwrite to redraw")
            return 0
        print(f"wrote {plan_file}: {len(plan)} ligands, {len(exclude)} with bundled CASSCF left out")
        print(plan.groupby(["class_name", "estimate_bin"]).size().unstack(fill_value=0).to_string())
        return 0
    plan = read_plan(plan_file)
    store = JobStore(home / "queue.db")
    if args.queue:
        new, old = queue(plan, store, args.geometry, args.builder, args.ligand_basis)
        print(f"{new} casscf jobs queued (geometry={args.geometry}, builder={args.builder}, ligand basis "
              f"{args.ligand_basis}), {old} already in the "
              "queue; run them with `python -m gauss_core worker`")
        return 0
    results, progress = collect(plan, store, args.geometry, args.builder, args.ligand_basis)
    suffix = "_".join([args.geometry] + ([] if args.builder == DEFAULT_BUILDER else [args.builder])
                      + ([] if args.ligand_basis == DEFAULT_LIGAND_BASIS else [args.ligand_basis]))
    out = args.out or home / "casscf_campaign" / f"casscf_results_{suffix}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        results.to_csv(tmp, index=False)
    print(progress.to_string())
    done = len(results)
    wall = pd.to_numeric(results["kd_wall_s"], errors="coerce")
    left = len(plan) - done
    eta = f"; about {left * wall.mean() / 3600:.0f} h of jobs left at {wall.mean() / 60:.0f} min each" \
        if done and left else ""
    print(f"{done} of {len(plan)} planned complexes have CASSCF results (geometry={args.geometry}){eta}; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
