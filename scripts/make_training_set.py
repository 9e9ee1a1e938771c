"""Training ligand file of the bundled model: every ligand with fast proxy labels plus a seeded random
draw of unlabelled ligands, N_TOTAL rows in all (paper: 114k train + 7k test, ~29k of them labelled).

Drawing the split from the whole 229k set would leave about half of the labelled ligands outside the
training set; this keeps the paper's labelled share (~25 %) with the labels we have.

Usage: python scripts/make_training_set.py [--total 121000] [--seed 0] [--out .gauss/train/ligands_train.csv.gz]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gauss_core import paths  # noqa: E402
from gauss_core.ligands import load_ligand_set  # noqa: E402
from gauss_core.proxies import load_proxy_labels  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--total", type=int, default=121_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--labels", default=str(paths.PROXY_LABELS))
    ap.add_argument("--include", default=None,
                    help="CSV with a smiles column of ligands to include as well (e.g. the list being labelled)")
    ap.add_argument("--out", default=str(paths.gauss_home() / "train" / "ligands_train.csv.gz"))
    args = ap.parse_args()
    ligands = load_ligand_set()
    labels = load_proxy_labels(args.labels)
    labelled = set(labels.loc[labels["q_donor_e"].notna(), "smiles"])
    if args.include:
        labelled |= set(pd.read_csv(args.include)["smiles"])
    is_lab = ligands["smiles"].isin(labelled).to_numpy()
    rng = np.random.default_rng(args.seed)
    unlab_idx = np.flatnonzero(~is_lab)
    n_unlab = max(0, args.total - int(is_lab.sum()))
    pick = np.sort(np.concatenate([np.flatnonzero(is_lab), rng.choice(unlab_idx, n_unlab, replace=False)]))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    ligands.iloc[pick].to_csv(out, index=False)
    print(f"{len(pick)} ligands ({int(is_lab.sum())} labelled or to be labelled) -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
