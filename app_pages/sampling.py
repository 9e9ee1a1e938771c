"""Sampling: LP sampling z' = z + sigma*eps around the basket seeds, live counters, streamed results,
the sampled ligands next to their seeds on the map, and a sigma sweep (paper Fig. 2c)."""

import numpy as np
import pandas as pd
import streamlit as st

from gauss_core import columns as C
from gauss_core.depict import svg_data_uri
from gauss_core.errors import GaussError
from gauss_core.latent.mapfig import MapLayer, display_subset, latent_map_figure
from gauss_core.sampling import LPConfig, SweepConfig, sigma_sweep, sweep_figure, sweep_sigmas
from gauss_app import mapview, resources, sampling_runner, state

TABLE_ROWS = 150
POLL_S = 1.0              # seconds between reads of a running run's counters
RUN_ACTIVE = "running"

st.title("Sampling")
state.init()

sampler, why = resources.sampler()
if sampler is None:
    st.warning(why.reason)
    st.stop()

seeds_all = state.basket_smiles()
if not seeds_all:
    st.info("The seed basket is empty: pick seeds on the **Latent space** page (box/lasso/click or type a SMILES).")
    st.stop()


@st.cache_data(show_spinner=False, max_entries=20_000)
def depiction(smiles: str) -> str | None:
    return svg_data_uri(smiles, 120, 80)


def depict_table(df: pd.DataFrame) -> pd.DataFrame:
    """Newest rows first, with a 2D depiction column."""
    view = df.tail(TABLE_ROWS).iloc[::-1].copy()
    view.insert(0, "structure", [depiction(s) for s in view[C.SMILES]])
    return view.drop(columns=[c for c in ("pc1", "pc2") if c in view.columns])


def show_table(df: pd.DataFrame) -> None:
    if df.empty:
        st.caption("No valid molecule yet.")
        return
    st.dataframe(depict_table(df), hide_index=True, width="stretch", row_height=70,
                 column_config={"structure": st.column_config.ImageColumn("structure", width="medium"),
                                C.SIGMA: st.column_config.NumberColumn("σ", format="%.3f")})


session = state.session()
running = (run := sampling_runner.current_run(session)) is not None and run["status"] == RUN_ACTIVE
with st.form("lp_form"):
    seeds = st.multiselect("Seeds", seeds_all, default=seeds_all, key="lp_seeds")
    f1, f2, f3, f4 = st.columns(4)
    sigma = f1.number_input("σ (latent std)", min_value=0.0, max_value=3.0, step=0.05, key="lp_sigma",
                            value=float(state.widget_default("lp_sigma", 0.3)))
    attempts = f2.number_input("Attempts per seed", min_value=1, max_value=500_000, step=500, key="lp_attempts",
                               value=int(state.widget_default("lp_attempts", 5000)))
    batch_size = f3.number_input("Batch size", min_value=1, max_value=20_000, step=100, key="lp_batch",
                                 value=int(state.widget_default("lp_batch", 1000)))
    rng_seed = f4.number_input("Random seed", min_value=0, step=1, key="lp_rng",
                               value=int(state.widget_default("lp_rng", 0)))
    start = st.form_submit_button("Start sampling", type="primary", disabled=running,
                                  help="Runs in the background on the server: switching pages or closing the tab "
                                       "does not stop it." if not running else "A run is going on: stop it first.")

if start and not running:
    if not seeds:
        st.error("Choose at least one seed.")
        st.stop()
    z, errors = resources.seed_latents(seeds)
    good = [s for s in seeds if s not in errors]
    for smi, err in errors.items():
        st.error(f"Seed {smi} skipped: {err}")
    lmap, _ = resources.latent_map(build=False)
    config = LPConfig(sigma=float(sigma), attempts_per_seed=int(attempts), batch_size=int(batch_size),
                      random_seed=int(rng_seed))
    try:
        sampling_runner.start(sampler, session, good, z, config, lmap.project if lmap is not None else None)
        running = True
        if not errors:
            st.rerun()   # redraw the form with Start disabled while the run goes on
    except GaussError as exc:
        st.error(str(exc))


