"""Experiment 1 (Fig. 2b) and the R^2 part of experiment 3 (Fig. 6b): learning curves with the real trainer.

* Reconstruction learning curve: small GAUSS-II models are trained (gauss_core.train.train_model, the
  same loop as `gauss train`) on nested random subsets of growing size, all with the evaluated model's
  vocabulary, and measured on ONE fixed test set: a seeded subset of the evaluated checkpoint's own
  held-out split (the paper: a fixed 7k test split). Exact reconstruction = canonical kekulised SMILES of
  the greedy decode equals the input's (gauss_core.train.metrics).
* Label learning curve: the training size is fixed and the number of labelled ligands grows; R^2 of
  each proxy head output is measured on held-out labelled ligands (labelled, never in any training set).

Budget (the paper trains each model to convergence; here CPU time is bounded): every small model trains
until its held-out loss plateaus, at most `max_batches` batches of 100 (`label_max_batches` for the R^2
curve). The trainer's epoch-counted rules are put on a batch scale so that small sets (epochs of a few
batches) are not penalised: the learning-rate patience is at least one check interval, and the trainer's
training-loss stopping rule is replaced by the validation rule below. Every `check_every` batches (whole
epochs, resumed with the trainer's --resume machinery) the model is evaluated on a separate validation set
(n_val ligands, disjoint from training and test) and on the fixed test set; training stops when no watched
validation metric (RECON_MONITORS: exact, then per-token reconstruction; PROPERTY_MONITORS for the R^2
curve: the property-head error) gained its `min_gain` over the last `patience` checks (never before
`min_batches`), or at the cap. The reported test metrics are those of the best validation check (early
stopping on validation data, never on the test set). The table gives the batches trained, the batches at
the reported check, and why training stopped, so a point that hit the cap reads as a lower bound.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gauss_core import columns as C
from gauss_core.evaluate.common import EvalInputs


@dataclass(frozen=True)
class Monitor:
    """A validation metric (a key of gauss_core.train.metrics.evaluate) that early stopping watches.

    Attributes:
        key: metric name; higher_is_better: its direction; min_gain: least absolute gain that counts as progress.
    """

    key: str
    higher_is_better: bool
    min_gain: float

    def text(self) -> str:
        return f"{self.key} {'+' if self.higher_is_better else '-'}{self.min_gain:g}"


# What each curve reports is what its early stopping watches: reconstruction accuracy (exact, then per token;
# the validation loss is not used: its cross-entropy rises with over-confidence while accuracy still improves,
# measured on 1,000 ligands: loss up 8% from 1,500 to 2,500 batches, test exact 5.4% -> 8.7%), and for the
# R^2 curve the property-head error on labelled validation ligands (standardised units).
RECON_MONITORS = (Monitor("recon_exact", True, 0.01), Monitor("recon_token", True, 0.005))
PROPERTY_MONITORS = (Monitor("prop_mse", False, 0.005),)


@dataclass(frozen=True)
class LearningCurveConfig:
    """Sizes and budgets (defaults: at most about 27 min of one CPU thread for the reconstruction curve at the
    measured ~0.18 CPU s per batch including checks, about 18 min for the R^2 curve; --quick for tests).

    Attributes:
        train_sizes: training-set sizes of the reconstruction curve (nested subsets).
        label_counts: labelled-ligand counts of the R^2 curve (training size fixed at label_train_size).
        max_batches: cap on batches (of batch_size) per reconstruction model.
        label_max_batches: cap on batches per R^2-curve model.
        check_every: batches between held-out checks (rounded to whole epochs).
        patience, min_batches: the plateau rule (module docstring; the watched metrics: RECON_MONITORS,
            PROPERTY_MONITORS).
        n_val: validation ligands (plateau and checkpoint choice); n_test: the fixed test subset (of the
            checkpoint's held-out split); n_heldout_labelled: held-out labelled ligands for R^2.
        seed: seeds the subsets and the trainer.
    """

    train_sizes: tuple[int, ...] = (1000, 4000, 16000)
    label_counts: tuple[int, ...] = (100, 500, 2500)
    label_train_size: int = 4000
    max_batches: int = 3000
    label_max_batches: int = 2000
    check_every: int = 500
    patience: int = 2
    min_batches: int = 1500
    n_val: int = 300
    n_test: int = 1000
    n_heldout_labelled: int = 500
    batch_size: int = 100
    seed: int = 0

    @classmethod
    def quick(cls) -> LearningCurveConfig:
        return cls(train_sizes=(100, 300), label_counts=(30, 100), label_train_size=200, max_batches=6,
                   label_max_batches=4, check_every=2, min_batches=2, n_val=20, n_test=50, n_heldout_labelled=50)

    def budget_text(self, max_batches: int, monitors: tuple[Monitor, ...] = RECON_MONITORS) -> str:
        """The budget rule in words, for tables and figure footnotes."""
        watched = ", ".join(m.text() for m in monitors)
        return (f"until validation progress stops (no gain of at least {watched} over {self.patience} checks of "
                f"~{self.check_every} batches, at least {self.min_batches} batches), at most {max_batches} batches of "
                f"{self.batch_size} (learning-rate patience >= one check interval); test metrics at the best "
                f"validation check")


def plateaued(values: list[float], patience: int, min_gain: float, higher_is_better: bool = False) -> bool:
    """True when the best of the last `patience` values does not beat the best before by at least min_gain."""
    if len(values) <= patience:
        return False
    sign = 1.0 if higher_is_better else -1.0
    before, recent = max(sign * v for v in values[:-patience]), max(sign * v for v in values[-patience:])
    return recent - before < min_gain


def _pool(inputs: EvalInputs) -> tuple[list[str], list[str]]:
    """(test smiles, training pool) from the checkpoint's splits, restricted to the ligand set."""
    known = set(inputs.ligands[C.SMILES])
    test = [s for s in inputs.loaded.test_smiles if s in known]
    train = [s for s in inputs.loaded.train_smiles if s in known]
    if not test or not train:  # a checkpoint without stored splits: split the ligand set here
        rng = np.random.default_rng(0)
        perm = rng.permutation(len(inputs.ligands))
        smiles = inputs.ligands[C.SMILES].to_numpy()[perm].tolist()
        test, train = smiles[:max(1, len(smiles) // 20)], smiles[max(1, len(smiles) // 20):]
    return test, train


def _encodable(inputs: EvalInputs, smiles: list[str]) -> list[str]:
    vocab = inputs.loaded.vocab
    return [s for s in smiles if vocab.check(s) is None]


def fixed_test_set(inputs: EvalInputs, n: int, seed: int = 0) -> list[str]:
    """A seeded subset of n SMILES of the checkpoint's held-out split (encodable by its vocabulary)."""
    test, _ = _pool(inputs)
    test = _encodable(inputs, test)
    rng = np.random.default_rng(seed)
    return [test[i] for i in sorted(rng.permutation(len(test))[:n])]


def heldout_labelled(inputs: EvalInputs, n: int, seed: int = 0) -> list[str]:
    """Up to n held-out ligands, labelled ones first: labelled ligands the evaluated model never trained on
    (not in its training split), filled up with the checkpoint's held-out split when there are fewer."""
    if inputs.labels is None:
        cand = fixed_test_set(inputs, n, seed)
        return cand
    train = inputs.train_set
    known = set(inputs.ligands[C.SMILES])
    proxy_cols = [c for c in C.PROXY_COLUMNS if c != C.DONOR_Z and c in inputs.labels.columns]
    has = inputs.labels[proxy_cols].notna().any(axis=1) if proxy_cols else inputs.labels.index.notna()
    cand = [s for s in inputs.labels.index[has] if s in known and s not in train]
    cand = _encodable(inputs, cand)
    rng = np.random.default_rng(seed)
    picked = [cand[i] for i in sorted(rng.permutation(len(cand))[:n])]
    if len(picked) < n:  # few labelled ligands: fill up with the held-out split (donor_Z is known for all)
        have = set(picked)
        picked += [s for s in fixed_test_set(inputs, n, seed) if s not in have][:n - len(picked)]
    return picked


def _current_model(out: Path):
    """The model in the state training left it (the checkpoint's resume weights, not its best-loss weights)."""
    import torch

    from gauss_core.model.checkpoint import model_from_checkpoint_data, read_checkpoint

    data = read_checkpoint(out)
    return model_from_checkpoint_data({**data, "model_state": data["resume"]["model_state"]}, out, torch.device("cpu"))


def _train_small(inputs: EvalInputs, train_smiles: list[str], val_smiles: list[str], test_smiles: list[str],
                 labelled: np.ndarray | None, config: LearningCurveConfig, max_batches: int,
                 monitors: tuple[Monitor, ...], workdir: Path, tag: str, log: Callable[[str], None]) -> dict:
    """Train one small model under the budget rule (module docstring); its test metrics at the chosen check."""
    from gauss_core.train import TrainConfig, prepare_data, train_model
    from gauss_core.train.metrics import evaluate

    sub = inputs.ligands[inputs.ligands[C.SMILES].isin(set(train_smiles) | set(val_smiles) | set(test_smiles))]
    fixed: dict[str, list[str] | np.ndarray] = {"train_smiles": train_smiles, "test_smiles": val_smiles}
    if labelled is not None:
        fixed["labelled_train"] = labelled
    vocab = inputs.loaded.vocab
    data = prepare_data(sub, inputs.labels, head="gauss2", fixed_splits=fixed, vocab=vocab)
    test = prepare_data(sub, inputs.labels, head="gauss2", vocab=vocab,
                        fixed_splits={**fixed, "test_smiles": test_smiles, "labelled_train": data.labelled_train}).test
    per_epoch = max(1, -(-len(train_smiles) // config.batch_size))
    cap = max(1, max_batches // per_epoch)
    chunk = max(1, round(config.check_every / per_epoch))
    # The trainer's rules count epochs; on a small set an epoch is a few batches, so its learning-rate patience
    # (2 epochs) would halve the rate every few dozen batches (measured: 1e-3 -> 8e-6 within 1,940 batches on
    # 1,000 ligands). Patience is therefore at least one check interval of batches, and the trainer's own
    # training-loss stopping rule is replaced by the validation rule.
    patience = max(TrainConfig().lr_patience, chunk)
    out = workdir / f"{tag}.pt"
    checks: list[dict] = []
    epoch, stop = 0, f"cap ({cap * per_epoch} batches)"
    t0, c0 = time.perf_counter(), time.process_time()
    while epoch < cap:
        tc = TrainConfig(max_epochs=min(cap, epoch + chunk), batch_size=config.batch_size, seed=config.seed,
                         device="cpu", threads=1, progress=False, n_test=len(val_smiles), lr_patience=patience,
                         stop_window=cap + 1)
        result = train_model(data, tc, out, resume=epoch > 0, log=lambda s: None)
        if result.epochs == epoch:
            stop = f"trainer: {result.stop_reason}"
            break
        epoch = result.epochs
        model = _current_model(out)
        val = result.history[-1]["test"]
        checks.append({"epochs": epoch, "batches": epoch * per_epoch,
                       **{f"val_{mo.key}": float(val.get(mo.key, float("nan"))) for mo in monitors},
                       **evaluate(model, test, vocab, list(data.label_names))})
        c = checks[-1]
        log(f"    {tag}: {c['batches']} batches, validation "
            + ", ".join(f"{mo.key} {c[f'val_{mo.key}']:.4f}" for mo in monitors)
            + f"; test recon_exact {c.get('recon_exact', float('nan')):.3f} "
            f"token {c.get('recon_token', float('nan')):.3f}"
            f" (CPU {time.process_time() - c0:.0f} s)")
        if not result.stop_reason.startswith("reached max_epochs"):
            stop = f"trainer: {result.stop_reason}"
            break
        if epoch * per_epoch >= config.min_batches and all(
                plateaued([ch[f"val_{mo.key}"] for ch in checks], config.patience, mo.min_gain, mo.higher_is_better)
                for mo in monitors):
            stop = "validation plateau"
            break
    best = max(checks, key=lambda ch: tuple((1 if mo.higher_is_better else -1) * np.nan_to_num(
        ch[f"val_{mo.key}"], nan=-np.inf if mo.higher_is_better else np.inf) for mo in monitors))
    m = dict(best)
    m.update({"n_train": len(train_smiles), "n_labelled": data.n_labelled, "n_test": len(test_smiles),
              "batches_cap": max_batches, "batches_trained": epoch * per_epoch, "stop": stop,
              "seconds": round(time.perf_counter() - t0, 1), "cpu_seconds": round(time.process_time() - c0, 1)})
    log(f"  {tag}: n_train {len(train_smiles)}, labelled {data.n_labelled}: {epoch * per_epoch} batches ({stop}); "
        f"best check at {best['batches']} batches: recon_exact {m.get('recon_exact', float('nan')):.3f}, "
        f"token {m.get('recon_token', float('nan')):.3f} ({m['seconds']:.0f} s, CPU {m['cpu_seconds']:.0f} s)")
    return m


ROW_KEYS = ("n_train", "n_labelled", "n_test", "batches_cap", "batches_trained", "batches", "epochs", "stop",
            "recon_exact", "recon_token", "seconds", "cpu_seconds")


def _row(m: dict, label_names: list[str]) -> dict:
    row = {k: m.get(k) for k in ROW_KEYS}
    for name in label_names:
        row[f"r2_{name}"] = m.get(f"r2_{name}", float("nan"))
        row[f"n_{name}"] = m.get(f"n_{name}", 0)
    return row


def reconstruction_curve(inputs: EvalInputs, config: LearningCurveConfig, workdir: Path | None = None,
                         log: Callable[[str], None] = print) -> pd.DataFrame:
    """Reconstruction accuracy on the fixed test set against training-set size.

    Returns:
        One row per size: ROW_KEYS (n_train, n_labelled, n_test, batches_cap, batches_trained, batches (at the
        reported check), epochs (same), stop, recon_exact, recon_token, seconds, cpu_seconds), r2_<label>.
        A last row `n_train = <checkpoint size>` holds the evaluated checkpoint itself on the same test set.
        Validation: the last n_val ligands of the shuffled pool, never in any training subset.
    """
    test = fixed_test_set(inputs, config.n_test, config.seed)
    _, pool = _pool(inputs)
    pool = [s for s in _encodable(inputs, pool) if s not in set(test)]
    order = np.random.default_rng(config.seed).permutation(len(pool))
    val = [pool[i] for i in sorted(order[len(order) - config.n_val:])]  # the pool's tail: never trained on
    order = order[:len(order) - config.n_val]
    rows = []
    with tempfile.TemporaryDirectory(prefix="gauss-lc-") as tmp:
        work = Path(workdir) if workdir else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for size in config.train_sizes:
            if size > len(order):
                log(f"  size {size} skipped: only {len(order)} training ligands available")
                continue
            subset = [pool[i] for i in sorted(order[:size])]  # nested: each size contains the smaller ones
            rows.append(_row(_train_small(inputs, subset, val, test, None, config, config.max_batches, RECON_MONITORS,
                                          work, f"lc_{size}", log), list(C.PROXY_COLUMNS)))
    full = evaluate_checkpoint(inputs, test)
    n_full = len(inputs.loaded.train_smiles)
    batches = inputs.loaded.epoch * -(-n_full // config.batch_size)
    full.update({"n_train": n_full, "epochs": inputs.loaded.epoch, "batches_trained": batches, "batches": batches,
                 "stop": "bundled checkpoint", "n_labelled": inputs.loaded.n_labelled})
    rows.append(_row(full, list(C.PROXY_COLUMNS)) | {"model": "evaluated checkpoint"})
    out = pd.DataFrame(rows)
    out["model"] = out.get("model", pd.Series(index=out.index, dtype=object)).fillna("small model (real trainer)")
    return out


def evaluate_checkpoint(inputs: EvalInputs, test_smiles: list[str]) -> dict:
    """The evaluated checkpoint's held-out metrics (gauss_core.train.metrics.evaluate) on `test_smiles`."""
    from gauss_core.train import prepare_data
    from gauss_core.train.metrics import evaluate

    loaded = inputs.loaded
    sub = inputs.ligands[inputs.ligands[C.SMILES].isin(set(test_smiles))]
    any_train = (list(loaded.train_smiles[:1])
                 or [s for s in inputs.ligands[C.SMILES][:1] if s not in set(test_smiles)])
    sub = pd.concat([sub, inputs.ligands[inputs.ligands[C.SMILES].isin(any_train)]])
    data = prepare_data(sub, inputs.labels, head="gauss2",
                        fixed_splits={"train_smiles": any_train, "test_smiles": test_smiles}, vocab=loaded.vocab)
    # Metrics compare standardised labels: re-standardise the test labels with the checkpoint's own statistics.
    test = data.test
    raw = test.labels.numpy() * data.label_std + data.label_mean
    restd = (raw - np.asarray(loaded.label_mean)) / np.asarray(loaded.label_std)
    import torch

    test.labels = torch.from_numpy(np.where(test.mask.numpy(), restd, 0.0).astype(np.float32))
    m = evaluate(loaded.model, test, loaded.vocab, list(loaded.label_names))
    m["n_test"] = len(test_smiles)
    return m


def label_curve(inputs: EvalInputs, config: LearningCurveConfig, workdir: Path | None = None,
                log: Callable[[str], None] = print) -> pd.DataFrame:
    """Head R^2 on held-out labelled ligands against the number of labelled training ligands.

    The training size is fixed (label_train_size); of it, n ligands carry their proxy labels.
    Returns:
        One row per labelled count: n_labelled, n_train, the budget columns (ROW_KEYS), r2_<label>
        (+ n_<label>: test rows used). Validation: n_val labelled ligands held out of every training set.
    """
    heldout = heldout_labelled(inputs, config.n_heldout_labelled, config.seed)
    test_set = set(heldout) | set(fixed_test_set(inputs, config.n_test, config.seed))
    _, pool = _pool(inputs)
    pool = [s for s in _encodable(inputs, pool) if s not in test_set]
    if inputs.labels is not None:
        proxy_cols = [c for c in C.PROXY_COLUMNS if c != C.DONOR_Z and c in inputs.labels.columns]
        lab_index = set(inputs.labels.index[inputs.labels[proxy_cols].notna().any(axis=1)])
    else:
        lab_index = set(pool)  # no label table: donor_Z (from the ligand set) is the only label
    labelled_pool = [s for s in pool if s in lab_index]
    rng = np.random.default_rng(config.seed + 7)
    labelled_pool = [labelled_pool[i] for i in rng.permutation(len(labelled_pool))]
    n_val = min(config.n_val, len(labelled_pool) // 2)
    val, labelled_pool = labelled_pool[len(labelled_pool) - n_val:], labelled_pool[:len(labelled_pool) - n_val]
    unlabelled_pool = [pool[i] for i in rng.permutation(len(pool)) if pool[i] not in lab_index]
    rows = []
    with tempfile.TemporaryDirectory(prefix="gauss-lab-") as tmp:
        work = Path(workdir) if workdir else Path(tmp)
        for n_lab in config.label_counts:
            if n_lab > len(labelled_pool):
                log(f"  {n_lab} labelled skipped: only {len(labelled_pool)} labelled training ligands available")
                continue
            lab = labelled_pool[:n_lab]
            rest = config.label_train_size - n_lab
            train = lab + (unlabelled_pool[:max(0, rest)] if inputs.labels is not None else [])
            if inputs.labels is None:
                train = lab[:config.label_train_size]
            flags = np.array([i < len(lab) for i in range(len(train))], dtype=bool)
            m = _train_small(inputs, train, val, heldout, flags, config, config.label_max_batches, PROPERTY_MONITORS,
                             work, f"lab_{n_lab}", log)
            rows.append(_row(m, list(C.PROXY_COLUMNS)))
    return pd.DataFrame(rows)
