"""The user's design session: seed basket, sampled candidates (with their latent samples), assembled complexes,
picks, the last sampling run and sigma sweep, and the dashboard settings (map colour, KD bin, sigma ...).

They live in the session store (gauss_core.session, GAUSS_HOME/sessions.db) so that a reload, a new tab or a
server restart brings them back; st.session_state holds this browser session's copy, and every mutation here
writes through to the store. The current session is "default", or the one named in the URL (?session=...),
or the one loaded from the sidebar.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from gauss_core import columns as C
from gauss_core.errors import GaussError
from gauss_core.session import DEFAULT_SESSION, DesignSession, SessionStore
from gauss_app import sampling_runner

BASKET = "seed_basket"          # list[dict(smiles, source)]
SAMPLES = "samples"             # DataFrame of candidates (sampling CANDIDATE_COLUMNS + pred_* + pc1/pc2)
SAMPLE_Z = "sample_latents"     # np.ndarray aligned with SAMPLES
COMPLEXES = "complexes"         # dict smiles -> dict(complex, error, estimate, descriptors), written through
SWEEP = "sweep"                 # DataFrame from gauss_core.sampling.sigma_sweep
LAST_RUN = "last_run"           # dict(counters, status, ...) of the session's last sampling run (from the store)
SESSION = "design_session"      # name of the current design session
SETTINGS = "_session_settings"  # this browser session's copy of the stored settings
LOADED = "_session_loaded"      # name of the session whose content st.session_state holds
RUN_MARK = "_session_run_mark"  # (id, status) of the last run when the samples were read
SENT_TO_COMPLEXES = "sent_to_complexes"  # SMILES the Candidates page sent to the Complexes page (one-shot)
MAX_SEEDS_PER_SELECTION = 25
# URL query parameters: which session, and the map's colour (mapview.colour_slug) and target KD bin (1-6)
QP_SESSION, QP_COLOUR, QP_BIN = "session", "colour", "bin"
COLOUR_SETTING, BIN_SETTING = "map_colour", "kd_bin"
# widget keys whose values are kept in the session's settings (restored as the widgets' defaults, so a page
# switch, which drops the widgets of the page left, or a reload, keeps them)
PERSISTED_WIDGETS = ("map_show_samples", "lp_sigma", "lp_attempts", "lp_batch", "lp_rng", "sw_max", "sw_steps",
                     "sw_batches", "sw_bs")


@st.cache_resource(max_entries=4)
def _store(home: str) -> SessionStore:
    return SessionStore(home)


def store() -> SessionStore:
    """The session store of this GAUSS_HOME (one per server process)."""
    from gauss_core.paths import gauss_home

    return _store(str(gauss_home()))


def current_name() -> str:
    return str(st.session_state.get(SESSION) or DEFAULT_SESSION)


def session() -> DesignSession:
    return store().open(current_name())


class _WriteThroughComplexes(dict):
    """The complexes of the session: pages assign `state.complexes()[smiles] = entry`; each assignment is
    stored at once (so the Complexes page needs no change to persist what it builds)."""

    def __setitem__(self, smiles: str, entry: dict) -> None:
        try:
            session().save_complex(smiles, entry)
        except GaussError as exc:  # still shown in this tab; say that a reload will not bring it back
            st.warning(f"The complex of {smiles} is not saved in the design session: {exc}")
        super().__setitem__(smiles, entry)

    def __delitem__(self, smiles: str) -> None:
        session().remove_complex(smiles)
        super().__delitem__(smiles)


def init() -> None:
    """Load the current design session into st.session_state (once per browser session and session name),
    refresh what another tab or a background sampling run may have changed, and apply the URL's settings."""
    if SESSION not in st.session_state:
        st.session_state[SESSION] = st.query_params.get(QP_SESSION) or DEFAULT_SESSION
    name = current_name()
    s = session()
    if st.session_state.get(LOADED) != name:
        data = s.load()
        st.session_state[COMPLEXES] = _WriteThroughComplexes(data.complexes)
        st.session_state[SETTINGS] = dict(data.settings)
        st.session_state[SWEEP] = data.settings.get(SWEEP)
        st.session_state[SAMPLES], st.session_state[SAMPLE_Z] = data.samples, data.latents
        st.session_state[LOADED] = name
        for key in PERSISTED_WIDGETS + (COLOUR_SETTING, BIN_SETTING):
            st.session_state.pop(key, None)   # widgets of the previous session must not carry over
        _apply_url_settings()
    st.session_state[BASKET] = s.seeds()   # cheap; picks up another tab's changes
    _sync_samples(s)


