"""Training data: read ligands and label tables, split train/test, join labels, standardise, tensorise.

The whole set is turned into tensors once (token indices, standardised labels, observation mask), so
an epoch is only index sampling plus tensor slicing: no per-item Python work in the training loop.

Label rules (semi-supervised, paper section II.3):
- GAUSS-II head: labels columns.PROXY_COLUMNS (donor_Z, q_donor_e, mu_donor_au, alpha_donor_au3). A row
  is label-eligible when the label tables give it at least one of q/mu/alpha (or, when no table is
  given at all, every row is eligible with donor_Z only). `label_fraction` of the TRAINING rows keep
  their labels (chosen at random among eligible rows, seeded); all other rows have an all-False mask.
  donor_Z comes from the ligand set, but counts as a label only on those kept rows. Extra targets
  (columns.PROXY_EXTRA_COLUMNS: the bond-length proxy r_dyl_A) join the head when the tables hold any value
  of them, masked where missing like the others, their method recorded in label_sources.
- GAUSS-I head: labels columns.KD_GAP_COLUMNS, input columns.STRUCT_COLUMNS; eligible = rows with a
  complete structural vector and at least one KD gap.
- Test rows keep every label they have (metrics use all of them); the test split never trains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from gauss_core import columns
from gauss_core.errors import DataFormatError
from gauss_core.model.checkpoint import smiles_hash
from gauss_core.tokens import Vocabulary
from gauss_core.train.augment import LOPROP_CHARGE, select_charge_target
from gauss_core.modes import HeadKind

ANY_NAN_PLACEHOLDER = 0.0  # value stored where a label is unobserved; the mask makes it irrelevant


def head_columns(head: str) -> tuple[list[str], list[str]]:
    """(label names, structural input names) of a head kind."""
    if head == HeadKind.GAUSS2:
        return list(columns.PROXY_COLUMNS), []
    if head == HeadKind.GAUSS1:
        return list(columns.KD_GAP_COLUMNS), list(columns.STRUCT_COLUMNS)
    if head == HeadKind.NONE:
        return [], []
    raise ValueError(f"unknown head {head!r}; choose gauss2, gauss1 or none")


def read_ligands(path: str | Path) -> pd.DataFrame:
    """Ligand table with at least `smiles` and `donor_Z`.

    A file with the full ligand-set columns goes through gauss_core.ligands.load_ligand_set; a plain
    CSV with a `smiles` column is accepted too (donor_Z then comes from the first atom of each SMILES).

    Raises:
        DataFormatError: missing file, no smiles column.
    """
    path = Path(path)
    if not path.exists():
        raise DataFormatError(f"ligand file {path} not found: build it with `gauss ligands build` or fix the path")
    try:
        head = pd.read_csv(path, nrows=1)
    except Exception as exc:
        raise DataFormatError(f"cannot read ligand file {path} as CSV: {exc}") from None
    if all(c in head.columns for c in columns.LIGAND_COLUMNS):
        from gauss_core.ligands import load_ligand_set

        frame = load_ligand_set(path)
    else:
        if columns.SMILES not in head.columns:
            raise DataFormatError(f"ligand file {path} has no '{columns.SMILES}' column; "
                                  "give a CSV with donor-first SMILES")
        frame = pd.read_csv(path, dtype={columns.SMILES: str}, keep_default_na=False)
    frame = frame[frame[columns.SMILES].astype(str).str.len() > 0].drop_duplicates(columns.SMILES)
    if columns.DONOR_Z not in frame.columns:
        from gauss_core.chem import mol_from_smiles

        frame = frame.copy()
        frame[columns.DONOR_Z] = [mol_from_smiles(s).GetAtomWithIdx(0).GetAtomicNum() for s in frame[columns.SMILES]]
    return frame.reset_index(drop=True)


def _read_one_label_table(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise DataFormatError(f"label file {path} not found: fix the path or label ligands with `gauss label`")
    name = path.name.lower()
    frame = None
    if name.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz")):
        sep = "\t" if ".tsv" in name else ","
        try:
            frame = pd.read_csv(path, sep=sep)
        except Exception as exc:
            raise DataFormatError(f"cannot read label file {path}: {exc}") from None
        if columns.SMILES not in frame.columns:
            raise DataFormatError(f"label file {path} has no '{columns.SMILES}' column; "
                                  "label tables are keyed by smiles")
    else:  # the paper authors' whitespace layout (SMILES Z q mu alpha | SMILES class MPP SDP angle r1 r2 E1..E7)
        from gauss_core.ligands.io import import_labelled_dataset

        frame = import_labelled_dataset(path).frame
    if "error" in frame.columns:  # rows whose labelling failed (gauss label writes the reason) carry no labels
        frame = frame[frame["error"].isna() | (frame["error"].astype(str).str.strip() == "")]
    frame = frame.replace(columns.MISSING_LABEL, np.nan)
    return frame.drop_duplicates(columns.SMILES, keep="last")


def read_label_tables(paths: Sequence[str | Path]) -> pd.DataFrame | None:
    """Merge label tables keyed by `smiles`; a later file's value wins where it is not NaN.

    Returns:
        DataFrame indexed by smiles (numeric label columns, plus the method columns of the extra targets), or
        None when no paths are given.
    """
    merged: pd.DataFrame | None = None
    methods = list(columns.LABEL_METHOD_COLUMNS.values())
    for p in paths:
        table = _read_one_label_table(Path(p)).set_index(columns.SMILES)
        table = table[[c for c in table.columns if c in methods or pd.api.types.is_numeric_dtype(table[c])]]
        merged = table if merged is None else table.combine_first(merged)
    return merged


def extra_targets(labels: pd.DataFrame | None) -> tuple[list[str], dict[str, str]]:
    """Extra GAUSS-II targets (columns.PROXY_EXTRA_COLUMNS) the label tables give at least one value of, and the
    method each came from (its method column, e.g. r_dyl_method).

    Raises:
        DataFormatError: one target made by two methods (e.g. raw and corrected distances): their scales differ.
    """
    if labels is None:
        return [], {}
    names: list[str] = []
    sources: dict[str, str] = {}
    for name in columns.PROXY_EXTRA_COLUMNS:
        if name not in labels.columns:
            continue
        have = pd.to_numeric(labels[name], errors="coerce").notna()
        if not have.any():
            continue
        method_col = columns.LABEL_METHOD_COLUMNS[name]
        methods = sorted(set(labels.loc[have, method_col].dropna().astype(str))) if method_col in labels else []
        if len(methods) > 1:
            raise DataFormatError(f"the label tables give {name} by {len(methods)} methods ({', '.join(methods)}); "
                                  f"train on one: relabel with one `gauss label --method axial` setting")
        names.append(name)
        sources[name] = methods[0] if methods else f"unknown method (no {method_col} column)"
    return names, sources


def make_splits(n_rows: int, n_train: int | None, n_test: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random (train, test) row indices; the test split is taken first so it is fixed by seed and n_test.

    Raises:
        DataFormatError: not enough rows.
    """
    if n_test < 0 or (n_train is not None and n_train <= 0):
        raise DataFormatError("--n-train must be positive and --n-test non-negative")
    if n_test >= n_rows:
        raise DataFormatError(f"--n-test {n_test} leaves no training rows out of {n_rows} ligands")
    available = n_rows - n_test
    if n_train is None:
        n_train = available
    if n_train > available:
        raise DataFormatError(
            f"--n-train {n_train} + --n-test {n_test} exceeds the {n_rows} ligands; lower one of them")
    perm = np.random.default_rng(seed).permutation(n_rows)
    return np.sort(perm[n_test:n_test + n_train]), np.sort(perm[:n_test])


