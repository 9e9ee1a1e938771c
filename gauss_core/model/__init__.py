"""GAUSS VAE (encoder/decoder), property heads, loss and checkpoint I/O."""

from gauss_core.model.checkpoint import LoadedModel, load_checkpoint, save_checkpoint
from gauss_core.model.vae import GaussVAE, ModelConfig

__all__ = ["GaussVAE", "LoadedModel", "ModelConfig", "load_checkpoint", "save_checkpoint"]