def _apply_url_settings() -> None:
    """An opened URL's ?colour=...&bin=... become the session's settings (then the widgets' defaults)."""
    updates: dict[str, Any] = {}
    if st.query_params.get(QP_COLOUR):
        updates[COLOUR_SETTING] = st.query_params[QP_COLOUR]
    raw_bin = st.query_params.get(QP_BIN)
    if raw_bin is not None and raw_bin.isdigit():
        updates[BIN_SETTING] = int(raw_bin)
    if updates:
        remember_all(updates)


def _sync_samples(s: DesignSession) -> None:
    """The last run's record and the samples: new rows only while nothing else changed, all of them when a
    run started or ended (its end writes the final times_generated of its rows)."""
    run = sampling_runner.current_run(s)
    st.session_state[LAST_RUN] = run
    mark = (run["id"], run["status"]) if run else None
    if mark != st.session_state.get(RUN_MARK):
        st.session_state[RUN_MARK] = mark
        st.session_state[SAMPLES], st.session_state[SAMPLE_Z] = s.samples()
    else:
        _refresh_samples(s)


def _refresh_samples(s: DesignSession) -> None:
    """Read the rows a background run (or another tab) added since this copy was read; all of them when the
    store has fewer (cleared elsewhere)."""
    have = len(st.session_state.get(SAMPLES, ()))
    n = s.n_samples()
    if n == have:
        return
    if n < have or have == 0:
        st.session_state[SAMPLES], st.session_state[SAMPLE_Z] = s.samples()
        return
    new, z_new = s.samples(start=have)
    old, old_z = st.session_state[SAMPLES], st.session_state[SAMPLE_Z]
    st.session_state[SAMPLES] = pd.concat([old, new], ignore_index=True)
    st.session_state[SAMPLE_Z] = np.concatenate([old_z, z_new]) if old_z.size else z_new


def refresh() -> None:
    """Re-read what a background sampling run changed (for fragments, which do not rerun init)."""
    _sync_samples(session())


def sync_url() -> None:
    """Put the session name (unless default), the map colour and the KD bin into the URL, so that a copied
    link opens the same view (the page is in the URL's path)."""
    want = {QP_SESSION: current_name() if current_name() != DEFAULT_SESSION else None,
            QP_COLOUR: setting(COLOUR_SETTING), QP_BIN: setting(BIN_SETTING) or None}
    for key, value in want.items():
        if value is None:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get(key) != str(value):
            st.query_params[key] = str(value)


# -- settings ---------------------------------------------------------------------------------------
def setting(key: str, default: Any = None) -> Any:
    return st.session_state.get(SETTINGS, {}).get(key, default)


def remember(key: str, value: Any) -> None:
    """Store one setting when it changed."""
    remember_all({key: value})


def remember_all(values: dict[str, Any]) -> None:
    cache = st.session_state.setdefault(SETTINGS, {})
    changed = {k: v for k, v in values.items() if not _same(cache.get(k, _MISSING), v)}
    if changed:
        session().set_settings(changed)
        cache.update(changed)


_MISSING = object()


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, pd.DataFrame) or isinstance(b, pd.DataFrame):
        return a is b
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def remember_widgets() -> None:
    """Store the values of PERSISTED_WIDGETS drawn in this run (called by app.py after each page run)."""
    remember_all({k: st.session_state[k] for k in PERSISTED_WIDGETS if k in st.session_state})


