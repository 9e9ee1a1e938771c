"""The training loop (paper, section IV "VAE model training").

Adam (lr 1e-3), batches of 100 reshuffled every epoch, ReduceLROnPlateau (factor 0.5, patience 2,
absolute threshold 1e-4) on the epoch's training loss, stop when the best loss of the last 10 epochs
improves on the best before them by less than 1e-3 (or at max_epochs); the weights of the lowest
training loss are kept. After every epoch the held-out metrics are measured and ONE checkpoint file is
rewritten atomically with both the best weights and everything needed to resume.

Reproducibility: the shuffling order of epoch e comes from a generator seeded with (seed, e), and the
global torch RNG (reparameterisation noise, dropout) is saved in the checkpoint, so a resumed run
continues exactly as an uninterrupted one would (on the same device and thread count).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from gauss_core.atomic import atomic_write_json
from gauss_core.model.checkpoint import cpu_state, read_checkpoint, save_checkpoint
from gauss_core.model.loss import gauss_loss, spelling_invariance_loss
from gauss_core.model.vae import GaussVAE, ModelConfig
from gauss_core.train.augment import LOPROP_CHARGE, DonorFirstAugmenter, epoch_order, is_tiny
from gauss_core.train.data import PreparedData
from gauss_core.train.metrics import evaluate
from gauss_core.modes import HeadKind


@dataclass(frozen=True)
class TrainConfig:
    """Training settings (defaults = the paper's). Stored in the checkpoint as a dict.

    Attributes:
        head: "gauss2" (donor proxies), "gauss1" (KD gaps + structure) or "none".
        n_train, n_test: split sizes (n_train None = every non-test ligand).
        label_fraction: fraction of training rows whose labels are kept (paper: about 0.25).
        batch_size, lr, kl_weight: 100, 1e-3, 0.01.
        lr_factor, lr_patience, lr_threshold: ReduceLROnPlateau (0.5, 2 epochs, 1e-4 absolute).
        stop_window, stop_delta: stop when improvement over stop_window epochs < stop_delta.
        max_epochs: hard cap on epochs.
        seed: seeds splits, labelled subset, initialisation, shuffling and noise.
        device: "auto" (CUDA when present), "cpu", "cuda".
        threads: torch intra-op threads on CPU (1 is fastest on a shared 2-core machine).
        progress: show a tqdm bar per epoch (only on a terminal).
        ligands_path, labels_paths: the input files (recorded for resume and provenance).
        charge_column: label column training the head's donor charge (default the LoProp-calibrated one).
        augment_smiles: each epoch, a new random donor-first spelling of every training ligand. With
            spelling_weight 0 (default) the VAE reconstructs that spelling; with spelling_weight > 0 it
            reconstructs the stored spelling and the random one is only encoded and pulled onto it.
        tiny_factor, tiny_max_heavy: ligands of <= tiny_max_heavy heavy atoms appear tiny_factor times
            per epoch (1 = no oversampling). See gauss_core.train.augment.
        augment_workers: processes writing the random spellings (same spellings for any count; more keep a
            GPU fed: one core needs ~20 s per epoch of 114k ligands).
        label_weights: weight of a head target in the property loss (unnamed targets 1). A target labelled on
            few rows (the bond length r_dyl_A on ~1 % of them) is otherwise ~1 % of the property loss.
    """

    head: str = HeadKind.GAUSS2.value
    n_train: int | None = None
    n_test: int = 1000
    label_fraction: float = 0.25
    batch_size: int = 100
    lr: float = 1e-3
    kl_weight: float = 0.01
    lr_factor: float = 0.5
    lr_patience: int = 2
    lr_threshold: float = 1e-4
    stop_window: int = 10
    stop_delta: float = 1e-3
    max_epochs: int = 300
    seed: int = 0
    device: str = "auto"
    threads: int = 1
    progress: bool = True
    ligands_path: str = ""
    labels_paths: list[str] = field(default_factory=list)
    charge_column: str = LOPROP_CHARGE
    augment_smiles: bool = True
    tiny_factor: int = 8
    tiny_max_heavy: int = 3
    augment_workers: int = 1
    spelling_weight: float = 0.0
    init_from: str = ""  # the checkpoint a fine-tuning run took its weights, vocabulary and splits from
    label_weights: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class TrainResult:
    """Outcome of train_model."""

    path: Path
    epochs: int
    best_epoch: int
    best_loss: float
    metrics: dict[str, Any]
    history: list[dict[str, Any]]
    stop_reason: str


def resolve_device(name: str) -> torch.device:
    """"auto" -> cuda when available, else cpu."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        from gauss_core.errors import GaussError

        raise GaussError("--device cuda asked for, but PyTorch sees no CUDA GPU: use --device cpu or auto")
    return torch.device(name)


def should_stop(losses: list[float], window: int, delta: float) -> bool:
    """True when the best loss of the last `window` epochs beats the best before them by < delta."""
    if len(losses) <= window:
        return False
    return min(losses[:-window]) - min(losses[-window:]) < delta


def labels_hash(data: PreparedData) -> str:
    """Digest of the training labels the loss sees (names, mask, standardised values)."""
    h = hashlib.sha256("\n".join(data.label_names).encode())
    mask = data.train.mask.cpu().numpy()
    h.update(mask.tobytes())
    h.update(data.train.labels.cpu().numpy()[mask].tobytes())
    return h.hexdigest()[:16]


def _json_safe(obj: Any) -> Any:
    """NaN/inf -> None so the sidecar is strict JSON."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj


def _fmt(metrics: dict[str, Any], names: list[str]) -> str:
    parts = [f"recon_exact {metrics.get('recon_exact', float('nan')):.4f}",
             f"recon_token {metrics.get('recon_token', float('nan')):.4f}",
             f"kl {metrics.get('kl', float('nan')):.3f}"]
    parts += [f"R2[{n}] {metrics.get(f'r2_{n}', float('nan')):.3f}" for n in names]
    return " ".join(parts)


def build_model(data: PreparedData, head: str) -> GaussVAE:
    """The GaussVAE for a prepared data set (vocabulary size, length, head outputs)."""
    config = ModelConfig(vocab_size=data.vocab.size, max_len=data.vocab.max_len, head=head,
                         n_labels=len(data.label_names) if head != HeadKind.NONE else 0,
                         n_struct=len(data.struct_names))
    return GaussVAE(config)


def train_model(
    data: PreparedData,
    config: TrainConfig,
    out: str | Path,
    resume: bool = False,
    log: Callable[[str], None] = print,
    init_state: dict[str, torch.Tensor] | None = None,
) -> TrainResult:
    """Train (or resume training of) a GAUSS model and keep its checkpoint at `out`.

    Args:
        data: prepared splits (prepare_data); on resume they must be the checkpoint's splits.
        config: TrainConfig.
        out: checkpoint path; rewritten after every epoch. A `.log` (one line per epoch) and a `.json`
            (configs, metrics, history) are written beside it.
        resume: continue from the checkpoint at `out` (weights, optimiser, scheduler, RNG, epoch).
        log: receives one human-readable line per epoch.
        init_state: start from these weights instead of a fresh initialisation (fine-tuning a copy of
            another checkpoint; the optimiser starts afresh). Ignored on resume.
    Returns:
        TrainResult with the best epoch's held-out metrics.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    log_path, json_path = out.with_suffix(".log"), out.with_suffix(".json")
    device = resolve_device(config.device)
    if device.type == "cpu":
        torch.set_num_threads(max(1, int(config.threads)))
    torch.manual_seed(config.seed)
    model = build_model(data, config.head).to(device)
    if init_state is not None and not resume:
        # Every tensor whose name and shape match is taken; the rest (the head's output layer when the targets
        # changed, e.g. a new bond-length target) keeps its fresh initialisation, and the log says which.
        own = model.state_dict()
        usable = {k: v for k, v in init_state.items() if k in own and tuple(own[k].shape) == tuple(v.shape)}
        fresh = sorted(set(own) - set(usable))
        model.load_state_dict({**own, **usable})
        log(f"initialised from {config.init_from or 'given weights'}: {len(usable)} of {len(own)} tensors taken; "
            f"freshly initialised: {', '.join(fresh) or 'none'}")
    unknown = sorted(set(config.label_weights) - set(data.label_names))
    if unknown:
        from gauss_core.errors import GaussError

        raise GaussError(f"label weights for {unknown}: not head targets of this run ({list(data.label_names)})")
    label_weights = None if not config.label_weights else torch.tensor(
        [float(config.label_weights.get(name, 1.0)) for name in data.label_names], device=device)
    # fused=True: one kernel for the whole Adam update (0.7 ms instead of 3 ms per batch on CPU).
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, fused=True)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, mode="min", factor=config.lr_factor, patience=config.lr_patience,
        threshold=config.lr_threshold, threshold_mode="abs")
    epoch, best_epoch, best_loss = 0, 0, math.inf
    best_state: dict[str, torch.Tensor] | None = None
    best_metrics: dict[str, Any] = {}
    history: list[dict[str, Any]] = []
    stop_reason = ""
    window_start = 0  # first epoch whose loss the stopping rule and the best-epoch record compare
    current_labels_hash = labels_hash(data)
    if resume:
        saved = read_checkpoint(out)
        if saved.get("train_hash") != data.train_hash:
            from gauss_core.errors import CheckpointError

            raise CheckpointError(f"checkpoint {out} was trained on another training set: resume with its own data")
        if list(saved.get("label_names") or []) != list(data.label_names):
            from gauss_core.errors import CheckpointError

            raise CheckpointError(f"checkpoint {out} was trained on the head targets {saved.get('label_names')}, "
                                  f"the label tables now give {data.label_names}: resume with the run's own label "
                                  "files, or start a new run (--overwrite or another --out)")
        state = saved["resume"]
        model.load_state_dict(state["model_state"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["torch_rng"])
        epoch, best_epoch, best_loss = int(state["epoch"]), int(saved.get("best_epoch", 0)), float(state["best_loss"])
        best_state, best_metrics = saved["model_state"], dict(saved.get("metrics") or {})
        history = list(saved.get("history") or [])
        window_start = int(state.get("window_start", 0))
        log(f"resuming {out} after epoch {epoch} (best loss {best_loss:.5f} at epoch {best_epoch})")
        changed = _objective_changes(saved, config, current_labels_hash)
        if changed:
            # Another objective (new labels, spellings, charge column, oversampling) changes what the loss
            # measures: losses before and after are not comparable, so the best-epoch record, the stopping
            # window AND the LR scheduler's best restart here (weights and optimiser carry on). Without the
            # scheduler reset, the old lower loss halves the LR every few epochs whatever the new loss does.
            best_loss, window_start = math.inf, epoch
            scheduler.best, scheduler.num_bad_epochs = math.inf, 0
            log(f"the loss differs from the checkpoint's ({', '.join(changed)} changed; {data.n_labelled} labelled "
                f"training ligands now): the best-loss record, the stopping window and the LR schedule's best "
                f"restart after epoch {epoch}")

    train = data.train.to(device)
    test = data.test
    use_struct = train.struct.shape[1] > 0
    n = len(train)
    augmenter = DonorFirstAugmenter(train.smiles, data.vocab) if config.augment_smiles else None
    tiny = np.array([is_tiny(s, config.tiny_max_heavy) for s in train.smiles], dtype=bool)
    tiny_factor = max(1, int(config.tiny_factor))
    config_dict = config.to_dict()

    def payload(finished: bool) -> dict[str, Any]:
        return {
            "model_config": model.config.to_dict(),
            "train_config": config_dict,
            "vocab": data.vocab.to_dict(),
            "label_names": list(data.label_names),
            "label_mean": [float(x) for x in data.label_mean],
            "label_std": [float(x) for x in data.label_std],
            "struct_names": list(data.struct_names),
            "struct_mean": [float(x) for x in data.struct_mean],
            "struct_std": [float(x) for x in data.struct_std],
            "model_state": best_state if best_state is not None else cpu_state(model),
            "metrics": best_metrics,
            "history": history,
            "train_hash": data.train_hash,
            "labels_hash": current_labels_hash,
            "label_sources": dict(data.label_sources),
            "epoch": epoch,
            "best_epoch": best_epoch,
            "n_labelled": data.n_labelled,
            "splits": {
                "train_smiles": "\n".join(data.train.smiles),
                "test_smiles": "\n".join(data.test.smiles),
                "labelled_train": torch.from_numpy(np.asarray(data.labelled_train, dtype=bool)),
            },
            "resume": {
                "model_state": cpu_state(model),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "torch_rng": torch.get_rng_state(),
                "epoch": epoch,
                "best_loss": best_loss,
                "window_start": window_start,
                "finished": finished,
                "stop_reason": stop_reason,
            },
        }

    def sidecar() -> None:
        atomic_write_json(json_path, _json_safe({
            "checkpoint": str(out), "epoch": epoch, "best_epoch": best_epoch, "best_loss": best_loss,
            "metrics": best_metrics, "model_config": model.config.to_dict(), "train_config": config_dict,
            "label_names": list(data.label_names), "label_mean": list(map(float, data.label_mean)),
            "label_std": list(map(float, data.label_std)), "label_sources": dict(data.label_sources),
            "n_train": len(data.train), "n_test": len(data.test),
            "n_labelled": data.n_labelled, "train_hash": data.train_hash, "stop_reason": stop_reason,
            "history": history,
        }), indent=1, default=str)

    if not resume:
        log(f"training on {n} ligands ({data.n_labelled} labelled), testing on {len(test)}; vocabulary "
            f"{data.vocab.size} tokens, length {data.vocab.max_len}; device {device}, "
            f"{torch.get_num_threads()} thread(s); charge label {data.label_sources.get('q_donor_e', '-')}; "
            f"random donor-first spellings {'on' if augmenter else 'off'}; "
            f"{int(tiny.sum())} tiny ligands x{tiny_factor}")
    while True:
        losses = [h["loss"] for h in history if h["epoch"] > window_start]
        if should_stop(losses, config.stop_window, config.stop_delta):
            stop_reason = f"loss improved by < {config.stop_delta} over {config.stop_window} epochs"
            break
        if epoch >= config.max_epochs:
            stop_reason = f"reached max_epochs {config.max_epochs}"
            break
        model.train()
        t0 = time.perf_counter()
        epoch_seed = config.seed * 1_000_003 + epoch
        order = epoch_order(n, tiny, tiny_factor, torch.Generator().manual_seed(epoch_seed)).to(device)
        n_batches = math.ceil(len(order) / config.batch_size)
        fallbacks = 0
        if augmenter is not None:
            epoch_tokens, fallbacks = augmenter.tokens(epoch_seed, config.augment_workers)
            epoch_tokens = epoch_tokens.to(device)
        else:
            epoch_tokens = train.tokens
        sums = torch.zeros(5, dtype=torch.float64)
        bar = tqdm(total=n_batches, desc=f"epoch {epoch + 1}", unit="batch", leave=False, mininterval=2.0,
                   disable=None if config.progress else True)
        for b in range(n_batches):
            idx = order[b * config.batch_size:(b + 1) * config.batch_size]
            # The VAE reconstructs the stored spelling; this epoch's random spelling of the same molecule is
            # only encoded and pulled onto the stored spelling's latent mean. (Reconstructing the random
            # spelling, or decoding the stored one from it, cost 12-50 points of held-out reconstruction on
            # the GPU runs of 2026-12-04, checkpoints/README.md.)
            # spelling_weight 0 (default until a model trained with the pull is shipped): the session-7 recipe,
            # the VAE reconstructs the random spelling itself.
            pull = augmenter is not None and config.spelling_weight > 0
            stored = train.tokens[idx] if pull else epoch_tokens[idx]
            outp = model(stored, train.struct[idx] if use_struct else None)
            terms = gauss_loss(outp.logits, stored, outp.mu, outp.logvar, outp.properties,
                               train.labels[idx], train.mask[idx], config.kl_weight, label_weights)
            total, spelling = terms.total, torch.zeros(())
            if pull:
                spelling = spelling_invariance_loss(model.encode(epoch_tokens[idx])[0], outp.mu)
                total = total + config.spelling_weight * spelling
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            optimizer.step()
            w = len(idx)
            sums += torch.tensor([total.item() * w, terms.recon.item() * w, terms.kl.item() * w,
                                  terms.prop.item() * w, spelling.item() * w], dtype=torch.float64)
            bar.update(1)
            if b % 50 == 0:
                bar.set_postfix(loss=f"{terms.total.item():.4f}")
        bar.close()
        train_time = time.perf_counter() - t0
        epoch += 1
        mean = (sums / len(order)).tolist()
        metrics = evaluate(model, test, data.vocab, data.label_names, config.kl_weight)
        scheduler.step(mean[0])
        lr = optimizer.param_groups[0]["lr"]
        if mean[0] < best_loss:
            best_loss, best_epoch = mean[0], epoch
            best_state, best_metrics = cpu_state(model), dict(metrics, epoch=epoch)
        history.append({"epoch": epoch, "loss": mean[0], "recon": mean[1], "kl": mean[2], "prop": mean[3],
                        "spelling": mean[4], "lr": lr, "train_s": train_time, "spelling_fallbacks": fallbacks,
                        "test": metrics})
        line = (f"epoch {epoch:3d} loss {mean[0]:.5f} (recon {mean[1]:.5f} kl {mean[2]:.4f} prop {mean[3]:.5f} "
                f"spelling {mean[4]:.4f}) "
                f"lr {lr:.2e} {train_time:.0f}s fallbacks {fallbacks} | test {_fmt(metrics, data.label_names)}")
        log(line)
        with open(log_path, "a") as fh:
            fh.write(line + "\n")
        save_checkpoint(out, payload(finished=False))
        sidecar()
    save_checkpoint(out, payload(finished=True))
    sidecar()
    log(f"stopped: {stop_reason}; best epoch {best_epoch} (loss {best_loss:.5f}) | "
        f"test {_fmt(best_metrics, data.label_names)}")
    return TrainResult(path=out, epochs=epoch, best_epoch=best_epoch, best_loss=best_loss, metrics=best_metrics,
                       history=history, stop_reason=stop_reason)


def train_from_files(
    ligands_path: str | Path,
    out: str | Path,
    labels_paths: list[str | Path] | tuple = (),
    config: TrainConfig | None = None,
    log: Callable[[str], None] = print,
) -> TrainResult:
    """Read a ligand file (+ label tables), prepare splits and train a new model into `out`.

    Args:
        ligands_path: ligand set CSV(.gz) (read_ligands).
        out: checkpoint path to write (overwritten).
        labels_paths: label tables keyed by smiles (read_label_tables).
        config: TrainConfig (defaults: the paper's settings); its path fields are filled in here.
    """
    from gauss_core.train.data import prepare_data, read_label_tables, read_ligands

    config = replace(config or TrainConfig(), ligands_path=str(ligands_path),
                     labels_paths=[str(p) for p in labels_paths])
    data = prepare_data(read_ligands(ligands_path), read_label_tables(list(labels_paths)), head=config.head,
                        n_train=config.n_train, n_test=config.n_test, label_fraction=config.label_fraction,
                        seed=config.seed, charge_column=config.charge_column)
    return train_model(data, config, out, resume=False, log=log)


# How a checkpoint written before these settings existed was trained (raw charge, stored spelling, no repeats).
_OBJECTIVE_BEFORE_ISSUE13: dict[str, Any] = {"charge_column": "q_donor_e", "augment_smiles": False, "tiny_factor": 1,
                                             "spelling_weight": 0.0}


def _objective_changes(saved: dict[str, Any], config: TrainConfig, current_labels_hash: str) -> list[str]:
    """Names of what makes this run's loss differ from the saved run's (empty: an ordinary resume)."""
    changed = ["labels"] if saved.get("labels_hash") != current_labels_hash else []
    saved_config = saved.get("train_config") or {}
    now = config.to_dict()
    changed += [key for key, before in _OBJECTIVE_BEFORE_ISSUE13.items()
                if saved_config.get(key, before) != now[key]]
    return changed
