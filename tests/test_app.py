"""Every dashboard page under streamlit.testing AppTest, on the tiny trained model: no tracebacks, the
model card, the map, bad and good seeds typed into the seed box, sampling, sweep, assembly, queue, export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ["app_pages/home.py", "app_pages/latent_space.py", "app_pages/sampling.py", "app_pages/candidates.py",
         "app_pages/complexes.py", "app_pages/casscf_queue.py", "app_pages/export.py"]


def _app(query: dict | None = None) -> AppTest:
    """A new browser session (a reload), opened on a URL with `query` parameters."""
    at = AppTest.from_file(APP, default_timeout=180)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _open(at: AppTest, page: str) -> AppTest:
    at.switch_page(page)
    at.run()
    assert not at.exception, f"{page}: {[e.value for e in at.exception]}"
    return at


def _wait_for_run(at: AppTest, timeout_s: float = 180) -> dict | None:
    """Rerun until the session's sampling run (a server thread, not the script run) has ended."""
    import time

    t_end = time.monotonic() + timeout_s
    while True:
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        run = at.session_state["last_run"]
        if run is None or run["status"] != "running" or time.monotonic() > t_end:
            return run
        time.sleep(0.3)


def _map_payload(at: AppTest) -> dict:
    """What the Latent space page sends to its WebGL map component (gauss_core.latent.mapfig.map_payload)."""
    import json

    maps = [e for e in at.get("bidi_component") if e.proto.component_name == "gauss_latent_map"]
    assert len(maps) == 1
    return json.loads(maps[0].proto.json)


def _type_seed(at: AppTest, text: str) -> AppTest:
    at.text_input(key="seed_text").set_value(text)
    next(b for b in at.button if b.label == "Place seed on the map").click()
    at.run()
    assert not at.exception
    return at


def test_every_page_explains_a_missing_checkpoint(tmp_path, monkeypatch, tiny_ligand_set):
    monkeypatch.setenv("GAUSS_CHECKPOINT", str(tmp_path / "nothing.pt"))
    monkeypatch.setenv("GAUSS_LIGAND_SET", str(tiny_ligand_set))
    monkeypatch.setenv("GAUSS_HOME", str(tmp_path / "home"))
    at = _app()
    assert any("No trained model found" in w.value for w in at.warning)
    for page in PAGES[1:3]:
        _open(at, page)
        assert any("No trained model found" in w.value for w in at.warning), page
    for page in PAGES[3:]:
        _open(at, page)  # these work without a model (empty basket messages)


def test_corrupt_checkpoint_is_reported_not_raised(tmp_path, monkeypatch, tiny_ligand_set):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    monkeypatch.setenv("GAUSS_CHECKPOINT", str(bad))
    monkeypatch.setenv("GAUSS_LIGAND_SET", str(tiny_ligand_set))
    monkeypatch.setenv("GAUSS_HOME", str(tmp_path / "home"))
    at = _open(_app(), "app_pages/latent_space.py")
    assert any("cannot be used" in w.value and "corrupt" in w.value for w in at.warning)


def test_home_shows_the_model_card(app_env):
    at = _app()
    labels = [m.label for m in at.metric]
    assert "Checkpoint" in labels and "Latent size" in labels
    assert any("training data hash" in c.value for c in at.caption)
    assert any("Bundled ligand set" in c.value for c in at.caption)
    assert "training labels from" in at.dataframe[-1].value.columns


def test_model_card_names_the_column_a_label_was_trained_on():
    from gauss_app.fmt import label_training_sources

    sources = {"q_donor_e": "q_donor_loprop_est_e: GFN2-xTB donor charge calibrated onto CASSCF/LoProp"}
    rows = label_training_sources(["donor_Z", "q_donor_e"], sources, "proxy_xtb.csv.gz")
    assert rows[0] == "proxy_xtb.csv.gz"
    assert rows[1] == f"proxy_xtb.csv.gz; column {sources['q_donor_e']}"


@pytest.mark.parametrize("text, reason", [
    ("COC1CCOCC1", "did you mean 'O(C)C1CCOCC1'"),
    ("CCC", "no N or O atom"),
    ("O[Si](C)(C)C", "vocabulary does not have"),
    ("O" + "C" * 120, "the model accepts at most"),
    ("OC(", "not valid SMILES"),
    ("OC.OC", "several molecules"),
    ("", "empty SMILES"),
])
def test_bad_seeds_are_refused_with_the_reason(app_env, text, reason):
    at = _open(_app(), "app_pages/latent_space.py")
    _type_seed(at, text)
    assert any(reason in e.value for e in at.error), [e.value for e in at.error]
    assert at.session_state["seed_basket"] == []


