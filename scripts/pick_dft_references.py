"""Pick the ligands of the DFT axial-distance reference set and queue them (resumable: the queue dedups).

Stratified over each donor class's range of CASSCF first gap (bundled assets/kd/casscf_results.csv.gz), so
the references can later be compared with CASSCF: per class, the gap range is cut into `--per-class`
quantile bins and the smallest ligand of each bin is taken (DFT cost grows steeply with size). The queue
order is round-robin over the classes, so a partial campaign still covers all four.

    GAUSS_HOME=... python scripts/pick_dft_references.py --per-class 10 [--queue]
"""

from __future__ import annotations

import argparse

import pandas as pd
from rdkit import Chem

from gauss_core import paths
from gauss_core.ligands import smiles_class


def pick(per_class: int) -> pd.DataFrame:
    kd = pd.read_csv(paths.ASSETS / "kd" / "casscf_results.csv.gz")
    kd["ligand_class"] = [smiles_class(s) for s in kd.smiles]
    kd["n_heavy"] = [Chem.MolFromSmiles(s).GetNumHeavyAtoms() for s in kd.smiles]
    picks = []
    for cls, grp in kd.groupby("ligand_class"):
        bins = pd.qcut(grp.kd_gap1_cm1.rank(method="first"), per_class, labels=False)
        for b, sub in grp.groupby(bins):
            row = sub.sort_values(["n_heavy", "smiles"]).iloc[0]
            picks.append({"smiles": row.smiles, "ligand_class": int(cls), "bin": int(b),
                          "n_heavy": int(row.n_heavy), "kd_gap1_cm1": float(row.kd_gap1_cm1)})
    out = pd.DataFrame(picks)
    out["order"] = out.groupby("ligand_class").n_heavy.rank(method="first")
    return out.sort_values(["order", "ligand_class"]).drop(columns="order").reset_index(drop=True)


BUNDLED = paths.ASSETS / "geometry" / "dft_axial_reference.csv.gz"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-class", type=int, default=10)
    ap.add_argument("--queue", action="store_true", help="enqueue dft-axial jobs in GAUSS_HOME's queue")
    args = ap.parse_args()
    picks = pick(args.per_class)
    print(picks.to_string())
    if args.queue:
        from gauss_core.jobs import JobStore
        from gauss_core.jobs.store import default_db_path

        from gauss_core.complexes.axial_reference import load_references
        from gauss_core.jobs.kinds import DFT_AXIAL_DEFAULTS

        # a ligand already bundled from the same start conformer is a finished reference: not queued again (on a
        # fresh machine the queue is empty, and a re-run would cost ~0.5 CPU-h per reference for nothing)
        builder = str(DFT_AXIAL_DEFAULTS["builder"])
        bundled = load_references(BUNDLED) if BUNDLED.exists() else None
        done = set(bundled.smiles[bundled.start_builder == builder]) if bundled is not None else set()
        store = JobStore(default_db_path())
        for smi in picks.smiles:
            if smi in done:
                print(f"bundled already (start builder {builder}): {smi}")
                continue
            job = store.enqueue("dft-axial", smi)
            print(f"job {job.id}: {smi}")


if __name__ == "__main__":
    main()
