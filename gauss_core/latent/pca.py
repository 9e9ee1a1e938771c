"""2-D PCA (scikit-learn) of the latent means of a ligand set, cached on disk per checkpoint and set.

Encoding ~100k ligands takes a while on a CPU, so the map (latent means, PCA coordinates, the fitted
projection and the model's predicted proxies) is saved once to GAUSS_HOME/cache/latent_map_<ckpt>_<set>.npz,
keyed by the SHA-256 of the checkpoint file and of the SMILES list; a new checkpoint or set gives a new file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from gauss_core.errors import DataFormatError
from gauss_core.paths import gauss_home, writable_dir

CACHE_VERSION = 1


@dataclass
class LatentMap:
    """Latent means of a ligand set and their 2-D PCA projection.

    Attributes:
        smiles: (n,) donor-first SMILES that were encoded (rows that failed to encode are left out).
        z: (n, d) latent means, float32.
        coords: (n, 2) PCA coordinates (PC1, PC2).
        mean, components: the fitted projection (coords = (z - mean) @ components.T).
        explained_variance_ratio: (2,) share of latent variance along PC1, PC2.
        predictions: (n, labels) the model's de-standardised predicted proxies (provenance gauss2-prediction).
        checkpoint_hash, set_hash: the cache key.
        skipped: number of input SMILES the model could not encode.
    """

    smiles: np.ndarray
    z: np.ndarray
    coords: np.ndarray
    mean: np.ndarray
    components: np.ndarray
    explained_variance_ratio: np.ndarray
    predictions: pd.DataFrame
    checkpoint_hash: str
    set_hash: str
    skipped: int = 0

    def project(self, z: np.ndarray) -> np.ndarray:
        """PCA coordinates (m, 2) of new latent vectors (seeds, samples) on this map."""
        z = np.asarray(z, dtype=np.float32).reshape(-1, self.mean.shape[0])
        return (z - self.mean) @ self.components.T

    def __len__(self) -> int:
        return len(self.smiles)


def file_hash(path: str | Path) -> str:
    """First 16 hex digits of the SHA-256 of a file (the checkpoint part of the cache key)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def smiles_hash(smiles: Sequence[str]) -> str:
    """First 16 hex digits of the SHA-256 of the newline-joined SMILES (the set part of the cache key)."""
    return hashlib.sha256("\n".join(smiles).encode()).hexdigest()[:16]


def fit_pca(z: np.ndarray, random_state: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fit a 2-component PCA. Returns (coords, mean, components, explained_variance_ratio)."""
    pca = PCA(n_components=2, random_state=random_state)
    coords = pca.fit_transform(np.asarray(z, dtype=np.float64))
    return (coords.astype(np.float32), pca.mean_.astype(np.float32), pca.components_.astype(np.float32),
            pca.explained_variance_ratio_.astype(np.float32))


def build_latent_map(loaded, smiles: Sequence[str], chunk: int = 4096,
                     progress: Callable[[int, int], None] | None = None) -> LatentMap:
    """Encode `smiles` with a LoadedModel, fit the PCA and predict proxies.

    Args:
        loaded: LoadedModel (gauss_core.model.checkpoint.load_checkpoint).
        smiles: donor-first SMILES of the ligand set.
        chunk: SMILES per encoder call.
        progress: called with (done, total) after each chunk.
    """
    from gauss_core.latent import encode_smiles_checked, predict_proxies

    smiles = [str(s) for s in smiles]
    kept: list[str] = []
    zs: list[np.ndarray] = []
    for start in range(0, len(smiles), chunk):
        part = smiles[start:start + chunk]
        # Ligand sets are RDKit-checked when built; here only the vocabulary and length are checked.
        z, errors = encode_smiles_checked(loaded, part, check_chemistry=False)
        z = np.asarray(z, dtype=np.float32)
        ok = [i for i, err in enumerate(errors) if not err]
        kept.extend(part[i] for i in ok)
        zs.append(z[ok])
        if progress is not None:
            progress(min(start + chunk, len(smiles)), len(smiles))
    if len(kept) < 3:
        from gauss_core.errors import GaussError

        raise GaussError(f"only {len(kept)} of {len(smiles)} ligands could be encoded by this model; "
                         "a latent map needs at least 3 (check that the checkpoint matches the ligand set)")
    z_all = np.concatenate(zs)
    coords, mean, components, evr = fit_pca(z_all)
    predictions = predict_proxies(loaded, z_all).reset_index(drop=True)
    return LatentMap(smiles=np.asarray(kept, dtype=object), z=z_all, coords=coords, mean=mean,
                     components=components, explained_variance_ratio=evr, predictions=predictions,
                     checkpoint_hash=file_hash(loaded.path), set_hash=smiles_hash(smiles),
                     skipped=len(smiles) - len(kept))


def cache_path(checkpoint_hash: str, set_hash: str, cache_dir: Path | None = None) -> Path:
    """Where the map of one (checkpoint, set) pair is cached."""
    cache_dir = Path(cache_dir) if cache_dir else gauss_home() / "cache"
    return cache_dir / f"latent_map_v{CACHE_VERSION}_{checkpoint_hash}_{set_hash}.npz"


def save_latent_map(lmap: LatentMap, path: Path) -> None:
    """Write atomically (temp file + rename), so a crash never leaves a half-written cache."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, smiles=np.asarray(lmap.smiles, dtype=str), z=lmap.z, coords=lmap.coords, mean=lmap.mean,
                     components=lmap.components, evr=lmap.explained_variance_ratio,
                     pred=lmap.predictions.to_numpy(dtype=np.float32),
                     pred_names=np.asarray(list(lmap.predictions.columns), dtype=str),
                     key=np.asarray([lmap.checkpoint_hash, lmap.set_hash]), skipped=np.asarray(lmap.skipped))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_latent_map(path: Path) -> LatentMap:
    """Read a cached map written by `save_latent_map`.

    Raises:
        FileNotFoundError: no file at `path`.
        DataFormatError: the file is not a complete map (e.g. truncated by a crash).
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            key = [str(k) for k in data["key"]]
            return LatentMap(smiles=data["smiles"].astype(object), z=data["z"], coords=data["coords"],
                             mean=data["mean"], components=data["components"],
                             explained_variance_ratio=data["evr"],
                             predictions=pd.DataFrame(data["pred"], columns=[str(c) for c in data["pred_names"]]),
                             checkpoint_hash=key[0], set_hash=key[1], skipped=int(data["skipped"]))
    except FileNotFoundError:
        raise
    except (OSError, ValueError, KeyError, IndexError, EOFError, zipfile.BadZipFile) as exc:
        raise DataFormatError(f"latent-map cache {path} is unreadable ({type(exc).__name__}: {exc}); "
                              "delete it and the map is rebuilt") from exc


def load_or_build_latent_map(loaded, smiles: Sequence[str], cache_dir: Path | None = None,
                             progress: Callable[[int, int], None] | None = None) -> LatentMap:
    """The cached map for (checkpoint, set) if present and readable, else build and cache it."""
    smiles = [str(s) for s in smiles]
    path = cache_path(file_hash(loaded.path), smiles_hash(smiles), cache_dir)
    if path.exists():
        try:
            return load_latent_map(path)
        except DataFormatError:
            pass  # unreadable cache (e.g. truncated by a crash): rebuild below
    writable_dir(path.parent, "latent-map cache folder")  # before the encoding, not after it
    lmap = build_latent_map(loaded, smiles, progress=progress)
    save_latent_map(lmap, path)
    return lmap
