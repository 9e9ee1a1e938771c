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
UNITS = {C.DONOR_Z: "", C.Q_DONOR: "e", C.MU_DONOR: "e·a0", C.ALPHA_DONOR: "a0³", KD_FIRST: "cm⁻¹"}


@dataclass
class ColourChoice:
    """One entry of the 'colour by' menu."""

    label: str      # menu text
    kind: str       # "proxy", "kd", "prediction", "none"
    column: str


def colour_choices(proxy_labels: pd.DataFrame | None, prediction_columns: list[str]) -> list[ColourChoice]:
    out = [ColourChoice("first KD gap (known: estimate or CASSCF)", "kd", KD_FIRST)]
    if proxy_labels is not None:
        for col in C.PROXY_COLUMNS:
            if col in proxy_labels.columns:
                out.append(ColourChoice(f"proxy label: {col}", "proxy", col))
    for col in prediction_columns:
        out.append(ColourChoice(f"model prediction: {col}", "prediction", col))
    out.append(ColourChoice("nothing (grey)", "none", ""))
    return out


def _lookup(smiles: np.ndarray, table: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Values and provenance tags of `column` for each SMILES (NaN / '' where unknown)."""
    if table is None or table.empty:
        return np.full(len(smiles), np.nan), np.full(len(smiles), "", dtype=object)
    prov_col = C.KD_PROVENANCE if C.KD_PROVENANCE in table.columns else C.PROVENANCE
    t = table.drop_duplicates(C.SMILES, keep="last").set_index(C.SMILES)
    idx = t.index.get_indexer(pd.Index(smiles))
    ok = idx >= 0
    vals = np.full(len(smiles), np.nan)
    provs = np.full(len(smiles), "", dtype=object)
    vals[ok] = pd.to_numeric(t[column].to_numpy()[idx[ok]], errors="coerce")
    if prov_col in t.columns:
        provs[ok] = t[prov_col].astype(str).to_numpy()[idx[ok]]
    return vals, provs


def ligand_layers(lmap, choice: ColourChoice, proxy_labels: pd.DataFrame | None, kd_known: pd.DataFrame,
                  max_points: int) -> tuple[list[MapLayer], str]:
    """Layers of the ligand set coloured by `choice`, one coloured layer per provenance tag.

    Returns:
        (layers, colour-bar title naming units).
    """
    smiles = np.asarray(lmap.smiles, dtype=object)
    if choice.kind == "prediction":
        vals = lmap.predictions[choice.column].to_numpy(dtype=float)
        provs = np.full(len(smiles), P.MODEL_PREDICTION, dtype=object)
    elif choice.kind == "proxy":
        vals, provs = _lookup(smiles, proxy_labels, choice.column)
    elif choice.kind == "kd":
        vals, provs = _lookup(smiles, kd_known, KD_FIRST)
    else:
        vals, provs = np.full(len(smiles), np.nan), np.full(len(smiles), "", dtype=object)
    keep = np.isfinite(vals) if choice.kind in ("kd", "proxy") else None
    sub = display_subset(len(smiles), max_points, keep)
    x, y = lmap.coords[sub, 0], lmap.coords[sub, 1]
    s, v, pv = smiles[sub], vals[sub], provs[sub]
    layers: list[MapLayer] = []
    unknown = ~np.isfinite(v)
    if choice.kind == "none" or unknown.all():
        layers.append(MapLayer("ligand set", x, y, s, None, size=3))
        return layers, ""
    if unknown.any():
        layers.append(MapLayer("no value", x[unknown], y[unknown], s[unknown], None, size=3))
    for tag in pd.unique(pv[~unknown]):
        m = (~unknown) & (pv == tag)
        symbol = "diamond" if P.is_casscf(str(tag)) else "circle"
        size = 7 if choice.kind == "kd" else 4
        layers.append(MapLayer(f"{choice.column} · {P.describe(str(tag)) if tag else 'unknown provenance'}",
                               x[m], y[m], s[m], v[m], symbol=symbol, size=size))
    unit = UNITS.get(choice.column, "")
    return layers, f"{choice.column}" + (f" ({unit})" if unit else "")


def bin_layer(lmap, bins: KDBins, target: int, kd_known: pd.DataFrame) -> MapLayer | None:
    """Ligands whose known first KD gap falls in the target bin (1-based), as an outlined highlight."""
    vals, _ = _lookup(np.asarray(lmap.smiles, dtype=object), kd_known, KD_FIRST)
    m = bins.assign(vals) == target
    if not m.any():
        return None
    return MapLayer(f"target {bins.label(target)}", lmap.coords[m, 0], lmap.coords[m, 1],
                    np.asarray(lmap.smiles, dtype=object)[m], None, symbol="circle-open", size=12,
                    fixed_colour="#d62728")


def seed_layer(coords: np.ndarray, smiles: list[str]) -> MapLayer:
    return MapLayer("seed basket", coords[:, 0], coords[:, 1], np.asarray(smiles, dtype=object), None,
                    symbol="star", size=16, fixed_colour="#ff7f0e")


def samples_layer(samples: pd.DataFrame) -> MapLayer | None:
    if samples.empty or "pc1" not in samples:
        return None
    novel = samples[C.IS_NOVEL].astype(bool).to_numpy() if C.IS_NOVEL in samples else np.ones(len(samples), bool)
    seeds = samples.get(C.SEED_SMILES, pd.Series([""] * len(samples))).astype(str)
    hover = [f"seed {sd} · {'novel' if n else 'known'}" for sd, n in zip(seeds, novel)]
    return MapLayer("sampled ligands", samples["pc1"].to_numpy(), samples["pc2"].to_numpy(),
                    samples[C.SMILES].to_numpy(dtype=object), None, symbol="x", size=7,
                    fixed_colour="#1f77b4", hover_extra=hover)


def with_session_estimates(kd_known: pd.DataFrame, complexes: dict) -> pd.DataFrame:
    """Add first-gap KD estimates of complexes assembled in this session (provenance from the estimate,
    e.g. cf-pointcharge); a known value from a file or CASSCF job is kept over an estimate."""
    rows = []
    for smi, entry in complexes.items():
        est = entry.get("estimate")
        gaps = list(getattr(est, "gaps_cm1", []) if est is not None else [])
        if gaps and not P.is_casscf(str(getattr(est, "provenance", ""))):
            rows.append({C.SMILES: smi, KD_FIRST: float(gaps[0]), C.KD_PROVENANCE: str(est.provenance)})
    if not rows:
        return kd_known
    extra = pd.DataFrame(rows)
    extra = extra[~extra[C.SMILES].isin(set(kd_known[C.SMILES]))]
    return pd.concat([kd_known, extra], ignore_index=True) if len(extra) else kd_known