def test_latent_map_and_typed_seed(app_env):
    at = _open(_app(), "app_pages/latent_space.py")
    payload = _map_payload(at)
    n_ligands = len(pd.read_csv(app_env["GAUSS_LIGAND_SET"]))
    drawn = sum(layer["n"] for layer in payload["layers"])
    assert 0.9 * n_ligands <= drawn <= n_ligands            # the tiny set is under GAUSS_MAP_POINTS: all drawn
    assert payload["colour"]["title"] and payload["selectable"]
    assert any(layer["name"].endswith("GAUSS-II model prediction") for layer in payload["layers"])
    colour_options = at.selectbox(key="map_colour").options
    assert any(o.startswith("model prediction") for o in colour_options)
    assert any(o.startswith("first KD gap") for o in colour_options)
    for option in colour_options:                        # every colouring draws without error
        at.selectbox(key="map_colour").set_value(option)
        at.run()
        assert not at.exception, option
    _type_seed(at, "[O-]C")
    assert at.session_state["seed_basket"] == [{"smiles": "[O-]C", "source": "typed"}]
    assert any("placed on the map" in s.value for s in at.success)
    stars = [layer for layer in _map_payload(at)["layers"] if layer["name"] == "seed basket"]
    assert len(stars) == 1 and stars[0]["smiles"] == "[O-]C" and stars[0]["symbol"] == "star"
    _type_seed(at, "[O-]C")                              # typed twice: still one seed
    assert len(at.session_state["seed_basket"]) == 1
    _type_seed(at, "C[O-]")                              # not donor-first: re-rooted, the same seed
    assert len(at.session_state["seed_basket"]) == 1
    assert any("re-rooted from C[O-]" in s.value for s in at.success), [s.value for s in at.success]


def test_map_payload_decodes_to_the_layers():
    """The WebGL map's payload decodes back to the layers' points (to 1/65535 of the box), values, SMILES."""
    import base64

    from gauss_core.latent.mapfig import MapLayer, map_payload

    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    smiles = np.array(["OC", "N", "[O-]C", "OCC", "NC"], dtype=object)
    colour = np.array([1.0, np.nan, 2.0, 3.0, np.nan])
    layers = [MapLayer("q · GFN2-xTB", x, -x, smiles, colour),
              MapLayer("seed basket", x[:1], -x[:1], smiles[:1], None, symbol="star", size=16)]
    p = map_payload(layers, "q (e)")
    grey, coloured, seed = p["layers"]
    assert [grey["name"], coloured["name"], seed["name"]] == ["q · GFN2-xTB: no value", "q · GFN2-xTB", "seed basket"]
    assert grey["smiles"].split("\n") == ["N", "NC"] and grey["values"] is None and grey["colour"] == "#c8c8c8"
    assert coloured["smiles"].split("\n") == ["OC", "[O-]C", "OCC"] and coloured["colour"] is None
    assert np.frombuffer(base64.b64decode(coloured["values"]), "<f4").tolist() == [1.0, 2.0, 3.0]
    q = np.frombuffer(base64.b64decode(coloured["xy"]), "<u2").reshape(-1, 2).astype(float)
    x0, x1, y0, y1 = p["box"]
    assert np.allclose(x0 + q[:, 0] / 65535 * (x1 - x0), [0, 2, 3], atol=(x1 - x0) / 65535)
    assert np.allclose(y0 + q[:, 1] / 65535 * (y1 - y0), [0, -2, -3], atol=(y1 - y0) / 65535)
    assert (p["colour"]["min"], p["colour"]["max"], p["colour"]["title"]) == (1.0, 3.0, "q (e)")
    assert seed["symbol"] == "star" and seed["n"] == 1 and seed["smiles"] == "OC"
    assert map_payload(layers, "q (e)")["revision"] == p["revision"]
    assert map_payload(layers[:1], "q (e)")["revision"] != p["revision"]


def test_sampling_streams_counters_and_results_then_sweep(app_env):
    at = _open(_app(), "app_pages/latent_space.py")
    _type_seed(at, "OC")
    _open(at, "app_pages/sampling.py")
    at.number_input(key="lp_attempts").set_value(400)
    at.number_input(key="lp_batch").set_value(100)
    at.number_input(key="lp_sigma").set_value(0.5)
    next(b for b in at.button if b.label == "Start sampling").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    _wait_for_run(at)
    metrics = {m.label: int(m.value.replace(",", "")) for m in at.metric}
    assert metrics["attempts"] == 400
    assert 0 <= metrics["novel"] <= metrics["unique"] <= metrics["valid"] <= 400   # MOSES definitions
    run = at.session_state["last_run"]
    assert run["status"] == "finished" and run["counters"]["attempts"] == 400
    samples = at.session_state["samples"]
    assert len(samples) >= 1 and {"pc1", "pc2", "seed_smiles"} <= set(samples.columns)
    assert int(samples["times_generated"].sum()) == metrics["valid"]
    # sweep
    at.number_input(key="sw_steps").set_value(3)
    at.number_input(key="sw_batches").set_value(1)
    at.number_input(key="sw_bs").set_value(20)
    next(b for b in at.button if b.label == "Run σ sweep").click()
    at.run()
    assert not at.exception
    sweep = at.session_state["sweep"]
    assert list(sweep["sigma"]) == [0.0, 0.5, 1.0] and (sweep["attempts"] == 20).all()


def test_sampling_page_with_empty_basket_says_what_to_do(app_env):
    at = _open(_app(), "app_pages/sampling.py")
    assert any("seed basket is empty" in i.value for i in at.info)