@dataclass
class TensorSet:
    """One split as tensors: tokens (N, L) int64, labels (N, K) float32 standardised, mask (N, K) bool,
    struct (N, S) float32 standardised (S may be 0)."""

    smiles: list[str]
    tokens: torch.Tensor
    labels: torch.Tensor
    mask: torch.Tensor
    struct: torch.Tensor

    def __len__(self) -> int:
        return len(self.smiles)

    def to(self, device: torch.device) -> TensorSet:
        return TensorSet(self.smiles, self.tokens.to(device), self.labels.to(device), self.mask.to(device),
                         self.struct.to(device))


@dataclass
class PreparedData:
    """Everything the training loop needs, plus what the checkpoint must remember."""

    train: TensorSet
    test: TensorSet
    vocab: Vocabulary
    label_names: list[str]
    label_mean: np.ndarray
    label_std: np.ndarray
    struct_names: list[str] = field(default_factory=list)
    struct_mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    struct_std: np.ndarray = field(default_factory=lambda: np.ones(0))
    labelled_train: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    train_hash: str = ""
    label_sources: dict[str, str] = field(default_factory=dict)  # label name -> column and method it came from

    @property
    def n_labelled(self) -> int:
        return int(self.labelled_train.sum())


def _raw_label_matrix(smiles: list[str], ligands: pd.DataFrame, labels: pd.DataFrame | None,
                      names: list[str]) -> np.ndarray:
    """(n, K) float64 raw labels from the tables (NaN where absent); donor_Z falls back to the ligand set."""
    out = np.full((len(smiles), len(names)), np.nan)
    table = labels.reindex(smiles) if labels is not None else None
    lig = ligands.set_index(columns.SMILES).reindex(smiles)
    for k, name in enumerate(names):
        if table is not None and name in table.columns:
            out[:, k] = table[name].to_numpy(dtype=np.float64)
        if name == columns.DONOR_Z and name in lig.columns:
            z = lig[name].to_numpy(dtype=np.float64)
            out[:, k] = np.where(np.isnan(out[:, k]), z, out[:, k])
    return out


