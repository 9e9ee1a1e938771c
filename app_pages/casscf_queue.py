"""CASSCF queue: queue ligands, watch states, read a job's log, cancel/retry, finished KD energies."""

import time

import pandas as pd
import streamlit as st

from gauss_core import columns as C
from gauss_core import provenance as P
from gauss_core.errors import GaussError
from gauss_core.jobs.kinds import CASSCF_DEFAULTS, LIGAND_BASIS_NOTES
from gauss_core.jobs.labels import kd_rows_from_jobs
from gauss_core.jobs.progress import queue_progress
from gauss_core.modes import JobState
from gauss_app import resources, results_flow, state, worker

st.title("CASSCF queue")
state.init()
results_flow.announce_new()

store, why = resources.job_store()
if store is None:
    why.show()
    st.stop()
try:  # jobs of a worker that died (kill -9, reboot) go back to the queue, as `gauss worker` does at start
    for recovered in store.recover_stale():
        st.info(f"Job {recovered.id} ({recovered.kind}, `{recovered.smiles}`): its worker is gone; now "
                f"{recovered.state}.")
except GaussError as exc:
    st.error(str(exc))

st.caption(f"Queue database: `{store.db_path}`. Jobs run on a worker: "
           "`gauss worker` (local OpenMolcas) or with SLURM when configured; this page only queues and "
           "watches. CASSCF(9,7)+SO on [Dy(H₂O)₅L₂]⁺ takes minutes to hours per ligand.")

candidates = state.candidate_smiles(novel_only=False)
with st.form("queue_form"):
    picked = st.multiselect("Ligands to queue", candidates, key="q_pick",
                            placeholder="sampled candidates and basket seeds",
                            default=None if "q_pick" in st.session_state else state.stored_picks("queue", candidates))
    state.keep_picks("queue", picked)
    extra = st.text_input("or a donor-first SMILES", key="q_extra")
    bases = list(LIGAND_BASIS_NOTES)
    basis = st.selectbox("Ligand basis", bases, key="q_basis", index=bases.index(CASSCF_DEFAULTS["ligand_basis"]),
                         format_func=lambda b: LIGAND_BASIS_NOTES[b],
                         help="Basis of every non-Dy atom (Dy: ANO-RCC-VDZP). The basis study (docs/casscf.md) "
                              "compares them against larger bases on 11 complexes.")
    submitted = st.form_submit_button("Queue CASSCF", type="primary")
if submitted:
    todo = list(picked) + ([extra.strip()] if extra.strip() else [])
    if not todo:
        st.error("Pick at least one ligand or type a SMILES.")
    for smi in todo:
        try:
            job = store.enqueue("casscf", smi, {"ligand_basis": basis})
            st.success(f"Queued job {job.id} (CASSCF) for {smi}: state {job.state}.")
        except GaussError as exc:
            st.error(f"{smi}: {exc}")


def _typical_run_s(jobs) -> dict[str, float]:
    """Median wall time of each kind's finished jobs: the ETA of a running job of that kind."""
    runs: dict[str, list[float]] = {}
    for j in jobs:
        if j.state == JobState.DONE and j.started_at and j.finished_at:
            runs.setdefault(j.kind, []).append(j.finished_at - j.started_at)
    return {k: float(pd.Series(v).median()) for k, v in runs.items()}


def jobs_frame(jobs) -> pd.DataFrame:
    now = time.time()
    typical = _typical_run_s(jobs)
    rows = []
    for j in jobs:
        end = j.finished_at or now
        elapsed = (end - j.started_at) / 60 if j.started_at else None
        eta = None
        if j.state == JobState.RUNNING and j.kind in typical:
            eta = max(typical[j.kind] / 60 - (elapsed or 0.0), 0.0)
        rows.append({"id": j.id, "kind": j.kind, "ligand": j.smiles, "state": j.state, "attempts": j.attempts,
                     "executor": j.executor or "", "elapsed_min": None if elapsed is None else round(elapsed, 1),
                     "eta_min": None if eta is None else round(eta, 1),
                     "age_min": round((now - j.created_at) / 60, 1), "error": (j.error or "")[:120]})
    return pd.DataFrame(rows)


