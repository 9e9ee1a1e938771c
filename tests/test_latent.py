"""Batched latent inference on a trained checkpoint: encode (checked), greedy decode, proxy predictions."""

from __future__ import annotations

import numpy as np
import pytest

from gauss_core.errors import InvalidSmilesError, SmilesTooLongError, UnknownTokenError
from gauss_core.latent import decode_latent, encode_smiles, encode_smiles_checked, predict_proxies
from gauss_core.latent.inference import decode_tokens


def test_encode_is_deterministic_and_batch_independent(tiny_loaded, tiny_ligands):
    smiles = tiny_ligands["smiles"].tolist()[:150]
    z_big = encode_smiles(tiny_loaded, smiles)
    z_small = encode_smiles(tiny_loaded, smiles, batch_size=7)
    assert z_big.shape == (150, 32) and z_big.dtype == np.float32
    assert np.allclose(z_big, z_small, atol=1e-5)
    assert np.array_equal(z_big, encode_smiles(tiny_loaded, smiles))
    assert encode_smiles(tiny_loaded, []).shape == (0, 32)


def test_encode_refuses_bad_rows_with_their_reason(tiny_loaded, tiny_ligands):
    good = tiny_ligands["smiles"].iloc[0]
    with pytest.raises(UnknownTokenError, match="row 1: .*'Br'"):
        encode_smiles(tiny_loaded, [good, "BrC"])
    with pytest.raises(SmilesTooLongError, match="row 0"):
        encode_smiles(tiny_loaded, ["O" + "C" * (tiny_loaded.vocab.max_len + 3)])
    with pytest.raises(InvalidSmilesError, match="row 0"):
        encode_smiles(tiny_loaded, ["OC(C"])   # unbalanced: tokenises, RDKit refuses


def test_encode_checked_reports_per_row_and_keeps_good_rows(tiny_loaded, tiny_ligands):
    good = tiny_ligands["smiles"].tolist()[:3]
    rows = [good[0], "BrC", good[1], "O" + "C" * 80, "", "OC(C", good[2]]
    z, errors = encode_smiles_checked(tiny_loaded, rows)
    assert [e is None for e in errors] == [True, False, True, False, False, False, True]
    assert "'Br'" in errors[1] and "tokens" in errors[3] and "empty" in errors[4]
    assert np.isnan(z[[1, 3, 4, 5]]).all() and not np.isnan(z[[0, 2, 6]]).any()
    assert np.allclose(z[[0, 2, 6]], encode_smiles(tiny_loaded, good), atol=1e-6)


def test_decode_latent_greedy_batched(tiny_loaded, tiny_ligands):
    z = encode_smiles(tiny_loaded, tiny_ligands["smiles"].tolist()[:64])
    out = decode_latent(tiny_loaded, z)
    tokens = decode_tokens(tiny_loaded, z, batch_size=5)
    assert out == tiny_loaded.vocab.decode_batch(tokens)
    assert all(isinstance(s, str) and " " not in s for s in out)
    rng = np.random.default_rng(0)
    big = rng.normal(size=(3000, 32)).astype(np.float32)
    assert len(decode_latent(tiny_loaded, big)) == 3000
    with pytest.raises(ValueError, match="shape"):
        decode_latent(tiny_loaded, np.zeros((2, 5)))


def test_predict_proxies_destandardises(tiny_loaded, tiny_ligands):
    import torch

    z = encode_smiles(tiny_loaded, tiny_ligands["smiles"].tolist()[:20])
    frame = predict_proxies(tiny_loaded, z)
    assert list(frame.columns) == tiny_loaded.label_names and len(frame) == 20
    with torch.no_grad():
        raw = tiny_loaded.model.predict(torch.from_numpy(z)).double().numpy()
    assert np.allclose(frame.to_numpy(), raw * tiny_loaded.label_std + tiny_loaded.label_mean)
    # Donor Z predictions live on the Z scale (7 or 8), not the standardised one.
    assert 5.0 < frame["donor_Z"].mean() < 10.0