def _eligible(raw: np.ndarray, struct_raw: np.ndarray, names: list[str], head: str, have_tables: bool) -> np.ndarray:
    if head == HeadKind.GAUSS2:
        proxy_idx = [k for k, n in enumerate(names) if n != columns.DONOR_Z]
        if not have_tables:
            return np.ones(len(raw), dtype=bool)
        return ~np.isnan(raw[:, proxy_idx]).all(axis=1)
    if head == HeadKind.GAUSS1:
        return ~np.isnan(struct_raw).any(axis=1) & ~np.isnan(raw).all(axis=1)
    return np.zeros(len(raw), dtype=bool)


def _standardise(raw: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    k = raw.shape[1]
    mean, std = np.zeros(k), np.ones(k)
    for j in range(k):
        vals = raw[mask[:, j], j]
        if len(vals):
            mean[j] = float(vals.mean())
            s = float(vals.std())
            std[j] = s if s > 1e-8 else 1.0
    return mean, std


def _tensor_set(smiles: list[str], vocab: Vocabulary, raw: np.ndarray, mask: np.ndarray, mean: np.ndarray,
                std: np.ndarray, struct_raw: np.ndarray, s_mean: np.ndarray, s_std: np.ndarray) -> TensorSet:
    std_labels = np.where(mask, (np.nan_to_num(raw) - mean) / std, ANY_NAN_PLACEHOLDER)
    std_struct = np.nan_to_num((struct_raw - s_mean) / s_std) if struct_raw.shape[1] else struct_raw
    return TensorSet(
        smiles=smiles,
        tokens=torch.from_numpy(vocab.encode_batch(smiles)),
        labels=torch.from_numpy(std_labels.astype(np.float32)),
        mask=torch.from_numpy(mask),
        struct=torch.from_numpy(np.asarray(std_struct, dtype=np.float32).reshape(len(smiles), -1)),
    )


def prepare_data(
    ligands: pd.DataFrame,
    labels: pd.DataFrame | None,
    head: str = HeadKind.GAUSS2.value,
    n_train: int | None = None,
    n_test: int = 1000,
    label_fraction: float = 0.25,
    seed: int = 0,
    fixed_splits: dict | None = None,
    vocab: Vocabulary | None = None,
    charge_column: str = LOPROP_CHARGE,
) -> PreparedData:
    """Split, label and tensorise.

    Args:
        ligands: table with smiles (+ donor_Z) (read_ligands).
        labels: merged label tables indexed by smiles (read_label_tables), or None.
        head: "gauss2", "gauss1" or "none".
        n_train, n_test: split sizes (n_train None = all remaining rows).
        label_fraction: fraction of training rows whose labels are kept (0..1).
        seed: seeds the split and the labelled subset.
        fixed_splits: {"train_smiles": [...], "test_smiles": [...], "labelled_train": bool array} from a
            checkpoint (resume): reused exactly instead of drawing new splits.
        vocab: reuse this vocabulary (resume) instead of building one from train+test.
        charge_column: label column that trains the head's donor charge (gauss2 only; see
            gauss_core.train.augment.select_charge_target); recorded in PreparedData.label_sources.
    Raises:
        DataFormatError: bad sizes or fractions, SMILES missing from the ligand table, untokenisable SMILES.
    """
    if not 0.0 <= label_fraction <= 1.0:
        raise DataFormatError(f"--label-fraction {label_fraction} must lie between 0 and 1")
    all_smiles = ligands[columns.SMILES].astype(str).tolist()
    if fixed_splits is not None:
        train_smiles = list(fixed_splits["train_smiles"])
        test_smiles = list(fixed_splits["test_smiles"])
        known = set(all_smiles)
        lost = [s for s in train_smiles + test_smiles if s not in known]
        if lost:
            raise DataFormatError(
                f"{len(lost)} SMILES of the checkpoint's splits (e.g. {lost[0]!r}) are not in the ligand file; "
                "resume with the same --ligands file the run started with")
    else:
        tr, te = make_splits(len(all_smiles), n_train, n_test, seed)
        train_smiles = [all_smiles[i] for i in tr]
        test_smiles = [all_smiles[i] for i in te]
    if vocab is None:
        try:
            vocab = Vocabulary.from_smiles(train_smiles + test_smiles)
        except Exception as exc:
            raise DataFormatError(f"cannot build the vocabulary: {exc}") from None

    names, struct_names = head_columns(head)
    label_sources: dict[str, str] = {}
    if head == HeadKind.GAUSS2:
        labels, label_sources = select_charge_target(labels, charge_column)
        extra, extra_sources = extra_targets(labels)
        names, label_sources = names + extra, {**label_sources, **extra_sources}
    have_tables = labels is not None
    raw_tr = _raw_label_matrix(train_smiles, ligands, labels, names)
    raw_te = _raw_label_matrix(test_smiles, ligands, labels, names)
    s_tr = _raw_label_matrix(train_smiles, ligands, labels, struct_names)
    s_te = _raw_label_matrix(test_smiles, ligands, labels, struct_names)

    if fixed_splits is not None and "labelled_train" in fixed_splits:
        kept = np.asarray(fixed_splits["labelled_train"], dtype=bool).reshape(-1)
        if len(kept) != len(train_smiles):
            raise DataFormatError("the checkpoint's labelled-row flags do not match its training split; retrain")
    else:
        eligible = np.flatnonzero(_eligible(raw_tr, s_tr, names, head, have_tables))
        n_keep = min(len(eligible), int(round(label_fraction * len(train_smiles))))
        rng = np.random.default_rng(seed + 1)
        kept = np.zeros(len(train_smiles), dtype=bool)
        kept[rng.choice(eligible, size=n_keep, replace=False) if n_keep else []] = True

    mask_tr = ~np.isnan(raw_tr) & kept[:, None]
    mask_te = ~np.isnan(raw_te) & _eligible(raw_te, s_te, names, head, have_tables)[:, None]
    mean, std = _standardise(raw_tr, mask_tr)
    s_mask = ~np.isnan(s_tr) & kept[:, None]
    s_mean, s_std = _standardise(s_tr, s_mask)
    try:
        train = _tensor_set(train_smiles, vocab, raw_tr, mask_tr, mean, std, s_tr, s_mean, s_std)
        test = _tensor_set(test_smiles, vocab, raw_te, mask_te, mean, std, s_te, s_mean, s_std)
    except Exception as exc:
        raise DataFormatError(f"cannot tokenise the ligand set: {exc}") from None
    return PreparedData(
        train=train, test=test, vocab=vocab, label_names=names, label_mean=mean, label_std=std,
        struct_names=struct_names, struct_mean=s_mean, struct_std=s_std, labelled_train=kept,
        train_hash=smiles_hash(train_smiles), label_sources=label_sources,
    )
