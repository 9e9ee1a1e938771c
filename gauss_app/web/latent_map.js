// GAUSS Studio latent map: WebGL points with hover SMILES, box / lasso / click selection, zoom, pan, legend
// and colour bar. Mounted by gauss_app/mapwidget.py (st.components.v2); `data` is
// gauss_core.latent.mapfig.map_payload(...). No plotly.js: the page stays light on a fresh tab.
//
// Streamlit calls the default export again (same parentElement) whenever `data` changes; one MapView per
// root element keeps the WebGL context, the zoom and the legend toggles across those updates.

const VIEWS = new WeakMap();
const QUANT = 65535;
const MARGIN = { l: 58, r: 12, t: 10, b: 44 };
const SYMBOLS = { circle: 0, "circle-open": 1, diamond: 2, star: 3, x: 4, square: 5 };
const GRID = 128; // hover index: GRID x GRID cells over the box
const DRAG_PX = 4; // a press that moves less than this is a click
// The zoom is kept in the browser's localStorage, per map box: a page switch or a reload mounts a new map,
// which starts from the last view of the same map instead of the whole box.
const VIEW_KEY = "gauss-latent-map-view";

function storedView(box) {
  try {
    const s = JSON.parse(window.localStorage.getItem(VIEW_KEY) || "null");
    if (s && Array.isArray(s.box) && Array.isArray(s.view) && s.view.length === 4 &&
        s.box.length === box.length && s.box.every((v, i) => v === box[i])) return s.view.slice();
  } catch (e) { /* no storage (private mode): start from the whole map */ }
  return null;
}

function keepView(box, view) {
  try {
    window.localStorage.setItem(VIEW_KEY, JSON.stringify({ box, view }));
  } catch (e) { /* storage full or disabled: the zoom is only lost on the next mount */ }
}

// User-timing marks (performance.getEntriesByType("mark")) let bench/bench_dashboard.py say where a fresh
// tab's load time goes: gmap:mount (this module runs), gmap:gl (WebGL context + shaders), gmap:drawn.
function mark(name) {
  if (window.performance && performance.mark) performance.mark(name);
}

// 2-D structure of the hovered ligand, drawn by the bundled SmilesDrawer (prepended to this module by
// mapwidget.py). A SMILES it cannot parse leaves the picture out; the SMILES line is always there.
const DEPICT = { width: 180, height: 130 };
let DRAWER = null;
function depict(smiles, svg) {
  if (!svg || !smiles || !window.SmilesDrawer) {
    if (svg) svg.remove();
    return;
  }
  if (!DRAWER) DRAWER = new window.SmilesDrawer.SvgDrawer({ width: DEPICT.width, height: DEPICT.height, compactDrawing: false });
  window.SmilesDrawer.parse(
    smiles,
    (tree) => {
      try {
        DRAWER.draw(tree, svg, "light");
        svg.setAttribute("data-smiles", smiles);
      } catch (err) {
        svg.remove();
      }
    },
    () => svg.remove(),
  );
}

export default function (component) {
  mark("gmap:mount");
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector(".gmap");
  let view = VIEWS.get(root);
  if (!view) {
    view = new MapView(root);
    VIEWS.set(root, view);
  }
  view.trigger = setTriggerValue;
  view.update(data);
  return () => {
    view.destroy();
    VIEWS.delete(root);
  };
}

function b64bytes(text) {
  const bin = atob(text || "");
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function hexRgb(hex) {
  const h = hex.replace("#", "");
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
}

function colourLut(stops) {
  const rgb = stops.map(hexRgb);
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (rgb.length - 1);
    const k = Math.min(Math.floor(t), rgb.length - 2);
    const f = t - k;
    for (let c = 0; c < 3; c++) lut[3 * i + c] = Math.round(rgb[k][c] * (1 - f) + rgb[k + 1][c] * f);
  }
  return lut;
}

