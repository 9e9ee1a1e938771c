"""gauss_core.session: design sessions in a real SQLite file under a temporary GAUSS_HOME."""

from __future__ import annotations

import os
import sqlite3
import threading

import numpy as np
import pandas as pd
import pytest

from gauss_core import columns as C
from gauss_core.complexes import assemble, descriptors
from gauss_core.kd.estimate import KDEstimate
from gauss_core.session import (DEFAULT_SESSION, SessionFormatError, SessionNotFoundError, SessionStore,
                                SessionStoreError)


def candidate_rows(smiles: list[str], seed: str = "[O-]C") -> pd.DataFrame:
    return pd.DataFrame({C.SMILES: smiles, C.CANONICAL: smiles, C.SEED_SMILES: seed, C.SIGMA: 0.3,
                         C.IS_VALID: True, C.IS_NOVEL: [i % 2 == 0 for i in range(len(smiles))], C.IS_UNIQUE: True,
                         C.DONOR_FIRST_OK: True, C.RANDOM_SEED: 0, "pred_donor_Z": np.linspace(7, 8, len(smiles))})


@pytest.fixture(scope="module")
def complex_entry() -> dict:
    cx = assemble("[O-]C", builder="rdkit")
    est = KDEstimate(ligand_smiles="[O-]C", energies_cm1=np.linspace(0, 700, 8), gaps_cm1=np.linspace(100, 700, 7),
                     g_tensor=np.array([0.01, 0.02, 19.8]), mj_composition=np.eye(8)[::-1].copy(),
                     provenance="cf-pointcharge", geometry_provenance=cx.geometry_provenance,
                     charges_provenance="xtb-gfn2", flags=["a flag"], bkq_cm1={(2, 0): -310.5, (4, -2): 1.25})
    return {"complex": cx, "error": None, "descriptors": descriptors(cx), "estimate": est, "estimate_error": None}


def test_new_store_has_versioned_schema_and_default_session(tmp_path):
    store = SessionStore(tmp_path)
    assert (tmp_path / "sessions.db").exists()
    session = store.open()
    assert session.name == DEFAULT_SESSION
    data = session.load()
    assert data.seeds == [] and data.samples.empty and data.complexes == {} and data.last_run is None
    with sqlite3.connect(tmp_path / "sessions.db") as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == "1"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_seeds_samples_picks_settings_survive_a_new_store_object(tmp_path):
    s = SessionStore(tmp_path).open("work")
    assert s.add_seeds(["[O-]C", "[O-]c1ccccc1", "[O-]C"], "map") == 2
    assert s.add_seeds(["[O-]C", "N1C=CC=C1"], "typed") == 1
    s.remove_seeds(["[O-]c1ccccc1"])
    rows = candidate_rows(["[O-]CC", "[O-]CCC", "[O-]CCCC"])
    z = np.random.default_rng(0).standard_normal((3, 32)).astype(np.float32)
    assert s.append_samples(rows, z, counts={"[O-]CC": 5, "[O-]CCC": 1}) == 3
    assert s.append_samples(candidate_rows(["OCC"]), z[:1]) == 4
    s.save_picks("complexes", ["[O-]CC"])
    sweep = pd.DataFrame({"sigma": [0.0, 0.5], "validity_pct": [100.0, float("nan")]})
    s.set_settings({"map_colour": "model prediction: donor_Z", "kd_bin": 3, "lp_sigma": 0.25, "sweep": sweep,
                    "view": (1.0, 2.0)})

    again = SessionStore(tmp_path).open("work").load()   # a reload / new tab / server restart
    assert again.seeds == [{"smiles": "[O-]C", "source": "map"}, {"smiles": "N1C=CC=C1", "source": "typed"}]
    assert again.samples[C.SMILES].tolist() == ["[O-]CC", "[O-]CCC", "[O-]CCCC", "OCC"]
    assert again.samples[C.IS_NOVEL].tolist() == [True, False, True, True]
    assert again.samples[C.TIMES_GENERATED].tolist()[:3] == [5, 1, 0]
    assert again.latents.dtype == np.float32 and np.array_equal(again.latents[:3], z)
    assert np.allclose(again.samples["pred_donor_Z"].to_numpy(dtype=float)[:3], np.linspace(7, 8, 3))
    assert again.picks == {"complexes": ["[O-]CC"]}
    assert again.settings["kd_bin"] == 3 and again.settings["lp_sigma"] == 0.25
    assert again.settings["view"] == (1.0, 2.0)
    assert again.settings["sweep"]["sigma"].tolist() == [0.0, 0.5]
    assert pd.isna(again.settings["sweep"]["validity_pct"].iloc[1])


