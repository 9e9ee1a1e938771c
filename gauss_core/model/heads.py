"""Property heads on the latent vector (paper, section IV).

GAUSS-II: latent -> dense 32 -> LeakyReLU -> dropout 0.2 -> dense 4 (donor Z or class, charge, dipole,
polarisability of the donor atom). GAUSS-I: [latent, 6-d structural vector] -> dense 32 -> LeakyReLU
-> dropout 0.005 -> dense 8 -> SiLU -> dropout 0.005 -> dense 7 (the seven KD gaps).
Both predict standardised labels; de-standardisation happens with the checkpoint's mean/std.
"""

from __future__ import annotations

import torch
from torch import nn
from gauss_core.modes import HeadKind


class Gauss2Head(nn.Module):
    """Donor-atom proxy head of GAUSS-II."""

    def __init__(self, latent_dim: int, n_labels: int = 4, dropout: float = 0.2) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(latent_dim, 32), nn.LeakyReLU(), nn.Dropout(dropout), nn.Linear(32, n_labels)
        )

    def forward(self, z: torch.Tensor, struct: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z)


class Gauss1Head(nn.Module):
    """KD-gap head of GAUSS-I, fed with the latent vector and the complex's structural vector."""

    def __init__(self, latent_dim: int, n_struct: int = 6, n_labels: int = 7, dropout: float = 0.005) -> None:
        super().__init__()
        self.n_struct = n_struct
        self.net = nn.Sequential(
            nn.Linear(latent_dim + n_struct, 32), nn.LeakyReLU(), nn.Dropout(dropout),
            nn.Linear(32, 8), nn.SiLU(), nn.Dropout(dropout),
            nn.Linear(8, n_labels),
        )

    def forward(self, z: torch.Tensor, struct: torch.Tensor | None = None) -> torch.Tensor:
        if struct is None:
            raise ValueError("the GAUSS-I head needs the structural vector of each complex")
        return self.net(torch.cat([z, struct], dim=1))


def build_head(kind: str, latent_dim: int, n_labels: int, n_struct: int) -> nn.Module | None:
    """Head module named by ModelConfig.head ("gauss2", "gauss1" or "none")."""
    if kind == HeadKind.GAUSS2:
        return Gauss2Head(latent_dim, n_labels)
    if kind == HeadKind.GAUSS1:
        return Gauss1Head(latent_dim, n_struct or 6, n_labels)
    if kind == HeadKind.NONE:
        return None
    raise ValueError(f"unknown head {kind!r}; choose gauss2, gauss1 or none")
