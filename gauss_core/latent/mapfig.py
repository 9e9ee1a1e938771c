"""The latent PCA map: ligands coloured by a property, KD-bin highlight, seeds, sampled ligands.

Two renderings of the same `MapLayer`s:
- `map_payload`: compact JSON for the dashboard's own WebGL map (gauss_app/web/latent_map.js), which draws
  the Latent space page without loading plotly.js (4.7 MB of JavaScript, most of a fresh tab's load time);
- `latent_map_figure`: a plotly Scattergl figure (the Sampling page's small map). Every trace carries the
  SMILES of its points as `customdata`, so a plotly selection can be turned back into SMILES with
  `selected_smiles`.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.colors
import plotly.graph_objects as go

BACKGROUND = "#c8c8c8"
COLOUR_SCALE = tuple(plotly.colors.sequential.Viridis)  # the map and the plotly charts share one scale
QUANT = 65535  # map_payload: coordinates as uint16 steps of the plotted box


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


def _b64(values: np.ndarray, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(values, dtype=np.dtype(dtype).newbyteorder("<")).tobytes()
                            ).decode("ascii")


def _split_unknown(layers: Sequence[MapLayer]) -> list[tuple[MapLayer, str, np.ndarray, bool]]:
    """(layer, name, row indices, coloured?) per drawn group: the points of a coloured layer that have no
    value become a grey group of their own ("<name>: no value"), drawn first, as in `latent_map_figure`."""
    out = []
    for layer in layers:
        n = len(layer.x)
        if layer.colour is None:
            out.append((layer, layer.name, np.arange(n), False))
            continue
        known = np.isfinite(np.asarray(layer.colour, dtype=float))
        if (~known).any():
            out.append((layer, f"{layer.name}: no value", np.flatnonzero(~known), False))
        if known.any():
            out.append((layer, layer.name, np.flatnonzero(known), True))
    return out


def map_payload(layers: Sequence[MapLayer], colour_title: str = "", height: int = 620,
                colour_range: tuple[float, float] | None = None, axis_titles: tuple[str, str] = ("PC1", "PC2"),
                selectable: bool = True, max_return: int = 100) -> dict:
    """JSON-ready description of the map for gauss_app/web/latent_map.js.

    Coordinates are sent as uint16 steps of the plotted box (1/65535 of its width: far below a pixel, also
    zoomed in), colour values as float32 (shown on hover to 4 significant digits), the SMILES of each layer
    newline-joined; about 30 bytes per point instead of plotly's ~45 and no plotly.js in the browser.

    Args:
        layers: drawn in order (later layers on top); a coloured layer's points without a value are drawn
            grey as "<name>: no value".
        colour_title: colour-bar title (name the quantity and unit).
        colour_range: fixed (min, max) of the colour scale, else the range of the values.
        selectable: box / lasso / click selection returns SMILES (at most `max_return`, plus the count).
    Returns:
        dict with box [x0, x1, y0, y1], colour scale, layers (name, symbol, size, colour, n, xy, values,
        smiles, extra) and a `revision` hash of the content.
    """
    groups = _split_unknown(layers)
    xs = [np.asarray(g[0].x, dtype=float)[g[2]] for g in groups]
    ys = [np.asarray(g[0].y, dtype=float)[g[2]] for g in groups]
    all_x = np.concatenate(xs) if xs else np.zeros(0)
    all_y = np.concatenate(ys) if ys else np.zeros(0)
    box = []
    for v in (all_x, all_y):
        v = v[np.isfinite(v)]
        lo, hi = (float(v.min()), float(v.max())) if len(v) else (-1.0, 1.0)
        pad = 0.03 * (hi - lo) if hi > lo else 1.0
        box += [lo - pad, hi + pad]
    values = [np.asarray(g[0].colour, dtype=float)[g[2]] for g in groups if g[3]]
    colour = None
    if values:
        if colour_range is None:
            both = np.concatenate(values)
            colour_range = (float(both.min()), float(both.max()))
        lo, hi = colour_range
        if not hi > lo:
            lo, hi = lo - 0.5, hi + 0.5
        colour = {"title": colour_title, "min": lo, "max": hi, "scale": list(COLOUR_SCALE)}
    out_layers = []
    digest = hashlib.sha256()
    for (layer, name, rows, coloured), x, y in zip(groups, xs, ys, strict=False):
        qx = np.clip(np.round((x - box[0]) / (box[1] - box[0]) * QUANT), 0, QUANT)
        qy = np.clip(np.round((y - box[2]) / (box[3] - box[2]) * QUANT), 0, QUANT)
        xy = _b64(np.column_stack([qx, qy]).astype(np.uint16), "u2")
        smiles = "\n".join(str(s).replace("\n", " ") for s in np.asarray(layer.smiles, dtype=object)[rows])
        vals = _b64(np.asarray(layer.colour, dtype=float)[rows].astype(np.float32), "f4") if coloured else None
        extra = None if layer.hover_extra is None else [str(e) for e in np.asarray(layer.hover_extra,
                                                                                  dtype=object)[rows]]
        no_value = layer.colour is not None and not coloured
        size = max(2, layer.size - 1) if no_value else layer.size
        fixed = None if coloured else (BACKGROUND if no_value else layer.fixed_colour)
        entry = {"name": name, "symbol": layer.symbol, "size": size, "colour": fixed,
                 "n": int(len(rows)), "xy": xy, "values": vals, "smiles": smiles, "extra": extra}
        for part in (name, layer.symbol, str(size), str(fixed), xy, vals or "", smiles, "\n".join(extra or [])):
            digest.update(part.encode())
        out_layers.append(entry)
    digest.update(repr((box, colour, axis_titles, selectable, max_return, height)).encode())
    return {"box": box, "colour": colour, "layers": out_layers, "height": int(height),
            "axis_titles": list(axis_titles), "selectable": bool(selectable), "max_return": int(max_return),
            "revision": digest.hexdigest()[:16]}


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
    coloraxis: dict[str, object] = {"colorscale": "Viridis", "colorbar": {"title": {"text": colour_title}, "len": 0.75}}
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
