"""Latent-space helpers on a loaded checkpoint: encode, decode, predict (and PCA/bins, added beside)."""

from gauss_core.latent.inference import (
    decode_latent,
    decode_tokens,
    encode_smiles,
    encode_smiles_checked,
    predict_proxies,
)

__all__ = ["decode_latent", "decode_tokens", "encode_smiles", "encode_smiles_checked", "predict_proxies"]
