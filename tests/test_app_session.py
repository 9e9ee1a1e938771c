"""The dashboard's design session (issue 14 points 4 and 5) under streamlit.testing AppTest on the tiny model:
a new AppTest on the same GAUSS_HOME is a reload (new browser session, same server data); page switches keep
the map's colour and bin and the sampling settings; the URL carries and restores colour and bin; a sampling
run goes on in the server while the user is on another page; Save as / Load switch named sessions."""

from __future__ import annotations

import time
from streamlit.testing.v1 import AppTest
from test_app import _app, _map_payload, _open, _type_seed, _wait_for_run

LATENT, SAMPLING, HOME = "app_pages/latent_space.py", "app_pages/sampling.py", "app_pages/home.py"


def _metrics(at: AppTest) -> dict[str, int]:
    return {m.label: int(m.value.replace(",", "")) for m in at.metric if m.label in ("attempts", "valid")}


def test_reload_restores_seeds_samples_colour_and_sampling_settings(app_env):
    at = _open(_app(), LATENT)
    _type_seed(at, "[O-]C")
    grey = next(o for o in at.selectbox(key="map_colour").options if o.startswith("nothing"))
    at.selectbox(key="map_colour").set_value(grey)
    at.run()
    _open(at, SAMPLING)
    at.number_input(key="lp_attempts").set_value(300)
    at.number_input(key="lp_batch").set_value(100)
    at.number_input(key="lp_sigma").set_value(0.45)
    next(b for b in at.button if b.label == "Start sampling").click()
    at.run()
    _wait_for_run(at)
    n_samples = len(at.session_state["samples"])
    assert at.session_state["last_run"]["status"] == "finished" and n_samples > 0

    again = _open(_app(), LATENT)     # a reload: a new browser session on the same server data
    assert again.session_state["seed_basket"] == [{"smiles": "[O-]C", "source": "typed"}]
    assert again.selectbox(key="map_colour").value == grey
    assert len(again.session_state["samples"]) == n_samples
    assert again.session_state["sample_latents"].shape[0] == n_samples
    _open(again, SAMPLING)
    assert again.number_input(key="lp_sigma").value == 0.45 and again.number_input(key="lp_attempts").value == 300
    assert _metrics(again)["attempts"] == 300      # the last run's counters come back too
    assert any("last run: finished" in p.proto.text for p in again.get("progress"))


def test_page_switch_keeps_colour_and_bin_and_the_url_carries_them(app_env):
    at = _open(_app(), LATENT)
    options = at.selectbox(key="map_colour").options
    kd = next(o for o in options if o.startswith("first KD gap"))
    at.selectbox(key="map_colour").set_value(kd)
    at.run()
    bin_label = at.selectbox(key="kd_bin").options[2]
    at.selectbox(key="kd_bin").set_value(bin_label)
    at.run()
    assert at.query_params["colour"] == "kd" and at.query_params["bin"] == "2"
    _open(at, HOME)
    assert at.query_params["colour"] == "kd" and at.query_params["bin"] == "2"   # every page's URL
    _open(at, LATENT)
    assert at.selectbox(key="map_colour").value == kd
    assert at.selectbox(key="kd_bin").value == bin_label
    assert any(layer_name.startswith("target ") for layer_name in _layer_names(at))

    # opening a copied URL in a new browser session restores them (grey map, no bin)
    fresh = _open(_app({"colour": "none", "bin": "0"}), LATENT)
    assert fresh.selectbox(key="map_colour").value.startswith("nothing")
    assert fresh.selectbox(key="kd_bin").value == "(none)"


def _layer_names(at: AppTest) -> list[str]:
    return [layer["name"] for layer in _map_payload(at)["layers"]]


def test_sampling_goes_on_while_on_another_page_and_stop_keeps_results(app_env):
    at = _open(_app(), LATENT)
    _type_seed(at, "OC")
    _open(at, SAMPLING)
    at.number_input(key="lp_attempts").set_value(200_000)
    at.number_input(key="lp_batch").set_value(200)
    next(b for b in at.button if b.label == "Start sampling").click()
    at.run()
    assert at.session_state["last_run"]["status"] == "running"
    first = at.session_state["last_run"]["done"]
    _open(at, HOME)                     # leave the page: the old page stopped the run here
    time.sleep(3)
    _open(at, SAMPLING)
    run = at.session_state["last_run"]
    assert run["status"] == "running" and run["done"] > first
    assert next(b for b in at.button if b.label == "Start sampling").disabled   # one run at a time
    next(b for b in at.button if b.label == "Stop").click()
    at.run()
    _wait_for_run(at)
    run = at.session_state["last_run"]
    assert run["status"] == "stopped" and 0 < run["done"] < 200_000 and run["done"] % 200 == 0
    assert any("Sampling stopped" in i.value for i in at.info)
    samples = at.session_state["samples"]
    assert len(samples) == run["counters"]["unique"]   # every distinct valid molecule found, the last batch's too
    assert int(samples["times_generated"].sum()) == run["counters"]["valid"]


