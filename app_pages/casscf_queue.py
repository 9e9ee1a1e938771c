"""CASSCF queue: queue ligands, watch states, read a job's log, cancel/retry, finished KD energies."""

import time

import pandas as pd
import streamlit as st

from gauss_core import columns as C
from gauss_core import provenance as P
from gauss_core.errors import GaussError
from gauss_core.jobs.labels import kd_rows_from_jobs
from gauss_core.jobs.progress import queue_progress
from gauss_app import resources, state, worker

st.title("CASSCF queue")
state.init()

store, why = resources.job_store()
if store is None:
    st.warning(why.reason)
    st.stop()

st.caption(f"Queue database: `{store.db_path if hasattr(store, 'db_path') else ''}`. Jobs run on a worker: "
           "`gauss worker` (local OpenMolcas) or with SLURM when configured; this page only queues and "
           "watches. CASSCF(9,7)+SO on [Dy(H₂O)₅L₂]⁺ takes minutes to hours per ligand.")

candidates = state.candidate_smiles(novel_only=False)
with st.form("queue_form"):
    picked = st.multiselect("Ligands to queue", candidates, key="q_pick",
                            placeholder="sampled candidates and basket seeds")
    extra = st.text_input("or a donor-first SMILES", key="q_extra")
    submitted = st.form_submit_button("Queue CASSCF", type="primary")
if submitted:
    todo = list(picked) + ([extra.strip()] if extra.strip() else [])
    if not todo:
        st.error("Pick at least one ligand or type a SMILES.")
    for smi in todo:
        try:
            job = store.enqueue("casscf", smi, None)
            st.success(f"Queued job {job.id} (CASSCF) for {smi}: state {job.state}.")
        except GaussError as exc:
            st.error(f"{smi}: {exc}")


def jobs_frame(jobs) -> pd.DataFrame:
    now = time.time()
    return pd.DataFrame([{
        "id": j.id, "kind": j.kind, "ligand": j.smiles, "state": j.state, "attempts": j.attempts,
        "executor": j.executor or "", "age_min": round((now - j.created_at) / 60, 1),
        "error": (j.error or "")[:120]} for j in jobs])


@st.fragment(run_every=3)
def live_jobs() -> None:
    jobs = store.list()
    if not jobs:
        st.caption("No jobs yet.")
        return
    counts = store.counts() if hasattr(store, "counts") else {}
    st.caption(" · ".join(f"{k}: {v}" for k, v in counts.items()))
    casscf = [j for j in jobs if j.kind == "casscf"]
    if casscf:
        st.caption(f"CASSCF: {queue_progress(casscf).summary()}")
    st.dataframe(jobs_frame(jobs), hide_index=True, width="stretch", key="jobs_table")


st.subheader("Jobs")
with st.expander("Run the queue from here"):
    executors = ["local (OpenMolcas on this machine)"] + (["slurm"] if worker.slurm_available() else [])
    w1, w2, w3 = st.columns([2, 1, 1])
    ex = w1.selectbox("Executor", executors, key="q_executor",
                      help="SLURM appears when sbatch/squeue are on PATH.")
    conc = w2.number_input("Jobs at once", min_value=1, max_value=64, value=1, key="q_conc")
    pid = st.session_state.get("worker_pid")
    running = worker.alive(pid)
    if w3.button("Start worker", disabled=running, key="q_worker"):
        pid, log = worker.start_worker("slurm" if ex == "slurm" else "local", int(conc))
        st.session_state["worker_pid"] = pid
        st.success(f"Worker started (pid {pid}); it exits when the queue is empty. Log: `{log}`")
    elif running:
        st.caption(f"Worker pid {pid} is running.")
live_jobs()

jobs = store.list()
if jobs:
    st.subheader("Job details")
    ids = [j.id for j in jobs]
    job_id = st.selectbox("Job", ids, format_func=lambda i: f"#{i} {next(j.smiles for j in jobs if j.id == i)}",
                          key="q_job")
    job = store.get(job_id)
    c1, c2, c3 = st.columns([1, 1, 4])
    if c1.button("Cancel", disabled=job.state not in ("queued", "running"), key="q_cancel"):
        try:
            store.cancel(job.id)
            st.rerun()
        except GaussError as exc:
            st.error(str(exc))
    if c2.button("Retry", disabled=job.state not in ("failed", "cancelled"), key="q_retry"):
        try:
            store.retry(job.id)
            st.rerun()
        except GaussError as exc:
            st.error(str(exc))
    c3.markdown(f"state **{job.state}** · attempts {job.attempts}/{job.max_attempts} · dir `{job.directory}`")
    with st.expander("Log", expanded=True):
        st.code(job.log_text(tail_chars=20000) or "(no log yet)", language=None)
    if job.error:
        st.error(job.error)

st.subheader("Finished KD energies (CASSCF)")
results = kd_rows_from_jobs(jobs).rename(columns={"kd_job_id": "job_id"})
results = results[[C.SMILES, *C.KD_GAP_COLUMNS, C.KD_PROVENANCE, "job_id"]]
if results.empty:
    st.caption("No finished CASSCF job yet. Finished results also appear on the Latent space map "
               "(colour by first KD gap; CASSCF points are diamonds) and in the Export CSV.")
else:
    results["provenance"] = [P.describe(t) for t in results["kd_provenance"]]
    st.dataframe(results.round(1), hide_index=True, width="stretch")