@pytest.mark.needs_xtb
def test_complexes_queue_and_export(app_env):
    at = _open(_app(), "app_pages/latent_space.py")
    _type_seed(at, "[O-]C")
    _open(at, "app_pages/complexes.py")
    at.toggle(key="cx_novel_only").set_value(False)
    at.run()
    at.multiselect(key="cx_pick").set_value(["[O-]C"])
    next(b for b in at.button if b.label == "Assemble selected").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    entry = at.session_state["complexes"]["[O-]C"]
    assert entry["complex"] is not None and entry["complex"].symbols.count("Dy") == 1
    assert any("ESTIMATE" in m.value for m in at.markdown)   # KD numbers labelled as an estimate
    # the bundled calibration (fitted to the project's CASSCF results) gives a second, named estimate column
    assert entry["calibrated"].provenance == "kd-calibrated-ridge-v1"
    gaps = at.dataframe[-1].value
    assert {"point charge", "calibrated"} <= set(gaps.columns)
    assert any("still an estimate, not CASSCF" in c.value for c in at.caption)
    # relaxed by default (issue 14): the calibration's own geometry, so no mismatch warning
    assert entry["complex"].geometry_provenance == "xtb-gfn2-constrained"
    assert not any("calibrated on xtb-gfn2-constrained geometries" in w.value for w in at.warning)

    _open(at, "app_pages/casscf_queue.py")
    at.multiselect(key="q_pick").set_value(["[O-]C"])
    next(b for b in at.button if b.label == "Queue CASSCF").click()
    at.run()
    assert not at.exception
    assert any("Queued job" in s.value for s in at.success)
    from gauss_core.jobs import JobStore

    jobs = JobStore().list()
    assert [(j.kind, j.smiles, j.state) for j in jobs] == [("casscf", "[O-]C", "queued")]
    assert jobs[0].params["ligand_basis"] == "ANO-RCC-VDZP"  # the default basis (docs/casscf.md, basis study)
    at.multiselect(key="q_pick").set_value(["[O-]C"])      # the same ligand in the fast basis: a second job
    at.selectbox(key="q_basis").set_value("ANO-RCC-MB")
    next(b for b in at.button if b.label == "Queue CASSCF").click()
    at.run()
    assert [j.params["ligand_basis"] for j in JobStore().list()] == ["ANO-RCC-VDZP", "ANO-RCC-MB"]

    _open(at, "app_pages/export.py")
    assert any(b.label == "Download candidates CSV" for b in at.get("download_button"))
    assert any("SDF" in b.label for b in at.get("download_button"))
    assert any("1** rows" in m.value or "**1** rows" in m.value for m in at.markdown)


def test_pages_open_in_any_order_without_errors(app_env):
    at = _app()
    for page in reversed(PAGES):
        _open(at, page)
    assert isinstance(at.session_state["samples"], pd.DataFrame)