def test_save_as_and_load_switch_named_sessions(app_env):
    at = _open(_app(), LATENT)
    _type_seed(at, "[O-]C")
    at.text_input(key="sess_save_as").set_value("phenolates")
    next(b for b in at.button if b.label == "Save as").click()
    at.run()
    assert not at.exception
    assert at.session_state["design_session"] == "phenolates" and at.query_params["session"] == "phenolates"
    _type_seed(at, "OC")                      # only in the new session
    assert [b["smiles"] for b in at.session_state["seed_basket"]] == ["[O-]C", "OC"]
    at.selectbox(key="sess_load_pick").set_value("default")
    next(b for b in at.button if b.label == "Load").click()
    at.run()
    assert [b["smiles"] for b in at.session_state["seed_basket"]] == ["[O-]C"]
    assert "session" not in at.query_params
    linked = _app({"session": "phenolates"})   # a link to the saved session
    assert [b["smiles"] for b in linked.session_state["seed_basket"]] == ["[O-]C", "OC"]
    assert any("Design session: **phenolates**" in m.value for m in linked.sidebar.markdown)
    assert any(b.label == "Export this session" for b in linked.get("download_button"))


def test_a_run_left_running_by_a_stopped_server_shows_as_interrupted(app_env):
    from gauss_core.sampling import LPConfig
    from gauss_core.session import SessionStore
    from gauss_core.session.sampling_run import start_run

    session = SessionStore().open()
    session.add_seeds(["OC"], "typed")
    run_id = start_run(session, ["OC"], LPConfig(attempts_per_seed=1000, batch_size=100))
    session.update_run(run_id, counters={"attempts": 300, "valid": 120}, done=300)   # then the server died
    at = _open(_app(), SAMPLING)
    run = at.session_state["last_run"]
    assert run["status"] == "interrupted" and run["done"] == 300
    assert any("Sampling interrupted" in w.value and "kept" in w.value for w in at.warning)
    assert not next(b for b in at.button if b.label == "Start sampling").disabled   # a new run may start


def test_import_of_an_exported_session_from_the_sidebar(app_env):
    from gauss_core.session import SessionStore

    at = _open(_app(), LATENT)
    _type_seed(at, "[O-]C")
    exported = SessionStore().export("default")          # what the sidebar's Export button downloads
    at.file_uploader(key="sess_import").upload("gauss_session_default.json", exported, "application/json")
    at.run()
    at.text_input(key="sess_import_as").set_value("from-colleague")
    next(b for b in at.button if b.label == "Import and load").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["design_session"] == "from-colleague"
    assert at.session_state["seed_basket"] == [{"smiles": "[O-]C", "source": "typed"}]
    at.file_uploader(key="sess_import").clear().upload("bad.json", b"{\"x\": 1}", "application/json")
    at.run()
    next(b for b in at.button if b.label == "Import and load").click()
    at.run()
    assert any("Import refused" in e.value and "not a GAUSS design session" in e.value for e in at.sidebar.error)
    assert at.session_state["design_session"] == "from-colleague"


def test_reload_brings_back_the_complexes_pick(app_env):
    """Picks are part of the design session: the ligands chosen on the Complexes page are chosen again after a
    reload (not reset to the first candidate)."""
    at = _open(_app(), LATENT)
    _type_seed(at, "[O-]C")
    _type_seed(at, "OC")
    _open(at, "app_pages/complexes.py")
    assert at.multiselect(key="cx_pick").value == ["[O-]C"]        # the first candidate by default
    at.multiselect(key="cx_pick").set_value(["OC"])
    at.run()
    again = _open(_app(), "app_pages/complexes.py")               # a reload
    assert again.multiselect(key="cx_pick").value == ["OC"]
