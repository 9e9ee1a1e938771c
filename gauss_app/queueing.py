"""Queue CASSCF jobs from any page: validated and deduplicated by the job store, each ligand's outcome said."""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

from gauss_core.errors import GaussError
from gauss_app import resources


def queue_casscf(smiles: Iterable[str]) -> list[int]:
    """Enqueue one CASSCF job per ligand; shows one error line per refused ligand and one success line.

    Returns:
        The ids of the queued jobs (a ligand already queued comes back with its existing job's id).
    """
    store, why = resources.job_store()
    if store is None:
        st.error(why.reason)
        return []
    queued: list[int] = []
    for smi in smiles:
        try:
            queued.append(store.enqueue("casscf", smi, None).id)
        except GaussError as exc:
            st.error(f"{smi}: {exc}")
    if queued:
        st.success(f"Queued {len(queued)} CASSCF job(s) (#{', #'.join(map(str, queued))}); start a worker on the "
                   "CASSCF queue page.")
    return queued
