"""The one atomic writer: whole new file or the old one, never a half-written one, no temporary left."""

from __future__ import annotations

import gzip
import os

import pandas as pd
import pytest

from gauss_core.atomic import atomic_path, atomic_write_json, atomic_write_text, umask_mode


def test_write_replaces_the_whole_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "sub" / "table.json"
    atomic_write_text(target, "old")
    atomic_write_json(target, {"a": 1}, indent=1)
    assert target.read_text() == '{\n "a": 1\n}'
    assert os.listdir(target.parent) == ["table.json"]
    assert target.stat().st_mode & 0o777 == umask_mode()      # not mkstemp's private 0600


def test_failure_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    target = tmp_path / "labels.csv"
    target.write_text("kept")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "kept"
    assert os.listdir(tmp_path) == ["labels.csv"]


def test_temporary_keeps_the_suffix_pandas_reads_compression_from(tmp_path):
    target = tmp_path / "set.csv.gz"
    with atomic_path(target) as tmp:
        pd.DataFrame({"x": [1, 2]}).to_csv(tmp, index=False)     # compression inferred from the name
    assert gzip.decompress(target.read_bytes()).decode().split() == ["x", "1", "2"]
