"""Export: candidate CSV with documented columns, SDF of the assembled complexes."""

import pandas as pd
import streamlit as st

from gauss_core import columns as C
from gauss_core.errors import GaussError
from gauss_core.export import COLUMN_DOCS, build_candidate_table, candidates_csv, complexes_sdf
from gauss_app import resources, state

st.title("Export")
state.init()

samples = state.samples()
seeds = pd.DataFrame({C.SMILES: state.basket_smiles()})
novel_only = st.toggle("Only novel sampled candidates", value=False, key="ex_novel")
rows = samples[samples[C.IS_NOVEL].astype(bool)] if novel_only and not samples.empty else samples
include_seeds = st.checkbox("Include basket seeds as rows", value=samples.empty, key="ex_seeds")
if include_seeds and len(seeds):
    rows = pd.concat([rows, seeds], ignore_index=True) if not rows.empty else seeds
if rows.empty:
    st.info("Nothing to export yet: sample candidates on the **Sampling** page or add seeds.")
    st.stop()

estimates = {}
for smi, e in state.complexes().items():
    est = e.get("estimate")
    if est is not None:
        estimates[smi] = (list(est.gaps_cm1), str(est.provenance))
try:
    table = build_candidate_table(rows.drop(columns=[c for c in ("pc1", "pc2") if c in rows.columns]),
                                  estimates, resources.casscf_results())
except GaussError as exc:
    st.error(str(exc))
    st.stop()

st.write(f"**{len(table)}** rows · {int(table[C.IS_NOVEL].fillna(False).astype(bool).sum())} novel · "
         f"{int(table['est_kd_provenance'].astype(bool).sum())} with a KD estimate · "
         f"{int(table['casscf_kd_provenance'].astype(bool).sum())} with CASSCF")
st.dataframe(table.head(500), hide_index=True, width="stretch")
st.download_button("Download candidates CSV", candidates_csv(table), file_name="gauss_candidates.csv",
                   mime="text/csv", type="primary", key="dl_csv")

assembled = [e["complex"] for e in state.complexes().values() if e.get("complex") is not None]
if assembled:
    st.download_button(f"Download {len(assembled)} complex(es) as SDF", complexes_sdf(assembled),
                       file_name="gauss_complexes.sdf", mime="chemical/x-mdl-sdfile", key="dl_sdf")
else:
    st.caption("No assembled complex yet (Complexes page) for the SDF export.")

with st.expander("Column meanings"):
    st.dataframe(pd.DataFrame({"column": list(COLUMN_DOCS), "meaning": list(COLUMN_DOCS.values())}),
                 hide_index=True, width="stretch")
