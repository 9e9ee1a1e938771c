"""A corpus of bad ligands through the CLI entry points: each gives a one-line reason and exit code 2,
and leaves no queue row and no output file behind."""

from __future__ import annotations

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
@pytest.mark.parametrize("entry", ["queue add", "complex estimate", "complex build", "label"])
def test_bad_ligand_gives_one_line_and_leaves_nothing(home, capsys, name, entry):
    smi = CORPUS[name]
    before = _files(home)
    out = home / "out.csv"
    if entry == "queue add":
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
    assert rc == 2, (rc, cap.err)
    assert "Traceback" not in cap.err and cap.err.strip()
    assert _files(home) == before
    assert JobStore(home / "queue.db").list() == []