@st.fragment(run_every=POLL_S if running else None)
def live_run() -> None:
    """Counters, progress, Stop and the newest rows of the session's run, re-read from the store every
    POLL_S seconds while it runs (the run itself goes on in a server thread)."""
    state.refresh()
    last = sampling_runner.current_run(state.session())
    active = last is not None and last["status"] == RUN_ACTIVE
    b1, b2 = st.columns([1, 5])
    if b1.button("Stop", key="lp_stop", disabled=not active,
                 help="Stops after the batch in progress; everything sampled so far, that batch included, is kept."):
        state.session().request_stop(last["id"])
        st.toast("Stopping after the batch in progress ...")
    if b2.button("Clear results", key="lp_clear", disabled=active, help="Stop the run first." if active else None):
        state.clear_samples()
        st.rerun(scope="app")
    m = st.columns(4)
    counters = (last or {}).get("counters", {})
    for i, k in enumerate(("attempts", "valid", "unique", "novel")):
        m[i].metric(k, f"{counters.get(k, 0):,}")
    if last:
        of = f"{last['done']:,} of {last['total']:,} attempts"
        st.progress(min(max(last["progress"], 0.0), 1.0),
                    text=f"{'running' if active else 'last run: ' + last['status']} ({of}, σ = {last['sigma']})")
        if last["status"] == "stopped":
            st.info("Sampling stopped; the molecules found so far, the last batch included, are kept below.")
        elif last["status"] in ("failed", "interrupted"):
            st.warning(f"Sampling {last['status']}: {last['error']}")
    else:
        st.progress(0.0, text="not started")
    show_table(state.samples())
    was = st.session_state.get("_lp_was_active")
    st.session_state["_lp_was_active"] = active
    if was and not active:   # the run just ended: redraw the whole page (map of the samples, buttons)
        st.rerun(scope="app")


live_run()
st.caption("Counters (MOSES definitions, docs/dashboard.md): attempts = latent points decoded; valid = attempts "
           "that decode to an RDKit-sanitisable SMILES; unique = distinct valid molecules (canonical kekulised "
           "SMILES); novel = distinct valid molecules not in the model's training split and not a seed (a seed is "
           "never novel); novel ≤ unique ≤ valid ≤ attempts. Table: one row per distinct valid molecule of each "
           "run (newest first); pred_* are model predictions (gauss2-prediction).")

samples = state.samples()
lmap, _ = resources.latent_map(build=False)
if lmap is not None and not samples.empty and "pc1" in samples:
    with st.expander("Sampled ligands next to their seeds on the latent map", expanded=True):
        sub = display_subset(len(lmap), 8000)
        layers = [MapLayer("ligand set", lmap.coords[sub, 0], lmap.coords[sub, 1],
                           np.asarray(lmap.smiles, dtype=object)[sub], None, size=3)]
        layers.append(mapview.samples_layer(samples))
        z_s, errs = resources.seed_latents(seeds_all)
        ok = [s for s in seeds_all if s not in errs]
        if ok:
            layers.append(mapview.seed_layer(lmap.project(z_s), ok))
        st.plotly_chart(latent_map_figure(layers, height=420), width="stretch", key="sample_map")

st.subheader("σ sweep (one seed)")
with st.form("sweep_form"):
    s1, s2, s3, s4, s5 = st.columns(5)
    sweep_seed = s1.selectbox("Seed", seeds_all, key="sw_seed")
    max_sigma = s2.number_input("max σ", min_value=0.05, max_value=3.0, step=0.1, key="sw_max",
                                value=float(state.widget_default("sw_max", 1.0)))
    steps = s3.number_input("σ steps", min_value=2, max_value=41, key="sw_steps",
                            value=int(state.widget_default("sw_steps", 11)))
    batches = s4.number_input("batches per σ", min_value=1, max_value=200, key="sw_batches",
                              value=int(state.widget_default("sw_batches", 10)))
    sweep_batch = s5.number_input("batch size", min_value=1, max_value=5000, key="sw_bs",
                                  value=int(state.widget_default("sw_bs", 100)))
    go_sweep = st.form_submit_button("Run σ sweep")
if go_sweep:
    z, errors = resources.seed_latents([sweep_seed])
    if errors:
        st.error(errors[sweep_seed])
    else:
        bar = st.progress(0.0, text="sweeping ...")
        sigmas = sweep_sigmas(float(max_sigma), int(steps))
        done = []

        def tick(row: dict) -> None:
            done.append(row)
            bar.progress(len(done) / len(sigmas), text=f"σ = {row['sigma']:.2f}: {row['validity_pct']:.0f}% valid")

        try:
            state.set_sweep(sigma_sweep(sampler, sweep_seed, z[0],
                                        SweepConfig(sigmas=tuple(sigmas), batches=int(batches),
                                                    batch_size=int(sweep_batch)), on_step=tick), sweep_seed)
        except GaussError as exc:
            st.error(str(exc))
sweep = st.session_state.get(state.SWEEP)
if sweep is not None and len(sweep):
    st.plotly_chart(sweep_figure(sweep, f"LP sweep from {state.setting('sweep_seed', '')}"),
                    width="stretch", key="sweep_chart")
    st.dataframe(sweep.round(3), hide_index=True, width="stretch")
