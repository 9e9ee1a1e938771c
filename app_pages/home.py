"""Home: the model card and the path through the pages."""

from pathlib import Path

import pandas as pd
import streamlit as st

from gauss_core import columns as C
from gauss_core import provenance as P
from gauss_app import config, fmt, resources

METRIC_MEANINGS = {
    "loss": "total loss: reconstruction + α·KL + property MSE (paper sec. IV)",
    "recon_ce": "reconstruction: mean token cross-entropy",
    "kl": "KL divergence of the latent posterior to N(0, I), per latent dimension",
    "prop_mse": "property head: mean squared error of the standardised labels",
    "recon_token": "share of SMILES tokens reconstructed correctly",
    "recon_exact": "share of SMILES reconstructed exactly",
    "r2_mean": "property head: mean R² over the labels",
    "epoch": "training epoch of this checkpoint",
}


def metric_meaning(name: str) -> str:
    if name.startswith("r2_"):
        return f"property head: R² of {name[3:]} on held-out labelled ligands"
    if name.startswith("n_"):
        return f"held-out ligands with a {name[2:]} label" if name != "n_test" else "held-out ligands"
    return METRIC_MEANINGS.get(name, "")


LABEL_MEANINGS = {
    C.DONOR_Z: "atomic number of the donor atom (7 = N, 8 = O)",
    C.Q_DONOR: "partial charge of the donor atom, e",
    C.MU_DONOR: "atomic dipole magnitude of the donor atom, e·a0",
    C.ALPHA_DONOR: "isotropic polarisability of the donor atom, a0³",
}

st.title("GAUSS Studio")
st.write("Design monodentate N/O-donor ligands **L** for Dy(III) single-molecule magnets "
         f"{fmt.COMPLEX}⁺ with the GAUSS-II semi-supervised SMILES VAE.")

st.subheader("How to use")
st.markdown(
    "1. **Latent space**: pick a target KD bin, then box/lasso/click ligands on the map (or type a "
    "donor-first SMILES) to fill the seed basket.\n"
    "2. **Sampling**: choose σ and the number of attempts; watch valid / novel / unique counters; "
    "run a σ sweep.\n"
    "3. **Complexes**: assemble candidates into [Dy(H₂O)₅L₂]⁺, inspect them in 3D, read the KD *estimate*.\n"
    "4. **CASSCF queue**: send the best ones to CASSCF; results appear with their provenance.\n"
    "5. **Export**: download the candidates (CSV) and the complexes (SDF).")

st.subheader("Model card")
loaded, why = resources.model()
if loaded is None:
    st.warning(why.reason)
else:
    metrics = dict(loaded.metrics)
    cfg = loaded.config
    c1, c2, c3 = st.columns(3)
    c1.metric("Checkpoint", config.checkpoint_path().name)
    c2.metric("Latent size", cfg.latent_dim)
    c3.metric("Vocabulary", f"{loaded.vocab.size} tokens, max {loaded.vocab.max_len}")
    st.caption(f"File `{loaded.path}` · training data hash `{loaded.train_hash}`")
    size_keys = [k for k in metrics if any(w in k.lower() for w in ("n_train", "train_size", "n_labelled",
                                                                      "n_test", "n_val", "dataset"))]
    tcfg = dict(loaded.train_config)
    n_train = len(loaded.train_smiles)
    n_test = len(loaded.test_smiles)
    st.markdown(
        f"**Training set**: `{Path(tcfg.get('ligands_path', '?')).name}` · {n_train:,} training ligands, "
        f"{n_test:,} held out · labelled fraction {tcfg.get('label_fraction', '?')} · label files: "
        + (", ".join(f"`{Path(p).name}`" for p in tcfg.get("labels_paths", [])) or "none") +
        f" · head `{cfg.head}` · epochs {loaded.epoch}")
    if size_keys:
        st.caption("sizes in the metrics: " + ", ".join(f"{k} = {metrics[k]}" for k in size_keys))
    flat = {k: v for k, v in metrics.items() if isinstance(v, (int, float, str)) and k not in size_keys}
    nested = {k: v for k, v in metrics.items() if isinstance(v, dict)}
    if flat:
        st.write("**Held-out metrics**")
        st.dataframe(pd.DataFrame({"metric": list(flat), "value": [fmt.number(v) for v in flat.values()],
                                   "meaning": [metric_meaning(k) for k in flat]}),
                     hide_index=True, width="stretch")
    for name, sub in nested.items():
        with st.expander(f"metrics: {name}"):
            st.json(sub)
    labels = list(loaded.label_names)
    proxies, pwhy = resources.proxy_labels()
    counts = {}
    if proxies is not None and C.PROVENANCE in proxies:
        counts = proxies[C.PROVENANCE].value_counts().to_dict()
    label_files = [Path(p).name for p in tcfg.get("labels_paths", [])]
    if label_files:
        in_file = ", ".join(f"{P.describe(k)}: {v:,} ligands" for k, v in counts.items()) or (
            pwhy.reason if pwhy else "provenance unknown")
        source = f"{', '.join(label_files)} (bundled proxy file now: {in_file})"
    else:
        source = "none: this checkpoint was trained without label files"
    st.write("**Labels** (the property head predicts these donor-atom proxies):")
    st.dataframe(pd.DataFrame({"label": labels, "meaning": [LABEL_MEANINGS.get(lb, lb) for lb in labels],
                               "training labels from": fmt.label_training_sources(labels, loaded.label_sources,
                                                                                   source)}),
                 hide_index=True, width="stretch")
    st.caption("Predictions are tagged `gauss2-prediction`; KD numbers from the crystal-field model are "
               "estimates and are never shown as CASSCF.")

ligands, lwhy = resources.ligand_set()
if ligands is None:
    st.info(lwhy.reason)
else:
    st.caption(f"Bundled ligand set: {len(ligands):,} donor-first ligands (`{config.ligand_set_path().name}`).")
