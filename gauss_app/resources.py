"""Cached loaders: the model with st.cache_resource, tables with st.cache_data. Each returns None plus a
plain-language reason when the backend or file is not there yet, so that pages never show a traceback."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from gauss_core import columns as C
from gauss_core import provenance as P
from gauss_core.errors import GaussError
from gauss_app import config


@dataclass
class Missing:
    """Why something is unavailable, phrased for the user; error=True for a fault the user must fix (e.g. an
    unwritable GAUSS_HOME), shown with st.error rather than as a note."""

    reason: str
    error: bool = False

    def show(self) -> None:
        (st.error if self.error else st.warning)(self.reason)


def _mtime(path: Path) -> float:
    return path.stat().st_mtime if path.exists() else -1.0


@st.cache_resource(show_spinner="Loading the GAUSS-II model ...", max_entries=2)
def _load_model(path: str, mtime: float):
    from gauss_core.model.checkpoint import load_checkpoint

    return load_checkpoint(Path(path))


def model():
    """(LoadedModel, None) or (None, Missing)."""
    path = config.checkpoint_path()
    if not path.exists():
        return None, Missing(
            f"No trained model found at `{path}`. Train one with `gauss train` (see README) or point "
            "the GAUSS_CHECKPOINT environment variable at a checkpoint file, then reload this page.")
    try:
        return _load_model(str(path), _mtime(path)), None
    except GaussError as exc:
        return None, Missing(f"The checkpoint `{path}` cannot be used: {exc}")


# cache_resource, not cache_data: the set is read-only here and has ~229k rows; cache_data would unpickle a
# copy (~0.1 s) on every rerun of every page.
@st.cache_resource(show_spinner="Reading the ligand set ...", max_entries=2)
def _ligand_set(path: str, mtime: float) -> pd.DataFrame:
    from gauss_core.ligands import load_ligand_set

    return load_ligand_set(Path(path))


def ligand_set():
    """(DataFrame, None) or (None, Missing)."""
    path = config.ligand_set_path()
    if not path.exists():
        return None, Missing(f"The ligand set `{path}` does not exist yet; build it with `gauss ligands build`.")
    try:
        return _ligand_set(str(path), _mtime(path)), None
    except (GaussError, ImportError) as exc:
        return None, Missing(f"The ligand set `{path}` cannot be read: {exc}")


@st.cache_resource(show_spinner="Reading the latent map ...", max_entries=2)
def _latent_map(ckpt: str, ckpt_mtime: float, lig: str, lig_mtime: float):
    from gauss_core.latent.pca import load_or_build_latent_map

    loaded = _load_model(ckpt, ckpt_mtime)
    ligands = _ligand_set(lig, lig_mtime)
    return load_or_build_latent_map(loaded, ligands[C.SMILES].tolist())


@st.cache_resource(max_entries=4)
def _map_cache_file(ckpt: str, ckpt_mtime: float, lig: str, lig_mtime: float, home: str) -> Path:
    from gauss_core.latent.pca import cache_path, file_hash, smiles_hash

    return cache_path(file_hash(ckpt), smiles_hash(_ligand_set(lig, lig_mtime)[C.SMILES].tolist()),
                      Path(home) / "cache")


def _model_and_set_paths():
    """((checkpoint path, ligand-set path), None) once both load, else (None, Missing) naming the problem."""
    loaded, why = model()
    if loaded is None:
        return None, why
    ligands, why = ligand_set()
    if ligands is None:
        return None, why
    return (config.checkpoint_path(), config.ligand_set_path()), None


def latent_map(show_progress: bool = False, build: bool = True):
    """(LatentMap, None) or (None, Missing).

    Args:
        show_progress: when the map is not cached on disk yet, show a progress bar while the set is encoded
            (once per checkpoint and ligand set; `gauss map` does it ahead of time).
        build: False returns (None, Missing) instead of encoding the whole set (pages that only project
            onto the map must not start a minutes-long build).
    """
    paths_or_none, why = _model_and_set_paths()
    if paths_or_none is None:
        return None, why
    ck, lg = paths_or_none
    from gauss_core.latent.pca import load_or_build_latent_map
    from gauss_core.errors import NotWritableError
    from gauss_core.paths import gauss_home, writable_dir

    try:
        cache_file = _map_cache_file(str(ck), _mtime(ck), str(lg), _mtime(lg), str(gauss_home()))
        on_disk = cache_file.exists()
        if not build and not on_disk:
            return None, Missing("The latent map is not built yet: open the Latent space page once (or run "
                                 "`gauss map`).")
        if not on_disk:  # before minutes of encoding whose result could not be kept
            writable_dir(cache_file.parent, "latent-map cache folder")
    except NotWritableError as exc:
        return None, Missing(str(exc), error=True)
    bar = None
    try:
        if not on_disk and show_progress:
            # Build outside the cached function: Streamlit forbids drawing into outside blocks from inside one.
            bar = st.empty()

            def progress(done: int, total: int) -> None:
                bar.progress(done / max(total, 1), text=f"First use of this model: encoding the ligand set "
                                                        f"({done:,}/{total:,}); cached afterwards (`gauss map` "
                                                        "does this ahead of time).")

            load_or_build_latent_map(_load_model(str(ck), _mtime(ck)),
                                     _ligand_set(str(lg), _mtime(lg))[C.SMILES].tolist(), progress=progress)
        lmap = _latent_map(str(ck), _mtime(ck), str(lg), _mtime(lg))
    except GaussError as exc:
        return None, Missing(str(exc))
    if bar is not None:
        bar.empty()
    return lmap, None


@st.cache_resource(show_spinner="Indexing the training set for novelty ...", max_entries=2)
def _reference(ckpt: str, mtime: float, lig: str, lig_mtime: float) -> frozenset[str]:
    from gauss_core.sampling import training_reference

    return training_reference(_load_model(ckpt, mtime), _ligand_set(lig, lig_mtime))


@st.cache_data(show_spinner=False, max_entries=2)
def _proxy_labels(mtime: float) -> pd.DataFrame:
    from gauss_core.proxies import load_proxy_labels

    return load_proxy_labels()


def proxy_labels():
    """(DataFrame keyed by smiles with PROXY_COLUMNS + provenance, None) or (None, Missing)."""
    from gauss_core import paths

    if not paths.PROXY_LABELS.exists():
        return None, Missing(f"No proxy label file at `{paths.PROXY_LABELS}` yet (run `gauss label`).")
    try:
        return _proxy_labels(_mtime(paths.PROXY_LABELS)), None
    except (GaussError, OSError, ValueError) as exc:
        return None, Missing(f"Proxy labels cannot be read: {exc}")


@st.cache_data(show_spinner=False, max_entries=2)
def _kd_mapping(path: str, mtime: float) -> pd.DataFrame:
    return pd.read_csv(path)


def computed_distance_estimates() -> int:
    """Rows of the estimate table on the computed Dy-L distance (paths.KD_MAPPING_AXIAL); 0 when absent."""
    from gauss_core import paths

    if not paths.KD_MAPPING_AXIAL.exists():
        return 0
    try:
        return len(_kd_mapping(str(paths.KD_MAPPING_AXIAL), _mtime(paths.KD_MAPPING_AXIAL)))
    except (OSError, ValueError):
        return 0


def known_first_gaps(computed_distance: bool = False) -> tuple[pd.DataFrame, Missing | None]:
    """Known first KD gaps: smiles, kd_gap1_cm1, kd_provenance, kd_geometry_source, kd_basis. From a KD mapping set
    (estimates, as tagged) and finished CASSCF jobs, the latter winning for the same ligand.

    computed_distance: the estimates on the computed Dy-L distance (paths.KD_MAPPING_AXIAL) and only the CASSCF
    results on such geometries; else the template-distance estimates (paths.KD_MAPPING_SET) and every CASSCF.
    """
    from gauss_core import paths

    frames = []
    notes = []
    table = paths.KD_MAPPING_AXIAL if computed_distance else paths.KD_MAPPING_SET
    if table.exists():
        try:
            df = _kd_mapping(str(table), _mtime(table))
            if {C.SMILES, C.KD_GAP_COLUMNS[0], C.KD_PROVENANCE} <= set(df.columns):
                df = df.assign(**{C.KD_GEOMETRY_SOURCE: df.get(C.GEOMETRY_PROVENANCE, "")})
                frames.append(df[[C.SMILES, C.KD_GAP_COLUMNS[0], C.KD_PROVENANCE, C.KD_GEOMETRY_SOURCE]])
            else:
                notes.append(f"`{table.name}` lacks smiles/kd_gap1_cm1/kd_provenance columns")
        except (OSError, ValueError) as exc:
            notes.append(f"KD mapping set unreadable: {exc}")
    else:
        notes.append("no KD mapping set bundled yet" if not computed_distance
                     else "no estimates on the computed Dy-L distance bundled yet (gauss kdmap build --mode "
                          "axial-mapped)")
    casscf = casscf_results()
    if casscf is not None and len(casscf):
        if computed_distance:
            casscf = casscf[casscf[C.KD_GEOMETRY_SOURCE].map(P.axial_distance_kind) == P.COMPUTED_DISTANCE]
        # the geometry travels with each CASSCF result: the map draws fixed- and computed-distance results apart
        frames.append(casscf[[C.SMILES, C.KD_GAP_COLUMNS[0], C.KD_PROVENANCE, C.KD_GEOMETRY_SOURCE, C.KD_BASIS]])
    if not frames:
        return pd.DataFrame(columns=[C.SMILES, C.KD_GAP_COLUMNS[0], C.KD_PROVENANCE]), Missing("; ".join(notes))
    out = pd.concat(frames, ignore_index=True).dropna(subset=[C.KD_GAP_COLUMNS[0]])
    return out.drop_duplicates(C.SMILES, keep="last").reset_index(drop=True), None


def job_store():
    """(JobStore on GAUSS_HOME/queue.db, None) or (None, Missing)."""
    try:
        return _job_store(os.environ.get("GAUSS_HOME", "")), None
    except GaussError as exc:
        return None, Missing(str(exc), error=True)


@st.cache_resource(max_entries=4)
def _job_store(gauss_home: str):
    """One store per GAUSS_HOME (the argument only keys the cache; JobStore() reads the environment)."""
    from gauss_core.jobs import JobStore

    return JobStore()


def casscf_results() -> pd.DataFrame | None:
    """CASSCF KD results (smiles, kd_gap*_cm1, kd_provenance, job_id, kd_geometry_source, kd_basis): the bundled results
    (assets/kd/casscf_results.csv.gz, fixed Dy-L distance), the bundled campaign on the computed distance
    (paths.KD_CASSCF_CAMPAIGN) and this machine's finished jobs, which win for the same ligand; None when none
    exists. The surrogate is fitted on the fixed-distance set only (kd_surrogate)."""
    from gauss_core import paths
    from gauss_core.jobs import all_kd_results

    store, _ = job_store()
    try:
        table = all_kd_results(store, campaign=paths.KD_CASSCF_CAMPAIGN)
    except GaussError:  # a damaged bundled file must not take the queue's results down with it
        table = all_kd_results(store, include_bundled=False)
    if not len(table):
        return None
    table = table.rename(columns={"kd_job_id": "job_id"})
    # the geometry each result was computed on travels with it (the Complexes page names it next to the gaps)
    keep = [C.SMILES, *C.KD_GAP_COLUMNS, C.KD_PROVENANCE, "job_id", C.KD_GEOMETRY_SOURCE, C.KD_BASIS]
    return table.reindex(columns=keep).reset_index(drop=True)


@st.cache_data(show_spinner=False, max_entries=5000)
def _encode_one(ckpt: str, mtime: float, smiles: str) -> np.ndarray:
    from gauss_core.sampling import encode_seeds

    return encode_seeds(_load_model(ckpt, mtime), [smiles])[0]


def seed_latents(smiles: list[str]) -> tuple[np.ndarray, dict[str, str]]:
    """Latent means of seeds: looked up on the map when it has them, else encoded (and checked).

    Returns:
        (z for the seeds that worked, in order; {smiles: reason} for those refused).
    """
    loaded, why = model()
    if loaded is None:
        return np.zeros((0, 0), dtype=np.float32), {s: why.reason for s in smiles}
    lmap, _ = latent_map(build=False)
    index = {}
    if lmap is not None:
        index = lmap_index(lmap)
    ck = config.checkpoint_path()
    rows, errors = [], {}
    for smi in smiles:
        if smi in index:
            rows.append(lmap.z[index[smi]])
            continue
        try:
            rows.append(_encode_one(str(ck), _mtime(ck), smi))
        except GaussError as exc:
            errors[smi] = str(exc)
    d = loaded.config.latent_dim
    return (np.stack(rows).astype(np.float32) if rows else np.zeros((0, d), dtype=np.float32)), errors


_INDEX_CACHE: dict[int, dict[str, int]] = {}


def lmap_index(lmap) -> dict[str, int]:
    """SMILES -> row of the latent map (built once per map object)."""
    key = id(lmap)
    if key not in _INDEX_CACHE:
        _INDEX_CACHE.clear()
        _INDEX_CACHE[key] = {s: i for i, s in enumerate(lmap.smiles)}
    return _INDEX_CACHE[key]


@st.cache_resource(max_entries=2)
def _sampler(ckpt: str, mtime: float, lig: str, lig_mtime: float):
    from gauss_core.sampling import LPSampler

    return LPSampler.from_model(_load_model(ckpt, mtime), _reference(ckpt, mtime, lig, lig_mtime))


def sampler():
    """(LPSampler on the cached model with the ligand-set novelty reference, None) or (None, Missing)."""
    paths_or_none, why = _model_and_set_paths()
    if paths_or_none is None:
        return None, why
    ck, lg = paths_or_none
    return _sampler(str(ck), _mtime(ck), str(lg), _mtime(lg)), None


@st.cache_resource(max_entries=2, show_spinner=False)
def _calibrated_kd_model(path: str, mtime: float):
    from gauss_core.kd.estimate import CalibratedModel

    return CalibratedModel.load(path)


def calibrated_kd_model():
    """(the calibrated KD estimate fitted to CASSCF, None) or (None, Missing): the user's own
    ($GAUSS_HOME/kd_calibrated.json) when fitted, else the bundled one (assets/kd/kd_calibration.json)."""
    from gauss_core.kd.estimate import default_calibration_path

    path = default_calibration_path()
    if not path.exists():
        return None, Missing("no calibrated KD estimate yet: it needs CASSCF results (`gauss complex calibrate`)")
    try:
        return _calibrated_kd_model(str(path), _mtime(path)), None
    except GaussError as exc:
        return None, Missing(str(exc))


def kd_surrogate():
    """(KDSurrogate fitted on every CASSCF result, bundled + this queue's, None) or (None, Missing).

    Refit only when the results change: gauss_core.surrogate caches by checkpoint and training-rows hash, so
    a newly finished job gives a new fit on the next rerun (about a second) and nothing else does."""
    loaded, why = model()
    if loaded is None:
        return None, why
    from gauss_core.jobs import all_kd_results
    from gauss_core.surrogate import load_or_fit_kd_surrogate

    store, _ = job_store()
    try:
        rows = all_kd_results(store)
    except GaussError:
        rows = all_kd_results(store, include_bundled=False)
    try:
        return load_or_fit_kd_surrogate(loaded, rows), None
    except GaussError as exc:
        return None, Missing(f"No KD surrogate: {exc}")


@st.cache_resource(show_spinner="Predicting the KD gaps of the ligand set with the surrogate ...", max_entries=2)
def _surrogate_map(ckpt: str, ckpt_mtime: float, lig: str, lig_mtime: float, surrogate_key: str, _surrogate):
    from gauss_core.surrogate import classes_from_ligand_set

    lmap = _latent_map(ckpt, ckpt_mtime, lig, lig_mtime)
    classes = classes_from_ligand_set(list(lmap.smiles), _ligand_set(lig, lig_mtime))
    return _surrogate.predict_frame(lmap.z, classes), classes


def surrogate_on_map(surrogate) -> tuple[pd.DataFrame, np.ndarray]:
    """(surrogate predictions for every map row, ligand classes of the rows), cached per fit."""
    ck, lg = config.checkpoint_path(), config.ligand_set_path()
    return _surrogate_map(str(ck), _mtime(ck), str(lg), _mtime(lg), surrogate.data_hash + surrogate.checkpoint_hash,
                          surrogate)
