"""The Suggest panel: rank the ligand set and this session's samples for the next CASSCF jobs with the latent
KD surrogate (expected improvement, or probability of the target bin), then queue the batch in one click."""

from __future__ import annotations

import numpy as np
import streamlit as st

from gauss_core import columns as C
from gauss_core.errors import GaussError
from gauss_app import state
from gauss_app.queueing import queue_casscf

RESULT = "_suggested"


def _candidates(lmap, map_classes: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Latents, classes and SMILES of the ligand set plus this session's sampled ligands."""
    from gauss_core.surrogate import classes_of

    z, cls, smiles = lmap.z, map_classes, list(lmap.smiles)
    samples, sample_z = state.samples(), st.session_state.get(state.SAMPLE_Z)
    if not samples.empty and sample_z is not None and len(sample_z) == len(samples):
        s_smiles = samples[C.SMILES].astype(str).tolist()
        z = np.concatenate([z, sample_z.astype(z.dtype)])
        cls = np.concatenate([cls, classes_of(s_smiles)])
        smiles += s_smiles
    return z, cls, smiles


def panel(lmap, surrogate, map_classes: np.ndarray, bins) -> None:
    """Draw the panel (target bin or maximise, batch size, Suggest, Queue)."""
    from gauss_core.surrogate.suggest import SuggestConfig, suggest_batch

    st.subheader("Suggest the next CASSCF jobs")
    if surrogate.cv is not None:
        st.caption(f"Latent KD surrogate from {surrogate.n_train} CASSCF results; {surrogate.cv.summary()}. "
                   "Its predictions are estimates, never CASSCF.")
    targets = ["maximise the first gap"] + (bins.labels() if bins is not None else [])
    c1, c2, c3 = st.columns([3, 1, 1])
    target = c1.selectbox("Aim", targets, key="sg_target",
                          help="Maximise: expected improvement over the best CASSCF first gap. A bin: probability "
                               "that the first gap lies in it.")
    n = int(c2.number_input("Batch size", min_value=1, max_value=50, value=5, key="sg_n"))
    if c3.button("Suggest", type="primary", key="sg_go"):
        edges = None
        if target != targets[0]:
            k = targets.index(target)
            edges = (float(bins.edges[k - 1]), float(bins.edges[k]))
        z, cls, smiles = _candidates(lmap, map_classes)
        try:
            with st.spinner("Ranking candidates ..."):
                st.session_state[RESULT] = suggest_batch(surrogate, z, cls, smiles,
                                                         SuggestConfig(n=n, target_bin=edges))
        except GaussError as exc:
            st.error(f"No suggestion: {exc}")
    picks = st.session_state.get(RESULT)
    if picks is None or picks.empty:
        return
    show = picks.drop(columns=["row"], errors="ignore")
    st.dataframe(show.round(2), hide_index=True, width="stretch", key="sg_table")
    if st.button(f"Queue these {len(picks)} CASSCF jobs", key="sg_queue"):
        queue_casscf(picks[C.SMILES])
