"""End to end in a real browser: Playwright drives Debian's headless Chromium against `streamlit run app.py`
on 127.0.0.1 (tiny trained model). A deep link on a fresh server draws the map; hover shows a SMILES; click,
lasso and box selection fill the seed basket; run sampling and watch the counters move, assemble a complex
and find its 3D canvas drawn, queue a CASSCF job, download the CSV and parse it.
Screenshots of every page go to tests/artifacts/ (gitignored)."""

from __future__ import annotations

import contextlib
import io
import math
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import REPO, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO / "tests" / "artifacts"
# --use-angle/--enable-unsafe-swiftshader: software WebGL for the plotly map and 3Dmol with the GPU disabled.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]


@contextlib.contextmanager
def _serve(env_extra: dict, tmp_path: Path):
    """`streamlit run app.py` on a free port with `env_extra`; yields its URL, stops it after. Fails the test if
    the server logged a deprecation warning."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: `make setup-test` installs it (DEB_TEST_PACKAGES)")
    port = free_port()
    env = {**os.environ, **env_extra, "OMP_NUM_THREADS": "1"}
    with open(tmp_path / "streamlit.log", "w") as log:  # the server keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.address", "127.0.0.1",
             "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.terminate()
        pytest.fail(f"streamlit did not start: {(tmp_path / 'streamlit.log').read_text()[-2000:]}")
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    # `make run` must start without deprecation warnings (issue 14, point 9): the server log says if any API
    # the pages use is on its way out.
    warned = [ln for ln in (tmp_path / "streamlit.log").read_text().splitlines() if "deprecat" in ln.lower()]
    assert not warned, "the dashboard logged deprecation warnings:\n" + "\n".join(warned[:5])


@pytest.fixture()
def server(app_env, tmp_path):
    with _serve(app_env, tmp_path) as url:
        yield url


@contextlib.contextmanager
def _chromium(**page_options):
    """A page of Debian's headless Chromium (1400 x 1000), closed after."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000}, **page_options)
        finally:
            browser.close()


