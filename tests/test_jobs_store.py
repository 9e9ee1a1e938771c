"""SQLite job queue: uniqueness, atomic claims from several processes, state rules, crash recovery."""

from __future__ import annotations

import json
import multiprocessing as mp
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gauss_core.errors import GaussError
from gauss_core.jobs import store as js
from gauss_core.jobs.kinds import UnknownJobKindError
from gauss_core.jobs.store import JobStateError, JobStore


@pytest.fixture()
def store(tmp_path) -> JobStore:
    return JobStore(tmp_path / "queue.db")


def test_database_is_in_wal_mode(store):
    conn = sqlite3.connect(store.db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_enqueue_same_job_twice_returns_the_existing_one(store):
    a = store.enqueue("casscf", "[O-]C", {"dy_basis": "ANO-RCC-VDZP"})
    b = store.enqueue("casscf", "[O-]C", {})                # the default basis: same job
    c = store.enqueue("casscf", "[O-]C", {"dy_basis": "ANO-RCC-VTZP"})
    d = store.enqueue("loprop", "[O-]C", {})
    assert a.id == b.id and len({a.id, c.id, d.id}) == 3
    assert a.params["dy_basis"] == "ANO-RCC-VDZP" and a.params["n_roots"] == 21
    assert a.directory == store.jobs_root / str(a.id) and a.directory.is_dir()
    assert [j.id for j in store.list()] == [1, 2, 3]


def test_enqueue_refuses_unknown_kinds_and_parameters(store):
    with pytest.raises(UnknownJobKindError, match="casscf"):
        store.enqueue("dft", "[O-]C", {})
    with pytest.raises(GaussError, match="unknown parameter"):
        store.enqueue("casscf", "[O-]C", {"basis_set": "x"})
    with pytest.raises(GaussError, match="empty SMILES"):
        store.enqueue("casscf", "  ", {})


def test_claim_finish_fail_cancel_retry(store):
    a = store.enqueue("casscf", "[O-]C")
    b = store.enqueue("casscf", "[O-]CC")
    ja = store.claim()
    assert ja.id == a.id and ja.state == js.RUNNING and ja.attempts == 1
    assert store.finish(ja.id, {"gaps_cm1": [1.0] * 7, "provenance": "casscf-openmolcas"})
    assert store.get(a.id).state == js.DONE and store.get(a.id).result["gaps_cm1"][0] == 1.0
    with pytest.raises(JobStateError, match="already done"):
        store.cancel(a.id)
    with pytest.raises(JobStateError, match="only failed or cancelled"):
        store.retry(a.id)
    jb = store.claim()
    assert jb.id == b.id and store.claim() is None
    assert store.fail(jb.id, "pymolcas exited with code 1")
    assert store.get(b.id).error.startswith("pymolcas")
    again = store.retry(b.id)
    assert again.state == js.QUEUED and again.attempts == 0 and again.error is None
    assert "retry requested" in again.log_text()
    store.cancel(b.id)
    assert store.get(b.id).state == js.CANCELLED
    assert store.counts() == {"queued": 0, "running": 0, "done": 1, "failed": 0, "cancelled": 1}


def test_result_of_a_cancelled_job_is_not_stored(store):
    job = store.enqueue("casscf", "[O-]C")
    store.claim()
    store.cancel(job.id)
    assert not store.finish(job.id, {"x": 1})
    assert store.get(job.id).state == js.CANCELLED and store.get(job.id).result is None


def _enqueue_many(db: str, tag: str, n: int, out: mp.Queue) -> None:
    s = JobStore(db)
    ids = []
    for i in range(n):
        ids.append(s.enqueue("casscf", f"[O-]{'C' * (1 + i % 10)}", {"n_roots": 1 + (i // 10) % 2}).id)  # shared
        ids.append(s.enqueue("loprop", f"N{tag}{i}", {}, validate=False).id)  # own jobs
    out.put((tag, ids))


def test_two_processes_enqueue_at_once(tmp_path):
    db = str(tmp_path / "queue.db")
    JobStore(db)
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_enqueue_many, args=(db, tag, 60, out)) for tag in ("a", "b")]
    for p in procs:
        p.start()
    results = dict(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    store = JobStore(db)
    jobs = store.list()
    # 10 SMILES x 2 parameter sets shared by both, 60 private LoProp jobs each.
    assert len(jobs) == 20 + 120
    assert len({(j.kind, j.smiles, json.dumps(j.params, sort_keys=True)) for j in jobs}) == len(jobs)
    shared_a = results["a"][0::2]
    shared_b = results["b"][0::2]
    assert shared_a == shared_b  # both processes got the same ids for the same jobs


def _claim_all(db: str, out: mp.Queue) -> None:
    s = JobStore(db)
    got = []
    while (job := s.claim(identity=("test", 1000 + len(got), "x"))) is not None:
        got.append(job.id)
    out.put(got)


def test_concurrent_claims_never_share_a_job(tmp_path):
    db = str(tmp_path / "queue.db")
    s = JobStore(db)
    for i in range(80):
        s.enqueue("loprop", f"O{'C' * (i % 40)}{'N' * (i // 40)}", {})
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_claim_all, args=(db, out)) for _ in range(3)]
    for p in procs:
        p.start()
    claimed = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    flat = [i for c in claimed for i in c]
    assert sorted(flat) == list(range(1, 81))  # every job exactly once


def _dead_worker_identity() -> tuple[str, int, str]:
    """Identity of a real process that we then kill with SIGKILL."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    ident = (js.socket.gethostname(), proc.pid, js.process_start_time(proc.pid))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return ident


def test_job_of_a_killed_worker_is_requeued_then_failed(store):
    job = store.enqueue("casscf", "[O-]C", {}, max_attempts=2)
    # A live worker's job is left alone.
    store.claim(identity=js.worker_identity())
    assert store.recover_stale() == []
    store.release(job.id)
    for attempt in (1, 2):
        claimed = store.claim(identity=_dead_worker_identity())
        assert claimed.attempts == attempt
        changed = store.recover_stale()
        assert [j.id for j in changed] == [job.id]
    # First death: back in the queue; second (last attempt): failed, with the log telling why.
    final = store.get(job.id)
    assert final.state == js.FAILED and "died during the last attempt" in final.error
    log = final.log_text()
    assert "job requeued" in log and "job failed" in log
    assert store.retry(job.id).state == js.QUEUED


def test_orphan_that_finished_is_collected_as_done(store):
    job = store.enqueue("casscf", "[O-]C")
    store.claim(identity=_dead_worker_identity())
    js.write_json_atomic(job.directory / js.RESULT_FILE, {"gaps_cm1": [2.0] * 7})
    store.recover_stale()
    assert store.get(job.id).state == js.DONE and store.get(job.id).result["gaps_cm1"] == [2.0] * 7


def test_worker_on_another_host_counts_as_dead_after_its_heartbeat_stops(store):
    job = store.enqueue("casscf", "[O-]C")
    store.claim(identity=("other-node", 4242, "1"))
    assert store.recover_stale(stale_after_s=60) == []           # heartbeat is fresh
    with store._write() as conn:
        conn.execute("UPDATE jobs SET heartbeat_at=? WHERE id=?", (time.time() - 600, job.id))
    assert store.recover_stale(stale_after_s=60)[0].state == js.QUEUED


def test_kill_process_group_only_touches_processes_in_the_job_directory(tmp_path):
    inside = tmp_path / "job"
    inside.mkdir()
    p_in = subprocess.Popen(["sleep", "60"], cwd=inside, start_new_session=True)
    p_out = subprocess.Popen(["sleep", "60"], cwd=tmp_path, start_new_session=True)
    try:
        assert js.kill_process_group(p_out.pid, inside) == 0      # right group, wrong directory: spared
        assert js.kill_process_group(p_in.pid, inside) == 1
        assert p_in.wait(timeout=10) == -signal.SIGKILL
        assert p_out.poll() is None
    finally:
        p_out.kill()
        p_out.wait()


def test_missing_job_names_the_fix(store):
    with pytest.raises(js.JobNotFoundError, match="gauss queue list"):
        store.get(99)


def test_default_location_is_gauss_home(tmp_path, monkeypatch):
    monkeypatch.setenv("GAUSS_HOME", str(tmp_path / "home"))
    s = JobStore()
    assert s.db_path == tmp_path / "home" / "queue.db" and s.jobs_root == tmp_path / "home" / "jobs"
    assert Path(s.db_path).exists()


def test_done_casscf_jobs_merge_into_kd_labels(store, tmp_path):
    """Real parsed OpenMolcas results (the tests/data output) become one label row per SMILES."""
    import gzip

    from gauss_core import columns
    from gauss_core.jobs.labels import merge_kd_results, write_kd_labels
    from gauss_core.kd.molcas_casscf import parse_molcas_output

    with gzip.open(Path(__file__).parent / "data" / "molcas" / "dy_water5_ome2_idealised.out.gz", "rt") as fh:
        text = fh.read()
    parsed = parse_molcas_output(text).to_dict()
    result = {**parsed, "geometry_source": "idealised-methoxide",
              "basis": {"Dy": "ANO-RCC-VDZP", "ligands": "ANO-RCC-MB"}}
    for smi, params in (("[O-]C", {"n_roots": 21}), ("[O-]C", {"n_roots": 11}), ("[O-]CCC", {})):
        store.enqueue("casscf", smi, params)
        job = store.claim()
        store.finish(job.id, result)
    failed = store.enqueue("casscf", "[O-]CC", {})
    store.claim()
    store.fail(failed.id, "x")
    labels = merge_kd_results(store)
    assert sorted(labels[columns.SMILES]) == ["[O-]C", "[O-]CCC"]          # latest job per SMILES, done only
    row = labels.set_index(columns.SMILES).loc["[O-]C"]
    assert row["kd_job_id"] == 2 and row[columns.KD_PROVENANCE] == "casscf-openmolcas"
    assert row[columns.KD_GAP_COLUMNS[0]] == pytest.approx(555.005, abs=0.01)
    assert row["kd_ground_gz"] == pytest.approx(19.993, abs=0.001)
    path = write_kd_labels(store, tmp_path / "kd.csv")
    import pandas as pd
    assert len(pd.read_csv(path)) == 2


def test_kd_rows_keep_only_casscf_tagged_done_jobs(store):
    """An estimate-tagged result of a 'casscf' job (or a queued job) never becomes a CASSCF KD row."""
    from gauss_core import columns, provenance
    from gauss_core.jobs.labels import kd_rows_from_jobs

    a = store.enqueue("casscf", "[O-]C", {})
    b = store.enqueue("casscf", "OC", {})
    store.enqueue("casscf", "N", {})                       # stays queued
    assert {store.claim().id, store.claim().id} == {a.id, b.id}
    gaps = [float(x) for x in range(100, 800, 100)]
    store.finish(a.id, {"provenance": provenance.CASSCF_OPENMOLCAS, "gaps_cm1": gaps})
    store.finish(b.id, {"provenance": provenance.CF_POINTCHARGE, "gaps_cm1": gaps})
    table = kd_rows_from_jobs(store.list())
    assert table[columns.SMILES].tolist() == ["[O-]C"]
    assert table.loc[0, columns.KD_GAP_COLUMNS[0]] == 100.0 and table.loc[0, "kd_job_id"] == a.id
    assert table.loc[0, columns.KD_PROVENANCE] == provenance.CASSCF_OPENMOLCAS


def test_kill_9_of_a_writer_loses_nothing_committed(tmp_path):
    """A process enqueuing in a loop (like a dashboard) is SIGKILLed mid-write: the database stays
    consistent and every job it reported as stored is there."""
    db = tmp_path / "queue.db"
    JobStore(db)
    code = ("import sys\n"
            "from gauss_core.jobs.store import JobStore\n"
            f"s = JobStore({str(db)!r})\n"
            "for i in range(100000):\n"
            "    j = s.enqueue('loprop', 'O' + 'C' * (i % 50) + 'N' * (i // 50), {}, validate=False)\n"
            "    print(j.id, flush=True)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    reported = []
    deadline = time.time() + 60
    while len(reported) < 150 and time.time() < deadline:
        reported.append(int(proc.stdout.readline()))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    ids = {j.id for j in JobStore(db).list()}
    assert len(reported) == 150 and set(reported) <= ids


def test_enqueue_many_in_bulk_keeps_order_duplicates_and_existing_jobs(store):
    old = store.enqueue("casscf", "OC")
    out = store.enqueue_many("casscf", ["[O-]C", "OCC", "C[O-]", "OC", "NCC", "OCC"])
    assert [(j.smiles, created) for j, created in out] == [
        ("[O-]C", True), ("OCC", True), ("[O-]C", False), ("OC", False), ("NCC", True), ("OCC", False)]
    assert out[3][0].id == old.id and [j.id for j, _ in out] == [2, 3, 2, 1, 4, 3]
    assert [(j.id, j.smiles, j.state) for j in store.list()] == [(1, "OC", "queued"), (2, "[O-]C", "queued"),
                                                                  (3, "OCC", "queued"), (4, "NCC", "queued")]
    assert out[1][0] == store.get(3)  # the returned job is what a read gives back
