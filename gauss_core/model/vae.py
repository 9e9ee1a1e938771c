"""GAUSS-II SMILES VAE (paper, section IV "VAE model structure").

Encoder: one-hot tokens -> 3 bidirectional GRUs (hidden 128, 96, 32) -> two dense layers giving the
mean and log-variance of a 32-d latent Gaussian. Decoder: the latent vector repeated over the sequence
-> 2 bidirectional GRUs (hidden 128, then the vocabulary size) -> a dense layer to per-token logits.

The one-hot input is realised as a frozen identity embedding: mathematically the same tensor the
paper builds, but made by a table lookup instead of a scatter per batch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from gauss_core.model.fastgru import bigru_infer_time_major, bigru_time_major
from gauss_core.model.heads import build_head
from gauss_core.modes import HeadKind


# Switch for the hand-written GRU backward (gauss_core.model.fastgru); the bench compares both paths.
FAST_CPU_GRU = True


def use_fast_gru(x: torch.Tensor) -> bool:
    """The gauss_core.model.fastgru kernels on CPU; cuDNN (native nn.GRU) on GPU."""
    return FAST_CPU_GRU and x.device.type == "cpu"


def run_bigru(gru: nn.GRU, x: torch.Tensor, steps: int | None = None) -> torch.Tensor:
    """Time-major bidirectional GRU: hand-written backward when training, lean forward otherwise."""
    if torch.is_grad_enabled():
        return bigru_time_major(gru, x, steps)
    return bigru_infer_time_major(gru, x, steps)


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of the VAE and its property head.

    Attributes:
        vocab_size: number of tokens including the pad token (index 0).
        max_len: fixed sequence length (tokens) of every input.
        latent_dim: size of the latent space (paper: 32).
        encoder_hidden: hidden sizes of the encoder's bidirectional GRUs (paper: 128, 96, 32).
        decoder_hidden: hidden size of the decoder's first bidirectional GRU (paper: 128); the second
            has the vocabulary size as hidden size.
        head: "gauss2" (latent -> 4 donor proxies), "gauss1" (latent + 6-d structure -> 7 KD gaps)
            or "none" (plain VAE).
        n_labels: outputs of the head (4 for gauss2, 7 for gauss1).
        n_struct: size of the structural vector fed to the gauss1 head beside the latent (paper: 6).
    """

    vocab_size: int
    max_len: int
    latent_dim: int = 32
    encoder_hidden: tuple[int, ...] = (128, 96, 32)
    decoder_hidden: int = 128
    head: str = HeadKind.GAUSS2.value  # a plain str: checkpoints are read with weights_only=True
    n_labels: int = 4
    n_struct: int = 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["encoder_hidden"] = list(self.encoder_hidden)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown model config fields {sorted(unknown)}")
        data = dict(data)
        data["encoder_hidden"] = tuple(int(h) for h in data.get("encoder_hidden", (128, 96, 32)))
        return cls(**data)


class Encoder(nn.Module):
    """Token indices (B, L) -> latent mean and log-variance (B, latent_dim)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        v = config.vocab_size
        self.one_hot = nn.Embedding(v, v)
        self.one_hot.weight.data.copy_(torch.eye(v))
        self.one_hot.weight.requires_grad_(False)
        grus = []
        in_size = v
        for hidden in config.encoder_hidden:
            grus.append(nn.GRU(in_size, hidden, batch_first=True, bidirectional=True))
            in_size = 2 * hidden
        self.grus = nn.ModuleList(grus)
        # Dense layers on the whole output sequence (flattened), so position information reaches mu.
        flat = config.max_len * in_size
        self.to_mu = nn.Linear(flat, config.latent_dim)
        self.to_logvar = nn.Linear(flat, config.latent_dim)

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if use_fast_gru(tokens):
            x = self.one_hot(tokens.t())  # time-major (L, B, V)
            for gru in self.grus:
                assert isinstance(gru, nn.GRU)  # the ModuleList holds only the GRUs built above
                x = run_bigru(gru, x)
            flat = x.transpose(0, 1).reshape(tokens.shape[0], -1)
        else:
            x = self.one_hot(tokens)
            for gru in self.grus:
                x, _ = gru(x)
            flat = x.reshape(x.shape[0], -1)
        return self.to_mu(flat), self.to_logvar(flat)


class Decoder(nn.Module):
    """Latent vectors (B, latent_dim) -> token logits (B, L, vocab_size)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        v = config.vocab_size
        self.max_len = config.max_len
        self.gru1 = nn.GRU(config.latent_dim, config.decoder_hidden, batch_first=True, bidirectional=True)
        self.gru2 = nn.GRU(2 * config.decoder_hidden, v, batch_first=True, bidirectional=True)
        self.to_logits = nn.Linear(2 * v, v)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if use_fast_gru(z):
            x = run_bigru(self.gru1, z, steps=self.max_len)  # the latent is projected once
            x = run_bigru(self.gru2, x)
            return self.to_logits(x).transpose(0, 1)
        x = z.unsqueeze(1).expand(-1, self.max_len, -1)
        x, _ = self.gru1(x)
        x, _ = self.gru2(x)
        return self.to_logits(x)


@dataclass
class VAEOutput:
    """Everything one forward pass produces (latent statistics, sample, logits, head predictions)."""

    mu: torch.Tensor
    logvar: torch.Tensor
    z: torch.Tensor
    logits: torch.Tensor
    properties: torch.Tensor | None = field(default=None)


class GaussVAE(nn.Module):
    """The GAUSS VAE with an optional property head on the latent vector."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)
        self.head = build_head(config.head, config.latent_dim, config.n_labels, config.n_struct)

    def encode(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Latent mean and log-variance of token batches (B, L)."""
        return self.encoder(tokens)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Token logits (B, L, V) for latent vectors (B, latent_dim)."""
        return self.decoder(z)

    def predict(self, z: torch.Tensor, struct: torch.Tensor | None = None) -> torch.Tensor | None:
        """Standardised property predictions of the head, or None for a head-less model."""
        if self.head is None:
            return None
        return self.head(z, struct)

    def forward(self, tokens: torch.Tensor, struct: torch.Tensor | None = None) -> VAEOutput:
        mu, logvar = self.encoder(tokens)
        # reparameterisation trick when training; the mean otherwise
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        logits = self.decoder(z)
        props = self.predict(z, struct)
        return VAEOutput(mu=mu, logvar=logvar, z=z, logits=logits, properties=props)

    @torch.no_grad()
    def greedy_decode(self, z: torch.Tensor) -> torch.Tensor:
        """Argmax token indices (B, L) of the decoder for latent vectors z."""
        return self.decoder(z).argmax(dim=-1)