def _shot(page, name: str) -> None:
    """Screenshot of the whole page: Streamlit scrolls inside its main container, not the document, so the
    viewport is stretched to the content's height for the shot (full_page alone would cut it). The stretch
    scrolls the main container back to the top (Chromium 150), so its scroll offset is put back after: a test
    that clicks at coordinates measured before the shot must find the page where it left it."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    scrolled = page.evaluate("() => [...document.querySelectorAll('[data-testid=stMain], section')]"
                             ".map(e => e.scrollTop)")
    height = page.evaluate("() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], section')]"
                           ".map(e => e.scrollHeight), document.body.scrollHeight)")
    page.set_viewport_size({"width": size["width"], "height": min(max(size["height"], height + 40), 6000)})
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.set_viewport_size(size)
    page.wait_for_timeout(200)
    page.evaluate("(tops) => [...document.querySelectorAll('[data-testid=stMain], section')]"
                  ".forEach((e, i) => { if (i < tops.length) e.scrollTop = tops[i]; })", scrolled)
    page.wait_for_timeout(100)


def _nav(page, title: str) -> None:
    """Switch page through the sidebar (keeps the session, unlike a reload)."""
    page.locator("[data-testid=stSidebarNav] a", has_text=title).first.click()
    page.wait_for_selector(f"h1:has-text('{title}')", timeout=60_000)


def _wait_idle(page, timeout_s: float = 120) -> None:
    """Wait until the app has finished its script run (the status widget disappears)."""
    page.wait_for_timeout(300)
    page.wait_for_selector("[data-testid=stStatusWidget]", state="detached", timeout=timeout_s * 1000)


def _metric(page, label: str) -> int:
    box = page.locator("[data-testid=stMetric]", has_text=label).first
    return int(box.locator("[data-testid=stMetricValue]").inner_text().replace(",", ""))


def _sidebar_count(page, what: str) -> int:
    text = page.locator("[data-testid=stSidebar]").inner_text()
    after = text.split(what)[1]
    return int(after.split(":")[1].split("·")[0].strip())


MAP_DRAWN = ".gmap[data-drawn='1']"   # set by gauss_app/web/latent_map.js after each WebGL draw


def _wait_basket(page, n: int) -> None:
    page.wait_for_function(f"() => document.querySelector('[data-testid=stSidebar]').innerText"
                           f".includes('Seed basket: {n} ')", timeout=60_000)


def _map_pixels(page) -> tuple[object, dict]:
    """(RGB array of the map's plot area as drawn on screen, its bounding box)."""
    from PIL import Image

    canvas = page.locator(".gmap .gm-gl").first
    img = np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")).astype(int)
    return img, canvas.bounding_box()


def _marker_pixels(img) -> np.ndarray:
    """(row, col) of pixels far from the plot background: drawn markers, not grid lines."""

    colours, counts = np.unique(img.reshape(-1, 3), axis=0, return_counts=True)
    background = colours[counts.argmax()]
    return np.argwhere(np.abs(img - background).sum(axis=2) > 150)


def _drag(page, points: list[tuple[float, float]]) -> None:
    page.mouse.move(*points[0])
    page.mouse.down()
    for p in points[1:]:  # small steps, like a hand
        page.mouse.move(*p)
        page.wait_for_timeout(20)
    page.mouse.up()


def test_deep_link_on_a_fresh_server_draws_the_map(server):
    """The first request to a new server is the deep link /latent: the Latent space page, no "Page not
    found" (Streamlit ran a pages/ folder as a v1 app until st.navigation had run once)."""

    with _chromium() as page:
        page.goto(f"{server}/latent")
        page.wait_for_selector(MAP_DRAWN, timeout=120_000)
        _wait_idle(page)
        _shot(page, "00_deep_link_latent")
        assert page.get_by_text("Page not found").count() == 0
        assert page.locator("h1").first.inner_text() == "Latent space"
        assert int(page.locator(".gmap").get_attribute("data-points")) > 100
        img, box = _map_pixels(page)
        markers = _marker_pixels(img)
        assert len(markers) > 500, "the map canvas is blank"
        legend = page.locator(".gmap .gm-legend").inner_text()
        assert "GAUSS-II model prediction" in legend      # provenance of the default colouring
        # hover: the tooltip draws the ligand in 2-D (bundled SmilesDrawer) above its SMILES and value
        row, col = markers[len(markers) // 3]
        page.mouse.move(box["x"] + float(col), box["y"] + float(row))
        page.locator(".gmap .gm-tip .gm-smiles").wait_for(state="visible", timeout=10_000)
        depiction = page.locator(".gmap .gm-tip svg.gm-depict")
        depiction.wait_for(state="visible", timeout=10_000)
        assert depiction.get_attribute("data-smiles") == page.locator(".gmap .gm-tip .gm-smiles").inner_text()
        assert depiction.locator("path, line, text").count() >= 2     # bonds / atom labels were drawn
        _shot(page, "00b_hover_depiction")


@pytest.mark.needs_xtb
def test_design_path_in_chromium(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        try:
            # 1. Latent map: hover, click, lasso and box selection -> seed basket
            page.goto(server)
            page.wait_for_selector("h1:has-text('GAUSS Studio')", timeout=120_000)
            _wait_idle(page)
            _shot(page, "00_home")
            _nav(page, "Latent space")
            page.wait_for_selector(MAP_DRAWN, timeout=120_000)
            _wait_idle(page)
            _shot(page, "01_latent_map")
            views = page.evaluate("() => performance.getEntriesByName('gmap:gl').length")  # map components made
            img, box = _map_pixels(page)
            markers = _marker_pixels(img)
            assert len(markers) > 500, "the map canvas is blank"
            row, col = markers[len(markers) // 2]
            x, y = box["x"] + float(col), box["y"] + float(row)
            page.mouse.move(x, y)
            tip = page.locator(".gmap .gm-tip .gm-smiles")
            tip.wait_for(state="visible", timeout=10_000)
            hovered = tip.inner_text()
            from gauss_core.chem import mol_from_smiles
            assert mol_from_smiles(hovered) is not None, hovered     # hover shows the ligand's SMILES
            _shot(page, "01b_hover")
            page.mouse.click(x, y)                                   # click: that one ligand
            _wait_basket(page, 1)
            _wait_idle(page)
            cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            r = 0.35 * min(box["width"], box["height"])
            loop = [(cx + r * math.cos(2 * math.pi * k / 24), cy + r * math.sin(2 * math.pi * k / 24))
                    for k in range(25)]
            page.locator(".gmap button", has_text="Lasso select").click()
            _drag(page, loop)                                        # lasso around the middle of the map
            page.wait_for_function("() => /Seed basket: ([2-9]|[1-9][0-9]) /.test("
                                   "document.querySelector('[data-testid=stSidebar]').innerText)", timeout=60_000)
            _wait_idle(page)
            page.get_by_role("button", name="Clear basket").click()
            _wait_basket(page, 0)
            _wait_idle(page)
            page.wait_for_selector(MAP_DRAWN, timeout=60_000)
            page.locator(".gmap button", has_text="Box select").click()
            box = page.locator(".gmap .gm-gl").first.bounding_box()
            x0, y0 = box["x"] + box["width"] * 0.05, box["y"] + box["height"] * 0.05
            _drag(page, [(x0 + box["width"] * 0.9 * i / 20, y0 + box["height"] * 0.9 * i / 20) for i in range(21)])
            page.wait_for_function("() => document.querySelector('[data-testid=stSidebar]').innerText"
                                   ".match(/Seed basket: [1-9]/)", timeout=60_000)
            _wait_idle(page)
            n_seeds = _sidebar_count(page, "Seed basket")
            assert 1 <= n_seeds <= 25
            page.wait_for_selector(MAP_DRAWN, timeout=60_000)
            # the reruns after each selection updated the drawn map in place (zoom, legend toggles kept)
            assert page.evaluate("() => performance.getEntriesByName('gmap:gl').length") == views
            _shot(page, "02_seeds_selected")

            # 2. Sampling with live counters
            _nav(page, "Sampling")
            page.get_by_label("Attempts per seed", exact=True).fill("1500")
            page.get_by_label("Batch size", exact=True).fill("100")
            page.get_by_role("button", name="Start sampling").click()
            seen = []
            deadline = time.time() + 180
            while time.time() < deadline:
                with contextlib.suppress(ValueError, Exception):
                    seen.append(_metric(page, "attempts"))
                if seen and seen[-1] == 1500 * n_seeds:
                    break
                page.wait_for_timeout(150)
            _wait_idle(page, 240)
            final = _metric(page, "attempts")
            assert final == 1500 * n_seeds, (final, n_seeds)
            moving = sorted(set(v for v in seen if 0 < v < final))
            assert moving, f"counters never showed an intermediate value: {seen[:20]}"
            assert 0 <= _metric(page, "novel") <= _metric(page, "unique") <= _metric(page, "valid") <= final   # MOSES
            _shot(page, "03_sampling_done")

            # 2b. A long run stopped by the Stop button keeps what it sampled
            page.get_by_label("Attempts per seed", exact=True).fill("200000")
            page.get_by_role("button", name="Start sampling").click()
            page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stMetric]')].some(m => "
                                   "m.innerText.startsWith('attempts') && parseInt(m.innerText.split('\\n').pop()"
                                   ".replace(/,/g, '')) > 0)", timeout=120_000)
            page.wait_for_timeout(1500)
            page.locator(".st-key-lp_stop button").first.click()  # our Stop, not the status widget's
            page.wait_for_selector("text=Sampling stopped", timeout=60_000)
            _wait_idle(page)
            stopped_at = _metric(page, "attempts")
            assert 0 < stopped_at < 200000 * n_seeds
            _shot(page, "03b_sampling_stopped")

            # 3. Complexes: assemble one (the methoxide seed typed on the map page is always assemblable)
            _nav(page, "Latent space")
            page.get_by_label("Seed SMILES, donor atom first").fill("[O-]C")
            page.get_by_role("button", name="Place seed on the map").click()
            page.wait_for_selector("text=placed on the map", timeout=60_000)
            _nav(page, "Complexes")
            page.get_by_text("Only novel sampled candidates").click()  # toggle off: list seeds too
            _wait_idle(page)
            picker = page.locator("[data-testid=stMultiSelect]", has_text="Candidates to assemble").first
            picker.locator("input").fill("[O-]C")
            # the exact option: Enter would take the first match of the filter, e.g. a sampled [O-]CC...
            options = page.get_by_role("option", name="[O-]C", exact=True)
            if options.count():
                options.first.click()
            page.keyboard.press("Escape")
            _wait_idle(page)
            _shot(page, "04a_complexes_picked")
            assert "[O-]C" in picker.inner_text().split("\n"), picker.inner_text()
            page.get_by_role("button", name="Assemble selected").click()
            _wait_idle(page, 240)
            page.wait_for_selector("iframe", timeout=240_000)  # relaxed by default now: xtb runs first
            show = page.locator("[data-testid=stSelectbox]", has_text="Show complex")
            show.click()
            page.get_by_role("option", name="[O-]C", exact=True).click()
            _wait_idle(page)
            frame = page.frame_locator("iframe").first
            frame.locator("[data-rendered='1'] canvas").first.wait_for(timeout=60_000)
            page.wait_for_timeout(1500)
            canvas = frame.locator("[data-rendered='1'] canvas").first
            png = canvas.screenshot()
            assert _non_white_fraction(png) > 0.01, "the 3D canvas is blank"
            assert page.get_by_text("ESTIMATE").count() >= 1
            _shot(page, "04_complex_3d")

            # 4. Queue one CASSCF job
            _nav(page, "CASSCF queue")
            page.get_by_label("or a donor-first SMILES").fill("[O-]C")
            page.get_by_role("button", name="Queue CASSCF").click()
            page.wait_for_selector("text=Queued job", timeout=60_000)
            _wait_idle(page)
            _shot(page, "05_queue")

            # 5. Export: download the CSV and parse it
            _nav(page, "Export")
            _wait_idle(page)
            with page.expect_download(timeout=60_000) as info:
                page.get_by_role("button", name="Download candidates CSV").click()
            data = Path(info.value.path()).read_bytes()
            table = pd.read_csv(io.BytesIO(data))
            for col in ("smiles", "canonical_smiles", "seed_smiles", "sigma", "valid", "novel", "unique",
                        "pred_provenance", "est_kd_gap1_cm1", "est_kd_provenance", "casscf_kd_gap1_cm1",
                        "casscf_kd_provenance"):
                assert col in table.columns, col
            assert len(table) >= 1 and table["valid"].all()
            _shot(page, "06_export")
        finally:
            browser.close()

    from gauss_core.jobs import JobStore

    jobs = JobStore().list()
    assert [(j.kind, j.smiles) for j in jobs] == [("casscf", "[O-]C")]


def _non_white_fraction(png: bytes) -> float:
    """Share of pixels that are not (near) white in a PNG screenshot."""
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return float((img.sum(axis=2) < 720).mean())


def _legend_count(page, name_part: str) -> int:
    """Points of the legend entry whose name contains `name_part` (0 when there is none)."""
    items = page.locator(".gmap .gm-legend > *", has_text=name_part)
    if not items.count():
        return 0
    return int(items.first.locator(".gm-n").inner_text().replace(",", ""))


def _nav_home(page) -> None:
    page.locator("[data-testid=stSidebarNav] a", has_text="Home").first.click()
    page.wait_for_selector("h1:has-text('GAUSS Studio')", timeout=60_000)


@contextlib.contextmanager
def _latent_page(server: str):
    """A fresh headless Chromium tab on the Latent space page with the map drawn."""
    with _chromium() as page:
        page.goto(f"{server}/latent")
        page.wait_for_selector(MAP_DRAWN, timeout=120_000)
        _wait_idle(page)
        yield page


def _wait_legend(page, name_part: str) -> None:
    page.locator(".gmap .gm-legend > *", has_text=name_part).first.wait_for(timeout=60_000)


def test_reload_keeps_the_seed_basket_and_a_page_switch_keeps_the_zoom(server):
    """Issue 14 point 4: a seed picked on the map is still in the basket after a reload (a new browser session:
    the design session is in GAUSS_HOME/sessions.db, not in the tab); the map's zoom survives a page switch."""
    with _latent_page(server) as page:
        img, box = _map_pixels(page)
        markers = _marker_pixels(img)
        row, col = markers[len(markers) // 2]
        page.mouse.click(box["x"] + float(col), box["y"] + float(row))   # pick one ligand
        _wait_basket(page, 1)
        _wait_idle(page)
        from gauss_core.session import SessionStore

        picked = SessionStore().open().seeds()           # what the click stored (GAUSS_HOME of the server)
        assert len(picked) == 1 and picked[0]["source"] == "map"
        _wait_legend(page, "seed basket")
        assert _legend_count(page, "seed basket") == 1
        whole = page.locator(".gmap").get_attribute("data-view")
        page.locator(".gmap button", has_text="Zoom").click()
        _drag(page, [(box["x"] + box["width"] * (0.3 + 0.02 * i), box["y"] + box["height"] * (0.3 + 0.02 * i))
                     for i in range(16)])
        zoomed = page.locator(".gmap").get_attribute("data-view")
        assert zoomed and zoomed != whole, (whole, zoomed)
        _shot(page, "10_seed_picked_and_zoomed")

        page.reload()                                                 # a new browser session
        page.wait_for_selector(MAP_DRAWN, timeout=120_000)
        _wait_basket(page, 1)
        _wait_idle(page)
        assert "Design session: default" in page.locator("[data-testid=stSidebar]").inner_text()
        _wait_legend(page, "seed basket")
        assert _legend_count(page, "seed basket") == 1                 # the star is back on the map
        page.get_by_text("Seed basket (1)").wait_for(timeout=10_000)
        _shot(page, "11_after_reload")

        _nav_home(page)
        _wait_idle(page)
        _nav(page, "Latent space")
        page.wait_for_selector(MAP_DRAWN, timeout=120_000)
        _wait_idle(page)
        assert page.locator(".gmap").get_attribute("data-view") == zoomed   # zoom kept over the switch
        _shot(page, "12_back_on_map_zoom_kept")


def test_sampling_goes_on_across_a_page_switch(server):
    """Issue 14 points 4/5: a sampling run runs in the server, not in the page's script: switching to another
    page and back finds its counters higher and the run still running or finished; Stop then keeps it all."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with _latent_page(server) as page:
        page.get_by_label("Seed SMILES, donor atom first").fill("OC")
        page.get_by_role("button", name="Place seed on the map").click()
        _wait_basket(page, 1)
        _wait_idle(page)
        _nav(page, "Sampling")
        _wait_idle(page)
        page.get_by_label("Attempts per seed", exact=True).fill("100000")
        page.get_by_label("Batch size", exact=True).fill("200")
        page.get_by_role("button", name="Start sampling").click()
        page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stMetric]')].some(m => "
                               "m.innerText.startsWith('attempts') && parseInt(m.innerText.split('\\n').pop()"
                               ".replace(/,/g, '')) > 0)", timeout=120_000)
        before = _metric(page, "attempts")
        _shot(page, "13_sampling_running")
        _nav_home(page)
        page.wait_for_timeout(4000)                                    # away from the Sampling page
        _shot(page, "14_on_home_while_sampling")
        _nav(page, "Sampling")
        page.wait_for_selector("[data-testid=stMetric]", timeout=60_000)
        page.wait_for_timeout(2500)                                    # two polls of the live counters
        back = _metric(page, "attempts")
        assert back > before, (before, back)
        progress = page.locator("[data-testid=stProgress]").first.inner_text()
        assert progress.startswith("running") or "finished" in progress, progress
        page.wait_for_timeout(2500)
        later = _metric(page, "attempts")
        assert later > back or "finished" in progress, (back, later)  # the counters keep rising on the page
        _shot(page, "15_back_on_sampling_still_running")
        stop = page.locator(".st-key-lp_stop button").first
        if progress.startswith("running") and stop.is_enabled():
            try:
                stop.click(timeout=10_000)
                stopped = True
            except PlaywrightTimeout:  # the run finished between reading the bar and the click: Stop is disabled
                stopped = False
                progress = page.locator("[data-testid=stProgress]").first.inner_text()
                assert "finished" in progress, progress
            if stopped:  # stopped after the batch in progress, or finished first if that batch was the last one
                page.wait_for_function("() => document.body.innerText.includes('Sampling stopped') || "
                                       "document.body.innerText.includes('last run: finished')", timeout=60_000)
            _wait_idle(page)
            assert _metric(page, "attempts") >= later
            assert page.locator("[data-testid=stDataFrame]").count() >= 1   # the molecules are kept
        _shot(page, "16_sampling_stopped")


@pytest.mark.needs_xtb
def test_assembled_complex_shows_in_3d(server):
    """Complexes page on its own: a typed seed, 'Assemble selected' (relaxed by default, so xtb runs first),
    the 3-D view drawn on a canvas and the estimate labelled as such."""

    with _chromium() as page:
        page.goto(server)
        page.wait_for_selector("h1:has-text('GAUSS Studio')", timeout=120_000)
        _nav(page, "Latent space")
        page.get_by_label("Seed SMILES, donor atom first").fill("[O-]C")
        page.get_by_role("button", name="Place seed on the map").click()
        page.wait_for_selector("text=placed on the map", timeout=60_000)
        _nav(page, "Complexes")
        _wait_idle(page)
        page.get_by_role("button", name="Assemble selected").click()
        _wait_idle(page, 240)
        page.wait_for_selector("iframe", timeout=240_000)
        frame = page.frame_locator("iframe").first
        frame.locator("[data-rendered='1'] canvas").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        png = frame.locator("[data-rendered='1'] canvas").first.screenshot()
        assert _non_white_fraction(png) > 0.01, "the 3D canvas is blank"
        assert page.get_by_text("ESTIMATE").count() >= 1
        _shot(page, "04_complex_3d")


@pytest.fixture()
def assets_without(tmp_path):
    """A copy of the bundled assets whose CASSCF results leave out the given ligands (GAUSS_ASSETS points the
    server at it), so that a real bundled result can arrive as a new queue result during the test."""
    import shutil

    from gauss_core import columns, paths

    def make(*smiles: str) -> Path:
        root = tmp_path / "assets"
        shutil.copytree(paths.ASSETS, root)
        table = pd.read_csv(paths.KD_CASSCF_SET)
        table[~table[columns.SMILES].isin(smiles)].to_csv(root / "kd" / "casscf_results.csv.gz", index=False)
        return root

    return make


@pytest.fixture()
def server_new_casscf(app_env, assets_without, tmp_path, monkeypatch):
    new = "[O-]CCCCC1CC1"  # a real OpenMolcas result of the bundled set (583 cm-1), left out of the server's copy
    from gauss_core import paths

    bundled = paths.KD_CASSCF_SET
    root = assets_without(new)
    app_env = {**app_env, "GAUSS_ASSETS": str(root)}
    monkeypatch.setenv("GAUSS_ASSETS", str(root))
    with _serve(app_env, tmp_path) as url:
        yield url, new, bundled


def test_casscf_result_reaches_map_and_complexes_and_suggest_queues_a_batch(server_new_casscf):
    """Issue 14 in Chromium: a CASSCF job of a ligand outside the map finishes while the page is open: a toast,
    one more CASSCF point on the map, the CASSCF column on the Complexes page; then Suggest + one click queues a
    batch of 5 CASSCF jobs in the real queue."""

    from gauss_core.jobs import JobStore
    from test_app import _finish_bundled_result_as_job

    url, new, bundled = server_new_casscf
    with _chromium() as page:
        page.goto(f"{url}/latent")
        page.wait_for_selector(MAP_DRAWN, timeout=120_000)
        _wait_idle(page)
        page.locator("[data-testid=stSelectbox]", has_text="Colour by").click()
        page.get_by_role("option", name="first KD gap", exact=False).first.click()
        _wait_idle(page)
        page.get_by_label("Seed SMILES, donor atom first").fill(new)
        page.get_by_role("button", name="Place seed on the map").click()
        page.wait_for_selector("text=placed on the map", timeout=60_000)
        _wait_idle(page)
        page.wait_for_selector(MAP_DRAWN, timeout=60_000)
        before = _legend_count(page, "CASSCF")

        result = _finish_bundled_result_as_job(new, bundled)
        page.wait_for_selector("text=CASSCF finished for", timeout=60_000)   # within one 5 s poll (+ rerun)
        deadline = time.time() + 60
        while _legend_count(page, "CASSCF") != before + 1 and time.time() < deadline:
            page.wait_for_timeout(500)
        assert _legend_count(page, "CASSCF") == before + 1, page.locator(".gmap .gm-legend").inner_text()
        _shot(page, "07_casscf_result_on_map")

        _nav(page, "Complexes")
        page.get_by_text("template (fast, unrelaxed ligands)").click()
        _wait_idle(page)
        page.get_by_role("button", name="Assemble selected").click()
        _wait_idle(page, 240)
        page.wait_for_selector("text=CASSCF column: CASSCF(9,7)+SO, OpenMolcas, queue job #1", timeout=120_000)
        assert result["gaps_cm1"][0] > 0
        _shot(page, "08_casscf_on_complexes")

        _nav(page, "Latent space")
        page.wait_for_selector(MAP_DRAWN, timeout=120_000)
        _wait_idle(page)
        page.get_by_role("button", name="Suggest", exact=True).click()
        queue = page.get_by_role("button", name="Queue these 5 CASSCF jobs")
        queue.wait_for(timeout=120_000)
        _wait_idle(page)
        queue.click()
        page.wait_for_selector("text=Queued 5 CASSCF job(s)", timeout=60_000)
        _shot(page, "09_suggest_queued")
    jobs = JobStore().list(kind="casscf")
    assert sorted(j.state for j in jobs) == ["done"] + ["queued"] * 5
