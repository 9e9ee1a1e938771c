"""Finished CASSCF/LoProp jobs flowing back into the dashboard: which finished jobs this session has not
announced yet, a toast naming them, and a polling fragment that reruns the page when one finishes."""

from __future__ import annotations

import streamlit as st

from gauss_app import resources

SEEN = "_finished_jobs_seen"
RESULT_KINDS = ("casscf", "loprop")


def finished_ids() -> dict[int, tuple[str, str]]:
    """{job id: (kind, ligand)} of the queue's finished CASSCF and LoProp jobs ({} without a queue)."""
    store, _ = resources.job_store()
    if store is None:
        return {}
    return {j.id: (j.kind, j.smiles) for j in store.list(state="done") if j.kind in RESULT_KINDS}


def finished_key() -> tuple[int, ...]:
    """Key of the queue's finished-job state: caches of results are keyed on it so a new result is read."""
    return tuple(sorted(finished_ids()))


def announce_new() -> list[tuple[str, str]]:
    """Toast each finished job this session has not seen; the first call of a session only records them
    (results finished before the session opened are already in the tables, not news)."""
    done = finished_ids()
    if SEEN not in st.session_state:
        st.session_state[SEEN] = set(done)
        return []
    new = [done[i] for i in sorted(set(done) - st.session_state[SEEN])]
    st.session_state[SEEN] |= set(done)
    for kind, smi in new:
        where = "the map (diamond), the Complexes page, the seed basket and the export" if kind == "casscf" \
            else "the proxy labels and the export"
        st.toast(f"{kind.upper()} finished for `{smi}`: now on {where}.")
    return new


@st.fragment(run_every=5)
def watch() -> None:
    """Poll the queue; rerun the whole page when a job finished since the page was drawn."""
    if SEEN in st.session_state and set(finished_ids()) - st.session_state[SEEN]:
        st.rerun(scope="app")