@st.fragment(run_every=3)
def live_jobs() -> None:
    jobs = store.list()
    if not jobs:
        st.caption("No jobs yet.")
        return
    counts = store.counts()
    st.caption(" · ".join(f"{k}: {v}" for k, v in counts.items()))
    casscf = [j for j in jobs if j.kind == "casscf"]
    if casscf:
        st.caption(f"CASSCF: {queue_progress(casscf).summary()}")
    st.dataframe(jobs_frame(jobs), hide_index=True, width="stretch", key="jobs_table",
                 column_config={"elapsed_min": st.column_config.NumberColumn(
                                    "elapsed (min)", help="Wall time since the worker started the job."),
                                "eta_min": st.column_config.NumberColumn(
                                    "ETA (min)", help="Median wall time of this machine's finished jobs of the "
                                                      "same kind, minus the elapsed time; empty until one "
                                                      "finished.")})
    if results_flow.announce_new():
        st.rerun(scope="app")  # a result finished: redraw the results table below


st.subheader("Worker")
with st.container(border=True):
    executors = ["local (OpenMolcas on this machine)"] + (["slurm"] if worker.slurm_available() else [])
    w1, w2, w3 = st.columns([2, 1, 1])
    if len(executors) > 1:
        ex = w1.selectbox("Executor", executors, key="q_executor",
                          help="SLURM appears when sbatch/squeue are on PATH.")
    else:
        ex = executors[0]
        w1.markdown(f"Executor: **{ex}** (SLURM is offered when `sbatch` and `squeue` are on PATH)")
    conc = w2.number_input("Jobs at once", min_value=1, max_value=64, value=1, key="q_conc")
    pid = st.session_state.get("worker_pid")
    running = worker.alive(pid)
    if w3.button("Start worker", disabled=running, key="q_worker", type="primary"):
        pid, log = worker.start_worker("slurm" if ex == "slurm" else "local", int(conc))
        st.session_state["worker_pid"] = pid
        st.success(f"Worker started (pid {pid}); it exits when the queue is empty. Log: `{log}`")
    elif running:
        st.success(f"Worker pid {pid} is running; finished results reach the map and Complexes page.")
    else:
        st.warning("No worker started from this page: queued jobs wait until one runs. Press **Start worker**, "
                   "or in a terminal run `python -m gauss_core worker` (same GAUSS_HOME).")
st.subheader("Jobs")
live_jobs()

jobs = store.list()
if jobs:
    st.subheader("Job details")
    ids = [j.id for j in jobs]
    job_id = st.selectbox("Job", ids, format_func=lambda i: f"#{i} {next(j.smiles for j in jobs if j.id == i)}",
                          key="q_job")
    job = store.get(job_id)
    c1, c2, c3 = st.columns([1, 1, 4])
    if c1.button("Cancel", disabled=job.state not in (JobState.QUEUED, JobState.RUNNING), key="q_cancel"):
        try:
            store.cancel(job.id)
            st.rerun()
        except GaussError as exc:
            st.error(str(exc))
    if c2.button("Retry", disabled=job.state not in (JobState.FAILED, JobState.CANCELLED), key="q_retry"):
        try:
            store.retry(job.id)
            st.rerun()
        except GaussError as exc:
            st.error(str(exc))
    c3.markdown(f"dir `{job.directory}`")

    @st.fragment(run_every=3)
    def job_detail(job_id: int) -> None:
        """State, elapsed time and log tail of one job, re-read every 3 s while the page is open."""
        job = store.get(job_id)
        elapsed = ""
        if job.started_at:
            elapsed = f" · elapsed {((job.finished_at or time.time()) - job.started_at) / 60:.1f} min"
        st.markdown(f"state **{job.state}** · attempts {job.attempts}/{job.max_attempts}{elapsed}")
        with st.expander("Log (live)", expanded=True):
            st.code(job.log_text(tail_chars=20000) or "(no log yet)", language=None)
        if job.error:
            st.error(job.error)

    job_detail(job_id)

st.subheader("Finished KD energies (CASSCF)")
results = kd_rows_from_jobs(jobs).rename(columns={"kd_job_id": "job_id"})
results = results[[C.SMILES, *C.KD_GAP_COLUMNS, C.KD_PROVENANCE, "job_id"]]
if results.empty:
    st.caption("No finished CASSCF job yet. Finished results also appear on the Latent space map "
               "(colour by first KD gap; CASSCF points are diamonds) and in the Export CSV.")
else:
    results["provenance"] = [P.describe(t) for t in results["kd_provenance"]]
    st.dataframe(results.round(1), hide_index=True, width="stretch")
