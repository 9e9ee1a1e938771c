"""The user's picks, kept in st.session_state so they survive page switches: the seed basket, the sampled
candidates (with their latent samples), assembled complexes, the last sigma sweep."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import streamlit as st

from gauss_core import columns as C

BASKET = "seed_basket"          # list[dict(smiles, source)]
SAMPLES = "samples"             # DataFrame of candidates (sampling CANDIDATE_COLUMNS + pred_* + pc1/pc2)
SAMPLE_Z = "sample_latents"     # np.ndarray aligned with SAMPLES
COMPLEXES = "complexes"         # dict smiles -> dict(complex, error, estimate, descriptors)
SWEEP = "sweep"                 # DataFrame from gauss_core.sampling.sigma_sweep
LAST_RUN = "last_run"           # dict(counters, status) of the last sampling run
SENT_TO_COMPLEXES = "sent_to_complexes"  # SMILES the Candidates page sent to the Complexes page (one-shot)
MAX_SEEDS_PER_SELECTION = 25


def init() -> None:
    """Create every key once per browser session."""
    defaults = {BASKET: [], SAMPLES: pd.DataFrame(), SAMPLE_Z: np.zeros((0, 0), dtype=np.float32),
                COMPLEXES: {}, SWEEP: None, LAST_RUN: None}
    for key, value in defaults.items():
        if key not in st.session_state:
            st.session_state[key] = value


def basket() -> list[dict]:
    init()
    return st.session_state[BASKET]


def basket_smiles() -> list[str]:
    return [b["smiles"] for b in basket()]


def add_seeds(smiles: Iterable[str], source: str) -> int:
    """Add seeds not yet in the basket; returns how many were new."""
    have = set(basket_smiles())
    added = 0
    for smi in smiles:
        if smi not in have:
            st.session_state[BASKET].append({"smiles": smi, "source": source})
            have.add(smi)
            added += 1
    return added


def remove_seeds(smiles: Iterable[str]) -> None:
    drop = set(smiles)
    st.session_state[BASKET] = [b for b in basket() if b["smiles"] not in drop]


def samples() -> pd.DataFrame:
    init()
    return st.session_state[SAMPLES]


def append_samples(rows: pd.DataFrame, latents: np.ndarray, coords: np.ndarray | None) -> None:
    """Append a batch of new candidates (and their z') to the session's table."""
    if rows.empty:
        return
    rows = rows.copy()
    if coords is not None and len(coords):
        rows["pc1"], rows["pc2"] = coords[:, 0], coords[:, 1]
    old = samples()
    st.session_state[SAMPLES] = rows if old.empty else pd.concat([old, rows], ignore_index=True)
    old_z = st.session_state[SAMPLE_Z]
    st.session_state[SAMPLE_Z] = latents if old_z.size == 0 else np.concatenate([old_z, latents])


def set_times_generated(first_row: int, counts: dict[str, int]) -> None:
    """Fill `times_generated` of the rows a run added (from its tracker's per-molecule counts)."""
    df = samples()
    if df.empty or first_row >= len(df):
        return
    if C.TIMES_GENERATED not in df.columns:
        df[C.TIMES_GENERATED] = pd.NA
    rows = df.index[first_row:]
    df.loc[rows, C.TIMES_GENERATED] = [counts.get(c, 0) for c in df.loc[rows, C.CANONICAL]]


def clear_samples() -> None:
    st.session_state[SAMPLES] = pd.DataFrame()
    st.session_state[SAMPLE_Z] = np.zeros((0, 0), dtype=np.float32)


def candidate_smiles(novel_only: bool = True) -> list[str]:
    """SMILES of sampled candidates (novel ones by default), then basket seeds, without repeats."""
    df = samples()
    out: list[str] = []
    if not df.empty:
        sel = df[df[C.IS_NOVEL]] if novel_only and C.IS_NOVEL in df else df
        out.extend(sel[C.SMILES].tolist())
    out.extend(basket_smiles())
    return list(dict.fromkeys(out))


def complexes() -> dict:
    init()
    return st.session_state[COMPLEXES]
