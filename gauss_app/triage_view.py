"""Triage of this session's sampled candidates for the Candidates page: the library's triage table (alerts,
SA score, latent-surrogate first gap with its uncertainty), cached per set of SMILES and surrogate fit."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from gauss_core import columns as C
from gauss_core.sampling.triage import triage_table
from gauss_app import resources


@st.cache_data(show_spinner="Triaging the candidates ...", max_entries=4)
def _triage(smiles: tuple[str, ...], surrogate_key: str, _surrogate, _loaded) -> pd.DataFrame:
    return triage_table(list(smiles), surrogate=_surrogate, loaded=_loaded)


def triage(smiles: list[str]) -> tuple[pd.DataFrame, str | None]:
    """(triage table in input order, why the surrogate columns are missing or None)."""
    surrogate, why = resources.kd_surrogate()
    loaded, _ = resources.model()
    if surrogate is None or loaded is None:
        return _triage(tuple(smiles), "", None, None), (why.reason if why is not None else "no model")
    key = surrogate.data_hash + surrogate.checkpoint_hash
    return _triage(tuple(smiles), key, surrogate, loaded), None


def first_gap_text(table: pd.DataFrame) -> pd.Series:
    """'412 ± 38' per row from the surrogate's first-gap mean and std ('' without a surrogate)."""
    mean, std = C.SURROGATE_GAP_COLUMNS[0], C.SURROGATE_STD_COLUMNS[0]
    if mean not in table:
        return pd.Series([""] * len(table), index=table.index)
    return pd.Series([f"{m:.0f} ± {s:.0f}" if pd.notna(m) else "" for m, s in zip(table[mean], table[std],
                                                                                  strict=True)], index=table.index)
