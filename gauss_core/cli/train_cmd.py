"""`gauss train`: train (or resume) a GAUSS-II / GAUSS-I model; one checkpoint file rewritten every epoch."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from dataclasses import replace
from typing import TYPE_CHECKING

from gauss_core import paths
from gauss_core.errors import GaussError
from gauss_core.modes import HeadKind

if TYPE_CHECKING:
    from gauss_core.train import TrainConfig

DEFAULT_OUT = Path(".gauss") / "models" / "gauss2.pt"


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train", help="train the GAUSS VAE with a property head (semi-supervised), checkpoint every epoch",
        description="Train the GAUSS-II SMILES VAE (paper, Methods). Writes OUT (checkpoint, rewritten after "
                    "every epoch), OUT.log (one line per epoch: loss, held-out reconstruction accuracy, R2) and "
                    "OUT.json (configs, metrics, history). Interrupt at any time and continue with --resume.")
    p.add_argument("--ligands", type=Path, default=None,
                   help=f"ligand set CSV(.gz) with a smiles column (default: {paths.LIGAND_SET})")
    p.add_argument("--labels", type=Path, action="append", default=None, metavar="PATH",
                   help="label table keyed by smiles (CSV/CSV.GZ, NaN = missing) or the paper's whitespace "
                        "layout; repeat for several (later files win where they have a value)")
    p.add_argument("--head", choices=tuple(HeadKind), default=HeadKind.GAUSS2.value,
                   help="gauss2: donor proxies (Z, q, mu, alpha); gauss1: 7 KD gaps from latent + 6-d structure")
    p.add_argument("--n-train", type=int, default=None, help="training ligands (default: all non-test ligands)")
    p.add_argument("--n-test", type=int, default=1000, help="fixed held-out ligands, seeded (default 1000)")
    p.add_argument("--label-fraction", type=float, default=0.25,
                   help="fraction of training rows whose labels are kept (paper: about 0.25; default 0.25)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"checkpoint file (default {DEFAULT_OUT})")
    p.add_argument("--resume", action="store_true",
                   help="continue the run stored in --out (with --labels: continue on these label files, "
                        "redrawing the labelled subset)")
    p.add_argument("--init-from", type=Path, default=None, metavar="CKPT",
                   help="fine-tune: a new run at --out that starts from CKPT's weights, vocabulary, train/test "
                        "split and training settings, on --labels (default CKPT's); a head target CKPT lacks "
                        "(e.g. r_dyl_A) gets a freshly initialised output, named in the log")
    p.add_argument("--overwrite", action="store_true", help="start afresh even if --out exists")
    p.add_argument("--max-epochs", type=int, default=300, help="hard cap on epochs (default 300)")
    p.add_argument("--seed", type=int, default=0, help="random seed (splits, labelled subset, init, shuffling)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    p.add_argument("--batch-size", type=int, default=100, help="batch size (paper: 100)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--charge-column", default=None,
                   help="label column training the donor charge (default q_donor_loprop_est_e, the LoProp-"
                        "calibrated charge; q_donor_e = raw GFN2 Mulliken); on --resume, default: the run's own")
    p.add_argument("--augment", choices=("on", "off"), default=None,
                   help="a new random donor-first spelling of each training ligand every epoch (default on; "
                        "on --resume, the run's own)")
    p.add_argument("--tiny-factor", type=int, default=None,
                   help="ligands of <= 3 heavy atoms appear this many times per epoch (default 8; 1 = off)")
    p.add_argument("--spelling-weight", type=float, default=None,
                   help="weight of the pull of a random spelling's latent mean onto the stored spelling's "
                        "(default 0: VAE reconstructs the random spelling; 0.1: see checkpoints/README.md)")
    p.add_argument("--lr", type=float, default=None,
                   help="initial learning rate (default 1e-3, the paper's; with --init-from a smaller one, e.g. "
                        "2.5e-4, keeps the source's reconstruction while a new target is learned)")
    p.add_argument("--label-weight", action="append", default=None, metavar="NAME=W",
                   help="weight of one head target in the property loss (others 1), e.g. r_dyl_A=20 for a "
                        "target labelled on few rows; repeat for several")
    p.add_argument("--augment-workers", type=int, default=1,
                   help="processes writing the random spellings (default 1; the spellings do not depend on it; "
                        "on a GPU, use most CPU cores so spelling does not stall the GPU)")
    p.set_defaults(func=run_train)


def run_train(args: argparse.Namespace) -> int:
    from gauss_core.model.checkpoint import read_checkpoint
    from gauss_core.tokens import Vocabulary
    from gauss_core.train import TrainConfig, prepare_data, read_label_tables, read_ligands, train_model

    out: Path = args.out
    init_state = None
    if args.resume and args.init_from is not None:
        raise GaussError("--resume continues --out; --init-from starts a new run from another checkpoint: "
                         "give one of them")
    if args.init_from is not None:
        config, data, init_state = _fine_tune_setup(args, out)
    elif args.resume:
        saved = read_checkpoint(out)
        config = TrainConfig.from_dict(saved.get("train_config") or {})
        config = _apply_augment_args(replace(config, max_epochs=args.max_epochs, device=args.device,
                                             threads=args.threads, progress=not args.no_progress), args)
        ligands_path = args.ligands or Path(config.ligands_path or paths.LIGAND_SET)
        labels_paths = args.labels if args.labels is not None else [Path(p) for p in config.labels_paths]
        config = replace(config, ligands_path=str(ligands_path), labels_paths=[str(p) for p in labels_paths])
        splits = saved["splits"]
        fixed = {"train_smiles": splits["train_smiles"].split("\n"),
                 "test_smiles": splits["test_smiles"].split("\n") if splits["test_smiles"] else [],
                 "labelled_train": splits["labelled_train"].numpy()}
        if args.labels is not None:
            # Explicit label files on resume = continue on these labels: the labelled subset is drawn again
            # (the run's label fraction and seed) from the rows these files label.
            del fixed["labelled_train"]
        ligands = read_ligands(ligands_path)
        labels = read_label_tables(labels_paths)
        data = prepare_data(ligands, labels, head=config.head, fixed_splits=fixed,
                            label_fraction=config.label_fraction, seed=config.seed,
                            vocab=Vocabulary.from_dict(saved["vocab"]), charge_column=config.charge_column)
        if data.train_hash != saved.get("train_hash"):
            raise GaussError(f"the ligands in {ligands_path} do not reproduce the training set of {out}; "
                             "resume with the files the run started with")
        del saved
    else:
        if out.exists() and not args.overwrite:
            raise GaussError(f"{out} already exists: pass --resume to continue it, --overwrite to start afresh, "
                             "or choose another --out")
        ligands_path = args.ligands or paths.LIGAND_SET
        labels_paths = list(args.labels or [])
        config = TrainConfig(
            head=args.head, n_train=args.n_train, n_test=args.n_test, label_fraction=args.label_fraction,
            batch_size=args.batch_size, max_epochs=args.max_epochs, seed=args.seed, device=args.device,
            threads=args.threads, progress=not args.no_progress, ligands_path=str(ligands_path),
            labels_paths=[str(p) for p in labels_paths])
        config = _apply_augment_args(config, args)
        ligands = read_ligands(ligands_path)
        labels = read_label_tables(labels_paths)
        data = prepare_data(ligands, labels, head=config.head, n_train=config.n_train, n_test=config.n_test,
                            label_fraction=config.label_fraction, seed=config.seed,
                            charge_column=config.charge_column)
        if out.exists():
            out.unlink()
            out.with_suffix(".log").unlink(missing_ok=True)
    result = train_model(data, config, out, resume=args.resume, log=lambda s: print(s, flush=True),
                         init_state=init_state)
    print(f"checkpoint: {result.path} (best epoch {result.best_epoch}); log: {out.with_suffix('.log')}",
          file=sys.stderr)
    return 0


def _fine_tune_setup(args: argparse.Namespace, out: Path):
    """(config, data, weights) of a run that starts from the checkpoint args.init_from (see --init-from)."""
    from gauss_core.model.checkpoint import read_checkpoint
    from gauss_core.tokens import Vocabulary
    from gauss_core.train import TrainConfig, prepare_data, read_label_tables, read_ligands

    src: Path = args.init_from
    if src.resolve() == out.resolve():
        raise GaussError(f"--init-from {src} is also --out: write the fine-tuned model to another file")
    if out.exists() and not args.overwrite:
        raise GaussError(f"{out} already exists: pass --overwrite to replace it, or choose another --out")
    saved = read_checkpoint(src)
    config = TrainConfig.from_dict(saved.get("train_config") or {})
    config = _apply_augment_args(replace(config, max_epochs=args.max_epochs, device=args.device, threads=args.threads,
                                         progress=not args.no_progress), args)
    ligands_path = args.ligands or Path(config.ligands_path or paths.LIGAND_SET)
    labels_paths = args.labels if args.labels is not None else [Path(p) for p in config.labels_paths]
    origin = f"{src} (epoch {saved.get('best_epoch')}, train_hash {str(saved.get('train_hash', ''))[:12]})"
    config = replace(config, ligands_path=str(ligands_path), labels_paths=[str(p) for p in labels_paths],
                     init_from=origin)
    splits = saved["splits"]
    # same held-out test ligands as the source (they stay unseen); the labelled subset is drawn on the new labels
    fixed = {"train_smiles": splits["train_smiles"].split("\n"),
             "test_smiles": splits["test_smiles"].split("\n") if splits["test_smiles"] else []}
    data = prepare_data(read_ligands(ligands_path), read_label_tables(labels_paths), head=config.head,
                        fixed_splits=fixed, label_fraction=config.label_fraction, seed=config.seed,
                        vocab=Vocabulary.from_dict(saved["vocab"]), charge_column=config.charge_column)
    if out.exists():
        out.unlink()
        out.with_suffix(".log").unlink(missing_ok=True)
    return config, data, saved["model_state"]


def _apply_augment_args(config: TrainConfig, args: argparse.Namespace) -> TrainConfig:
    """Charge column, spelling augmentation, tiny-ligand oversampling, learning rate and label weights from the
    flags that were given."""
    if args.charge_column is not None:
        config = replace(config, charge_column=args.charge_column)
    if args.augment is not None:
        config = replace(config, augment_smiles=args.augment == "on")
    if args.tiny_factor is not None:
        if args.tiny_factor < 1:
            raise GaussError(f"--tiny-factor {args.tiny_factor} must be 1 or more (1 = no oversampling)")
        config = replace(config, tiny_factor=args.tiny_factor)
    if args.spelling_weight is not None:
        if args.spelling_weight < 0:
            raise GaussError(f"--spelling-weight {args.spelling_weight} must be 0 or more")
        config = replace(config, spelling_weight=args.spelling_weight)
    if args.augment_workers < 1:
        raise GaussError(f"--augment-workers {args.augment_workers} must be 1 or more")
    if args.lr is not None:
        if not args.lr > 0:
            raise GaussError(f"--lr {args.lr} must be a positive number")
        config = replace(config, lr=args.lr)
    if args.label_weight is not None:
        config = replace(config, label_weights={**config.label_weights, **parse_label_weights(args.label_weight)})
    return replace(config, augment_workers=args.augment_workers)


def parse_label_weights(items: list[str]) -> dict[str, float]:
    """["r_dyl_A=20", ...] -> {"r_dyl_A": 20.0}; a clear error for anything else."""
    weights = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            weight = float(value)
        except ValueError:
            weight = float("nan")
        if not sep or not name.strip() or not weight >= 0:
            raise GaussError(f"--label-weight {item!r}: write NAME=W with a weight of 0 or more, e.g. r_dyl_A=20")
        weights[name.strip()] = weight
    return weights
