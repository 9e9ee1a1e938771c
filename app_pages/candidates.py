"""Candidates: triage this session's sampled ligands (structure alerts, synthetic accessibility, the latent
surrogate's first KD gap with its uncertainty, 2-D depictions), filter and sort them, and send a selection to
the Complexes page or the CASSCF queue."""

import pandas as pd
import streamlit as st

from gauss_core import columns as C
from gauss_core.depict import svg_data_uri
from gauss_core.sampling.triage import ALERTS, N_ALERTS, SA_SCORE
from gauss_app import results_flow, state, triage_view
from gauss_app.queueing import queue_casscf

MAX_ROWS = 300  # depictions are drawn for the rows shown only
CLASS_NAMES = {1: "1 neutral O", 2: "2 neutral N", 3: "3 anionic O", 4: "4 anionic N", 0: "invalid"}

st.title("Candidates")
state.init()
results_flow.announce_new()

samples = state.samples()
if samples.empty:
    st.info("No sampled candidates yet: run sampling on the **Sampling** page.")
    st.stop()

smiles = list(dict.fromkeys(samples[C.SMILES].astype(str)))
table, no_surrogate = triage_view.triage(smiles)
if no_surrogate:
    st.caption(f"No surrogate KD column: {no_surrogate}")
gap, std = C.SURROGATE_GAP_COLUMNS[0], C.SURROGATE_STD_COLUMNS[0]
has_gap = gap in table

f1, f2, f3, f4 = st.columns([3, 2, 2, 2])
classes = f1.multiselect("Ligand classes", [1, 2, 3, 4], default=[1, 2, 3, 4], format_func=CLASS_NAMES.get,
                         key="tr_classes")
hide_alerts = f2.toggle("Hide structure alerts", value=True, key="tr_hide_alerts",
                        help="Peroxides, antiaromatic rings, radicals, strained 3-/4-rings, reactive N-N/N-O "
                             "single bonds (gauss_core.sampling.triage).")
max_sa = f3.slider("Max SA score", 1.0, 10.0, 6.0, 0.5, key="tr_max_sa",
                   help="Synthetic accessibility (Ertl & Schuffenhauer 2009): 1 easy, 10 hard.")
sort_options = (["surrogate first gap (high first)"] if has_gap else []) + ["SA score (easy first)", "sampled order"]
sort_by = f4.selectbox("Sort by", sort_options, key="tr_sort")

view = table[table[C.IS_VALID] & table[C.LIGAND_CLASS].isin(classes) & (table[SA_SCORE] <= max_sa)]
if hide_alerts:
    view = view[view[N_ALERTS] == 0]
if sort_by.startswith("surrogate"):
    view = view.sort_values(gap, ascending=False, na_position="last")
elif sort_by.startswith("SA"):
    view = view.sort_values(SA_SCORE)
hidden = len(table) - len(view)
view = view.head(MAX_ROWS).reset_index(drop=True)

shown = pd.DataFrame({"structure": [svg_data_uri(s, 120, 80) for s in view[C.SMILES]],
                      C.SMILES: view[C.SMILES],
                      "class": view[C.LIGAND_CLASS].map(CLASS_NAMES),
                      "first gap (surrogate)": triage_view.first_gap_text(view).to_numpy(),
                      SA_SCORE: view[SA_SCORE].round(2),
                      ALERTS: view[ALERTS]})
st.caption(f"{len(table):,} distinct sampled ligands; {len(view):,} shown"
           + (f" (first {MAX_ROWS})" if len(view) == MAX_ROWS else "") + f", {hidden:,} filtered out. "
           "First gap: the latent KD surrogate's mean ± 1σ in cm⁻¹, an estimate from CASSCF results, never "
           "CASSCF itself. Select rows to send them on.")
event = st.dataframe(shown, hide_index=True, width="stretch", row_height=70, key="tr_table",
                     on_select="rerun", selection_mode="multi-row",
                     column_config={"structure": st.column_config.ImageColumn("structure", width="small")})
rows = list(event.selection.rows) if event is not None else []
picked = [view[C.SMILES].iloc[i] for i in rows if i < len(view)]

b1, b2, b3 = st.columns([2, 2, 3])
if b1.button(f"Assemble {len(picked)} on the Complexes page", disabled=not picked, key="tr_to_complexes"):
    st.session_state[state.SENT_TO_COMPLEXES] = picked
    st.switch_page("app_pages/complexes.py")
if b2.button(f"Queue CASSCF for {len(picked)}", disabled=not picked, key="tr_queue"):
    queue_casscf(picked)
if b3.button(f"Add {len(picked)} to the seed basket", disabled=not picked, key="tr_seed"):
    n = state.add_seeds(picked, "candidates")
    st.success(f"{n} new seed(s) in the basket.")
if has_gap and len(view):
    with st.expander("Surrogate first gap against synthetic accessibility", expanded=False):
        st.scatter_chart(view.assign(**{"first gap (cm-1)": view[gap]}), x=SA_SCORE, y="first gap (cm-1)",
                         height=320)