def test_map_layers_draw_labelled_ligands_first_and_name_provenance():
    import sys

    import numpy as np

    sys.path.insert(0, str(Path(APP).parent))
    from gauss_app import mapview
    from gauss_core.latent.bins import kd_bins
    from gauss_core.latent.pca import LatentMap

    n = 1000
    rng = np.random.default_rng(0)
    smiles = np.array([f"O{'C' * (i % 7)}N{i}" for i in range(n)], dtype=object)  # labels only, not parsed
    lmap = LatentMap(smiles=smiles, z=rng.normal(size=(n, 4)).astype(np.float32),
                     coords=rng.normal(size=(n, 2)).astype(np.float32), mean=np.zeros(4, np.float32),
                     components=np.eye(2, 4, dtype=np.float32), explained_variance_ratio=np.array([0.5, 0.2]),
                     predictions=pd.DataFrame({"q_donor_e": rng.normal(size=n)}), checkpoint_hash="x", set_hash="y")
    kd = pd.DataFrame({"smiles": [smiles[3], smiles[500], smiles[999], "not-on-map", smiles[7]],
                       "kd_gap1_cm1": [100.0, 400.0, 700.0, 50.0, 450.0],
                       "kd_provenance": ["cf-pointcharge", "casscf-openmolcas", "cf-pointcharge", "cf-pointcharge",
                                         "casscf-openmolcas"],
                       "kd_geometry_source": [None, "xtb-gfn2-constrained [flags: xtb-smeared: ...]", None, None,
                                              "xtb-gfn2-axial+dft-class-linear-n18 (builder search)"]})
    choice = next(c for c in mapview.colour_choices(None, ["q_donor_e"]) if c.kind == "kd")
    layers, title = mapview.ligand_layers(lmap, choice, None, kd, max_points=100)
    assert sum(len(layer.x) for layer in layers) == 100
    names = {layer.name: layer for layer in layers}
    est = names["kd_gap1_cm1 · crystal-field point-charge estimate"]
    # CASSCF on the fixed and on the computed Dy-L distance: two layers, each naming its geometry
    cas = names["kd_gap1_cm1 · CASSCF(9,7)+SO, OpenMolcas · fixed Dy–L distance"]
    computed = names["kd_gap1_cm1 · CASSCF(9,7)+SO, OpenMolcas · computed Dy–L distance"]
    assert set(est.smiles) == {smiles[3], smiles[999]} and list(cas.smiles) == [smiles[500]]
    assert cas.symbol == "diamond" and list(cas.colour) == [400.0]
    assert computed.symbol == "square" and list(computed.smiles) == [smiles[7]] and list(computed.colour) == [450.0]
    assert "computed Dy–L distance" in computed.hover_extra[0]
    assert title == "kd_gap1_cm1 (cm⁻¹)"
    # a ligand off the map (a sampled one sent to CASSCF) joins the legend entry of its provenance and geometry
    off = mapview.off_map_known(kd, {s: i for i, s in enumerate(smiles)})
    assert list(off["smiles"]) == ["not-on-map"]
    off = pd.DataFrame({"smiles": ["off-1", "off-2"], "kd_gap1_cm1": [300.0, 350.0],
                        "kd_provenance": ["casscf-openmolcas"] * 2,
                        "kd_geometry_source": ["xtb-gfn2-axial+dft-class-linear-n18 (builder search)", None]})
    extra = mapview.off_map_layers(off, np.array([[0.1, 0.2], [0.3, 0.4]]), choice.kind)
    assert [layer.symbol for layer in extra] == ["square", "diamond"]
    merged = {layer.name: layer for layer in mapview.merge_layers(layers, extra)}
    joined = merged["kd_gap1_cm1 · CASSCF(9,7)+SO, OpenMolcas · computed Dy–L distance"]
    assert list(joined.smiles) == [smiles[7], "off-1"] and len(joined.hover_extra) == 2
    assert all("computed Dy–L distance" in h for h in joined.hover_extra)
    assert list(merged["kd_gap1_cm1 · CASSCF(9,7)+SO, OpenMolcas"].smiles) == ["off-2"]  # geometry not known
    bins = kd_bins(kd["kd_gap1_cm1"][:3])
    top = mapview.bin_layer(lmap, bins, 6, kd)
    assert list(top.smiles) == [smiles[999]]
    ring = mapview.bin_layer(lmap, bins, 4, kd)  # 400 and 450 cm-1: the ring's hover names each geometry
    assert sorted(ring.hover_extra) == ["first KD gap 400 cm⁻¹ · CASSCF(9,7)+SO, OpenMolcas · fixed Dy–L distance",
                                        "first KD gap 450 cm⁻¹ · CASSCF(9,7)+SO, OpenMolcas · computed Dy–L distance"]
    # this session's Complexes-page estimates join the computed-distance colouring only on a computed distance
    from types import SimpleNamespace

    def entry(geometry: str, gap: float) -> dict:
        return {"complex": SimpleNamespace(geometry_provenance=geometry),
                "estimate": SimpleNamespace(gaps_cm1=[gap] * 7, provenance="cf-pointcharge")}

    session = {smiles[10]: entry("xtb-gfn2-axial+dft-class-linear-n18", 333.0), smiles[11]: entry("rdkit", 222.0)}
    assert list(mapview.with_session_estimates(kd, session, computed_only=True)["smiles"][-1:]) == [smiles[10]]
    assert set(mapview.with_session_estimates(kd, session)["smiles"][-2:]) == {smiles[10], smiles[11]}
    assert [c.kind for c in mapview.colour_choices(None, [], computed_estimates=5)][:2] == ["kd", "kd-axial"]
    assert "kd-axial" not in [c.kind for c in mapview.colour_choices(None, [])]
    pred = next(c for c in mapview.colour_choices(None, ["q_donor_e"]) if c.kind == "prediction")
    layers, _ = mapview.ligand_layers(lmap, pred, None, kd, max_points=100)
    assert len(layers) == 1 and len(layers[0].x) == 100 and "GAUSS-II model prediction" in layers[0].name


def test_queue_page_cancel_retry_log_and_finished_results(app_env):
    from gauss_core.jobs import JobStore

    store = JobStore()
    done = store.enqueue("casscf", "OC", {})
    waiting = store.enqueue("casscf", "[O-]C", {})
    assert store.claim().id == done.id
    store.append_log(done.id, "KD energies (cm-1): 0 250 400")
    store.finish(done.id, {"provenance": "casscf-openmolcas", "gaps_cm1": [250.0, 400, 500, 600, 650, 700, 720]})

    at = _open(_app(), "app_pages/casscf_queue.py")
    at.selectbox(key="q_job").set_value(waiting.id)
    at.run()
    next(b for b in at.button if b.label == "Cancel").click()
    at.run()
    assert not at.exception and store.get(waiting.id).state == "cancelled"
    next(b for b in at.button if b.label == "Retry").click()
    at.run()
    assert store.get(waiting.id).state == "queued"
    at.selectbox(key="q_job").set_value(done.id)
    at.run()
    assert any("KD energies (cm-1): 0 250 400" in c.value for c in at.code)
    # the progress line counts the CASSCF jobs (too few finished for a rate yet)
    assert any(c.value.startswith("CASSCF: 1 done, 0 running, 1 queued") for c in at.caption)
    results = at.dataframe[-1].value
    assert results["smiles"].tolist() == ["OC"] and results["kd_gap1_cm1"].tolist() == [250.0]
    assert results["provenance"].tolist() == ["CASSCF(9,7)+SO, OpenMolcas"]
    # the finished CASSCF gap is on the map (colour by first KD gap) with its provenance in the legend
    _open(at, "app_pages/latent_space.py")
    at.selectbox(key="map_colour").set_value(next(o for o in at.selectbox(key="map_colour").options
                                                   if o.startswith("first KD gap")))
    at.run()
    assert not at.exception
    names = [layer["name"] for layer in _map_payload(at)["layers"]]
    assert "kd_gap1_cm1 · CASSCF(9,7)+SO, OpenMolcas" in names, names   # "OC" is in the tiny ligand set


