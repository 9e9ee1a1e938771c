"""Latent space: PCA map of the ligand set, colour by property, KD-bin highlight, seed picking."""

import pandas as pd
import streamlit as st

from gauss_core import columns as C
from gauss_core.errors import GaussError
from gauss_core.latent.bins import kd_bins
from gauss_core.latent.mapfig import map_payload
from gauss_core.sampling import check_seed
from gauss_app import config, mapview, mapwidget, resources, results_flow, state, suggest_view

st.title("Latent space")
state.init()
results_flow.announce_new()
results_flow.watch()
top = st.container()  # controls and captions, filled once the map is read
map_slot = st.empty()
if not st.session_state.get("_latent_map_mounted"):
    # first visit of this session: the browser loads the map's code while the page is computed (not on
    # reruns: it would replace the drawn map, its zoom and legend toggles, until the new one arrives)
    with map_slot:
        mapwidget.placeholder()

lmap, why = resources.latent_map(show_progress=True)
if lmap is None:
    map_slot.empty()
    why.show()
    st.stop()

proxies, proxy_why = resources.proxy_labels()
surrogate, surrogate_why = resources.kd_surrogate()
surrogate_frame, map_classes = resources.surrogate_on_map(surrogate) if surrogate is not None else (None, None)
choices = mapview.colour_choices(proxies, list(lmap.predictions.columns), surrogate,
                                 resources.computed_distance_estimates())

c1, c2, c3 = top.columns([2, 2, 1])
labels = [c.label for c in choices]
slugs = [mapview.colour_slug(c) for c in choices]
default = next((i for i, c in enumerate(choices) if c.kind == "prediction"), 0)
stored = state.setting(state.COLOUR_SETTING)   # the session's (or the URL's) colour survives page switches
colour_label = c1.selectbox("Colour by", labels, index=slugs.index(stored) if stored in slugs else default,
                            key="map_colour")
choice = choices[labels.index(colour_label)]
state.remember(state.COLOUR_SETTING, mapview.colour_slug(choice))
# the known gaps (colour, target bins, seeds by bin) follow the chosen geometry: estimates on the template's
# fixed Dy-L distance and on the computed one are not mixed on one scale
computed = choice.kind == "kd-axial"
kd_known, kd_why = resources.known_first_gaps(computed_distance=computed)
kd_known = mapview.with_session_estimates(kd_known, state.complexes(), computed_only=computed)

bins = None
if len(kd_known) >= 2:
    try:
        bins = kd_bins(kd_known[mapview.KD_FIRST])
    except GaussError:
        bins = None
if bins is None:
    c2.selectbox("Target KD bin", ["(no KD gaps known yet)"], disabled=True, key="kd_bin_disabled")
    bin_choice = 0
else:
    bin_labels = ["(none)"] + bins.labels()
    stored_bin = state.setting(state.BIN_SETTING, 0)
    picked = c2.selectbox("Target KD bin (6 equal bins of the first KD gap)", bin_labels, key="kd_bin",
                          index=stored_bin if isinstance(stored_bin, int) and 0 <= stored_bin < len(bin_labels)
                          else 0)
    bin_choice = bin_labels.index(picked)
    state.remember(state.BIN_SETTING, bin_choice)
show_samples = c3.checkbox("Show sampled", value=bool(state.widget_default("map_show_samples", True)),
                           key="map_show_samples")
max_points = config.map_points()
draw_all = len(lmap) > max_points and c3.checkbox(f"Draw all {len(lmap):,}", key="map_all",
                                                   help=f"By default {max_points:,} ligands are drawn (a fixed "
                                                        "random subset; ligands with a known value first), which "
                                                        "keeps the page fast. Tick to draw the whole set.")

index = resources.lmap_index(lmap)
layers, colour_title = mapview.ligand_layers(lmap, choice, proxies, kd_known,
                                             len(lmap) if draw_all else max_points, index, surrogate_frame)
off_map = mapview.off_map_known(kd_known, index) if choice.kind in mapview.KD_KINDS else kd_known.iloc[:0]
if len(off_map):  # e.g. a sampled ligand's finished CASSCF job: encode it and put it where it belongs
    z_off, off_errors = resources.seed_latents(off_map["smiles"].tolist())
    off_map = off_map[~off_map["smiles"].isin(off_errors.keys())]
    if len(off_map):
        layers = mapview.merge_layers(layers, mapview.off_map_layers(off_map, lmap.project(z_off), choice.kind))
if bin_choice and bins is not None:
    layer = mapview.bin_layer(lmap, bins, bin_choice, kd_known, index)
    if layer is None:
        top.info(f"No ligand with a known first KD gap in {bins.label(bin_choice)}.")
    else:
        layers.append(layer)
        n_max = state.MAX_SEEDS_PER_SELECTION
        if c2.button(f"Add this bin to the seeds ({min(len(layer.x), n_max)} of {len(layer.x)}, spread)",
                     key="add_bin", help=f"At most {n_max} ligands of the bin, spread over the latent space "
                                         "(farthest-point sampling), so the seeds cover the whole bin."):
            added = state.add_seeds(mapview.bin_smiles(lmap, bins, bin_choice, kd_known, index, n_max), "bin")
            st.session_state["_seed_msg"] = f"Added {added} seed(s) from {bins.label(bin_choice)}."
            st.rerun()
search = top.text_input("Find a ligand on the map (SMILES)", key="map_search",
                        placeholder="e.g. [O-]c1ccccc1; ringed in green")