def test_complex_entry_round_trips_exactly(tmp_path, complex_entry):
    s = SessionStore(tmp_path).open()
    s.save_complex("[O-]C", complex_entry)
    back = SessionStore(tmp_path).open().complexes()["[O-]C"]
    cx, cx0 = back["complex"], complex_entry["complex"]
    assert type(cx) is type(cx0) and cx.symbols == cx0.symbols and cx.bonds == cx0.bonds
    assert np.array_equal(cx.coords, cx0.coords) and cx.geometry_provenance == cx0.geometry_provenance
    est = back["estimate"]
    assert est.provenance == "cf-pointcharge" and np.array_equal(est.gaps_cm1, complex_entry["estimate"].gaps_cm1)
    assert est.bkq_cm1 == {(2, 0): -310.5, (4, -2): 1.25} and est.dominant_mj()[0].startswith("+-15/2")
    assert back["descriptors"] == complex_entry["descriptors"]


def test_save_as_rename_delete_and_list(tmp_path):
    store = SessionStore(tmp_path)
    a = store.open("a")
    a.add_seeds(["[O-]C"], "map")
    a.append_samples(candidate_rows(["[O-]CC"]), np.ones((1, 4), np.float32))
    b = store.copy("a", "b")
    b.add_seeds(["OC"], "typed")
    assert [x["smiles"] for x in store.open("a").seeds()] == ["[O-]C"]   # the copy is independent
    assert len(b.load().samples) == 1
    with pytest.raises(SessionStoreError, match="exists already"):
        store.copy("a", "b")
    store.rename("b", "b2")
    assert {i.name for i in store.list_sessions()} == {"a", "b2"}
    info = {i.name: i for i in store.list_sessions()}["b2"]
    assert (info.n_seeds, info.n_samples, info.n_complexes) == (2, 1, 0)
    store.delete("a")
    with pytest.raises(SessionNotFoundError, match="no design session named 'a'"):
        store.open("a", create=False)
    with pytest.raises(SessionStoreError, match="not usable"):
        store.open("   ")


def test_export_import_round_trip_and_refusals(tmp_path, complex_entry):
    src = SessionStore(tmp_path / "one").open("mine")
    src.add_seeds(["[O-]C"], "map")
    z = np.arange(8, dtype=np.float32).reshape(2, 4)
    src.append_samples(candidate_rows(["[O-]CC", "[O-]CCC"]), z)
    src.save_complex("[O-]C", complex_entry)
    src.set_settings({"map_colour": "nothing (grey)"})
    blob = src.store.export("mine")

    other = SessionStore(tmp_path / "two")
    assert other.import_(blob) == "mine"
    got = other.open("mine").load()
    assert got.seeds == [{"smiles": "[O-]C", "source": "map"}] and np.array_equal(got.latents, z)
    assert got.settings == {"map_colour": "nothing (grey)"}
    assert np.array_equal(got.complexes["[O-]C"]["complex"].coords, complex_entry["complex"].coords)
    with pytest.raises(SessionStoreError, match="exists already"):
        other.import_(blob)
    assert other.import_(blob, name="copy") == "copy"
    with pytest.raises(SessionFormatError, match="not a GAUSS design session"):
        other.import_(b"{\"hello\": 1}")
    with pytest.raises(SessionFormatError, match="not JSON"):
        other.import_(b"PK\x03\x04 not json")
    assert {i.name for i in other.list_sessions()} == {"mine", "copy"}   # failed imports left nothing behind


def test_runs_stop_flag_and_times(tmp_path):
    s = SessionStore(tmp_path).open()
    run_id = s.start_run({"sigma": 0.3, "attempts_per_seed": 10}, total=20)
    s.append_samples(candidate_rows(["[O-]CC", "[O-]CCC"]), np.zeros((2, 4), np.float32), run_id=run_id)
    s.update_run(run_id, counters={"attempts": 10, "valid": 4}, done=10)
    assert not s.stop_requested(run_id)
    s.request_stop(run_id)   # e.g. from another thread/process
    assert SessionStore(tmp_path).open().stop_requested(run_id)
    s.set_times_generated(run_id, {"[O-]CC": 3, "[O-]CCC": 1})
    s.update_run(run_id, status="stopped")
    run = s.last_run()
    assert run["status"] == "stopped" and run["counters"]["valid"] == 4 and run["progress"] == 0.5
    assert run["first_row"] == 0 and run["sigma"] == 0.3
    assert s.samples()[0][C.TIMES_GENERATED].tolist() == [3, 1]


