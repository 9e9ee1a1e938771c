"""Batch labelling: real xtb on a handful of ligands, per-molecule errors, resumable cache, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from gauss_core import columns, provenance
from gauss_core.cli import main as gauss_main
from gauss_core.proxies import load_proxy_labels
from gauss_core.proxies.batch import BatchConfig, LabelCache, label_batch, label_one, sample_ligands
from gauss_core.proxies.fast import FastConfig

pytestmark = pytest.mark.needs_xtb

GOOD = ["[O-]C", "OC", "NC", "[O-]c1ccccc1", "N1=CC=CC=C1"]
BAD = ["C1CC", "[CH3]"]  # invalid SMILES; radical


def test_batch_labels_and_records_errors(tmp_path):
    out = tmp_path / "labels.csv.gz"
    summary = label_batch(GOOD + BAD + ["OC"], out, BatchConfig(workers=2, progress=False))
    assert summary.n_input == 7 and summary.n_ok == 5 and summary.n_failed == 2 and summary.n_new == 7
    table = pd.read_csv(out)
    assert len(table) == 7
    bad = table.set_index("smiles").loc[BAD, "error"]
    assert "not valid SMILES" in bad["C1CC"] and "odd number of electrons" in bad["[CH3]"]
    labels = load_proxy_labels(out)
    assert list(labels.columns[:6]) == [columns.SMILES, *columns.PROXY_COLUMNS, columns.PROVENANCE]
    assert set(labels[columns.SMILES]) == set(GOOD)
    assert labels[list(columns.PROXY_COLUMNS)].notna().all().all()
    assert (labels[columns.PROVENANCE] == provenance.XTB_GFN2).all()
    row = labels.set_index(columns.SMILES)
    assert row.loc["[O-]C", columns.DONOR_Z] == 8 and row.loc["NC", columns.DONOR_Z] == 7
    assert row.loc["[O-]C", columns.Q_DONOR] < row.loc["OC", columns.Q_DONOR]


def test_resume_skips_cached_and_redoes_a_cut_line(tmp_path):
    out = tmp_path / "labels.csv"
    first = label_batch(GOOD[:3], out, BatchConfig(workers=1, progress=False))
    assert first.n_new == 3
    cache = first.cache_path
    lines = cache.read_text().splitlines()
    assert len(lines) == 3 and all(json.loads(ln)["ok"] for ln in lines)
    # simulate a crash in the middle of writing the third record
    cache.write_text("\n".join(lines[:2]) + "\n" + lines[2][: len(lines[2]) // 2])
    second = label_batch(GOOD, out, BatchConfig(workers=2, progress=False))
    assert second.n_cached == 2 and second.n_new == 3 and second.n_ok == 5
    third = label_batch(GOOD, out, BatchConfig(workers=2, progress=False))
    assert third.n_new == 0 and third.n_cached == 5
    assert len(pd.read_csv(out)) == 5


def test_errors_are_not_retried_unless_asked(tmp_path):
    out = tmp_path / "l.csv"
    cfg = BatchConfig(workers=1, progress=False, fast=FastConfig(max_scc_iterations=2))
    s1 = label_batch(["[O-]c1ccccc1"], out, cfg)
    assert s1.n_failed == 1
    assert "did not converge" in pd.read_csv(out)["error"][0]
    s2 = label_batch(["[O-]c1ccccc1"], out, BatchConfig(workers=1, progress=False))
    assert s2.n_new == 0 and s2.n_failed == 1
    s3 = label_batch(["[O-]c1ccccc1"], out, BatchConfig(workers=1, progress=False, retry_errors=True))
    assert s3.n_new == 1 and s3.n_ok == 1


def test_label_one_never_raises_for_bad_molecules():
    rec = label_one("not a smiles", "xtb")
    assert rec["ok"] is False and rec["error"].startswith("InvalidSmilesError")


def test_cache_last_record_wins(tmp_path):
    cache = LabelCache(tmp_path / "c.jsonl")
    cache.append({"key": "xtb:OC", "smiles": "OC", "ok": False, "error": "x"})
    cache.append({"key": "xtb:OC", "smiles": "OC", "ok": True, "error": None})
    assert LabelCache(tmp_path / "c.jsonl").records["xtb:OC"]["ok"] is True


def test_sample_is_seeded_and_stratified():
    frame = pd.DataFrame({"smiles": [f"C{i}" for i in range(1000)],
                          columns.LIGAND_CLASS: [1] * 600 + [2] * 200 + [3] * 150 + [4] * 50})
    a = sample_ligands(frame, 100, seed=3)
    b = sample_ligands(frame, 100, seed=3)
    assert list(a["smiles"]) == list(b["smiles"]) and len(a) == 100
    counts = a[columns.LIGAND_CLASS].value_counts().to_dict()
    assert counts == {1: 60, 2: 20, 3: 15, 4: 5}


def test_cli_label_xtb(tmp_path, capsys):
    inp = tmp_path / "in.csv"
    pd.DataFrame({"smiles": ["[O-]C", "OC", "C1CC"]}).to_csv(inp, index=False)
    out = tmp_path / "out.csv.gz"
    rc = gauss_main(["label", "--method", "xtb", "--input", str(inp), "--out", str(out), "--workers", "1",
                     "--quiet"])
    assert rc == 0
    err = capsys.readouterr().err
    # the invalid row is refused with its reason before any xtb work (issue 15), the two good ones labelled
    assert "skipped row 3: 'C1CC' is not valid SMILES" in err and "labelled 2/2 ligands (0 failed" in err
    assert len(load_proxy_labels(out)) == 2


def test_cli_missing_input_is_a_clear_error(tmp_path, capsys):
    rc = gauss_main(["label", "--input", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o.csv")])
    assert rc == 2 and "does not exist" in capsys.readouterr().err


def test_cli_enqueue_loprop_jobs(tmp_path, capsys):
    from gauss_core.jobs import JobStore

    inp = tmp_path / "in.smi"
    inp.write_text("[O-]C\nOC\n[O-]C\n")
    db = tmp_path / "queue.db"
    rc = gauss_main(["label", "--method", "loprop", "--enqueue", "--input", str(inp), "--out", str(tmp_path / "o.csv"),
                     "--queue-db", str(db), "--basis", "ano-r2"])
    assert rc == 0 and "queued 2 loprop jobs" in capsys.readouterr().err
    jobs = JobStore(db).list(kind="loprop")
    assert sorted(j.smiles for j in jobs) == ["OC", "[O-]C"]
    assert all(j.params["basis"] == "ANO-R2" for j in jobs)


def test_loprop_batch_records_bad_input_without_running_openmolcas(tmp_path):
    out = tmp_path / "lp.csv"
    summary = label_batch(["C1CC", "[O-]C(C)"], out, BatchConfig(method="loprop", workers=1, progress=False,
                                                               basis="ANO-R0"))
    assert summary.n_failed == 2 and summary.n_ok == 0
    errors = pd.read_csv(out).set_index("smiles")["error"]
    assert errors["C1CC"].startswith("InvalidSmilesError")
    assert "ANO-R0 is too small" in errors["[O-]C(C)"]  # refused before any OpenMolcas run
    assert json.loads(summary.cache_path.read_text().splitlines()[0])["method"] == "loprop-ANO-R0"


def test_merge_caches_of_two_shards(tmp_path):
    from gauss_core.proxies.batch import merge_caches

    a = label_batch(["[O-]C", "OC"], tmp_path / "a.csv", BatchConfig(workers=1, progress=False))
    b = label_batch(["NC", "OC"], tmp_path / "b.csv", BatchConfig(workers=1, progress=False))
    merged = merge_caches([a.cache_path, b.cache_path], tmp_path / "all.csv")
    assert sorted(merged["smiles"]) == ["NC", "OC", "[O-]C"]
    assert len(pd.read_csv(tmp_path / "all.csv")) == 3


def heavy_atoms(smiles: str) -> dict:
    """A labelling function defined outside proxies/ (module level, so worker processes receive it)."""
    from gauss_core.chem import mol_from_smiles

    return {"n_heavy": mol_from_smiles(smiles).GetNumHeavyAtoms()}


def heavy_table(records: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{"smiles": r["smiles"], "n_heavy": r.get("n_heavy"), "error": r["error"]} for r in records])


def test_a_labeller_runs_through_the_cache_workers_and_its_own_table(tmp_path):
    from gauss_core.proxies.batch import Labeller

    labeller = Labeller(key="heavy", label=heavy_atoms, to_frame=heavy_table)
    out = tmp_path / "h.csv"
    first = label_batch(GOOD + ["C1CC"], out, BatchConfig(workers=2, progress=False, labeller=labeller))
    assert first.n_new == 6 and first.n_ok == 5 and first.n_failed == 1
    table = pd.read_csv(out).set_index("smiles")
    assert list(table.columns) == ["n_heavy", "error"]
    assert table.loc["[O-]c1ccccc1", "n_heavy"] == 7 and "not valid SMILES" in table.loc["C1CC", "error"]
    keys = {json.loads(ln)["key"] for ln in first.cache_path.read_text().splitlines()}
    assert keys == {f"heavy:{s}" for s in GOOD + ["C1CC"]}
    again = label_batch(GOOD, out, BatchConfig(workers=2, progress=False, labeller=labeller))
    assert again.n_new == 0 and again.n_cached == 5


def test_the_worker_pool_forks_from_a_single_threaded_server(tmp_path):
    """The labelling pool's forkserver must not run threads: a server that had imported pandas ran pyarrow's
    jemalloc background thread, and a worker forked from it hung on a futex for good (session 11, a full test
    run). After a two-worker run, the server holds only its main thread."""
    import os
    from multiprocessing import forkserver

    label_batch(GOOD[:3], tmp_path / "labels.csv.gz", BatchConfig(workers=2, progress=False))
    pid = forkserver._forkserver._forkserver_pid
    assert pid is not None and os.path.isdir(f"/proc/{pid}")
    names = [Path(f"/proc/{pid}/task/{t}/comm").read_text().strip() for t in os.listdir(f"/proc/{pid}/task")]
    assert names == ["python"], names
