"""Checkpoint I/O: ONE file (torch.save zip) holding everything needed to use or resume a model.

Contents (a dict of plain Python types and tensors, readable with torch.load(weights_only=True)):
    format, format_version        identify the file; a newer major version is refused
    model_config                  ModelConfig.to_dict()
    train_config                  TrainConfig as a dict (kept opaque here: model/ does not know train/)
    vocab                         Vocabulary.to_dict()
    label_names, label_mean, label_std        head targets and their standardisation
    label_sources                 label name -> column/method that trained it (absent in older files)
    struct_names, struct_mean, struct_std     GAUSS-I structural inputs (empty for GAUSS-II)
    model_state, weights_sha256   the BEST weights (lowest training loss) and their checksum
    metrics, history              held-out metrics of the best weights; per-epoch log
    train_hash                    sha256 of the sorted training SMILES
    splits                        train/test SMILES (newline-joined) and the labelled-row flags
    resume                        last-epoch weights, optimiser, scheduler, RNG, early-stop state

Writes are atomic (temporary file in the same directory, fsync, os.replace), so a crash mid-write
never destroys the previous checkpoint.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gauss_core.atomic import atomic_path
from gauss_core.errors import CheckpointError
from gauss_core.model.vae import GaussVAE, ModelConfig
from gauss_core.tokens import Vocabulary

FORMAT = "gauss-checkpoint"
FORMAT_VERSION = 1


@dataclass
class LoadedModel:
    """A model ready for inference plus everything the checkpoint says about it.

    Attributes:
        model: GaussVAE in eval mode on `device`.
        vocab: the tokeniser's vocabulary (index 0 = pad).
        config: the ModelConfig.
        label_names: head outputs, in order (e.g. donor_Z, q_donor_e, mu_donor_au, alpha_donor_au3).
        label_mean, label_std: (K,) arrays to de-standardise head outputs.
        metrics: held-out metrics (recon_exact, recon_token, kl, r2_<label>, n_test, ...).
        train_hash: sha256 of the sorted training SMILES.
        path: the file it came from.
        label_sources: label name -> the column and method that trained it (e.g. r_dyl_A -> xtb-gfn2-axial);
            empty for checkpoints written before it was recorded.
    """

    model: GaussVAE
    vocab: Vocabulary
    config: ModelConfig
    label_names: list[str]
    label_mean: np.ndarray
    label_std: np.ndarray
    metrics: dict[str, Any]
    train_hash: str
    path: Path
    train_config: dict[str, Any] = field(default_factory=dict)
    struct_names: list[str] = field(default_factory=list)
    struct_mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    struct_std: np.ndarray = field(default_factory=lambda: np.ones(0))
    history: list[dict[str, Any]] = field(default_factory=list)
    epoch: int = 0
    n_labelled: int = 0           # training ligands with proxy labels (the head's semi-supervised share)
    label_sources: dict[str, str] = field(default_factory=dict)
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    _splits: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def train_smiles(self) -> list[str]:
        """Training-set SMILES (the reference set for novelty)."""
        text = self._splits.get("train_smiles", "")
        return text.split("\n") if text else []

    @property
    def test_smiles(self) -> list[str]:
        """The fixed held-out SMILES the metrics were measured on."""
        text = self._splits.get("test_smiles", "")
        return text.split("\n") if text else []


def weights_digest(state: dict[str, torch.Tensor]) -> str:
    """sha256 over the tensors of a state dict (sorted keys), to detect silently corrupted weights."""
    h = hashlib.sha256()
    for key in sorted(state):
        tensor = state[key].detach().to("cpu").contiguous()
        h.update(key.encode())
        h.update(tensor.numpy().tobytes() if tensor.dtype != torch.bfloat16 else tensor.float().numpy().tobytes())
    return h.hexdigest()


def smiles_hash(smiles: list[str]) -> str:
    """sha256 of the sorted, newline-joined SMILES: identifies a training set."""
    return hashlib.sha256("\n".join(sorted(smiles)).encode()).hexdigest()


def cpu_state(module_or_state: torch.nn.Module | dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A detached CPU copy of a state dict (safe to keep while training goes on)."""
    state = module_or_state.state_dict() if isinstance(module_or_state, torch.nn.Module) else module_or_state
    return {k: v.detach().to("cpu").clone() for k, v in state.items()}


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> Path:
    """Write a checkpoint dict atomically (see module docstring for the keys).

    `payload["model_state"]` must be present; format keys and the weights checksum are added here.
    Returns the final path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = dict(payload)
    data["format"] = FORMAT
    data["format_version"] = FORMAT_VERSION
    data["weights_sha256"] = weights_digest(data["model_state"])
    with atomic_path(path) as tmp:
        torch.save(data, tmp)
    return path


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """The raw checkpoint dict, checked for format and integrity.

    Raises:
        CheckpointError: missing, unreadable (corrupt or truncated), not a GAUSS checkpoint, written by
            an incompatible version, or weights that fail their checksum.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(
            f"no checkpoint at {path}: train one with `gauss train --out {path}` or pick an existing file"
        )
    if path.is_dir():
        raise CheckpointError(f"{path} is a directory, not a checkpoint file: pass the .pt file inside it")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # zip errors, unpickling errors, EOF: all mean the file is damaged
        raise CheckpointError(
            f"checkpoint {path} is corrupt or truncated ({type(exc).__name__}: {str(exc)[:160]}); "
            "re-copy the file or retrain with `gauss train`"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is not a GAUSS Studio checkpoint (no '{FORMAT}' marker); "
            "use a file written by `gauss train`"
        )
    version = data.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint {path} has format version {version!r}, this GAUSS Studio reads up to "
            f"{FORMAT_VERSION}: upgrade GAUSS Studio or retrain the model"
        )
    missing = [k for k in ("model_config", "vocab", "model_state", "label_names", "label_mean", "label_std")
               if k not in data]
    if missing:
        raise CheckpointError(f"checkpoint {path} is incomplete (missing {', '.join(missing)}): retrain the model")
    digest = data.get("weights_sha256")
    if digest is not None and digest != weights_digest(data["model_state"]):
        raise CheckpointError(
            f"checkpoint {path} is corrupt: its weights do not match their stored checksum; re-copy or retrain"
        )
    return data


