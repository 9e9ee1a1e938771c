"""The latent map as a Streamlit component (st.components.v2, no iframe): WebGL points drawn in the page by
gauss_app/web/latent_map.js from `gauss_core.latent.mapfig.map_payload`, with hover SMILES, zoom / pan and
box, lasso or click selection returned to Python as SMILES. The tooltip draws the hovered ligand in 2-D with
the bundled SmilesDrawer (gauss_app/web/PROVENANCE.md).

Why not st.plotly_chart: plotly.js is 4.7 MB of JavaScript that a fresh browser tab has to parse and run
before the first point appears (about two thirds of the Latent space page's load time, see
bench/bench_dashboard.py); this component is ~20 kB plus SmilesDrawer's 197 kB.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

WEB = Path(__file__).resolve().parent / "web"

_MAP = st.components.v2.component(
    "gauss_latent_map",
    html='<div class="gmap" data-testid="gauss-latent-map"></div>',
    # SmilesDrawer (MIT, bundled) first: it defines window.SmilesDrawer, which draws the hovered ligand's 2-D
    # structure in the tooltip without a round trip to Python.
    js=(WEB / "smiles-drawer.min.js").read_text(encoding="utf-8") + "\n"
    + (WEB / "latent_map.js").read_text(encoding="utf-8"),
    css=(WEB / "latent_map.css").read_text(encoding="utf-8"),
)


@dataclass
class MapSelection:
    """Ligands picked on the map in one gesture."""

    smiles: list[str]   # at most the payload's max_return, in drawing order
    count: int          # distinct ligands selected (may exceed len(smiles))
    mode: str           # "box", "lasso" or "click"


def _selected() -> None:
    """Selection callback: the page reads the selection from the component's return value."""


def placeholder(height: int = 620) -> None:
    """An empty map frame ("reading the map ..."), drawn at the top of a page before the map is computed, so
    the browser fetches and starts the component's code in parallel; replace it in the same st.empty slot."""
    _MAP(data={"placeholder": True, "height": height}, key="latent_map_placeholder", width="stretch",
         height="content")


def latent_map(payload: dict, key: str) -> MapSelection | None:
    """Draw the map; returns the selection made since the last run (a one-shot trigger), else None."""
    result = _MAP(data=payload, key=key, on_selection_change=_selected, width="stretch", height="content")
    picked = result.get("selection") if result is not None else None
    if not isinstance(picked, dict) or not picked.get("smiles"):
        return None
    smiles = [s for s in picked["smiles"] if isinstance(s, str) and s]
    return MapSelection(smiles=smiles, count=int(picked.get("count", len(smiles))), mode=str(picked.get("mode", "")))
