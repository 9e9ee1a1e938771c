"""Checkpoint round trip and the clear errors for missing, corrupt, truncated and incompatible files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gauss_core.errors import CheckpointError
from gauss_core.latent import decode_latent, encode_smiles, predict_proxies
from gauss_core.model.checkpoint import FORMAT_VERSION, cpu_state, load_checkpoint, save_checkpoint
from gauss_core.model.vae import GaussVAE, ModelConfig
from gauss_core.tokens import Vocabulary

SMILES = ["[O-]C", "OCC", "NC(C)C", "[O-]c1ccccc1", "N#CC", "OC1CC1", "[NH-]C(C)=O"]
LABELS = ["donor_Z", "q_donor_e", "mu_donor_au", "alpha_donor_au3"]


def _payload(model: GaussVAE, vocab: Vocabulary) -> dict:
    return {"model_config": model.config.to_dict(), "vocab": vocab.to_dict(), "model_state": cpu_state(model),
            "label_names": LABELS, "label_mean": [7.5, -0.4, 0.3, 5.0], "label_std": [0.5, 0.2, 0.1, 2.0],
            "metrics": {"recon_exact": 0.5}, "train_hash": "abc", "epoch": 3,
            "splits": {"train_smiles": "\n".join(SMILES[:5]), "test_smiles": "\n".join(SMILES[5:])}}


@pytest.fixture()
def saved(tmp_path):
    torch.manual_seed(0)
    vocab = Vocabulary.from_smiles(SMILES)
    model = GaussVAE(ModelConfig(vocab.size, vocab.max_len)).eval()
    path = save_checkpoint(tmp_path / "m.pt", _payload(model, vocab))
    return path, model, vocab


def test_round_trip_gives_identical_outputs(saved):
    path, model, vocab = saved
    loaded = load_checkpoint(path)
    tokens = torch.from_numpy(vocab.encode_batch(SMILES))
    with torch.no_grad():
        mu, _ = model.encode(tokens)
        logits = model.decode(mu)
        props = model.predict(mu)
    z = encode_smiles(loaded, SMILES)
    assert np.array_equal(z, mu.numpy())
    assert decode_latent(loaded, z) == vocab.decode_batch(logits.argmax(-1).numpy())
    expected = props.double().numpy() * loaded.label_std + loaded.label_mean
    assert np.allclose(predict_proxies(loaded, z).to_numpy(), expected)
    assert loaded.label_names == LABELS and loaded.train_hash == "abc" and loaded.metrics == {"recon_exact": 0.5}
    assert loaded.vocab == vocab and loaded.config == model.config and loaded.path == path
    assert loaded.train_smiles == SMILES[:5] and loaded.test_smiles == SMILES[5:]
    assert not loaded.model.training


def test_write_is_atomic_and_leaves_no_temp_files(saved):
    path, model, vocab = saved
    save_checkpoint(path, _payload(model, vocab))
    assert sorted(p.name for p in path.parent.iterdir()) == ["m.pt"]
    import os

    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask   # not mkstemp's private 0600


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint at .*gauss train"):
        load_checkpoint(tmp_path / "nope.pt")
    with pytest.raises(CheckpointError, match="directory"):
        load_checkpoint(tmp_path)


def test_truncated_file(saved):
    path = saved[0]
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_checkpoint(path)


def test_garbage_file(tmp_path):
    path = tmp_path / "garbage.pt"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_checkpoint(path)
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_checkpoint(empty)


def test_flipped_weight_bytes_fail_checksum(saved, tmp_path):
    path, model, vocab = saved
    payload = _payload(model, vocab)
    payload["model_state"] = dict(payload["model_state"])
    save_checkpoint(path, payload)
    # Rewrite the file with one weight changed but the old checksum: as if bits rotted on disk.
    data = torch.load(path, weights_only=True)
    data["model_state"]["decoder.to_logits.bias"][0] += 1.0
    torch.save(data, path)
    with pytest.raises(CheckpointError, match="checksum"):
        load_checkpoint(path)


def test_not_a_gauss_checkpoint(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"state_dict": {"w": torch.zeros(2)}}, path)
    with pytest.raises(CheckpointError, match="not a GAUSS Studio checkpoint"):
        load_checkpoint(path)


def test_newer_format_version(saved):
    path, model, vocab = saved
    data = torch.load(path, weights_only=True)
    data["format_version"] = FORMAT_VERSION + 1
    torch.save(data, path)
    with pytest.raises(CheckpointError, match="format version"):
        load_checkpoint(path)


def test_incompatible_architecture(saved, tmp_path):
    path, model, vocab = saved
    data = _payload(model, vocab)
    data["model_config"] = {**data["model_config"], "encoder_hidden": [64, 96, 32]}
    save_checkpoint(tmp_path / "arch.pt", data)
    with pytest.raises(CheckpointError, match="does not fit this model architecture"):
        load_checkpoint(tmp_path / "arch.pt")
    data = _payload(model, vocab)
    data["model_config"] = {**data["model_config"], "future_field": 1}
    save_checkpoint(tmp_path / "cfg.pt", data)
    with pytest.raises(CheckpointError, match="incompatible configuration"):
        load_checkpoint(tmp_path / "cfg.pt")
    data = _payload(model, vocab)
    data["label_names"] = LABELS[:3]
    save_checkpoint(tmp_path / "labels.pt", data)
    with pytest.raises(CheckpointError, match="label"):
        load_checkpoint(tmp_path / "labels.pt")


def test_trainer_checkpoint_has_everything(tiny_loaded):
    assert tiny_loaded.label_names == LABELS
    assert len(tiny_loaded.label_mean) == len(tiny_loaded.label_std) == 4
    assert len(tiny_loaded.train_hash) == 64
    for key in ("recon_exact", "recon_token", "kl", "r2_donor_Z", "n_test"):
        assert key in tiny_loaded.metrics
    assert len(tiny_loaded.test_smiles) == 50
    assert not set(tiny_loaded.test_smiles) & set(tiny_loaded.train_smiles)
    assert tiny_loaded.train_config["batch_size"] == 100
    # the labelled share of the training split is read back (the report's learning-curve row shows it)
    assert 0 < tiny_loaded.n_labelled <= len(tiny_loaded.train_smiles)


def test_export_for_inference_drops_resume_state(tiny_checkpoint, tmp_path):
    from gauss_core.cli import main as gauss_main

    out = tmp_path / "slim.pt"
    assert gauss_main(["export-model", "--checkpoint", str(tiny_checkpoint), "--out", str(out)]) == 0
    assert "resume" not in torch.load(out, weights_only=True)
    assert out.stat().st_size < tiny_checkpoint.stat().st_size
    a, b = load_checkpoint(tiny_checkpoint), load_checkpoint(out)
    z = encode_smiles(a, a.test_smiles[:10])
    assert np.array_equal(z, encode_smiles(b, b.test_smiles[:10]))
    assert b.metrics.keys() == a.metrics.keys() and b.train_smiles == a.train_smiles
    assert all(b.metrics[k] == a.metrics[k] or (b.metrics[k] != b.metrics[k] and a.metrics[k] != a.metrics[k])
               for k in a.metrics)  # NaN-aware equality
    assert out.with_suffix(".json").exists()


def test_checkpoint_without_label_sources_loads_as_before(saved):
    path, model, vocab = saved
    loaded = load_checkpoint(path)
    assert loaded.label_sources == {} and loaded.label_names == LABELS
    z = encode_smiles(loaded, SMILES)
    pred = predict_proxies(loaded, z)
    with torch.no_grad():
        raw = model.head(torch.from_numpy(z)).double().numpy()
    assert list(pred.columns) == LABELS
    assert np.allclose(pred.to_numpy(), raw * [0.5, 0.2, 0.1, 2.0] + [7.5, -0.4, 0.3, 5.0])


def test_bundled_checkpoint_encodes_its_four_proxies_and_nothing_else(capsys):
    import io

    import pandas as pd

    from gauss_core import paths
    from gauss_core.cli import main as gauss_main

    loaded = load_checkpoint(paths.DEFAULT_CHECKPOINT)
    assert loaded.label_names == LABELS and loaded.config.n_labels == 4
    # the head's charge is the LoProp-calibrated GFN2 charge, and the checkpoint says so
    assert list(loaded.label_sources) == ["q_donor_e"]
    assert loaded.label_sources["q_donor_e"].startswith("q_donor_loprop_est_e")
    capsys.readouterr()
    assert gauss_main(["encode", "--smiles", "[O-]C", "--smiles", "OCC"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(table.columns) == ["smiles", "smiles_encoded", "rerooted", "error", *[f"z{i}" for i in range(32)],
                                   *[f"pred_{n}" for n in LABELS]]
    z = encode_smiles(loaded, ["[O-]C", "OCC"])
    assert np.allclose(table[[f"pred_{n}" for n in LABELS]].to_numpy(), predict_proxies(loaded, z).to_numpy())