def _assemble_methoxide(geometry: str) -> dict:
    """Type [O-]C as a seed, assemble it on the Complexes page with the `geometry` choice; its entry."""
    at = _open(_app(), "app_pages/latent_space.py")
    _type_seed(at, "[O-]C")
    _open(at, "app_pages/complexes.py")
    at.toggle(key="cx_novel_only").set_value(False)
    at.radio(key="cx_relax").set_value(geometry)
    at.multiselect(key="cx_pick").set_value(["[O-]C"])
    at.run()
    next(b for b in at.button if b.label == "Assemble selected").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    entry = at.session_state["complexes"]["[O-]C"]
    assert entry["error"] is None, entry["error"]
    return entry


@pytest.mark.slow
@pytest.mark.needs_xtb
def test_complexes_page_relaxes_with_xtb_when_asked(app_env):
    entry = _assemble_methoxide("constrained GFN2-xTB relaxation (slower)")
    assert entry["complex"].geometry_provenance.startswith("xtb-gfn2")
    assert entry["estimate"] is not None and entry["estimate"].geometry_provenance.startswith("xtb-gfn2")



@pytest.mark.slow
@pytest.mark.needs_xtb
def test_complexes_page_computes_the_axial_distance_when_asked(app_env):
    from gauss_core.complexes.axial_map import axial_distances, bundled_map

    entry = _assemble_methoxide("computed axial distance (GFN2-xTB mapped onto DFT), lowest-energy conformer "
                                "(experimental)")
    cx = entry["complex"]
    fit = bundled_map()
    assert cx.geometry_provenance == f"xtb-gfn2-axial+{fit.method}" and cx.builder == "search"
    r = sum(axial_distances(cx)) / 2  # GFN2's own distance, mapped: neither the template 2.15 A nor the raw one
    assert abs(r - 2.15) > 1e-3 and r == pytest.approx(fit.apply(cx.checks["axial_raw_A"], 3), abs=2e-3)
    assert entry["estimate"] is not None and entry["estimate"].geometry_provenance == cx.geometry_provenance


def test_bundled_casscf_results_colour_the_map(app_env, monkeypatch, tmp_path):
    """The project's shipped CASSCF results (assets/kd/casscf_results.csv.gz) reach the map with their
    provenance on a machine whose own queue is empty. Row: the real OpenMolcas result of methoxide."""
    import json
    from pathlib import Path

    from gauss_core import columns, paths

    result = json.loads((Path(__file__).parent / "data" / "casscf_methoxide_result.json").read_text())
    bundled = tmp_path / "casscf_results.csv.gz"
    pd.DataFrame([{columns.SMILES: "[O-]C", columns.KD_PROVENANCE: result["provenance"], "kd_job_id": 5,
                   **dict(zip(columns.KD_GAP_COLUMNS, result["gaps_cm1"], strict=False))}]).to_csv(bundled, index=False)
    monkeypatch.setattr(paths, "KD_CASSCF_SET", bundled)
    # the campaign on the computed Dy-L distance (paths.KD_CASSCF_CAMPAIGN) reaches the map as its own layer;
    # its row: the same real result, put on another ligand of the tiny map with the campaign's geometry
    other = next(s for s in pd.read_csv(app_env["GAUSS_LIGAND_SET"])[columns.SMILES] if s != "[O-]C")
    campaign = tmp_path / "casscf_results_axial_mapped.csv.gz"
    pd.DataFrame([{columns.SMILES: other, columns.KD_PROVENANCE: result["provenance"], "kd_job_id": 9,
                   columns.KD_GEOMETRY_SOURCE: "xtb-gfn2-axial+dft-class-linear-n18 (builder search)",
                   **dict(zip(columns.KD_GAP_COLUMNS, result["gaps_cm1"], strict=False))}]).to_csv(campaign,
                                                                                                   index=False)
    monkeypatch.setattr(paths, "KD_CASSCF_CAMPAIGN", campaign)
    at = _open(_app(), "app_pages/latent_space.py")
    at.selectbox(key="map_colour").set_value(next(o for o in at.selectbox(key="map_colour").options
                                                   if o.startswith("first KD gap")))
    at.run()
    assert not at.exception
    layers = {layer["name"]: layer for layer in _map_payload(at)["layers"]}
    assert "kd_gap1_cm1 · CASSCF(9,7)+SO, OpenMolcas" in layers, list(layers)
    computed = layers["kd_gap1_cm1 · CASSCF(9,7)+SO, OpenMolcas · computed Dy–L distance"]
    assert computed["smiles"] == other and computed["symbol"] == "square", computed