def keep_picks(kind: str, picked: Any) -> None:
    """Store a page's picked ligands in the design session when they changed (pages call it right after their
    multiselect: after the page run the widget's value is no longer readable)."""
    if isinstance(picked, list) and picked != st.session_state.get(f"_picks_{kind}"):
        session().save_picks(kind, picked)
        st.session_state[f"_picks_{kind}"] = list(picked)


def stored_picks(kind: str, options: list[str]) -> list[str]:
    """The session's stored picks of a page ("complexes" or "queue") that are still among `options`."""
    allowed = set(options)
    return [smi for smi in session().picks().get(kind, []) if smi in allowed]


def widget_default(key: str, default: Any) -> Any:
    """A persisted widget's stored value, else `default` (pass as the widget's value)."""
    return setting(key, default)


def set_sweep(sweep: pd.DataFrame | None, seed: str = "") -> None:
    st.session_state[SWEEP] = sweep
    remember_all({SWEEP: sweep, "sweep_seed": seed})


# -- switching sessions --------------------------------------------------------------------------------
def switch_to(name: str) -> None:
    """Make `name` the current session (created empty if new); the next init() loads it."""
    store().open(name)
    st.session_state[SESSION] = name
    st.session_state.pop(LOADED, None)


# -- seeds ----------------------------------------------------------------------------------------------
def basket() -> list[dict]:
    init_if_needed()
    return st.session_state[BASKET]


def init_if_needed() -> None:
    if LOADED not in st.session_state:
        init()


def basket_smiles() -> list[str]:
    return [b["smiles"] for b in basket()]


def add_seeds(smiles: Iterable[str], source: str) -> int:
    """Add seeds not yet in the basket; returns how many were new."""
    init_if_needed()
    added = session().add_seeds(list(smiles), source)
    st.session_state[BASKET] = session().seeds()
    return added


def remove_seeds(smiles: Iterable[str]) -> None:
    session().remove_seeds(list(smiles))
    st.session_state[BASKET] = session().seeds()


# -- samples --------------------------------------------------------------------------------------------
def samples() -> pd.DataFrame:
    init_if_needed()
    return st.session_state[SAMPLES]


def append_samples(rows: pd.DataFrame, latents: np.ndarray, coords: np.ndarray | None) -> None:
    """Append a batch of new candidates (and their z') to the session."""
    if rows.empty:
        return
    rows = with_coords(rows, coords)
    s = session()
    s.append_samples(rows, latents)
    st.session_state[SAMPLES], st.session_state[SAMPLE_Z] = s.samples()


def with_coords(rows: pd.DataFrame, coords: np.ndarray | None) -> pd.DataFrame:
    """Rows with their map position (pc1, pc2) when the map could project them."""
    rows = rows.copy()
    if coords is not None and len(coords):
        rows["pc1"], rows["pc2"] = coords[:, 0], coords[:, 1]
    return rows


def clear_samples() -> None:
    s = session()
    s.clear_samples()
    s.forget_runs()
    st.session_state[SAMPLES] = pd.DataFrame()
    st.session_state[SAMPLE_Z] = np.zeros((0, 0), dtype=np.float32)
    st.session_state[LAST_RUN] = None


def candidate_smiles(novel_only: bool = True) -> list[str]:
    """SMILES of sampled candidates (novel ones by default), then basket seeds, without repeats."""
    df = samples()
    out: list[str] = []
    if not df.empty:
        sel = df[df[C.IS_NOVEL].astype(bool)] if novel_only and C.IS_NOVEL in df else df
        out.extend(sel[C.SMILES].tolist())
    out.extend(basket_smiles())
    return list(dict.fromkeys(out))


def complexes() -> dict:
    init_if_needed()
    return st.session_state[COMPLEXES]
