"""How well a model's latent space orders a per-ligand quantity, within each donor class: out-of-fold kNN.

    python scripts/latent_knn.py                                   # the bond-length label r_dyl_A, bundled model
    python scripts/latent_knn.py --table T.csv --column kd_gap1_cm1 --checkpoint other.pt
    python scripts/latent_knn.py --checkpoint fine_tuned.pt --held-out   # a model trained on the label itself

Prints R^2 / Spearman overall and per class for the latent means (any class, and same class only) and for a
same-class Morgan-fingerprint baseline (gauss_core.surrogate.cv.knn_group_cv; folds by scaffold). Run it before
and after training on a new label to see what the label taught the latent space. A model trained on the label
has seen the values of its training ligands, so cross-validation over them flatters it: --held-out predicts only
the ligands of the checkpoint's test split (never trained on) from the others, and adds the head's own
prediction where the head has the column.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from gauss_core import columns, paths
from gauss_core.chem import morgan_bits, scaffold_group
from gauss_core.ligands import smiles_class
from gauss_core.latent import encode_smiles, predict_proxies
from gauss_core.model.checkpoint import load_checkpoint
from gauss_core.surrogate.cv import CLASS_NAMES, class_scores, knn_group_cv, knn_holdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", type=Path, default=paths.ASSETS / "labels" / "proxy_r_dyl.csv.gz")
    ap.add_argument("--column", default=columns.R_DYL)
    ap.add_argument("--checkpoint", type=Path, default=paths.DEFAULT_CHECKPOINT)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--held-out", action="store_true",
                    help="predict only the checkpoint's test-split ligands, from the others (and with the head)")
    args = ap.parse_args()
    table = pd.read_csv(args.table)
    if args.column not in table.columns or columns.SMILES not in table.columns:
        raise SystemExit(f"{args.table} needs columns {columns.SMILES!r} and {args.column!r}")
    table = table[pd.to_numeric(table[args.column], errors="coerce").notna()].reset_index(drop=True)
    smiles = list(table[columns.SMILES])
    y = table[args.column].to_numpy(dtype=float)
    cls = table[columns.LIGAND_CLASS].astype(int).to_numpy() if columns.LIGAND_CLASS in table \
        else pd.Series([smiles_class(s) for s in smiles]).to_numpy()
    groups = [scaffold_group(s) for s in smiles]
    loaded = load_checkpoint(args.checkpoint)
    z = encode_smiles(loaded, smiles)
    fingerprints = morgan_bits(smiles)
    if args.held_out:
        test = set(loaded.test_smiles)
        held = np.array([s in test for s in smiles])
        runs = {"latent, any class": knn_holdout(z, y, cls, held, k=args.k),
                "latent, same class": knn_holdout(z, y, cls, held, k=args.k, same_class=True),
                "Morgan fingerprint, same class": knn_holdout(fingerprints, y, cls, held, k=args.k,
                                                              metric="jaccard", same_class=True)}
        if args.column in loaded.label_names:
            head = predict_proxies(loaded, z[held])[args.column].to_numpy()
            runs["head prediction"] = class_scores(head, y[held], cls[held])
    else:
        runs = {"latent, any class": knn_group_cv(z, y, groups, cls, k=args.k),
                "latent, same class": knn_group_cv(z, y, groups, cls, k=args.k, same_class=True),
                "Morgan fingerprint, same class": knn_group_cv(fingerprints, y, groups, cls, k=args.k,
                                                               metric="jaccard", same_class=True)}
    scope = f"{int(held.sum())} held-out (test-split) ligands predicted" if args.held_out else "out-of-fold"
    print(f"{args.column} of {len(y)} ligands ({args.table.name}), checkpoint {args.checkpoint.name}, k {args.k}, "
          f"{scope}")
    print("representation | all: R2 / Spearman | " + " | ".join(CLASS_NAMES[c] for c in (1, 2, 3, 4)))
    for name, res in runs.items():
        if res is None:
            print(f"{name}: too few rows")
            continue
        per = " | ".join(f"{res['per_class'][c]['r2']:.2f} / {res['per_class'][c]['spearman']:.2f} "
                         f"(n={res['per_class'][c]['n']})" if c in res["per_class"] else "n/a" for c in (1, 2, 3, 4))
        print(f"{name} | {res['r2']:.2f} / {res['spearman']:.2f} | {per}")


if __name__ == "__main__":
    main()
