"""Plotly (WebGL) figure of the latent PCA map: ligands coloured by a property, KD-bin highlight, seeds,
sampled ligands. Every trace carries the SMILES of its points as `customdata`, so a selection on the
map can be turned back into SMILES with `selected_smiles`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

BACKGROUND = "#c8c8c8"


@dataclass
class MapLayer:
    """Points drawn as one trace (or several, for a colour split by provenance).

    Attributes:
        name: legend entry (name the provenance of coloured values here).
        x, y: PCA coordinates.
        smiles: SMILES per point (hover text and selection payload).
        colour: values for the colour scale, NaN = no value (drawn grey in a separate trace); None = fixed.
        symbol, size, fixed_colour: marker style.
    """

    name: str
    x: np.ndarray
    y: np.ndarray
    smiles: np.ndarray
    colour: np.ndarray | None = None
    symbol: str = "circle"
    size: int = 4
    fixed_colour: str = BACKGROUND
    hover_extra: Sequence[str] | None = None


def display_subset(n: int, max_points: int, keep: np.ndarray | None = None, seed: int = 0) -> np.ndarray:
    """Indices of at most max_points rows (random, reproducible), always including rows where keep is True."""
    if n <= max_points:
        return np.arange(n)
    keep_mask = np.zeros(n, bool) if keep is None else np.asarray(keep, bool)
    keep_idx = np.flatnonzero(keep_mask)
    rest = np.flatnonzero(~keep_mask)  # a mask, not np.setdiff1d: this runs on every page render
    rng = np.random.default_rng(seed)
    n_more = max(0, max_points - len(keep_idx))
    picked = rest[rng.permutation(len(rest))[:n_more]] if n_more else rest[:0]
    return np.sort(np.concatenate([keep_idx, picked]))


def latent_map_figure(layers: Sequence[MapLayer], colour_title: str = "", height: int = 620,
                      colour_range: tuple[float, float] | None = None) -> go.Figure:
    """One Scattergl trace per layer (coloured layers share one colour axis); hover shows the SMILES."""
    fig = go.Figure()
    shown_bar = False
    for layer in layers:
        # Hover comes from customdata (the SMILES) so that the SMILES are sent once, not twice.
        extra = None if layer.hover_extra is None else np.asarray(layer.hover_extra, dtype=object)
        if layer.colour is None:
            fig.add_trace(go.Scattergl(x=layer.x, y=layer.y, mode="markers", name=layer.name,
                                       customdata=layer.smiles, text=extra,
                                       hovertemplate="%{customdata}" + ("<br>%{text}" if extra is not None else "")
                                       + "<extra></extra>",
                                       marker={"size": layer.size, "color": layer.fixed_colour,
                                               "symbol": layer.symbol, "line": {"width": 0}}))
            continue
        values = np.asarray(layer.colour, dtype=float)
        known = np.isfinite(values)
        if (~known).any():
            fig.add_trace(go.Scattergl(x=layer.x[~known], y=layer.y[~known], mode="markers",
                                       name=f"{layer.name}: no value", customdata=layer.smiles[~known],
                                       hovertemplate="%{customdata}<br>no value<extra></extra>",
                                       marker={"size": max(2, layer.size - 1), "color": BACKGROUND,
                                               "symbol": layer.symbol}))
        if known.any():
            fig.add_trace(go.Scattergl(
                x=layer.x[known], y=layer.y[known], mode="markers", name=layer.name,
                customdata=layer.smiles[known], hovertemplate="%{customdata}<br>%{marker.color:.4g}<extra></extra>",
                marker={"size": layer.size, "color": values[known], "coloraxis": "coloraxis",
                        "symbol": layer.symbol}))
            shown_bar = True
    coloraxis = {"colorscale": "Viridis", "colorbar": {"title": {"text": colour_title}, "len": 0.75}}
    if colour_range is not None:
        coloraxis.update(cmin=colour_range[0], cmax=colour_range[1])
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10}, dragmode="select",
                      xaxis_title="PC1", yaxis_title="PC2", legend={"orientation": "h", "y": -0.08},
                      coloraxis=coloraxis if shown_bar else None, hovermode="closest", uirevision="latent-map")
    return fig


def selected_smiles(event, figure: go.Figure | None = None) -> list[str]:
    """SMILES of the points in a Streamlit plotly selection event (customdata, else trace lookup)."""
    if not event:
        return []
    selection = event.get("selection", event) if isinstance(event, dict) else getattr(event, "selection", {})
    points = selection.get("points", []) if isinstance(selection, dict) else getattr(selection, "points", [])
    out: list[str] = []
    for p in points:
        smi = p.get("customdata")
        if isinstance(smi, list):
            smi = smi[0] if smi else None
        if smi is None and figure is not None:
            try:
                smi = figure.data[p["curve_number"]].customdata[p["point_index"]]
            except (KeyError, IndexError, TypeError):
                smi = None
        if isinstance(smi, str) and smi and smi not in out:
            out.append(smi)
    return out
