"""Training: data preparation (splits, labels, standardisation), the loop, held-out metrics."""

from gauss_core.train.data import PreparedData, prepare_data, read_label_tables, read_ligands
from gauss_core.train.loop import TrainConfig, TrainResult, train_from_files, train_model

__all__ = ["PreparedData", "TrainConfig", "TrainResult", "prepare_data", "read_label_tables", "read_ligands",
           "train_from_files", "train_model"]
