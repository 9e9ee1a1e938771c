"""Complexes: assemble candidates into [Dy(H2O)5L2]+, 3D view (bundled 3Dmol.js), descriptors, KD estimate."""

import pandas as pd
import streamlit as st

from gauss_core import columns as C
from gauss_core import provenance as P
from gauss_core.export import complex_sdf_record
from gauss_core.kd.basis_caveat import mb_caveat
from gauss_app import fmt, resources, results_flow, state
from gauss_app.complex_entries import characterise_entry
from gauss_app.viewer import viewer_html

st.title("Complexes")
state.init()
results_flow.announce_new()
results_flow.watch()

novel_only = st.toggle("Only novel sampled candidates (plus basket seeds)", value=True, key="cx_novel_only")
candidates = state.candidate_smiles(novel_only=novel_only)
sent = st.session_state.pop(state.SENT_TO_COMPLEXES, None)  # rows picked on the Candidates page
if sent:
    candidates = list(dict.fromkeys([*sent, *candidates]))
    st.session_state["cx_pick"] = sent[:12]
if not candidates:
    st.info("No candidates yet: sample on the **Sampling** page or add seeds on the **Latent space** page.")
    st.stop()

picked = st.multiselect("Candidates to assemble", candidates, max_selections=12, key="cx_pick",
                        default=None if "cx_pick" in st.session_state
                        else (state.stored_picks("complexes", candidates) or candidates[:1])[:12])
state.keep_picks("complexes", picked)
# label -> (gauss_core relax mode, template builder)
GEOMETRIES = {"template (fast, unrelaxed ligands)": ("none", "auto"),
              "constrained GFN2-xTB relaxation (slower)": ("constrained", "auto"),
              "computed axial distance (GFN2-xTB mapped onto DFT), lowest-energy conformer (experimental)":
                  ("axial-mapped", "search")}
relax_mode = st.radio("Geometry", list(GEOMETRIES), index=1, horizontal=True, key="cx_relax",
                      help="The relaxation keeps the pentagonal-bipyramidal core fixed and relaxes the ligands "
                           "with xtb on the Y(III) analogue; the KD estimate is better on relaxed geometries. "
                           "The constrained one holds the Dy-L distance at its donor-class value. The experimental "
                           "one first picks the ligand conformer of lowest energy (8 seeded conformers, GFN-FF, "
                           "then GFN2 on the best 4), so the same ligand always gets the same geometry, lets GFN2 "
                           "choose the Dy-L distance, and moves each axial ligand to the distance a per-class map "
                           "fitted on the project's DFT references gives (GFN2 alone is 0.1-0.2 A short; "
                           "docs/geometry.md: still being checked against more references); it flags a neutral "
                           "ligand that leaves the metal instead of estimating its gaps.")
if st.button("Assemble selected", type="primary", disabled=not picked, key="cx_assemble"):
    bar = st.progress(0.0)
    model, _ = resources.calibrated_kd_model()
    relax, builder = GEOMETRIES.get(relax_mode, ("constrained", "auto"))
    for i, smi in enumerate(picked):
        state.complexes()[smi] = characterise_entry(smi, relax, model, builder=builder)
        bar.progress((i + 1) / len(picked), text=f"assembled {i + 1}/{len(picked)}")

built = state.complexes()
if not built:
    st.caption("Nothing assembled yet.")
    st.stop()

summary = []
for smi, e in built.items():
    cx = e["complex"]
    summary.append({"ligand": smi, "status": "assembled" if cx is not None else "failed",
                    "formula": fmt.formula(cx.formula) if cx is not None else "",
                    "charge": cx.charge if cx is not None else None,
                    "builder": cx.builder if cx is not None else "", "flags": "; ".join(cx.flags) if cx is not None
                    else e["error"]})
st.dataframe(pd.DataFrame(summary), hide_index=True, width="stretch")

ok = [s for s, e in built.items() if e["complex"] is not None]
for smi, e in built.items():
    if e["complex"] is None:
        st.error(f"{smi}: {e['error']}")
if not ok:
    st.stop()