def test_computed_distance_colouring_keeps_its_own_gaps(app_env, monkeypatch, tmp_path):
    """With estimates on the computed Dy-L distance bundled (paths.KD_MAPPING_AXIAL), the menu offers them as
    their own colouring: their circles and the campaign's CASSCF squares, each naming the computed distance, and
    neither the template-distance estimates nor CASSCF on the fixed distance."""
    import json

    from gauss_core import columns, paths

    ligands = [s for s in pd.read_csv(app_env["GAUSS_LIGAND_SET"])[columns.SMILES]][:3]
    estimates = tmp_path / "kd_mapping_axial_mapped.csv.gz"
    pd.DataFrame({columns.SMILES: ligands[:2], columns.KD_GAP_COLUMNS[0]: [321.0, 123.0],
                  columns.KD_PROVENANCE: ["cf-pointcharge"] * 2, columns.KD_MODE: ["axial-mapped"] * 2,
                  columns.GEOMETRY_PROVENANCE: ["xtb-gfn2-axial+dft-class-linear-n18"] * 2}).to_csv(estimates,
                                                                                                index=False)
    monkeypatch.setattr(paths, "KD_MAPPING_AXIAL", estimates)
    template = tmp_path / "kd_mapping.csv.gz"
    pd.DataFrame({columns.SMILES: ligands, columns.KD_GAP_COLUMNS[0]: [300.0, 100.0, 50.0],
                  columns.KD_PROVENANCE: ["cf-pointcharge"] * 3, columns.GEOMETRY_PROVENANCE: ["rdkit"] * 3}
                 ).to_csv(template, index=False)
    monkeypatch.setattr(paths, "KD_MAPPING_SET", template)
    result = json.loads((Path(__file__).parent / "data" / "casscf_methoxide_result.json").read_text())
    gaps = dict(zip(columns.KD_GAP_COLUMNS, result["gaps_cm1"], strict=False))
    fixed = tmp_path / "casscf_results.csv.gz"
    pd.DataFrame([{columns.SMILES: ligands[2], columns.KD_PROVENANCE: result["provenance"], "kd_job_id": 5,
                   columns.KD_GEOMETRY_SOURCE: "xtb-gfn2-constrained", **gaps}]).to_csv(fixed, index=False)
    monkeypatch.setattr(paths, "KD_CASSCF_SET", fixed)
    campaign = tmp_path / "casscf_results_axial_mapped.csv.gz"
    pd.DataFrame([{columns.SMILES: ligands[1], columns.KD_PROVENANCE: result["provenance"], "kd_job_id": 9,
                   columns.KD_GEOMETRY_SOURCE: "xtb-gfn2-axial+dft-class-linear-n18 (builder search)", **gaps}]
                 ).to_csv(campaign, index=False)
    monkeypatch.setattr(paths, "KD_CASSCF_CAMPAIGN", campaign)
    at = _open(_app(), "app_pages/latent_space.py")
    options = at.selectbox(key="map_colour").options
    axial = [o for o in options if o.startswith("first KD gap on the computed Dy–L distance (2 estimates")]
    assert len(axial) == 1, options
    at.selectbox(key="map_colour").set_value(axial[0])
    at.run()
    assert not at.exception
    layers = {layer["name"]: layer for layer in _map_payload(at)["layers"]}
    est = layers["kd_gap1_cm1 · crystal-field point-charge estimate · computed Dy–L distance"]
    cas = layers["kd_gap1_cm1 · CASSCF(9,7)+SO, OpenMolcas · computed Dy–L distance"]
    assert est["smiles"] == ligands[0] and cas["smiles"] == ligands[1] and cas["symbol"] == "square", layers
    assert not [n for n in layers if "fixed Dy–L distance" in n or n.endswith("point-charge estimate")], list(layers)
    assert any("computed" in c.value and "not CASSCF" in c.value for c in at.caption)
    # the other KD colouring still shows the template estimates and every CASSCF result
    at.selectbox(key="map_colour").set_value(options[0])
    at.run()
    names = {layer["name"] for layer in _map_payload(at)["layers"]}
    assert {"kd_gap1_cm1 · crystal-field point-charge estimate",
            "kd_gap1_cm1 · CASSCF(9,7)+SO, OpenMolcas · fixed Dy–L distance"} <= names, names


def _finish_bundled_result_as_job(smiles: str, bundled_from) -> dict:
    """Put a real OpenMolcas CASSCF result (a row of the project's bundled results, assets/kd) into this
    machine's JobStore as a finished 'casscf' job, through the store's own enqueue/claim/finish."""
    from gauss_core import columns
    from gauss_core.jobs import JobStore

    row = pd.read_csv(bundled_from).set_index(columns.SMILES).loc[smiles]
    result = {"provenance": row[columns.KD_PROVENANCE], "gaps_cm1": [float(row[c]) for c in columns.KD_GAP_COLUMNS],
              "ground_g": [float(row[f"kd_ground_g{a}"]) for a in "xyz"],
              "geometry_source": row["kd_geometry_source"], "wall_s": float(row["kd_wall_s"]),
              # as a real job records it (jobs.kinds.run_casscf); the bundled row names the same basis
              "basis": dict(part.split(" ") for part in row[columns.KD_BASIS].split(", "))}
    store = JobStore()
    job = store.enqueue("casscf", smiles, {})
    assert store.claim().id == job.id and store.finish(job.id, result)
    return result


