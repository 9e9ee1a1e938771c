"""Cheap check of the issue-13 training changes: fine-tune a COPY of a checkpoint for a few epochs on a subset
of its own training split with random donor-first spellings, tiny-ligand oversampling and the chosen charge
column, measured on the checkpoint's own held-out split. The source checkpoint is only read.

    nice -n 10 nohup python bench/finetune_augment.py --out .gauss/h13b/finetune.pt --epochs 2 &

Run it again with the same arguments to resume after an interruption. Then measure both checkpoints with
bench/bench_spelling.py.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gauss_core.model.checkpoint import read_checkpoint  # noqa: E402
from gauss_core.tokens import Vocabulary  # noqa: E402
from gauss_core.train import TrainConfig, prepare_data, read_label_tables, read_ligands, train_model  # noqa: E402
from gauss_core.train.augment import LOPROP_CHARGE, is_tiny  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, default=Path("checkpoints/gauss2_default.pt"))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--ligands", type=Path, default=Path("assets/ligands/ligands.csv.gz"))
    ap.add_argument("--labels", type=Path, default=Path("assets/labels/proxy_xtb.csv.gz"))
    ap.add_argument("--n-subset", type=int, default=25000, help="training rows fine-tuned on (all tiny ones kept)")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--charge-column", default=LOPROP_CHARGE)
    ap.add_argument("--tiny-factor", type=int, default=8)
    ap.add_argument("--augment", choices=("on", "off"), default="on")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    if args.out.resolve() == args.source.resolve():
        raise SystemExit("--out must differ from --source: the source checkpoint is never overwritten")

    saved = read_checkpoint(args.source)
    train_all = saved["splits"]["train_smiles"].split("\n")
    labelled_all = saved["splits"]["labelled_train"].numpy()
    rng = np.random.default_rng(0)
    tiny = np.array([is_tiny(s) for s in train_all])
    pick = set(rng.choice(len(train_all), size=min(args.n_subset, len(train_all)), replace=False).tolist())
    pick |= set(np.flatnonzero(tiny).tolist())
    rows = sorted(pick)
    fixed = {"train_smiles": [train_all[i] for i in rows],
             "test_smiles": saved["splits"]["test_smiles"].split("\n"),
             "labelled_train": labelled_all[rows]}
    config = replace(TrainConfig.from_dict(saved["train_config"]), max_epochs=args.epochs, lr=args.lr,
                     threads=args.threads, progress=False, charge_column=args.charge_column,
                     tiny_factor=args.tiny_factor, augment_smiles=args.augment == "on",
                     ligands_path=str(args.ligands), labels_paths=[str(args.labels)])
    data = prepare_data(read_ligands(args.ligands), read_label_tables([args.labels]), head=config.head,
                        fixed_splits=fixed, label_fraction=config.label_fraction, seed=config.seed,
                        vocab=Vocabulary.from_dict(saved["vocab"]), charge_column=config.charge_column)
    resume = args.out.exists()
    print(f"fine-tuning a copy of {args.source} on {len(rows)} training rows ({int(tiny.sum())} tiny), "
          f"{'resuming' if resume else 'starting'} {args.out}", flush=True)
    result = train_model(data, config, args.out, resume=resume, log=lambda s: print(s, flush=True),
                         init_state=saved["model_state"])
    print(f"done: best epoch {result.best_epoch}; {result.metrics}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
