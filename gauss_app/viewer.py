"""3D viewer of complexes with the 3Dmol.js bundled in assets/web (inlined: no CDN, works offline).

py3Dmol's own HTML loads 3Dmol.js from a CDN, so the page builds the viewer HTML here and hands it to
st.iframe (an HTML string is embedded as is).
"""

from __future__ import annotations

import json
from functools import lru_cache

from gauss_core import paths

JS_PATH = paths.ASSETS / "web" / "3Dmol-min.js"


@lru_cache(maxsize=1)
def threedmol_js() -> str:
    """The bundled 3Dmol.js source."""
    return JS_PATH.read_text(encoding="utf-8")


def viewer_html(molblock: str, height: int = 460, element_id: str = "gauss3d") -> str:
    """Self-contained HTML: 3Dmol.js inlined, one SDF/MOL model shown as sticks with Dy as a sphere.

    Args:
        molblock: SDF or MOL text of the complex (gauss_core.export.complex_sdf_record).
        height: viewer height in pixels.
    """
    model = json.dumps(molblock)
    # `</script>` cannot appear inside the inlined source; 3Dmol-min.js does not contain it, checked in tests.
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<style>html,body{{margin:0;padding:0;}} #{element_id}{{width:100%;height:{height}px;position:relative;}}</style>
<script>{threedmol_js()}</script></head><body>
<div id="{element_id}" data-gauss-viewer="1"></div>
<script>
(function() {{
  var el = document.getElementById("{element_id}");
  var viewer = $3Dmol.createViewer(el, {{backgroundColor: "white"}});
  viewer.addModel({model}, "sdf");
  viewer.setStyle({{}}, {{stick: {{radius: 0.14}}, sphere: {{scale: 0.22}}}});
  viewer.setStyle({{elem: "Dy"}}, {{sphere: {{scale: 0.55, color: "#7b3fbf"}}}});
  viewer.rotate(55, {{x: 1, y: 1, z: 0}});  // tilted: the template's L-Dy-L axis is not along the line of sight
  viewer.zoomTo();
  viewer.render();
  el.setAttribute("data-rendered", "1");
}})();
</script></body></html>"""