def test_concurrent_writer_thread_and_reader(tmp_path):
    store = SessionStore(tmp_path)
    s = store.open()
    errors: list[Exception] = []

    def writer() -> None:
        try:
            for i in range(30):
                s.append_samples(candidate_rows([f"O{'C' * (i + 1)}"]), np.full((1, 4), i, np.float32))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    t = threading.Thread(target=writer)
    t.start()
    seen = 0
    while t.is_alive():
        seen = max(seen, len(store.open().samples()[0]))
    t.join()
    assert not errors
    df, z = s.samples()
    assert len(df) == 30 and np.array_equal(z[:, 0], np.arange(30, dtype=np.float32))


def test_damaged_file_gives_a_clear_error(tmp_path):
    (tmp_path / "sessions.db").write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(SessionStoreError, match="damaged.*move it aside"):
        SessionStore(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files")
def test_readonly_file_gives_a_clear_error_and_keeps_data(tmp_path):
    s = SessionStore(tmp_path).open()
    s.add_seeds(["[O-]C"], "map")
    s.store.close()
    for p in tmp_path.iterdir():
        p.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(SessionStoreError, match="cannot be written|chmod"):
            SessionStore(tmp_path).open().add_seeds(["OC"], "typed")
    finally:
        tmp_path.chmod(0o755)
        for p in tmp_path.iterdir():
            p.chmod(0o644)
    assert [x["smiles"] for x in SessionStore(tmp_path).open().seeds()] == ["[O-]C"]


def test_mismatched_rows_and_latents_refused(tmp_path):
    s = SessionStore(tmp_path).open()
    with pytest.raises(SessionFormatError, match="2 sample rows but 1 latent"):
        s.append_samples(candidate_rows(["OC", "OCC"]), np.zeros((1, 4), np.float32))
    assert s.n_samples() == 0


def test_sampling_run_into_session_and_stop_keeps_the_batch_in_progress(tmp_path, tiny_checkpoint):
    import torch

    from gauss_core.model.checkpoint import load_checkpoint
    from gauss_core.sampling import LPConfig, LPSampler, encode_seeds
    from gauss_core.session.sampling_run import sample_into_session, start_run

    torch.set_num_threads(1)
    loaded = load_checkpoint(tiny_checkpoint)
    sampler = LPSampler.from_model(loaded, frozenset())
    z = encode_seeds(loaded, ["OC"])
    s = SessionStore(tmp_path).open()
    config = LPConfig(sigma=0.6, attempts_per_seed=300, batch_size=100, random_seed=1)

    run_id = start_run(s, ["OC"], config)
    run = sample_into_session(sampler, s, run_id, ["OC"], z, config, project=lambda zz: zz[:, :2] * 0 + 1.5)
    direct = sampler.run(["OC"], z, config)
    assert run["status"] == "finished" and run["done"] == 300 and run["counters"] == direct.counters.as_dict()
    df, lat = s.samples()
    assert df[C.CANONICAL].tolist() == direct.candidates[C.CANONICAL].tolist()   # the same molecules, in order
    assert np.allclose(lat, direct.latents) and (df["pc1"] == 1.5).all()
    assert df[C.TIMES_GENERATED].tolist() == direct.candidates[C.TIMES_GENERATED].tolist()

    s.clear_samples()
    run_id = start_run(s, ["OC"], config)
    s.request_stop(run_id)   # pressed while the first batch is decoded
    run = sample_into_session(sampler, s, run_id, ["OC"], z, config)
    first_batch = next(sampler.iter_batches(["OC"], z, config))
    assert run["status"] == "stopped" and run["done"] == 100
    assert s.samples()[0][C.CANONICAL].tolist() == first_batch.new_rows[C.CANONICAL].tolist()   # kept


def test_sampling_run_records_a_failure(tmp_path):
    from gauss_core.sampling import LPConfig, LPSampler
    from gauss_core.session.sampling_run import sample_into_session, start_run

    def broken_decoder(z):
        raise RuntimeError("decoder exploded")

    s = SessionStore(tmp_path).open()
    config = LPConfig(attempts_per_seed=10, batch_size=5)
    run_id = start_run(s, ["OC"], config)
    run = sample_into_session(LPSampler(broken_decoder, frozenset()), s, run_id, ["OC"], np.zeros((1, 4)), config)
    assert run["status"] == "failed" and "decoder exploded" in run["error"]