show = st.selectbox("Show complex", ok, key="cx_show")
entry = built[show]
cx = entry["complex"]
left, right = st.columns([3, 2])
with left:
    st.markdown(f"**{fmt.COMPLEX}{fmt.charge(cx.charge)}**, L = `{cx.ligand_smiles}` · {fmt.formula(cx.formula)} · "
                "geometry: "
                f"{cx.geometry_provenance}")
    st.iframe(viewer_html(complex_sdf_record(cx)), height=470)
with right:
    for flag in cx.flags:
        st.warning(f"Check: {flag}")
    if not cx.flags:
        st.success("No clash or geometry warning.")
    rows = [{"descriptor": k, "value": v} for k, v in (entry.get("descriptors") or {}).items()]
    have = {r["descriptor"] for r in rows}
    rows += [{"descriptor": k, "value": v} for k, v in cx.checks.items() if k not in have]
    st.markdown("**Structural descriptors**")
    # lengths to 1e-4 A: a held water plane's mpp of 7e-15 A is zero, not a number to read
    st.dataframe(pd.DataFrame([{**r, "value": fmt.number(round(r["value"], 4) if r["descriptor"].endswith("_A")
                                                         and isinstance(r["value"], float) else r["value"])}
                               for r in rows]) if rows else pd.DataFrame(),
                 hide_index=True, width="stretch")
    est = entry.get("estimate")
    if est is not None:
        tag = str(est.provenance)
        if P.is_casscf(tag):  # never let an estimate pass as CASSCF
            tag = f"{tag} (mislabelled estimate)"
        gaps = list(est.gaps_cm1)
        st.markdown(f"**KD gaps (cm⁻¹): ESTIMATE** ({P.describe(tag)}; not CASSCF)")
        mj = [m.replace("+-", "±") for m in est.dominant_mj()]
        # short headers: the table sits in the narrow right-hand column beside the 3D view
        table = pd.DataFrame({"gap": [f"KD{i + 1}–KD1" for i in range(1, len(gaps) + 1)], "point charge": gaps,
                              "upper KD M_J": mj[1:len(gaps) + 1]})
        cal = entry.get("calibrated")
        if cal is not None:
            table.insert(2, "calibrated", list(cal.gaps_cm1)[:len(gaps)])
        casscf = resources.casscf_results()
        done = casscf[casscf["smiles"] == show] if casscf is not None else None
        if done is not None and len(done):
            row = done.iloc[-1]
            table.insert(1, "CASSCF", [row.get(f"kd_gap{i}_cm1") for i in range(1, len(gaps) + 1)])
        st.dataframe(table.round(1), hide_index=True, width="stretch")
        if done is not None and len(done):
            job = row.get("job_id")
            geometry = row.get("kd_geometry_source")
            geometry = str(geometry) if isinstance(geometry, str) and geometry else ""
            st.caption(f"CASSCF column: {P.describe(str(row['kd_provenance']))}"
                       + (f", queue job #{int(job)}" if pd.notna(job) else ", bundled project result")
                       + (f", on geometry {geometry}" if geometry else ", its geometry not recorded")
                       + ". The other columns are estimates.")
            caveat = mb_caveat(show, row.get(C.KD_BASIS))
            if caveat:
                st.warning(caveat)
            if geometry and not geometry.startswith(cx.geometry_provenance):
                st.info(f"The CASSCF result was computed on another geometry ({geometry.split(' [')[0]}) than the "
                        f"one shown ({cx.geometry_provenance}): its Dy-L distances differ, so compare it with "
                        "the estimates with care.")
        if cal is not None:
            st.caption(f"Calibrated estimate: {cal.model}. Fitted to the project's own CASSCF results; "
                       "still an estimate, not CASSCF.")
            for flag in cal.flags[len(est.flags):]:
                st.warning(f"Calibrated estimate: {flag}")
        st.caption(f"ground KD g = ({', '.join(f'{v:.2f}' for v in est.g_tensor)}), {mj[0]} · geometry "
                   f"{est.geometry_provenance} · charges {est.charges_provenance}")
        for flag in est.flags:
            st.warning(f"Estimate: {flag}")
    else:
        st.info(f"KD estimate: {entry.get('estimate_error') or 'not computed'}")