if search.strip():
    query = search.strip()
    if query in index:
        row = index[query]
        layers.append(mapview.search_layer(lmap.coords[[row], 0], lmap.coords[[row], 1], [query]))
        top.success(f"`{query}` is in the ligand set: ringed in green at PC1 {lmap.coords[row, 0]:.2f}, "
                    f"PC2 {lmap.coords[row, 1]:.2f}.")
    else:
        z_q, q_errors = resources.seed_latents([query])
        if q_errors:
            top.error(f"`{query}` cannot be placed: {q_errors[query]}")
        else:
            xy = lmap.project(z_q)
            layers.append(mapview.search_layer(xy[:, 0], xy[:, 1], [query]))
            top.info(f"`{query}` is not in the ligand set; ringed in green where the model encodes it.")
if show_samples:
    layer = mapview.samples_layer(state.samples())
    if layer is not None:
        layers.append(layer)
seeds = state.basket_smiles()
if seeds:
    z_seeds, seed_errors = resources.seed_latents(seeds)
    ok = [s for s in seeds if s not in seed_errors]
    if len(ok):
        layers.append(mapview.seed_layer(lmap.project(z_seeds), ok))

n_ligands_drawn = sum(len(layer.x) for layer in layers if layer.name not in ("seed basket", "sampled ligands")
                      and not layer.name.startswith("target "))
ev = lmap.explained_variance_ratio
payload = map_payload(layers, colour_title, axis_titles=(f"PC1 ({ev[0]:.0%} of the latent variance)",
                                                         f"PC2 ({ev[1]:.0%})"),
                      max_return=state.MAX_SEEDS_PER_SELECTION)
shown = ("all drawn" if n_ligands_drawn >= len(lmap) else
         f"{n_ligands_drawn:,} drawn: a fixed random subset, ligands with a known value first; "
         "tick 'Draw all' for the whole set")
top.caption(f"{len(lmap):,} ligands encoded ({shown}). Each point is a ligand's latent mean projected on the "
           "first two principal components. Hover for the SMILES; box, lasso or click points to add them to "
           "the seed basket.")
if choice.kind == "surrogate" and surrogate is not None:
    top.caption(f"Colour: {surrogate.label}; hover shows ± 1σ. Accuracy: "
                f"{surrogate.cv.summary() if surrogate.cv is not None else 'too few results to cross-validate'}. "
                "An estimate, not CASSCF.")
if choice.kind in mapview.KD_KINDS and kd_why is not None:
    top.caption(f"KD gaps: {kd_why.reason}")
if computed:
    top.caption("Colour: point-charge estimates on the geometry whose Dy–L distance is computed (GFN2-xTB on the "
                "lowest-energy conformer, mapped onto the project's DFT references; docs/geometry.md), CASSCF on "
                "that geometry as squares. Within a donor class the first gap follows this distance, which the "
                "other KD colouring fixes per class. The circles are estimates, not CASSCF.")
with map_slot:
    picked = mapwidget.latent_map(payload, key="latent_map")
st.session_state["_latent_map_mounted"] = True
if picked is not None:
    n_added = state.add_seeds(picked.smiles[:state.MAX_SEEDS_PER_SELECTION], "map")
    spread = (f", spread over the {picked.count:,} selected ligands (at most {state.MAX_SEEDS_PER_SELECTION} "
              "per selection)") if picked.count > state.MAX_SEEDS_PER_SELECTION else ""
    st.toast(f"Added {n_added} seed(s) from the map{spread}.")
    st.rerun()

if surrogate is not None:
    suggest_view.panel(lmap, surrogate, map_classes, bins)
elif surrogate_why is not None:
    st.caption(f"Suggest: {surrogate_why.reason}")

st.subheader("Type a seed")
with st.form("seed_form", clear_on_submit=False):
    typed = st.text_input("Seed SMILES, donor atom first (e.g. [O-]c1ccccc1 or N1C=CC=C1)", key="seed_text")
    submitted = st.form_submit_button("Place seed on the map")
if submitted:
    loaded, mwhy = resources.model()
    try:
        checked = check_seed(typed, loaded.vocab)
        z, errs = resources.seed_latents([checked.smiles])
        if errs:
            raise GaussError(errs[checked.smiles])
        state.add_seeds([checked.smiles], "typed")
        rerooted = f" (re-rooted from {checked.typed} at its donor atom)" if checked.rerooted else ""
        st.session_state["_seed_msg"] = f"Seed {checked.smiles}{rerooted} placed on the map (star)."
        st.rerun()
    except GaussError as exc:
        st.error(f"Seed refused: {exc}")
if st.session_state.get("_seed_msg"):
    st.success(st.session_state.pop("_seed_msg"))

st.subheader(f"Seed basket ({len(state.basket())})")
if state.basket():
    basket = pd.DataFrame(state.basket())
    known = kd_known.drop_duplicates("smiles", keep="last").set_index("smiles")
    basket["first KD gap (cm⁻¹)"] = [known[mapview.KD_FIRST].get(s) for s in basket["smiles"]]
    # the source names its geometry and basis too: the same ligand's gap differs between a fixed and a computed
    # Dy-L distance, and for weak donors between ligand bases
    setup = pd.Series(mapview.setup_kinds(known), index=known.index)
    basket["KD source"] = [mapview.source_label(str(known[C.KD_PROVENANCE].get(s)), str(setup.get(s)))
                           if s in known.index else "" for s in basket["smiles"]]
    st.dataframe(basket, hide_index=True, width="stretch", key="basket_table",
                 column_config={"first KD gap (cm⁻¹)": st.column_config.NumberColumn(format="%.1f")})
    b1, b2 = st.columns([3, 1])
    drop = b1.multiselect("Remove seeds", state.basket_smiles(), key="basket_remove")
    if b1.button("Remove selected", disabled=not drop):
        state.remove_seeds(drop)
        st.rerun()
    if b2.button("Clear basket"):
        state.remove_seeds(state.basket_smiles())
        st.rerun()
else:
    st.caption("Empty: select points on the map or type a seed above.")
