"""`gauss queue ...` commands in-process (the subprocess form runs in test_jobs_worker.py)."""

from __future__ import annotations

import json

import pytest

from gauss_core.cli import main
from gauss_core.jobs.store import JobStore


@pytest.fixture()
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("GAUSS_HOME", str(tmp_path))
    return tmp_path


def test_add_list_show_cancel_retry(home, capsys):
    assert main(["queue", "add", "[O-]C", "[O-]CC", "--param", "dy_basis=ANO-RCC-VTZP", "--param", "relax=false"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [ln.split("\t")[:2] for ln in out] == [["1", "queued"], ["2", "queued"]]
    assert main(["queue", "add", "[O-]C", "--params-json", '{"relax": false, "dy_basis": "ANO-RCC-VTZP"}']) == 0
    assert capsys.readouterr().out.split("\t")[:2] == ["1", "existing"]
    job = JobStore(home / "queue.db").get(1)
    assert job.params["relax"] is False and job.params["dy_basis"] == "ANO-RCC-VTZP"
    assert main(["queue", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [j["state"] for j in listed] == ["queued", "queued"]
    assert main(["queue", "cancel", "2"]) == 0 and "cancelled" in capsys.readouterr().out
    assert main(["queue", "retry", "2"]) == 0 and "queued" in capsys.readouterr().out
    assert main(["queue", "show", "2", "--log"]) == 0
    shown = capsys.readouterr().out
    assert '"state": "queued"' in shown and "cancelled by user" in shown and "retry requested" in shown


def test_spellings_of_one_molecule_make_one_job(home, capsys):
    assert main(["queue", "add", "[O-]C", "C[O-]", "[O-][CH3]"]) == 0
    out = [ln.split("\t")[:2] for ln in capsys.readouterr().out.splitlines()]
    assert out == [["1", "queued"], ["1", "existing"], ["1", "existing"]]
    assert JobStore(home / "queue.db").get(1).smiles == "[O-]C"


@pytest.mark.parametrize("args, reason", [
    (["[O]C"], "radical"), (["CCCC"], "starts with C"), (["O" + "C" * 5000], "longer than"),
    (["[O-]C", "--param", "n_roots=abc"], "whole number"), (["[O-]C", "--param", "relax=maybe"], "true or false"),
    (["[O-]C", "--param", "geometry=spiral"], "not one of"),
])
def test_add_validates_before_it_stores(home, capsys, args, reason):
    assert main(["queue", "add", *args]) == 2
    err = capsys.readouterr().err
    assert reason in err and "Traceback" not in err
    assert JobStore(home / "queue.db").list() == []


def test_add_file_skips_header_and_junk_with_reasons(home, capsys):
    f = home / "in.csv"
    f.write_text("smiles,name\n[O-]C,methoxide\nhello world,x\n[O]C,radical\nOCC,ethanol\n")
    assert main(["queue", "add", "--file", str(f)]) == 0
    cap = capsys.readouterr()
    assert [j.smiles for j in JobStore(home / "queue.db").list()] == ["[O-]C", "OCC"]
    assert "in.csv:3" in cap.err and "in.csv:4" in cap.err and "radical" in cap.err


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02binary", "[O-]C\n".encode("utf-16"), None, "dir"])
def test_add_file_bad_files_are_messages(home, capsys, content):
    f = home / "in.txt"
    if content == "dir":
        f.mkdir()
    elif content is not None:
        f.write_bytes(content)
    rc = main(["queue", "add", "--file", str(f)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if isinstance(content, bytes) and content.startswith(b"\xff\xfe"):  # UTF-16 with BOM is read
        assert rc == 0
    else:
        assert rc == 2 and len(err.strip().splitlines()) == 1
        assert JobStore(home / "queue.db").list() == []


def test_errors_are_messages_not_tracebacks(home, capsys):
    assert main(["queue", "show", "7"]) == 2
    assert "no job 7" in capsys.readouterr().err
    assert main(["queue", "add", "[O-]C", "--param", "bogus"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err
    assert main(["queue", "add", "[O-]C", "--param", "colour=blue"]) == 2
    assert "unknown parameter" in capsys.readouterr().err
    assert main(["queue", "retry", "1"]) == 2                     # nothing to retry
    assert main(["queue", "add", "[O-]C"]) == 0
    capsys.readouterr()
    assert main(["queue", "retry", "1"]) == 2
    assert "only failed or cancelled" in capsys.readouterr().err


def test_labels_command_writes_an_empty_table_without_results(home, capsys):
    assert main(["queue", "labels"]) == 0
    assert "0 ligands" in capsys.readouterr().out
    assert (home / "labels" / "kd_casscf.csv").read_text().startswith("smiles,kd_gap1_cm1")


def test_bundle_keeps_stored_rows_and_adds_the_queue_results(home, capsys, monkeypatch):
    """`gauss queue labels --bundle`: the queue's finished CASSCF jobs join the bundled results; rows already
    bundled (from another machine or session) are never dropped. The result is a real OpenMolcas run
    ([Dy(H2O)5(OMe)2]+, constrained GFN2 geometry, tests/data/casscf_methoxide_result.json)."""
    from pathlib import Path

    import pandas as pd

    from gauss_core import columns, paths
    from gauss_core.jobs import all_kd_results

    result = json.loads((Path(__file__).parent / "data" / "casscf_methoxide_result.json").read_text())
    bundled = home / "casscf_results.csv.gz"
    monkeypatch.setattr(paths, "KD_CASSCF_SET", bundled)
    older = {columns.SMILES: "[O-]CC", columns.KD_PROVENANCE: "casscf-openmolcas",
             **dict(zip(columns.KD_GAP_COLUMNS, [500.0, 800, 950, 990, 1000, 1010, 1020], strict=False))}
    pd.DataFrame([older]).to_csv(bundled, index=False)
    store = JobStore(home / "queue.db")
    job = store.enqueue("casscf", "[O-]C", {})
    claimed = store.claim()
    assert claimed.id == job.id and store.finish(job.id, result)
    assert main(["queue", "labels", "--bundle"]) == 0
    assert "1 -> 2 ligands" in capsys.readouterr().out
    table = pd.read_csv(bundled).set_index(columns.SMILES)
    assert table.loc["[O-]CC", columns.KD_GAP_COLUMNS[0]] == 500.0
    assert table.loc["[O-]C", columns.KD_GAP_COLUMNS[0]] == pytest.approx(result["gaps_cm1"][0])
    assert table.loc["[O-]C", "kd_provenance"] == "casscf-openmolcas"
    assert main(["queue", "labels", "--bundle"]) == 0          # idempotent
    assert "2 -> 2 ligands" in capsys.readouterr().out
    assert len(all_kd_results(None)) == 2
    # the bundled campaign on the computed Dy-L distance joins only when asked for, its geometry kept
    from gauss_core import provenance

    n_campaign = len(pd.read_csv(paths.KD_CASSCF_CAMPAIGN))
    both = all_kd_results(None, campaign=paths.KD_CASSCF_CAMPAIGN)
    from_campaign = both[both["kd_source"] == "campaign"]
    assert n_campaign >= 6 and len(both) == 2 + n_campaign and len(from_campaign) == n_campaign
    assert {provenance.axial_distance_kind(g) for g in from_campaign["kd_geometry_source"]} == \
        {provenance.COMPUTED_DISTANCE}
    for foreign, message in (("smiles,energy\n[O-]C,1\n", "cannot read"), (None, "lacks columns")):
        if foreign is None:
            pd.DataFrame({"smiles": ["[O-]C"], "energy": [1.0]}).to_csv(bundled, index=False)
        else:
            bundled.write_text(foreign)                           # not gzip although named .gz
        before = bundled.read_bytes()
        assert main(["queue", "labels", "--bundle"]) == 2      # refused, not overwritten
        assert message in capsys.readouterr().err
        assert bundled.read_bytes() == before


def test_list_into_a_closed_pipe_exits_quietly(home):
    import os
    import subprocess
    import sys
    from pathlib import Path

    store = JobStore(home / "queue.db")
    for i in range(400):  # enough rows that `head -1` closes the pipe while the list is still printing
        store.enqueue("casscf", "OC", {"memory_mb": 1000 + i})
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.run(f"{sys.executable} -m gauss_core queue list | head -1", shell=True, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.stdout.startswith("id\tstate") and "Traceback" not in proc.stderr, proc.stderr