function niceTicks(lo, hi, target) {
  const span = hi - lo;
  if (!(span > 0)) return { ticks: [lo], decimals: 2 };
  const raw = span / target;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const r = raw / mag;
  const step = (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return { ticks, decimals: Math.max(0, -Math.floor(Math.log10(step) + 1e-9)) };
}

function fmtValue(v) {
  if (!isFinite(v)) return "no value";
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function symbolSvg(symbol, fill, stroke) {
  const s = `fill="${fill}" stroke="${stroke || "none"}" stroke-width="1.2"`;
  const shapes = {
    circle: `<circle cx="8" cy="8" r="5" ${s}/>`,
    "circle-open": `<circle cx="8" cy="8" r="5" fill="none" stroke="${fill}" stroke-width="2"/>`,
    diamond: `<polygon points="8,2 14,8 8,14 2,8" ${s}/>`,
    star: `<polygon points="8,1.5 9.8,6.2 14.8,6.3 10.8,9.4 12.2,14.3 8,11.4 3.8,14.3 5.2,9.4 1.2,6.3 6.2,6.2" ${s}/>`,
    x: `<path d="M3,3 L13,13 M13,3 L3,13" stroke="${fill}" stroke-width="2.6"/>`,
    square: `<rect x="3" y="3" width="10" height="10" ${s}/>`,
  };
  return `<svg width="16" height="16" viewBox="0 0 16 16">${shapes[symbol] || shapes.circle}</svg>`;
}

const VERT = `
attribute vec2 aPos;
attribute vec4 aCol;
uniform vec2 uScale;
uniform vec2 uOffset;
uniform float uSize;
varying vec4 vCol;
void main() {
  gl_Position = vec4(aPos * uScale + uOffset, 0.0, 1.0);
  gl_PointSize = uSize;
  vCol = aCol;
}`;

// Signed distance to the marker outline in units of the half marker size (negative inside).
const FRAG = `
precision mediump float;
varying vec4 vCol;
uniform int uSymbol;
uniform float uAA;
uniform vec4 uOutline;
uniform float uOutlineW;
float star5(vec2 p) {
  const vec2 k1 = vec2(0.809016994375, -0.587785252292);
  const vec2 k2 = vec2(-0.809016994375, -0.587785252292);
  p.x = abs(p.x);
  p -= 2.0 * max(dot(k1, p), 0.0) * k1;
  p -= 2.0 * max(dot(k2, p), 0.0) * k2;
  p.x = abs(p.x);
  p.y -= 1.0;
  vec2 ba = 0.45 * vec2(-k1.y, k1.x) - vec2(0.0, 1.0);
  float h = clamp(dot(p, ba) / dot(ba, ba), 0.0, 1.0);
  return length(p - ba * h) * sign(p.y * ba.x - p.x * ba.y);
}
void main() {
  vec2 p = gl_PointCoord * 2.0 - 1.0;
  p.y = -p.y;
  float d;
  if (uSymbol == 0) d = length(p) - 0.94;
  else if (uSymbol == 1) d = abs(length(p) - 0.84) - 0.11;
  else if (uSymbol == 2) d = (abs(p.x) + abs(p.y) - 0.96) * 0.7071;
  else if (uSymbol == 3) d = star5(p * 1.04 + vec2(0.0, 0.06));
  else if (uSymbol == 4) { vec2 q = abs(p); d = max(abs(q.x - q.y) * 0.7071 - 0.2, max(q.x, q.y) - 0.8); }
  else d = max(abs(p.x), abs(p.y)) - 0.9;
  float a = 1.0 - smoothstep(-uAA, uAA, d);
  if (a <= 0.0) discard;
  vec4 c = vCol;
  if (uOutlineW > 0.0) c = mix(c, uOutline, smoothstep(-uOutlineW - uAA, -uOutlineW + uAA, d));
  gl_FragColor = vec4(c.rgb * c.a * a, c.a * a);
}`;

class MapView {
  constructor(root) {
    this.root = root;
    this.hidden = new Set(); // legend names switched off
    this.mode = "box";
    this.revision = null;
    this.layers = [];
    this.view = null;
    this.box = null;
    this.drag = null;
    this.hover = null;
    this.flash = null;
    root.innerHTML = `
      <div class="gm-toolbar">
        <button type="button" data-mode="box" title="Drag a box over ligands to add them to the seed basket">Box select</button>
        <button type="button" data-mode="lasso" title="Draw a loop around ligands to add them to the seed basket">Lasso select</button>
        <button type="button" data-mode="zoom" title="Drag a box to zoom in">Zoom</button>
        <button type="button" data-mode="pan" title="Drag to move the map">Pan</button>
        <button type="button" data-act="reset" title="Show the whole map (or double-click the map)">Reset view</button>
        <span class="gm-hint"></span>
      </div>
      <div class="gm-body">
        <div class="gm-plot">
          <canvas class="gm-gl"></canvas>
          <canvas class="gm-ov"></canvas>
          <div class="gm-tip" hidden></div>
        </div>
        <div class="gm-cbar" hidden><div class="gm-cbar-title"></div><canvas></canvas></div>
      </div>
      <div class="gm-legend"></div>`;
    this.plot = root.querySelector(".gm-plot");
    this.glCanvas = root.querySelector(".gm-gl");
    this.ov = root.querySelector(".gm-ov");
    this.tip = root.querySelector(".gm-tip");
    this.cbar = root.querySelector(".gm-cbar");
    this.legend = root.querySelector(".gm-legend");
    this.hint = root.querySelector(".gm-hint");
    this.gl = this.glCanvas.getContext("webgl", { antialias: false, premultipliedAlpha: true, alpha: true });
    if (this.gl) this.initGl();
    mark("gmap:gl");
    root.querySelectorAll("[data-mode]").forEach((b) => b.addEventListener("click", () => this.setMode(b.dataset.mode)));
    root.querySelector("[data-act=reset]").addEventListener("click", () => this.resetView());
    this.ov.addEventListener("pointerdown", (e) => this.onDown(e));
    this.ov.addEventListener("pointermove", (e) => this.onMove(e));
    this.ov.addEventListener("pointerup", (e) => this.onUp(e));
    this.ov.addEventListener("pointerleave", () => this.setHover(null));
    this.ov.addEventListener("dblclick", () => this.resetView());
    this.resizer = new ResizeObserver(() => this.resize());
    this.resizer.observe(this.plot);
  }

  destroy() {
    this.resizer.disconnect();
    if (this.gl) this.freeBuffers();
  }

  initGl() {
    const gl = this.gl;
    const shader = (type, src) => {
      const s = gl.createShader(type);
      gl.shaderSource(s, src);
      gl.compileShader(s);
      if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s));
      return s;
    };
    const prog = gl.createProgram();
    gl.attachShader(prog, shader(gl.VERTEX_SHADER, VERT));
    gl.attachShader(prog, shader(gl.FRAGMENT_SHADER, FRAG));
    gl.linkProgram(prog);
    gl.useProgram(prog);
    this.prog = prog;
    this.loc = {};
    for (const a of ["aPos", "aCol"]) this.loc[a] = gl.getAttribLocation(prog, a);
    for (const u of ["uScale", "uOffset", "uSize", "uSymbol", "uAA", "uOutline", "uOutlineW"]) this.loc[u] = gl.getUniformLocation(prog, u);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
  }

  freeBuffers() {
    for (const l of this.layers) {
      if (l.posBuf) this.gl.deleteBuffer(l.posBuf);
      if (l.colBuf) this.gl.deleteBuffer(l.colBuf);
    }
  }

  update(data) {
    if (data && data.placeholder) {
      this.plot.style.height = `${data.height}px`;
      this.hint.textContent = "Reading the map ...";
      return;
    }
    if (!data || data.revision === this.revision) return;
    this.root.dataset.drawn = "0";
    const sameBox = this.box && data.box.every((v, i) => v === this.box[i]);
    this.revision = data.revision;
    this.data = data;
    this.box = data.box;
    if (!sameBox || !this.view) this.view = storedView(data.box) || data.box.slice();
    this.plot.style.height = `${data.height}px`;
    this.flash = null;
    this.selectable = !!data.selectable;
    this.root.querySelectorAll("[data-mode=box],[data-mode=lasso]").forEach((b) => (b.hidden = !this.selectable));
    if (!this.selectable && (this.mode === "box" || this.mode === "lasso")) this.mode = "zoom";
    this.setMode(this.mode);
    const lut = data.colour ? colourLut(data.colour.scale) : null;
    if (this.gl) this.freeBuffers();
    this.layers = data.layers.map((src) => this.buildLayer(src, lut));
    this.renderLegend();
    this.renderColourBar(lut);
    if (!this.gl) {
      this.root.dataset.error = "webgl";
      this.hint.textContent = "This browser has no WebGL: the map cannot be drawn.";
      return;
    }
    this.resize();
  }

  buildLayer(src, lut) {
    const n = src.n;
    const bytes = b64bytes(src.xy);
    const pos = new Uint16Array(bytes.buffer, 0, 2 * n);
    const values = src.values ? new Float32Array(b64bytes(src.values).buffer, 0, n) : null;
    const col = new Uint8Array(4 * n);
    if (values) {
      const { min, max } = this.data.colour;
      for (let i = 0; i < n; i++) {
        const t = Math.min(1, Math.max(0, (values[i] - min) / (max - min)));
        const k = 3 * Math.round(t * 255);
        col[4 * i] = lut[k];
        col[4 * i + 1] = lut[k + 1];
        col[4 * i + 2] = lut[k + 2];
        col[4 * i + 3] = 255;
      }
    } else {
      const [r, g, b] = hexRgb(src.colour || "#888888");
      const alpha = src.symbol === "circle-open" ? 190 : 255; // highlight rings: see the colours beneath
      for (let i = 0; i < n; i++) {
        col[4 * i] = r;
        col[4 * i + 1] = g;
        col[4 * i + 2] = b;
        col[4 * i + 3] = alpha;
      }
    }
    // hover / click index: points sorted by grid cell (counting sort)
    const cellOf = new Uint32Array(n);
    const start = new Uint32Array(GRID * GRID + 1);
    for (let i = 0; i < n; i++) {
      const c = Math.min(GRID - 1, (pos[2 * i] * GRID / (QUANT + 1)) | 0) * GRID + Math.min(GRID - 1, (pos[2 * i + 1] * GRID / (QUANT + 1)) | 0);
      cellOf[i] = c;
      start[c + 1]++;
    }
    for (let c = 0; c < GRID * GRID; c++) start[c + 1] += start[c];
    const fill = start.slice(0, GRID * GRID);
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[fill[cellOf[i]]++] = i;
    const layer = {
      name: src.name, symbol: src.symbol, size: src.size, colour: src.colour, n, pos, values,
      smiles: src.smiles ? src.smiles.split("\n") : [], extra: src.extra, start, order,
    };
    if (this.gl) {
      const gl = this.gl;
      layer.posBuf = gl.createBuffer();
      gl.bindBuffer(gl.ARRAY_BUFFER, layer.posBuf);
      gl.bufferData(gl.ARRAY_BUFFER, pos, gl.STATIC_DRAW);
      layer.colBuf = gl.createBuffer();
      gl.bindBuffer(gl.ARRAY_BUFFER, layer.colBuf);
      gl.bufferData(gl.ARRAY_BUFFER, col, gl.STATIC_DRAW);
    }
    return layer;
  }

  visibleLayers() {
    return this.layers.filter((l) => !this.hidden.has(l.name));
  }

  renderLegend() {
    const mid = this.data.colour ? this.data.colour.scale[Math.floor(this.data.colour.scale.length / 2)] : "#888";
    this.legend.innerHTML = "";
    for (const l of this.layers) {
      const item = document.createElement("button");
      item.type = "button";
      item.className = "gm-item" + (this.hidden.has(l.name) ? " gm-off" : "");
      item.title = "Click to hide or show these points";
      const stroke = l.symbol === "star" ? "#333333" : null;
      item.innerHTML = `${symbolSvg(l.symbol, l.colour || mid, stroke)}<span>${escapeHtml(l.name)}</span>` +
        `<span class="gm-n">${l.n.toLocaleString("en-US")}</span>`;
      item.addEventListener("click", () => {
        if (this.hidden.has(l.name)) this.hidden.delete(l.name);
        else this.hidden.add(l.name);
        item.classList.toggle("gm-off");
        this.setHover(null);
        this.draw();
      });
      this.legend.appendChild(item);
    }
  }

  renderColourBar(lut) {
    const c = this.data.colour;
    this.cbar.hidden = !c;
    if (!c) return;
    this.cbar.querySelector(".gm-cbar-title").textContent = c.title || "";
    const cv = this.cbar.querySelector("canvas");
    const dpr = window.devicePixelRatio || 1;
    const h = Math.round(this.data.height * 0.7), w = 96;
    cv.style.width = `${w}px`;
    cv.style.height = `${h + 12}px`;
    cv.width = w * dpr;
    cv.height = (h + 12) * dpr;
    const ctx = cv.getContext("2d");
    ctx.scale(dpr, dpr);
    const top = 6, barW = 16;
    for (let y = 0; y < h; y++) {
      const k = 3 * Math.round((1 - y / (h - 1)) * 255);
      ctx.fillStyle = `rgb(${lut[k]},${lut[k + 1]},${lut[k + 2]})`;
      ctx.fillRect(0, top + y, barW, 1);
    }
    ctx.fillStyle = this.textColour();
    ctx.font = `12px ${this.font()}`;
    ctx.textBaseline = "middle";
    const { ticks, decimals } = niceTicks(c.min, c.max, 6);
    for (const t of ticks) {
      const y = top + (1 - (t - c.min) / (c.max - c.min)) * (h - 1);
      ctx.fillRect(barW, y, 4, 1);
      ctx.fillText(t.toFixed(decimals), barW + 7, y);
    }
  }

  textColour() {
    return getComputedStyle(this.root).getPropertyValue("--st-text-color").trim() || "#31333f";
  }

  font() {
    return getComputedStyle(this.root).getPropertyValue("--st-font").trim() || "sans-serif";
  }

  setMode(mode) {
    this.mode = mode;
    this.root.querySelectorAll("[data-mode]").forEach((b) => b.classList.toggle("gm-active", b.dataset.mode === mode));
    const hints = {
      box: "Drag a box over ligands, or click one, to add them to the seed basket.",
      lasso: "Draw a loop around ligands, or click one, to add them to the seed basket.",
      zoom: "Drag a box to zoom in; double-click for the whole map.",
      pan: "Drag to move the map; double-click for the whole map.",
    };
    this.hint.textContent = hints[mode] || "";
    this.ov.style.cursor = mode === "pan" ? "grab" : "crosshair";
  }

  resetView() {
    if (!this.box) return;
    this.view = this.box.slice();
    this.draw();
  }

  resize() {
    if (!this.data) return;
    const dpr = window.devicePixelRatio || 1;
    const W = Math.max(50, this.plot.clientWidth), H = this.data.height;
    this.W = W;
    this.H = H;
    this.pw = Math.max(10, W - MARGIN.l - MARGIN.r);
    this.ph = Math.max(10, H - MARGIN.t - MARGIN.b);
    Object.assign(this.glCanvas.style, { left: `${MARGIN.l}px`, top: `${MARGIN.t}px`, width: `${this.pw}px`, height: `${this.ph}px` });
    this.glCanvas.width = Math.round(this.pw * dpr);
    this.glCanvas.height = Math.round(this.ph * dpr);
    Object.assign(this.ov.style, { width: `${W}px`, height: `${H}px` });
    this.ov.width = Math.round(W * dpr);
    this.ov.height = Math.round(H * dpr);
    this.dpr = dpr;
    this.draw();
  }

  // data <-> plot-area pixels
  toPx(x, y) {
    const [x0, x1, y0, y1] = this.view;
    return [((x - x0) / (x1 - x0)) * this.pw, (1 - (y - y0) / (y1 - y0)) * this.ph];
  }

  toData(px, py) {
    const [x0, x1, y0, y1] = this.view;
    return [x0 + (px / this.pw) * (x1 - x0), y0 + (1 - py / this.ph) * (y1 - y0)];
  }

  // quantised (0..65535) -> plot-area pixels: px = qx * ax + bx, py = qy * ay + by
  quantToPx() {
    const [X0, X1, Y0, Y1] = this.box;
    const [x0, x1, y0, y1] = this.view;
    const ax = ((X1 - X0) / QUANT / (x1 - x0)) * this.pw, bx = ((X0 - x0) / (x1 - x0)) * this.pw;
    const ay = -((Y1 - Y0) / QUANT / (y1 - y0)) * this.ph, by = (1 - (Y0 - y0) / (y1 - y0)) * this.ph;
    return { ax, bx, ay, by };
  }

  draw() {
    if (!this.gl || !this.data || !this.pw) return;
    const gl = this.gl;
    gl.viewport(0, 0, this.glCanvas.width, this.glCanvas.height);
    gl.clearColor(0, 0, 0, 0);
    gl.clear(gl.COLOR_BUFFER_BIT);
    const [X0, X1, Y0, Y1] = this.box;
    const [x0, x1, y0, y1] = this.view;
    keepView(this.box, this.view);
    this.root.dataset.view = this.view.map((v) => v.toPrecision(6)).join(",");
    // clip = q * scale + offset, q in [0, 1] (normalised uint16)
    gl.uniform2f(this.loc.uScale, ((X1 - X0) / (x1 - x0)) * 2, ((Y1 - Y0) / (y1 - y0)) * 2);
    gl.uniform2f(this.loc.uOffset, ((X0 - x0) / (x1 - x0)) * 2 - 1, ((Y0 - y0) / (y1 - y0)) * 2 - 1);
    let drawn = 0;
    for (const l of this.visibleLayers()) {
      if (!l.n) continue;
      const sizePx = l.size * this.dpr;
      gl.bindBuffer(gl.ARRAY_BUFFER, l.posBuf);
      gl.enableVertexAttribArray(this.loc.aPos);
      gl.vertexAttribPointer(this.loc.aPos, 2, gl.UNSIGNED_SHORT, true, 0, 0);
      gl.bindBuffer(gl.ARRAY_BUFFER, l.colBuf);
      gl.enableVertexAttribArray(this.loc.aCol);
      gl.vertexAttribPointer(this.loc.aCol, 4, gl.UNSIGNED_BYTE, true, 0, 0);
      gl.uniform1f(this.loc.uSize, sizePx + 1);
      gl.uniform1i(this.loc.uSymbol, SYMBOLS[l.symbol] ?? 0);
      gl.uniform1f(this.loc.uAA, 2 / (sizePx + 1));
      const outlined = l.symbol === "star";
      gl.uniform4f(this.loc.uOutline, 0.2, 0.2, 0.2, 1);
      gl.uniform1f(this.loc.uOutlineW, outlined ? 3 / sizePx : 0);
      gl.drawArrays(gl.POINTS, 0, l.n);
      drawn += l.n;
    }
    this.drawOverlay();
    this.root.dataset.points = String(drawn);
    if (this.root.dataset.drawn !== "1") mark("gmap:drawn");
    this.root.dataset.drawn = "1";
  }

  drawOverlay() {
    const ctx = this.ov.getContext("2d");
    const dpr = this.dpr;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.W, this.H);
    const text = this.textColour();
    ctx.font = `12px ${this.font()}`;
    ctx.strokeStyle = "rgba(128,128,128,0.25)";
    ctx.fillStyle = text;
    ctx.lineWidth = 1;
    const [x0, x1, y0, y1] = this.view;
    const xt = niceTicks(x0, x1, Math.max(3, Math.round(this.pw / 110)));
    const yt = niceTicks(y0, y1, Math.max(3, Math.round(this.ph / 70)));
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of xt.ticks) {
      const px = MARGIN.l + this.toPx(t, y0)[0];
      ctx.beginPath();
      ctx.moveTo(px + 0.5, MARGIN.t);
      ctx.lineTo(px + 0.5, MARGIN.t + this.ph);
      ctx.stroke();
      ctx.fillText(t.toFixed(xt.decimals), px, MARGIN.t + this.ph + 5);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of yt.ticks) {
      const py = MARGIN.t + this.toPx(x0, t)[1];
      ctx.beginPath();
      ctx.moveTo(MARGIN.l, py + 0.5);
      ctx.lineTo(MARGIN.l + this.pw, py + 0.5);
      ctx.stroke();
      ctx.fillText(t.toFixed(yt.decimals), MARGIN.l - 6, py);
    }
    ctx.strokeStyle = "rgba(128,128,128,0.6)";
    ctx.strokeRect(MARGIN.l + 0.5, MARGIN.t + 0.5, this.pw, this.ph);
    const [tx, ty] = this.data.axis_titles || ["PC1", "PC2"];
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(tx, MARGIN.l + this.pw / 2, this.H - 2);
    ctx.save();
    ctx.translate(13, MARGIN.t + this.ph / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(ty, 0, 0);
    ctx.restore();
    // clip the rest to the plot area
    ctx.save();
    ctx.beginPath();
    ctx.rect(MARGIN.l, MARGIN.t, this.pw, this.ph);
    ctx.clip();
    ctx.translate(MARGIN.l, MARGIN.t);
    if (this.flash) {
      ctx.strokeStyle = "#d62728";
      ctx.lineWidth = 1.5;
      const { ax, bx, ay, by } = this.quantToPx();
      for (const [l, i] of this.flash.points) {
        ctx.beginPath();
        ctx.arc(l.pos[2 * i] * ax + bx, l.pos[2 * i + 1] * ay + by, l.size / 2 + 3, 0, 2 * Math.PI);
        ctx.stroke();
      }
    }
    if (this.hover) {
      const { l, i } = this.hover;
      const { ax, bx, ay, by } = this.quantToPx();
      ctx.strokeStyle = text;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(l.pos[2 * i] * ax + bx, l.pos[2 * i + 1] * ay + by, l.size / 2 + 4, 0, 2 * Math.PI);
      ctx.stroke();
    }
    const d = this.drag;
    if (d && d.moved && d.mode !== "pan") {
      ctx.strokeStyle = "rgba(40,40,40,0.9)";
      ctx.fillStyle = "rgba(100,100,100,0.12)";
      ctx.setLineDash([5, 4]);
      ctx.lineWidth = 1;
      ctx.beginPath();
      if (d.mode === "lasso") {
        d.path.forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
        ctx.closePath();
      } else {
        ctx.rect(d.x0, d.y0, d.x - d.x0, d.y - d.y0);
      }
      ctx.fill();
      ctx.stroke();
    }
    ctx.restore();
  }

  eventPos(e) {
    const r = this.ov.getBoundingClientRect();
    return [e.clientX - r.left - MARGIN.l, e.clientY - r.top - MARGIN.t];
  }

  inPlot(px, py) {
    return px >= 0 && py >= 0 && px <= this.pw && py <= this.ph;
  }

  onDown(e) {
    if (!this.data || e.button !== 0) return;
    const [px, py] = this.eventPos(e);
    if (!this.inPlot(px, py)) return;
    this.ov.setPointerCapture(e.pointerId);
    this.drag = { mode: this.mode, x0: px, y0: py, x: px, y: py, moved: false, path: [[px, py]], view0: this.view.slice() };
    if (this.mode === "pan") this.ov.style.cursor = "grabbing";
  }

  onMove(e) {
    const [px, py] = this.eventPos(e);
    const d = this.drag;
    if (!d) {
      if (this.inPlot(px, py)) this.pendingHover = [px, py, e.clientX, e.clientY];
      else this.pendingHover = null;
      if (!this.hoverFrame) {
        this.hoverFrame = requestAnimationFrame(() => {
          this.hoverFrame = 0;
          const h = this.pendingHover;
          this.setHover(h ? this.nearest(h[0], h[1]) : null, h);
        });
      }
      return;
    }
    d.x = Math.min(Math.max(px, 0), this.pw);
    d.y = Math.min(Math.max(py, 0), this.ph);
    if (Math.hypot(d.x - d.x0, d.y - d.y0) >= DRAG_PX) d.moved = true;
    if (!d.moved) return;
    if (d.mode === "lasso") d.path.push([d.x, d.y]);
    if (d.mode === "pan") {
      const [vx0, vx1, vy0, vy1] = d.view0;
      const dx = ((px - d.x0) / this.pw) * (vx1 - vx0), dy = ((py - d.y0) / this.ph) * (vy1 - vy0);
      this.view = [vx0 - dx, vx1 - dx, vy0 + dy, vy1 + dy];
      this.draw();
    } else {
      this.setHover(null);
      this.drawOverlay();
    }
  }

  onUp(e) {
    const d = this.drag;
    if (!d) return;
    this.drag = null;
    if (this.ov.hasPointerCapture(e.pointerId)) this.ov.releasePointerCapture(e.pointerId);
    if (d.mode === "pan") {
      this.ov.style.cursor = "grab";
      if (d.moved) return;
    }
    if (!d.moved) {
      const hit = this.nearest(d.x0, d.y0);
      if (hit && this.selectable) this.select([[hit.l, hit.i]], "click");
      this.drawOverlay();
      return;
    }
    if (d.mode === "zoom") {
      const [ax, ay] = this.toData(Math.min(d.x0, d.x), Math.max(d.y0, d.y));
      const [bx, by] = this.toData(Math.max(d.x0, d.x), Math.min(d.y0, d.y));
      const minW = (this.box[1] - this.box[0]) / 200, minH = (this.box[3] - this.box[2]) / 200;
      if (bx - ax > minW && by - ay > minH) this.view = [ax, bx, ay, by];
      this.draw();
      return;
    }
    this.select(d.mode === "lasso" ? this.inLasso(d.path) : this.inBox(d.x0, d.y0, d.x, d.y), d.mode);
    this.drawOverlay();
  }

  // points of the visible layers inside a pixel box / lasso, as [layer, index] in layer order
  inBox(xa, ya, xb, yb) {
    const { ax, bx, ay, by } = this.quantToPx();
    const qx0 = (Math.min(xa, xb) - bx) / ax, qx1 = (Math.max(xa, xb) - bx) / ax;
    const qy0 = (Math.max(ya, yb) - by) / ay, qy1 = (Math.min(ya, yb) - by) / ay;
    const out = [];
    for (const l of this.visibleLayers()) {
      const p = l.pos;
      for (let i = 0; i < l.n; i++) {
        const qx = p[2 * i], qy = p[2 * i + 1];
        if (qx >= qx0 && qx <= qx1 && qy >= qy0 && qy <= qy1) out.push([l, i]);
      }
    }
    return out;
  }

  inLasso(path) {
    if (path.length < 3) return [];
    let xa = Infinity, xb = -Infinity, ya = Infinity, yb = -Infinity;
    for (const [x, y] of path) {
      xa = Math.min(xa, x); xb = Math.max(xb, x); ya = Math.min(ya, y); yb = Math.max(yb, y);
    }
    const { ax, bx, ay, by } = this.quantToPx();
    return this.inBox(xa, ya, xb, yb).filter(([l, i]) => {
      const x = l.pos[2 * i] * ax + bx, y = l.pos[2 * i + 1] * ay + by;
      let inside = false;
      for (let a = 0, b = path.length - 1; a < path.length; b = a++) {
        const [xi, yi] = path[a], [xj, yj] = path[b];
        if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
      }
      return inside;
    });
  }

  // nearest visible point within reach of a pixel position (top layers win ties)
  nearest(px, py) {
    if (!this.data) return null;
    const { ax, bx, ay, by } = this.quantToPx();
    let best = null;
    const layers = this.visibleLayers();
    for (let k = layers.length - 1; k >= 0; k--) {
      const l = layers[k];
      const reach = Math.max(6, l.size / 2 + 3);
      const qxa = (px - reach - bx) / ax, qxb = (px + reach - bx) / ax;
      const qya = (py + reach - by) / ay, qyb = (py - reach - by) / ay;
      const cell = (q) => Math.min(GRID - 1, Math.max(0, Math.floor((q * GRID) / (QUANT + 1))));
      const cx0 = cell(qxa), cx1 = cell(qxb), cy0 = cell(qya), cy1 = cell(qyb);
      if (qxb < 0 || qxa > QUANT || qyb < 0 || qya > QUANT) continue;
      for (let cx = cx0; cx <= cx1; cx++) {
        for (let cy = cy0; cy <= cy1; cy++) {
          const c = cx * GRID + cy;
          for (let j = l.start[c]; j < l.start[c + 1]; j++) {
            const i = l.order[j];
            const dist = Math.hypot(l.pos[2 * i] * ax + bx - px, l.pos[2 * i + 1] * ay + by - py);
            if (dist <= reach && (!best || dist < best.dist)) best = { l, i, dist };
          }
        }
      }
    }
    return best;
  }

  setHover(hit, at) {
    const same = hit && this.hover && hit.l === this.hover.l && hit.i === this.hover.i;
    this.hover = hit;
    if (!hit) {
      this.tip.hidden = true;
      this.drawOverlay();
      return;
    }
    if (!same) {
      const { l, i } = hit;
      let html = `<svg class="gm-depict" width="${DEPICT.width}" height="${DEPICT.height}"></svg>`;
      html += `<div class="gm-smiles">${escapeHtml(l.smiles[i] || "")}</div>`;
      if (l.values) html += `<div>${escapeHtml(this.data.colour.title || "value")}: <b>${fmtValue(l.values[i])}</b></div>`;
      html += `<div class="gm-layer">${escapeHtml(l.name)}</div>`;
      if (l.extra && l.extra[i]) html += `<div class="gm-layer">${escapeHtml(l.extra[i])}</div>`;
      this.tip.innerHTML = html;
      depict(l.smiles[i], this.tip.querySelector(".gm-depict"));
      this.drawOverlay();
    }
    this.tip.hidden = false;
    if (at) {
      const left = MARGIN.l + at[0] + 14, top = MARGIN.t + at[1] + 14;
      const flip = left + this.tip.offsetWidth > this.W;
      this.tip.style.left = `${flip ? MARGIN.l + at[0] - 14 - this.tip.offsetWidth : left}px`;
      this.tip.style.top = `${Math.min(top, this.H - this.tip.offsetHeight - 4)}px`;
    }
  }

  select(points, mode) {
    const unique = [];
    const seen = new Set();
    for (const [l, i] of points) {
      const s = l.smiles[i];
      if (s && !seen.has(s)) {
        seen.add(s);
        unique.push([l, i]);
      }
    }
    if (!unique.length) {
      this.hint.textContent = "No ligand in the selection.";
      return;
    }
    // a box over a coloured region should seed from the coloured points, not the grey no-value ones around
    // them; only a selection without any value falls back to every point
    const valued = unique.filter(([l, i]) => l.values && Number.isFinite(l.values[i]));
    const pool = valued.length ? valued : unique;
    const max = this.data.max_return;
    const chosen = pool.length > max ? this.spread(pool, max) : pool;
    this.flash = { points: chosen };
    const note = valued.length && valued.length < unique.length ? ` (the ${valued.length.toLocaleString("en-US")} with a value)` : "";
    this.hint.textContent = `${unique.length.toLocaleString("en-US")} ligand(s) selected${note}; adding ` +
      `${chosen.length.toLocaleString("en-US")} to the seed basket ...`;
    if (this.trigger) this.trigger("selection", { mode, count: unique.length, smiles: chosen.map(([l, i]) => l.smiles[i]) });
  }

  // k of the points spread over the selection (farthest-point sampling on screen, from the one nearest
  // the middle), so that a large box gives seeds from all of it rather than the first ones in file order
  spread(points, k) {
    const { ax, bx, ay, by } = this.quantToPx();
    const n = points.length;
    const xs = new Float64Array(n), ys = new Float64Array(n);
    let cx = 0, cy = 0;
    points.forEach(([l, i], j) => {
      xs[j] = l.pos[2 * i] * ax + bx;
      ys[j] = l.pos[2 * i + 1] * ay + by;
      cx += xs[j] / n;
      cy += ys[j] / n;
    });
    const dmin = new Float64Array(n).fill(Infinity);
    let next = 0;
    for (let j = 1; j < n; j++) if (Math.hypot(xs[j] - cx, ys[j] - cy) < Math.hypot(xs[next] - cx, ys[next] - cy)) next = j;
    const out = [];
    while (out.length < k) {
      out.push(points[next]);
      const px = xs[next], py = ys[next];
      let far = -1;
      for (let j = 0; j < n; j++) {
        const d = (xs[j] - px) * (xs[j] - px) + (ys[j] - py) * (ys[j] - py);
        if (d < dmin[j]) dmin[j] = d;
        if (far < 0 || dmin[j] > dmin[far]) far = j;
      }
      if (dmin[far] === 0) break; // all remaining points sit on chosen ones
      next = far;
    }
    return out;
  }
}