def test_a_finished_casscf_job_of_a_new_ligand_reaches_the_map_basket_and_complexes(app_env, monkeypatch,
                                                                                    tmp_path):
    """Issue 14 point 3: a ligand outside the mapped set (a sampled one) finishes CASSCF while the dashboard is
    open; on the next poll it is on the map (encoded and projected, CASSCF layer count +1), in the seed basket
    with its value and source, on the Complexes page beside the estimates, and a toast says so."""
    from gauss_core import paths

    bundled = paths.KD_CASSCF_SET
    new = "[O-]CCCCC1CC1"  # real OpenMolcas result, 583 cm-1; not among the tiny set's QM9 ligands
    empty = tmp_path / "none.csv"
    pd.DataFrame(columns=["smiles", "kd_gap1_cm1", "kd_provenance"]).to_csv(empty, index=False)
    monkeypatch.setattr(paths, "KD_CASSCF_SET", empty)
    at = _open(_app(), "app_pages/latent_space.py")
    assert new not in set(at.session_state["complexes"])
    at.selectbox(key="map_colour").set_value(next(o for o in at.selectbox(key="map_colour").options
                                                   if o.startswith("first KD gap")))
    _type_seed(at, new)
    layers = {layer["name"]: layer for layer in _map_payload(at)["layers"]}
    # the legend entry names the geometry, as for the ligands on the map (this result's distance was fixed)
    casscf_name = "kd_gap1_cm1 · CASSCF(9,7)+SO, OpenMolcas · fixed Dy–L distance · basis Dy VDZP / ligands MB"
    before = layers[casscf_name]["n"] if casscf_name in layers else 0

    result = _finish_bundled_result_as_job(new, bundled)
    at.run()  # the page's poll (results_flow.watch) reruns the app; AppTest reruns it directly
    assert not at.exception, [e.value for e in at.exception]
    layers = {layer["name"]: layer for layer in _map_payload(at)["layers"]}
    assert layers[casscf_name]["n"] == before + 1, list(layers)
    assert any(new in t.value and "CASSCF finished" in t.value for t in at.toast)
    basket = next(d.value for d in at.dataframe if "KD source" in d.value.columns).set_index("smiles")
    assert basket.loc[new, "first KD gap (cm⁻¹)"] == pytest.approx(result["gaps_cm1"][0])
    # the source names the geometry: this bundled result was computed on the fixed (template) Dy-L distance
    assert basket.loc[new, "KD source"] == ("CASSCF(9,7)+SO, OpenMolcas · fixed Dy–L distance · "
                                            "basis Dy VDZP / ligands MB")

    _open(at, "app_pages/complexes.py")
    at.toggle(key="cx_novel_only").set_value(False)
    at.radio(key="cx_relax").set_value("template (fast, unrelaxed ligands)")
    at.multiselect(key="cx_pick").set_value([new])
    at.run()
    next(b for b in at.button if b.label == "Assemble selected").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    tables = [d.value for d in at.dataframe if "CASSCF" in d.value.columns]
    assert tables and tables[0]["CASSCF"].iloc[0] == pytest.approx(round(result["gaps_cm1"][0], 1))
    caption = next(c.value for c in at.caption if "CASSCF column: CASSCF(9,7)+SO, OpenMolcas, queue job #1" in c.value)
    assert ", on geometry xtb-gfn2" in caption  # the CASSCF number names the geometry it was computed on
    # shown here on the template, so the page says the CASSCF geometry is another one
    assert any("computed on another geometry" in i.value for i in at.info)
    # an anionic donor's MB result carries no basis warning (only neutral donors' do: kd.basis_caveat)
    assert not any("ANO-RCC-MB" in w.value for w in at.warning)


def test_surrogate_colours_the_map_and_suggest_queues_a_batch(app_env):
    """Issue 14 points 1-2 (dashboard): the latent surrogate fitted on the bundled CASSCF results is a map
    colour with its provenance, uncertainty on hover and group-CV accuracy; Suggest ranks a batch of 5 and one
    click queues exactly those 5 as CASSCF jobs in the real JobStore."""
    from gauss_core.jobs import JobStore

    at = _open(_app(), "app_pages/latent_space.py")
    option = next(o for o in at.selectbox(key="map_colour").options if o.startswith("predicted first KD gap"))
    assert "latent surrogate from" in option and "± uncertainty" in option
    at.selectbox(key="map_colour").set_value(option)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    layers = _map_payload(at)["layers"]
    sur = [layer for layer in layers if "surrogate" in layer["name"]]
    assert sur and sur[0]["n"] > 100 and sur[0]["extra"][0].startswith("± ")
    assert any("group-CV" in c.value and "not CASSCF" in c.value for c in at.caption)

    next(b for b in at.button if b.label == "Suggest").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    picks = at.session_state["_suggested"]
    assert len(picks) == 5 and picks["smiles"].is_unique
    next(b for b in at.button if b.label == "Queue these 5 CASSCF jobs").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    jobs = JobStore().list(kind="casscf")
    assert [j.smiles for j in jobs] == list(picks["smiles"]) and {j.state for j in jobs} == {"queued"}


