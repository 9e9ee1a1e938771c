"""States and modes as StrEnums: members are the very strings stored in SQLite, JSON and checkpoints."""

from __future__ import annotations

import json
import sqlite3

import torch

from gauss_core.modes import ExportFormat, HeadKind, JobState


def test_job_states_round_trip_through_the_queue_database(tmp_path):
    from gauss_core.jobs.store import JobStore

    store = JobStore(tmp_path / "queue.db")
    job = store.enqueue("casscf", "[O-]C")
    assert job.state == JobState.QUEUED
    with sqlite3.connect(tmp_path / "queue.db") as conn:                    # the stored text, not an enum repr
        assert conn.execute("SELECT state, typeof(state) FROM jobs").fetchone() == ("queued", "text")
    assert store.counts() == {s.value: (1 if s == JobState.QUEUED else 0) for s in JobState}
    assert json.dumps({"state": JobState.DONE}) == '{"state": "done"}'


def test_checkpoint_configs_hold_plain_strings(tmp_path):
    # torch.load(weights_only=True) refuses pickled enum members, so a default must stay a plain str.
    from gauss_core.model.vae import ModelConfig
    from gauss_core.train.loop import TrainConfig

    for head in (ModelConfig(vocab_size=30, max_len=40).head, TrainConfig().head):
        assert head == HeadKind.GAUSS2 and type(head) is str
    torch.save({"config": ModelConfig(vocab_size=30, max_len=40).to_dict()}, tmp_path / "c.pt")
    assert torch.load(tmp_path / "c.pt", weights_only=True)["config"]["head"] == "gauss2"


def test_export_accepts_the_format_as_text_or_member():
    assert [f.value for f in ExportFormat] == ["xyz", "mol2", "sdf"]
    assert ExportFormat("sdf") is ExportFormat.SDF
