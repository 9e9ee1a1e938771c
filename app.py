"""GAUSS Studio dashboard entry point (streamlit run app.py)."""

import streamlit as st

st.set_page_config(page_title="GAUSS Studio", page_icon="🧲", layout="wide")
st.title("GAUSS Studio")
st.write("Design organic ligands for Dy(III) single-molecule magnets [Dy(H2O)5L2]+ with the GAUSS-II VAE.")
st.info("The dashboard pages are being built; the command line `gauss --help` already works.")