def test_map_search_add_this_bin_and_ringed_hover(app_env, monkeypatch, tmp_path):
    """Issue 14 point 7: the search box rings a ligand of the set; 'add this bin' adds at most 25 seeds, all
    from the bin; a ringed target-bin point carries its value and source for the hover."""
    at = _open(_app(), "app_pages/latent_space.py")
    payload = _map_payload(at)
    some = next(s for layer in payload["layers"] for s in layer["smiles"].split("\n") if s)
    at.text_input(key="map_search").set_value(some)
    at.run()
    assert not at.exception
    found = [layer for layer in _map_payload(at)["layers"] if layer["name"] == "search result"]
    assert found and found[0]["smiles"] == some
    at.text_input(key="map_search").set_value("C(")
    at.run()
    assert any("cannot be placed" in e.value for e in at.error)

    at.selectbox(key="kd_bin").set_value(at.selectbox(key="kd_bin").options[3])
    at.run()
    ring = next(layer for layer in _map_payload(at)["layers"] if layer["name"].startswith("target "))
    assert all(e.startswith("first KD gap ") and " · " in e for e in ring["extra"])
    next(b for b in at.button if b.label.startswith("Add this bin")).click()
    at.run()
    assert not at.exception
    basket = [b["smiles"] for b in at.session_state["seed_basket"]]
    assert 0 < len(basket) <= 25 and set(basket) <= set(ring["smiles"].split("\n"))


def test_unwritable_gauss_home_is_an_error_line_not_a_traceback(app_env, monkeypatch, tmp_path):
    home = tmp_path / "home_is_a_file"
    home.write_text("")  # stops root too, unlike a chmod'ed folder
    monkeypatch.setenv("GAUSS_HOME", str(home))
    at = _app()
    for page in ("app_pages/latent_space.py", "app_pages/casscf_queue.py"):
        _open(at, page)
        assert any(str(home) in e.value and "GAUSS_HOME" in e.value for e in at.error), (page, at.error)


def test_unwritable_map_cache_is_reported_before_encoding(app_env, monkeypatch):
    from gauss_core.latent import pca

    def must_not_run(*args, **kwargs):
        raise AssertionError("the ligand set was encoded although its map could not be stored")

    cache = Path(app_env["GAUSS_HOME"]) / "cache"
    cache.parent.mkdir(parents=True)
    cache.write_text("")  # the cache folder cannot be created
    monkeypatch.setattr(pca, "build_latent_map", must_not_run)
    at = _open(_app(), "app_pages/latent_space.py")
    assert any(str(cache) in e.value and "GAUSS_HOME" in e.value for e in at.error), at.error


def test_queue_page_recovers_the_jobs_of_a_dead_worker(app_env):
    import socket

    from gauss_core.jobs import JobStore

    store = JobStore()
    job = store.enqueue("casscf", "[O-]C", {})
    no_such_pid = int(Path("/proc/sys/kernel/pid_max").read_text())  # pids stay below pid_max
    store.claim(identity=(socket.gethostname(), no_such_pid, "1"))
    assert store.get(job.id).state == "running"
    at = _open(_app(), "app_pages/casscf_queue.py")
    assert store.get(job.id).state == "queued"
    assert "worker" in store.get(job.id).log_text() and "requeued" in store.get(job.id).log_text()
    assert any(f"Job {job.id}" in i.value and "queued" in i.value for i in at.info), at.info


def test_candidates_are_triaged_filtered_and_sent_to_complexes(app_env):
    import pandas as pd

    from gauss_core.session import SessionStore

    smiles = ["[O-]c1ccccc1", "OOC", "[O-]C1=CC=C1", "n1ccccc1", "[O-]C"]
    # sampled candidates live in the design session (GAUSS_HOME/sessions.db), as a sampling run leaves them
    SessionStore().open().append_samples(pd.DataFrame({"smiles": smiles, "canonical_smiles": smiles,
                                                       "novel": [True] * len(smiles)}),
                                         np.zeros((len(smiles), 4), np.float32))
    at = _app()
    _open(at, "app_pages/candidates.py")
    shown = at.dataframe[0].value
    # structure alerts hidden by default: the peroxide and the cyclobutadiene-olate are filtered out
    assert set(shown["smiles"]) == {"[O-]c1ccccc1", "n1ccccc1", "[O-]C"}
    assert shown["first gap (surrogate)"].str.contains("±").all()      # surrogate mean ± 1 sigma
    assert any("never CASSCF itself" in c.value for c in at.caption)
    at.toggle(key="tr_hide_alerts").set_value(False)
    at.run()
    shown = at.dataframe[0].value.set_index("smiles")
    assert "peroxide" in shown.loc["OOC", "structure_alerts"]
    assert "antiaromatic" in shown.loc["[O-]C1=CC=C1", "structure_alerts"]
    at.multiselect(key="tr_classes").set_value([2])
    at.run()
    assert list(at.dataframe[0].value["smiles"]) == ["n1ccccc1"]
    # what the page's "Assemble on the Complexes page" button hands over is preselected there
    at.session_state["sent_to_complexes"] = ["n1ccccc1"]
    _open(at, "app_pages/complexes.py")
    assert at.multiselect(key="cx_pick").value == ["n1ccccc1"]
