"""GAUSS Studio dashboard entry point: `streamlit run app.py` (or `make run`).

The pages follow the design path: Latent space -> Sampling -> Candidates -> Complexes -> CASSCF queue -> Export.
Pages are thin: widgets and calls into gauss_core; cached resources and session state live in gauss_app.

The page scripts live in app_pages/, not pages/: Streamlit treats a `pages/` folder next to the entry point as
a v1 multipage app until st.navigation has run once in the server process, so on a fresh server the first
request to a deep link (e.g. /latent) was resolved against the folder's file names and answered "Page not found".
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # gauss_app next to this file

import streamlit as st  # noqa: E402

from gauss_app import session_view, state  # noqa: E402

st.set_page_config(page_title="GAUSS Studio", page_icon=":material/hub:", layout="wide")
state.init()

PAGES = [
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("app_pages/latent_space.py", title="Latent space", icon=":material/scatter_plot:", url_path="latent"),
    st.Page("app_pages/sampling.py", title="Sampling", icon=":material/casino:", url_path="sampling"),
    st.Page("app_pages/candidates.py", title="Candidates", icon=":material/filter_list:", url_path="candidates"),
    st.Page("app_pages/complexes.py", title="Complexes", icon=":material/view_in_ar:", url_path="complexes"),
    st.Page("app_pages/casscf_queue.py", title="CASSCF queue", icon=":material/pending_actions:", url_path="queue"),
    st.Page("app_pages/export.py", title="Export", icon=":material/download:", url_path="export"),
]

page = st.navigation(PAGES)
with st.sidebar:
    st.caption(f"Seed basket: **{len(state.basket())}** · candidates: **{len(state.samples())}**")
    session_view.panel()
try:
    page.run()
finally:  # also after st.stop / st.rerun inside the page: what the user set is kept, the URL says where they are
    state.remember_widgets()
    state.sync_url()
