"""Fit once per (training rows, checkpoint, config): an in-process memo plus a pickle in GAUSS_HOME/cache.

A new CASSCF result changes the rows hash, so the next call refits (seconds on ~100-1000 results).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pandas as pd

from gauss_core.atomic import atomic_write_bytes
from gauss_core.paths import gauss_home
from gauss_core.surrogate.features import casscf_training_rows, rows_hash
from gauss_core.surrogate.gp import SurrogateConfig
from gauss_core.surrogate.model import KDSurrogate, fit_kd_surrogate

CACHE_VERSION = 1
_MEMO: dict[str, KDSurrogate] = {}
MEMO_ENTRIES = 8   # a long-lived dashboard sees a new key per finished CASSCF job: keep the latest few


def cache_key(checkpoint_hash: str, kd_rows: pd.DataFrame, config: SurrogateConfig) -> str:
    """Checkpoint hash + hash of the CASSCF training rows + config: any change gives a new key."""
    return f"v{CACHE_VERSION}_{checkpoint_hash}_{rows_hash(casscf_training_rows(kd_rows))}_{config.key()}"


def load_or_fit_kd_surrogate(loaded, kd_rows: pd.DataFrame, config: SurrogateConfig | None = None,
                             cache_dir: Path | None = None) -> KDSurrogate:
    """The cached surrogate for these rows and this checkpoint, else fit_kd_surrogate() and cache it.

    Args:
        loaded: LoadedModel; kd_rows: gauss_core.jobs.all_kd_results(store); config: SurrogateConfig.
        cache_dir: default GAUSS_HOME/cache.
    """
    from gauss_core.latent.pca import file_hash

    config = config or SurrogateConfig()

    ckpt = file_hash(loaded.path)
    key = cache_key(ckpt, kd_rows, config)
    if key in _MEMO:
        return _MEMO[key]
    path = (Path(cache_dir) if cache_dir else gauss_home() / "cache") / f"surrogate_{key}.pkl"
    surrogate = None
    if path.exists():
        try:
            with path.open("rb") as fh:
                surrogate = pickle.load(fh)  # our own cache file, written below
        except Exception:  # truncated / from another scikit-learn version: refit
            surrogate = None
    if not isinstance(surrogate, KDSurrogate):
        surrogate = fit_kd_surrogate(loaded, kd_rows, config, checkpoint_hash=ckpt)
        atomic_write_bytes(path, pickle.dumps(surrogate))
    while len(_MEMO) >= MEMO_ENTRIES:
        _MEMO.pop(next(iter(_MEMO)))
    _MEMO[key] = surrogate
    return surrogate
