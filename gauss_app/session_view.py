"""The sidebar's design-session panel: the current session's name, Save as, Load, Export (download) and
Import of a session file (gauss_core.session)."""

from __future__ import annotations

import streamlit as st

from gauss_core.errors import GaussError
from gauss_app import state


def panel() -> None:
    name = state.current_name()
    store = state.store()
    st.markdown(f"Design session: **{name}**", help="Seeds, samples, complexes and settings are saved as you work "
                "(GAUSS_HOME/sessions.db): a reload, a new tab or a server restart brings them back.")
    with st.expander("Save as · Load · Export · Import"):
        new = st.text_input("Save as (a copy under a new name)", key="sess_save_as", placeholder="e.g. phenolates")
        if st.button("Save as", key="sess_save_btn"):
            try:
                store.copy(name, new.strip())
                state.switch_to(new.strip())
                st.rerun()
            except GaussError as exc:
                st.error(str(exc))
        names = [i.name for i in store.list_sessions()]
        pick = st.selectbox("Load a saved session", names, index=names.index(name) if name in names else 0,
                            key="sess_load_pick")
        if st.button("Load", key="sess_load_btn", disabled=pick == name):
            state.switch_to(pick)
            st.rerun()
        st.download_button("Export this session", data=lambda: store.export(name), key="sess_export",
                           file_name=f"gauss_session_{_file_safe(name)}.json", mime="application/json",
                           on_click="ignore", help="One JSON file: seeds, samples with latents, complexes with "
                                                   "their estimates, picks and settings.")
        upload = st.file_uploader("Import a session file", type=["json"], key="sess_import")
        import_as = st.text_input("Import as (default: the name in the file)", key="sess_import_as")
        if upload is not None and st.button("Import and load", key="sess_import_btn"):
            try:
                imported = store.import_(upload.getvalue(), name=import_as.strip() or None)
                state.switch_to(imported)
                st.rerun()
            except GaussError as exc:
                st.error(f"Import refused: {exc}")


def _file_safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
