"""Sampling: LP sampling z' = z + sigma*eps around the basket seeds, live counters, streamed results,
the sampled ligands next to their seeds on the map, and a sigma sweep (paper Fig. 2c)."""

import numpy as np
import pandas as pd
import streamlit as st

from gauss_core import columns as C
from gauss_core.depict import svg_data_uri
from gauss_core.errors import GaussError
from gauss_core.latent.mapfig import MapLayer, display_subset, latent_map_figure
from gauss_core.sampling import LPConfig, NoveltyTracker, SweepConfig, sigma_sweep, sweep_figure, sweep_sigmas
from gauss_app import mapview, resources, state

TABLE_ROWS = 150

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


def depict_table(df: pd.DataFrame) -> pd.DataFrame:
    """Newest rows first, with a 2D depiction column."""
    view = df.tail(TABLE_ROWS).iloc[::-1].copy()
    view.insert(0, "structure", [svg_data_uri(s, 120, 80) for s in view[C.SMILES]])
    return view.drop(columns=[c for c in ("pc1", "pc2") if c in view.columns])


def show_table(slot, df: pd.DataFrame) -> None:
    if df.empty:
        slot.caption("No valid molecule yet.")
        return
    slot.dataframe(depict_table(df), hide_index=True, width="stretch", row_height=70,
                   column_config={"structure": st.column_config.ImageColumn("structure", width="medium"),
                                  C.SIGMA: st.column_config.NumberColumn("σ", format="%.3f")})


with st.form("lp_form"):
    seeds = st.multiselect("Seeds", seeds_all, default=seeds_all, key="lp_seeds")
    f1, f2, f3, f4 = st.columns(4)
    sigma = f1.number_input("σ (latent std)", min_value=0.0, max_value=3.0, value=0.3, step=0.05, key="lp_sigma")
    attempts = f2.number_input("Attempts per seed", min_value=1, max_value=500_000, value=5000, step=500,
                               key="lp_attempts")
    batch_size = f3.number_input("Batch size", min_value=1, max_value=20_000, value=500, step=100, key="lp_batch")
    rng_seed = f4.number_input("Random seed", min_value=0, value=0, step=1, key="lp_rng")
    start = st.form_submit_button("Start sampling", type="primary")

b1, b2 = st.columns([1, 5])
b1.button("Stop", key="lp_stop", help="Stops after the current batch; everything sampled so far is kept.")
if b2.button("Clear results", key="lp_clear"):
    state.clear_samples()
    st.session_state[state.LAST_RUN] = None
    st.rerun()

# A rerun while a run was marked as running means the user pressed Stop (or changed page): keep the results.
last = st.session_state.get(state.LAST_RUN)
if last and last.get("status") == "running":
    last["status"] = "stopped"

m = st.columns(4)
slots = {k: m[i].empty() for i, k in enumerate(("attempts", "valid", "unique", "novel"))}
progress = st.empty()
status = st.empty()
table_slot = st.empty()


def show_counters(counters: dict, frac: float, text: str) -> None:
    for k, slot in slots.items():
        slot.metric(k, f"{counters.get(k, 0):,}")
    progress.progress(min(max(frac, 0.0), 1.0), text=text)


if start:
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
    run = {"status": "running", "counters": {}, "sigma": float(sigma), "progress": 0.0,
           "total": int(attempts) * len(good)}
    st.session_state[state.LAST_RUN] = run
    tracker = NoveltyTracker(sampler.reference)
    first_row = len(state.samples())
    try:
        for batch in sampler.iter_batches(good, z, config, tracker):
            coords = lmap.project(batch.new_latents) if lmap is not None and len(batch.new_latents) else None
            state.append_samples(batch.new_rows, batch.new_latents, coords)
            state.set_times_generated(first_row, tracker.valid_counts)
            run["counters"] = batch.counters.as_dict()
            run["progress"] = batch.progress
            show_counters(run["counters"], batch.progress,
                          f"{batch.done_attempts:,}/{batch.total_attempts:,} attempts · seed {batch.seed_smiles}")
            show_table(table_slot, state.samples())
        run["status"] = "finished"
    except GaussError as exc:
        run["status"] = "failed"
        st.error(str(exc))

last = st.session_state.get(state.LAST_RUN)
if last:
    done = last["counters"].get("attempts", 0)
    of = (f"{done:,} of {last['total']:,} attempts" if last.get("total")
          else f"{last.get('progress', 0.0):.1%} of the attempts")
    show_counters(last["counters"], last.get("progress", 0.0), f"last run: {last['status']} ({of}, "
                  f"σ = {last['sigma']})")
    if last["status"] == "stopped":
        status.info("Sampling stopped; the molecules found so far are kept below.")
else:
    show_counters({}, 0.0, "not started")
show_table(table_slot, state.samples())
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
    max_sigma = s2.number_input("max σ", min_value=0.05, max_value=3.0, value=1.0, step=0.1, key="sw_max")
    steps = s3.number_input("σ steps", min_value=2, max_value=41, value=11, key="sw_steps")
    batches = s4.number_input("batches per σ", min_value=1, max_value=200, value=10, key="sw_batches")
    sweep_batch = s5.number_input("batch size", min_value=1, max_value=5000, value=100, key="sw_bs")
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
            st.session_state[state.SWEEP] = sigma_sweep(
                sampler, sweep_seed, z[0], SweepConfig(sigmas=tuple(sigmas), batches=int(batches),
                                                      batch_size=int(sweep_batch)), on_step=tick)
            st.session_state["sweep_seed"] = sweep_seed
        except GaussError as exc:
            st.error(str(exc))
sweep = st.session_state.get(state.SWEEP)
if sweep is not None and len(sweep):
    st.plotly_chart(sweep_figure(sweep, f"LP sweep from {st.session_state.get('sweep_seed', '')}"),
                    width="stretch", key="sweep_chart")
    st.dataframe(sweep.round(3), hide_index=True, width="stretch")
