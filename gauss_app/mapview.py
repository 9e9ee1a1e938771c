"""Builds the latent-map layers for the pages from the cached map, the label tables and session state."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gauss_core import columns as C
from gauss_core import provenance as P
from gauss_core.latent.bins import KDBins
from gauss_core.latent.mapfig import MapLayer, display_subset

KD_FIRST = C.KD_GAP_COLUMNS[0]
# first-gap colourings: "kd" = every known gap (template-distance estimates, CASSCF of both geometries);
# "kd-axial" = only gaps on a computed Dy-L distance (estimates of kd_mapping_axial_mapped, CASSCF there)
KD_KINDS = ("kd", "kd-axial")
UNITS = {C.DONOR_Z: "", C.Q_DONOR: "e", C.MU_DONOR: "e·a0", C.ALPHA_DONOR: "a0³", KD_FIRST: "cm⁻¹"}


@dataclass
class ColourChoice:
    """One entry of the 'colour by' menu."""

    label: str      # menu text
    kind: str       # "proxy", "kd", "kd-axial", "prediction", "surrogate", "none"
    column: str


def colour_slug(choice: ColourChoice) -> str:
    """Short stable name of a colour choice for the URL and the session settings: "kd", "surrogate", "none",
    "proxy:<column>", "prediction:<column>" (menu labels change, e.g. with the surrogate's n)."""
    return f"{choice.kind}:{choice.column}" if choice.kind in ("proxy", "prediction") else choice.kind


def surrogate_label(surrogate) -> str:
    return f"predicted first KD gap, latent surrogate from {surrogate.n_train} CASSCF, ± uncertainty"


def colour_choices(proxy_labels: pd.DataFrame | None, prediction_columns: list[str],
                   surrogate=None, computed_estimates: int = 0) -> list[ColourChoice]:
    """The 'colour by' menu; `computed_estimates`: rows of the computed-distance estimate table (0: no entry)."""
    out = [ColourChoice("first KD gap (known: estimate or CASSCF)", "kd", KD_FIRST)]
    if computed_estimates:
        out.append(ColourChoice(f"first KD gap on the computed Dy–L distance ({computed_estimates:,} estimates, "
                                "CASSCF where run)", "kd-axial", KD_FIRST))
    if surrogate is not None:
        out.append(ColourChoice(surrogate_label(surrogate), "surrogate", C.SURROGATE_GAP_COLUMNS[0]))
    if proxy_labels is not None:
        for col in C.PROXY_COLUMNS:
            if col in proxy_labels.columns:
                out.append(ColourChoice(f"proxy label: {col}", "proxy", col))
    for col in prediction_columns:
        out.append(ColourChoice(f"model prediction: {col}", "prediction", col))
    out.append(ColourChoice("nothing (grey)", "none", ""))
    return out


def _table_rows(table: pd.DataFrame | None, column: str, index: dict[str, int]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(map rows, values, provenance tags, geometry kinds) of the table's ligands that are on the map and have
    a value. The geometry kind (provenance.axial_distance_kind of kd_geometry_source, "" where not known) keeps
    CASSCF on a fixed and on a computed Dy-L distance apart.

    Works in the size of the table (labels are few next to the 229k-ligand map)."""
    if table is None or table.empty or column not in table.columns:
        return np.zeros(0, int), np.zeros(0), np.zeros(0, dtype=object), np.zeros(0, dtype=object)
    prov_col = C.KD_PROVENANCE if C.KD_PROVENANCE in table.columns else C.PROVENANCE
    t = table.drop_duplicates(C.SMILES, keep="last")
    vals = pd.to_numeric(t[column], errors="coerce").to_numpy(dtype=float)
    provs = t[prov_col].astype(str).to_numpy(dtype=object) if prov_col in t.columns else np.full(len(t), "", object)
    kinds = setup_kinds(t)
    rows = np.array([index.get(s, -1) for s in t[C.SMILES]], dtype=int)
    ok = (rows >= 0) & np.isfinite(vals)
    return rows[ok], vals[ok], provs[ok], kinds[ok]


def setup_kinds(table: pd.DataFrame) -> np.ndarray:
    """Per row, what its KD value was computed on (provenance.setup_label: the kind of Dy-L distance, and the
    basis where the table has one); "" where not known."""
    geometry = table[C.KD_GEOMETRY_SOURCE] if C.KD_GEOMETRY_SOURCE in table.columns else [None] * len(table)
    basis = table[C.KD_BASIS] if C.KD_BASIS in table.columns else [None] * len(table)
    return np.array([P.setup_label(g, b) for g, b in zip(geometry, basis, strict=True)], dtype=object)


def source_label(tag: str, kind: str = "") -> str:
    """Legend and hover name of a value's source: the provenance, and for CASSCF the geometry kind."""
    name = P.describe(tag) if tag else "unknown provenance"
    return f"{name} · {kind}" if kind else name


def _source_style(tag: str, kind: str, colour_kind: str) -> tuple[str, str]:
    """(legend label, marker symbol) of the values of one provenance tag on one geometry kind. CASSCF on a
    computed Dy-L distance is drawn apart (squares): within a class E1 follows that distance. An estimate's
    geometry is named where the colouring is about it (kd-axial); CASSCF's always."""
    casscf = P.is_casscf(tag)
    symbol = ("square" if kind.startswith(P.COMPUTED_DISTANCE) else "diamond") if casscf else "circle"
    return source_label(tag, kind if casscf or colour_kind == "kd-axial" else ""), symbol


def ligand_layers(lmap, choice: ColourChoice, proxy_labels: pd.DataFrame | None, kd_known: pd.DataFrame,
                  max_points: int, index: dict[str, int] | None = None,
                  surrogate_frame: pd.DataFrame | None = None) -> tuple[list[MapLayer], str]:
    """Layers of the ligand set coloured by `choice`, one coloured layer per provenance tag.

    Args:
        index: SMILES -> map row (built once per map by the caller; built here when None).
    Returns:
        (layers, colour-bar title naming units).
    """
    n = len(lmap)
    smiles_all = lmap.smiles
    index = index if index is not None else {s: i for i, s in enumerate(smiles_all)}
    known_rows = np.zeros(0, int)
    known_vals, known_provs = np.zeros(0), np.zeros(0, dtype=object)
    known_kinds = np.zeros(0, dtype=object)
    if choice.kind == "proxy":
        known_rows, known_vals, known_provs, known_kinds = _table_rows(proxy_labels, choice.column, index)
    elif choice.kind in KD_KINDS:
        known_rows, known_vals, known_provs, known_kinds = _table_rows(kd_known, KD_FIRST, index)
    keep = None
    if len(known_rows):
        keep = np.zeros(n, bool)
        keep[known_rows] = True
        if len(known_rows) > max_points:  # more labelled ligands than points to draw: a random share of them
            keep[:] = False
            keep[np.random.default_rng(0).choice(known_rows, max_points, replace=False)] = True
    sub = display_subset(n, max_points, keep)
    x, y = lmap.coords[sub, 0], lmap.coords[sub, 1]
    s = np.asarray(smiles_all[sub], dtype=object)
    extra = None
    pk = np.full(len(sub), "", dtype=object)  # geometry kind of a CASSCF value ("" elsewhere)
    if choice.kind == "prediction":
        v = lmap.predictions[choice.column].to_numpy(dtype=float)[sub]
        pv = np.full(len(sub), P.MODEL_PREDICTION, dtype=object)
    elif choice.kind == "surrogate" and surrogate_frame is not None:
        v = surrogate_frame[C.SURROGATE_GAP_COLUMNS[0]].to_numpy(dtype=float)[sub]
        sd = surrogate_frame[C.SURROGATE_STD_COLUMNS[0]].to_numpy(dtype=float)[sub]
        pv = np.full(len(sub), P.SURROGATE_GP_LATENT, dtype=object)
        extra = np.array([f"± {e:.0f} cm⁻¹ (1σ, surrogate)" for e in sd], dtype=object)
    else:
        v = np.full(len(sub), np.nan)
        pv = np.full(len(sub), "", dtype=object)
        if len(known_rows):
            pos = np.searchsorted(sub, known_rows)
            hit = (pos < len(sub)) & (sub[np.minimum(pos, len(sub) - 1)] == known_rows)
            v[pos[hit]], pv[pos[hit]] = known_vals[hit], known_provs[hit]
            pk[pos[hit]] = known_kinds[hit]
    layers: list[MapLayer] = []
    unknown = ~np.isfinite(v)
    if choice.kind == "none" or unknown.all():
        layers.append(MapLayer("ligand set", x, y, s, None, size=3))
        return layers, ""
    if unknown.any():
        layers.append(MapLayer("no value", x[unknown], y[unknown], s[unknown], None, size=3))
    for tag, kind in dict.fromkeys(zip(pv[~unknown], pk[~unknown], strict=True)):
        m = (~unknown) & (pv == tag) & (pk == kind)
        label, symbol = _source_style(str(tag), str(kind), choice.kind)
        size = 7 if choice.kind in KD_KINDS else 4
        hover: list[str] | None = None
        if extra is not None:
            hover = [str(e) for e in extra[m]]
        elif kind:
            hover = [label] * int(m.sum())
        layers.append(MapLayer(f"{choice.column} · {label}", x[m], y[m], s[m], v[m], symbol=symbol, size=size,
                               hover_extra=hover))
    if choice.kind == "surrogate":
        return layers, "predicted first KD gap (cm⁻¹)"
    unit = UNITS.get(choice.column, "")
    return layers, f"{choice.column}" + (f" ({unit})" if unit else "")


def bin_layer(lmap, bins: KDBins, target: int, kd_known: pd.DataFrame,
              index: dict[str, int] | None = None) -> MapLayer | None:
    """Ligands whose known first KD gap falls in the target bin (1-based), as an outlined highlight."""
    index = index if index is not None else {s: i for i, s in enumerate(lmap.smiles)}
    rows, vals, provs, kinds = _table_rows(kd_known, KD_FIRST, index)
    inside = bins.assign(vals) == target
    rows, vals, provs, kinds = rows[inside], vals[inside], provs[inside], kinds[inside]
    if not len(rows):
        return None
    # the ring is drawn on top of the coloured point: hover must still say its value and source
    hover = [f"first KD gap {v:.0f} cm⁻¹ · {source_label(str(p), str(k) if P.is_casscf(str(p)) else '')}"
             for v, p, k in zip(vals, provs, kinds, strict=True)]
    return MapLayer(f"target {bins.label(target)}", lmap.coords[rows, 0], lmap.coords[rows, 1],
                    np.asarray(lmap.smiles[rows], dtype=object), None, symbol="circle-open", size=12,
                    fixed_colour="#d62728", hover_extra=hover)


def bin_smiles(lmap, bins: KDBins, target: int, kd_known: pd.DataFrame, index: dict[str, int], k: int) -> list[str]:
    """At most k ligands of the target bin spread over the latent space (farthest-point sampling on the
    latent means, from the ligand nearest the bin's centroid), for 'add this bin' to the seed basket."""
    rows, vals, _, _ = _table_rows(kd_known, KD_FIRST, index)
    rows = rows[bins.assign(vals) == target]
    if len(rows) <= k:
        return [str(s) for s in lmap.smiles[rows]]
    z = np.asarray(lmap.z[rows], dtype=float)
    nxt = int(np.argmin(((z - z.mean(0)) ** 2).sum(1)))
    dmin = np.full(len(rows), np.inf)
    picked: list[int] = []
    while len(picked) < k:
        picked.append(nxt)
        dmin = np.minimum(dmin, ((z - z[nxt]) ** 2).sum(1))
        nxt = int(np.argmax(dmin))
    return [str(lmap.smiles[rows[i]]) for i in picked]


def search_layer(x: np.ndarray, y: np.ndarray, smiles: list[str]) -> MapLayer:
    return MapLayer("search result", x, y, np.asarray(smiles, dtype=object), None, symbol="circle-open", size=22,
                    fixed_colour="#2ca02c", hover_extra=["found by the search box"] * len(smiles))


def seed_layer(coords: np.ndarray, smiles: list[str]) -> MapLayer:
    return MapLayer("seed basket", coords[:, 0], coords[:, 1], np.asarray(smiles, dtype=object), None,
                    symbol="star", size=16, fixed_colour="#ff7f0e")


def samples_layer(samples: pd.DataFrame) -> MapLayer | None:
    if samples.empty or "pc1" not in samples:
        return None
    novel = samples[C.IS_NOVEL].astype(bool).to_numpy() if C.IS_NOVEL in samples else np.ones(len(samples), bool)
    seeds = samples.get(C.SEED_SMILES, pd.Series([""] * len(samples))).astype(str)
    hover = [f"seed {sd} · {'novel' if n else 'known'}" for sd, n in zip(seeds, novel, strict=False)]
    return MapLayer("sampled ligands", samples["pc1"].to_numpy(), samples["pc2"].to_numpy(),
                    samples[C.SMILES].to_numpy(dtype=object), None, symbol="x", size=7,
                    fixed_colour="#1f77b4", hover_extra=hover)


def with_session_estimates(kd_known: pd.DataFrame, complexes: dict, computed_only: bool = False) -> pd.DataFrame:
    """Add first-gap KD estimates of complexes assembled in this session (provenance from the estimate,
    e.g. cf-pointcharge, and the complex's geometry); a known value from a file or CASSCF job is kept over an
    estimate. computed_only: only complexes whose Dy-L distance was computed (the kd-axial colouring)."""
    rows = []
    for smi, entry in complexes.items():
        est = entry.get("estimate")
        gaps = list(est.gaps_cm1) if est is not None else []
        geometry = str(getattr(entry.get("complex"), "geometry_provenance", "") or "")
        if computed_only and P.axial_distance_kind(geometry) != P.COMPUTED_DISTANCE:
            continue
        if gaps and not P.is_casscf(est.provenance):
            rows.append({C.SMILES: smi, KD_FIRST: float(gaps[0]), C.KD_PROVENANCE: str(est.provenance),
                         C.KD_GEOMETRY_SOURCE: geometry})
    if not rows:
        return kd_known
    extra = pd.DataFrame(rows)
    extra = extra[~extra[C.SMILES].isin(set(kd_known[C.SMILES]))]
    return pd.concat([kd_known, extra], ignore_index=True) if len(extra) else kd_known


def off_map_known(kd_known: pd.DataFrame, index: dict[str, int]) -> pd.DataFrame:
    """Known first gaps of ligands that are not in the mapped ligand set (sampled ligands sent to CASSCF):
    the map layers only look ligands up by row, so these must be encoded and projected by the caller."""
    if kd_known.empty:
        return kd_known
    t = kd_known.drop_duplicates(C.SMILES, keep="last")
    return t[~t[C.SMILES].isin(index.keys()) & np.isfinite(pd.to_numeric(t[KD_FIRST], errors="coerce"))]


def off_map_layers(table: pd.DataFrame, coords: np.ndarray, colour_kind: str = "kd") -> list[MapLayer]:
    """One coloured layer per (provenance tag, geometry kind) for `off_map_known` rows at their projected
    `coords`, named and drawn as `ligand_layers` names them, so `merge_layers` joins each to its legend entry."""
    layers = []
    provs = table[C.KD_PROVENANCE].astype(str).to_numpy(dtype=object)
    kinds = setup_kinds(table)
    vals = table[KD_FIRST].to_numpy(dtype=float)
    smiles = table[C.SMILES].to_numpy(dtype=object)
    for tag, kind in dict.fromkeys(zip(provs, kinds, strict=True)):
        m = (provs == tag) & (kinds == kind)
        label, symbol = _source_style(str(tag), str(kind), colour_kind)
        layers.append(MapLayer(f"{KD_FIRST} · {label}", coords[m, 0], coords[m, 1], smiles[m], vals[m],
                               symbol=symbol, size=9, hover_extra=[label] * int(m.sum()) if kind else None))
    return layers


def merge_layers(layers: list[MapLayer], extra: list[MapLayer]) -> list[MapLayer]:
    """Append `extra` points to the coloured layer of the same name (one legend entry and count per
    provenance), or add them as a new layer."""
    out = list(layers)
    for layer in extra:
        i = next((k for k, old in enumerate(out) if old.name == layer.name and old.colour is not None), None)
        if i is None:
            out.append(layer)
            continue
        old = out[i]
        hover = None  # each point keeps its own hover line ("" where its layer had none)
        if old.hover_extra is not None or layer.hover_extra is not None:
            hover = [*(old.hover_extra or [""] * len(old.x)), *(layer.hover_extra or [""] * len(layer.x))]
        out[i] = MapLayer(old.name, np.concatenate([old.x, layer.x]), np.concatenate([old.y, layer.y]),
                          np.concatenate([old.smiles, layer.smiles]), np.concatenate([old.colour, layer.colour]),
                          symbol=old.symbol, size=old.size, fixed_colour=old.fixed_colour, hover_extra=hover)
    return out
