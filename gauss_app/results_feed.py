"""Finished QC jobs flow back into the dashboard: a poll that toasts each new result and reruns the app, so
the map, the Complexes page and the export read it (they read the queue through resources.casscf_results)."""

from __future__ import annotations

import streamlit as st

SEEN = "seen_finished_jobs"   # set of job ids already announced in this browser session
POLL_S = 10


def _finished(store) -> list:
    return [j for j in store.list(state="done") if j.kind in ("casscf", "loprop")]


def announce_new_results() -> None:
    """Toast every CASSCF / LoProp job that finished since the last poll and rerun the whole app once."""
    from gauss_app import resources

    store, _ = resources.job_store()
    if store is None:
        return
    try:
        jobs = _finished(store)
    except Exception:  # a locked or damaged queue must not take the page down; the queue page says why
        return
    ids = {j.id for j in jobs}
    if SEEN not in st.session_state:  # first look in this session: what is there is not news
        st.session_state[SEEN] = ids
        return
    new = [j for j in jobs if j.id not in st.session_state[SEEN]]
    if not new:
        return
    st.session_state[SEEN] = ids
    for job in new[:5]:
        res = job.result or {}
        gaps = res.get("gaps_cm1") or []
        if job.kind == "casscf" and gaps:
            what = f"first KD gap {float(gaps[0]):.0f} cm⁻¹ ({res.get('provenance', 'casscf')})"
        elif job.kind == "casscf":
            what = "CASSCF result"
        else:
            what = "LoProp labels (openmolcas-loprop)"
        st.toast(f"Job {job.id} finished: {job.smiles}: {what}; now on the map, Complexes and Export.",
                 icon=":material/task_alt:")
    st.rerun(scope="app")


@st.fragment(run_every=POLL_S)
def poll() -> None:
    announce_new_results()