def model_from_checkpoint_data(data: dict[str, Any], path: Path, device: torch.device) -> GaussVAE:
    """Build the GaussVAE the checkpoint describes and load its best weights."""
    try:
        config = ModelConfig.from_dict(data["model_config"])
        vocab = Vocabulary.from_dict(data["vocab"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {path} has an incompatible configuration ({exc}): "
                              "retrain the model") from None
    if vocab.size != config.vocab_size or vocab.max_len != config.max_len:
        raise CheckpointError(
            f"checkpoint {path} is inconsistent: vocabulary has {vocab.size} tokens / length {vocab.max_len} "
            f"but the model expects {config.vocab_size} / {config.max_len}; retrain the model"
        )
    model = GaussVAE(config)
    try:
        model.load_state_dict(data["model_state"], strict=True)
    except RuntimeError as exc:
        raise CheckpointError(
            f"checkpoint {path} does not fit this model architecture ({str(exc).splitlines()[0][:200]}); "
            "it was written by another version: retrain the model"
        ) from None
    return model.to(device).eval()


def load_checkpoint(path: str | Path, device: str | torch.device | None = None) -> LoadedModel:
    """Load a checkpoint for inference.

    Args:
        path: the .pt file written by `gauss train`.
        device: "cpu" (default), "cuda", or a torch.device.
    Returns:
        LoadedModel with the best weights in eval mode.
    Raises:
        CheckpointError: missing, corrupt, truncated or incompatible file (the message says what to do).
    """
    path = Path(path)
    dev = torch.device(device) if device is not None else torch.device("cpu")
    data = read_checkpoint(path)
    model = model_from_checkpoint_data(data, path, dev)
    try:
        label_names = [str(n) for n in data["label_names"]]
        label_mean = np.asarray(data["label_mean"], dtype=np.float64).reshape(-1)
        label_std = np.asarray(data["label_std"], dtype=np.float64).reshape(-1)
        if not (len(label_names) == len(label_mean) == len(label_std)):
            raise ValueError("label names and standardisation differ in length")
        if model.head is not None and len(label_names) != model.config.n_labels:
            raise ValueError(f"{len(label_names)} label names for a head with {model.config.n_labels} outputs")
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {path} has inconsistent label data ({exc}): retrain the model") from None
    return LoadedModel(
        model=model,
        vocab=Vocabulary.from_dict(data["vocab"]),
        config=model.config,
        label_names=label_names,
        label_mean=label_mean,
        label_std=label_std,
        metrics=dict(data.get("metrics") or {}),
        train_hash=str(data.get("train_hash", "")),
        path=path,
        train_config=dict(data.get("train_config") or {}),
        struct_names=[str(n) for n in data.get("struct_names", [])],
        struct_mean=np.asarray(data.get("struct_mean", []), dtype=np.float64).reshape(-1),
        struct_std=np.asarray(data.get("struct_std", []), dtype=np.float64).reshape(-1),
        history=list(data.get("history") or []),
        epoch=int(data.get("epoch", 0)),
        n_labelled=int(data.get("n_labelled", 0) or 0),
        label_sources={str(k): str(v) for k, v in dict(data.get("label_sources") or {}).items()},
        device=dev,
        _splits=dict(data.get("splits") or {}),
    )


def export_for_inference(src: str | Path, dst: str | Path) -> Path:
    """Copy a training checkpoint without its resume state (optimiser, last-epoch weights, RNG).

    The result is about a third of the size and holds everything load_checkpoint and the dashboard
    use (best weights, vocabulary, configs, label standardisation, metrics, history, splits). It can
    no longer be resumed.

    Raises:
        CheckpointError: src is missing, corrupt or incompatible.
    """
    data = read_checkpoint(src)
    data.pop("resume", None)
    model_from_checkpoint_data(data, Path(src), torch.device("cpu"))  # refuse to export a broken file
    return save_checkpoint(dst, data)
