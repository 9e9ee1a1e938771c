"""A corpus of bad ligands and bad files through every CLI entry point that reads ligands: each gives a
one-line reason and exit code 2, and leaves no queue row and no output file behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from gauss_core.cli import main
from gauss_core.jobs.store import JobStore

CORPUS = {
    "empty": "", "invalid": "C1CC(", "radical": "[O]C", "metal": "[Dy]O", "no donor": "CCCC",
    "chlorine donor": "ClCCO", "huge": "O" + "C" * 5000, "unicode": "OCé", "spaces": "O C",
    "unknown token": "[Xx]O", "sql": "O'; DROP TABLE jobs;--", "shell": "O$(touch${IFS}/tmp/x)",
}


@pytest.fixture()
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("GAUSS_HOME", str(tmp_path))
    return tmp_path


def _files(root):
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name not in ("queue.db", "queue.db-wal",
                                                                              "queue.db-shm"))


@pytest.mark.parametrize("name", sorted(CORPUS))
@pytest.mark.parametrize("entry", ["queue add", "complex estimate", "complex build", "label", "encode",
                                   "reconstruct", "ligands import"])
def test_bad_ligand_gives_one_line_and_leaves_nothing(home, capsys, tiny_checkpoint, name, entry):
    smi = CORPUS[name]
    before = _files(home)
    out = home / "out.csv"
    if entry in ("encode", "reconstruct"):
        args = [entry, "--checkpoint", str(tiny_checkpoint), "--smiles", smi, "--out", str(out)]
    elif entry == "ligands import":
        inp = home / "in.csv"
        inp.write_text(f'smiles\n"{smi}"\n')
        before = _files(home)
        args = ["ligands", "import", str(inp), "--out", str(out)]
    elif entry == "queue add":
        args = ["queue", "add", smi]
    elif entry == "complex estimate":
        args = ["complex", "estimate", smi, "--csv", str(out)]
    elif entry == "complex build":
        args = ["complex", "build", smi, "--out", str(home / "cx")]
    else:
        inp = home / "in.csv"
        inp.write_text(f'smiles\n"{smi}"\n')
        before = _files(home)
        args = ["label", "--input", str(inp), "--out", str(out)]
    rc = main(args)
    cap = capsys.readouterr()
    if entry == "ligands import" and name == "chlorine donor":
        # import re-roots at the only donor (documented): OCCCl, O donor, never Cl
        assert rc == 0 and "OCCCl" in out.read_text().splitlines()[1].split(",")
        return
    assert rc == 2, (rc, cap.err)
    assert "Traceback" not in cap.err and cap.err.strip()
    assert _files(home) == before
    assert JobStore(home / "queue.db").list() == []


BAD_FILES = {
    "empty": b"", "blank lines": b"\n \n# only a comment\n", "binary": b"\x00\x01\x02\xff binary",
    "latin-1": "OCé\n".encode("latin-1"), "utf-16 radical": "smiles\n[O]C\n".encode("utf-16"),
    "wrong columns": b"name,value\nmethanol,1\n", "header only": b"smiles\n", "broken gzip": None,
    "missing": None, "directory": None,
}
FILE_ENTRIES = ["queue add", "encode", "reconstruct", "ligands import", "complex estimate", "label"]


def _bad_file(home, name):
    path = home / ("in.csv.gz" if name == "broken gzip" else "in.csv" if name == "wrong columns" else "in.txt")
    if name == "directory":
        path.mkdir()
    elif name == "broken gzip":
        path.write_bytes(b"\x1f\x8bnot really gzip")
    elif name != "missing":
        path.write_bytes(BAD_FILES[name])
    return path


@pytest.mark.parametrize("name", sorted(BAD_FILES))
@pytest.mark.parametrize("entry", FILE_ENTRIES)
def test_bad_file_gives_a_reason_and_leaves_nothing(home, capsys, tiny_checkpoint, name, entry):
    path = _bad_file(home, name)
    before = _files(home)
    out = home / "out.csv"
    args = {"queue add": ["queue", "add", "--file", str(path)],
            "encode": ["encode", "--checkpoint", str(tiny_checkpoint), "--input", str(path), "--out", str(out)],
            "reconstruct": ["reconstruct", "--checkpoint", str(tiny_checkpoint), "--input", str(path),
                            "--out", str(out)],
            "ligands import": ["ligands", "import", str(path), "--layout", "csv", "--out", str(out)],
            "complex estimate": ["complex", "estimate", "--file", str(path), "--csv", str(out)],
            "label": ["label", "--input", str(path), "--out", str(out)]}[entry]
    rc = main(args)
    err = capsys.readouterr().err
    assert rc == 2, (rc, err)
    assert "Traceback" not in err and "error: " in err.strip().splitlines()[-1], err
    if name == "utf-16 radical":  # decoded, then refused for its content
        assert "[O]C" in err, err
    elif name == "wrong columns":
        assert "no 'smiles' column" in err or "expected a 'smiles'" in err, err
    else:
        assert len(err.strip().splitlines()) == 1, err
    assert _files(home) == before
    assert JobStore(home / "queue.db").list() == []


def test_first_word_is_the_smiles_and_a_header_is_skipped_with_a_note(home, capsys):
    from gauss_core.inputs import read_smiles_rows

    f = home / "ligands.smi"
    f.write_text("SMILES name\nOCC ethanol\n[O-]C methoxide anion\n\n# comment\nCCCC butane\n")
    rows = read_smiles_rows(f)
    assert rows.smiles == ["OCC", "[O-]C", "CCCC"] and rows.lines == [2, 3, 6]
    assert rows.names == ["ethanol", "methoxide anion", "butane"] and "header" in rows.notes[0]
    assert main(["queue", "add", "--file", str(f)]) == 0
    err = capsys.readouterr().err
    assert [j.smiles for j in JobStore(home / "queue.db").list()] == ["OCC", "[O-]C"]
    assert "header 'SMILES name' skipped" in err and "ligands.smi:6" in err and "starts with C" in err
    # a headerless file: its first line is a molecule, not a header
    f.write_text("OCC ethanol\nNCC\n")
    assert read_smiles_rows(f).smiles == ["OCC", "NCC"] and read_smiles_rows(f).notes == []


DASHBOARD_CORPUS = {
    "empty": "", "invalid": "C1CC(", "radical": "[O]C", "metal": "[Na+]", "no donor": "CCCC",
    "huge": "O" + "C" * 300, "unicode": "OCé", "spaces": "O C C", "unknown token": "[Xx]O",
    "sql": "'; DROP TABLE jobs;--", "shell": "$(rm -rf /)",
}


def _one_reason(at) -> str:
    errors = [e.value for e in at.error] + [w.value for w in at.warning]
    assert not at.exception and errors, errors
    assert all("\n" not in e.strip() for e in errors), errors
    return errors[-1]


def _type_and_press(at, key: str, button: str, text: str) -> str:
    at.text_input(key=key).set_value(text)
    next(b for b in at.button if b.label == button).click()
    at.run()
    return _one_reason(at)


def test_dashboard_text_inputs_refuse_the_corpus(app_env):
    """The seed box of the Latent space page and the SMILES box of the queue page: each bad text gives a
    one-line reason, and no seed, no queue row and no file appear."""
    from streamlit.testing.v1 import AppTest

    from gauss_core.jobs.store import JobStore

    home = Path(app_env["GAUSS_HOME"])
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=180)
    at.run()
    at.switch_page("app_pages/latent_space.py")
    at.run()
    assert not at.exception
    at.switch_page("app_pages/casscf_queue.py")
    at.run()
    store = JobStore()
    before = _files(home)
    at.switch_page("app_pages/latent_space.py")
    at.run()
    for name, text in DASHBOARD_CORPUS.items():
        reason = _type_and_press(at, "seed_text", "Place seed on the map", text)
        assert reason.startswith("Seed refused") and len(reason) < 600, (name, reason)
        assert at.session_state["seed_basket"] == [], name
    at.switch_page("app_pages/casscf_queue.py")
    at.run()
    for name, text in DASHBOARD_CORPUS.items():
        _type_and_press(at, "q_extra", "Queue CASSCF", text)
        assert not at.success, (name, [s.value for s in at.success])
        assert store.list() == [], name
    assert _files(home) == before
