"""Local-perturbation (LP) sampling (paper, sec. II.1): z' = z + sigma * eps, eps ~ N(0, I).

Each batch of z' is decoded in one call to the model (`gauss_core.latent.decode_latent`), checked with
RDKit and counted with the definitions in `gauss_core.sampling.metrics`. Sampling is a generator of
batches so that a caller (CLI, dashboard) can show live counters, stream results and stop at any batch
without losing what was already produced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from rdkit import Chem

from gauss_core import columns as C
from gauss_core.errors import GaussError
from gauss_core.sampling.metrics import CanonicalCache, NoveltyTracker, SamplingCounters

if TYPE_CHECKING:
    from gauss_core.model.checkpoint import LoadedModel

DecodeFn = Callable[[np.ndarray], list[str]]
PredictFn = Callable[[np.ndarray], pd.DataFrame]

CANDIDATE_COLUMNS = (C.SMILES, C.CANONICAL, C.SEED_SMILES, C.SIGMA, C.IS_VALID, C.IS_NOVEL, C.IS_UNIQUE,
                     C.DONOR_FIRST_OK, C.RANDOM_SEED)


class SamplingConfigError(GaussError):
    """Sampling settings out of range (negative sigma, zero attempts, ...)."""


@dataclass(frozen=True)
class LPConfig:
    """Settings of one LP run.

    Attributes:
        sigma: standard deviation of the perturbation in latent units (paper: 0.1-0.3 useful).
        attempts_per_seed: latent samples decoded per seed (paper's Fig. 2c: ~55k from one seed).
        batch_size: samples decoded per model call; larger is faster, smaller updates the UI more often.
        random_seed: seed of the numpy generator; None draws a fresh one.
    """

    sigma: float = 0.3
    attempts_per_seed: int = 5000
    batch_size: int = 1000
    random_seed: int | None = 0

    def validate(self) -> None:
        """Raises SamplingConfigError naming the bad setting."""
        if not np.isfinite(self.sigma) or self.sigma < 0:
            raise SamplingConfigError(f"sigma must be a number >= 0 (got {self.sigma}); try 0.3")
        if self.attempts_per_seed < 1:
            raise SamplingConfigError(f"attempts per seed must be >= 1 (got {self.attempts_per_seed})")
        if self.batch_size < 1:
            raise SamplingConfigError(f"batch size must be >= 1 (got {self.batch_size}); try 1000")


@dataclass
class LPBatch:
    """What one decoded batch added.

    Attributes:
        seed_index, seed_smiles: which seed the batch perturbed.
        counters: snapshot of the run's counters after this batch.
        new_rows: distinct valid molecules first seen in this run during this batch (CANDIDATE_COLUMNS
            plus predicted proxies `pred_<label>`).
        new_latents: (len(new_rows), d) latent samples z' that produced new_rows (for the PCA map).
        done_attempts, total_attempts: progress of the whole run.
    """

    seed_index: int
    seed_smiles: str
    counters: SamplingCounters
    new_rows: pd.DataFrame
    new_latents: np.ndarray
    done_attempts: int
    total_attempts: int

    @property
    def progress(self) -> float:
        return self.done_attempts / max(self.total_attempts, 1)


@dataclass
class LPResult:
    """Everything an LP run produced (also what a stopped run produced so far)."""

    counters: SamplingCounters
    candidates: pd.DataFrame
    latents: np.ndarray
    per_seed: dict[str, SamplingCounters] = field(default_factory=dict)


def donor_first_ok(smiles: str) -> bool:
    """True when the molecule is one fragment whose first atom (the donor in donor-first SMILES) is N or O."""
    if "." in smiles:
        return False
    mol = Chem.MolFromSmiles(smiles)
    return mol is not None and mol.GetNumAtoms() > 0 and mol.GetAtomWithIdx(0).GetSymbol() in ("N", "O")


class LPSampler:
    """Runs LP sampling around seeds with a decoder and an optional property predictor.

    Args:
        decode: (n, d) latent array -> n decoded strings (batched).
        reference: canonical kekulised SMILES of the training set (novelty reference).
        predict: optional (n, d) -> DataFrame of de-standardised predicted proxies (one column per label).
    """

    def __init__(self, decode: DecodeFn, reference: set[str] | frozenset[str], predict: PredictFn | None = None):
        self.decode = decode
        self.reference = reference
        self.predict = predict
        self.canonical = CanonicalCache()

    @classmethod
    def from_model(cls, loaded, reference: set[str] | frozenset[str], with_predictions: bool = True) -> LPSampler:
        """Sampler on a `LoadedModel` (gauss_core.model.checkpoint.load_checkpoint)."""
        from gauss_core.latent import decode_latent, predict_proxies

        predict = (lambda z: predict_proxies(loaded, z)) if with_predictions else None
        return cls(lambda z: decode_latent(loaded, z), reference, predict)

    def iter_batches(self, seed_smiles: Sequence[str], seed_latents: np.ndarray, config: LPConfig,
                     tracker: NoveltyTracker | None = None) -> Iterator[LPBatch]:
        """Yield one LPBatch per decoded batch, seed after seed.

        Args:
            seed_smiles: labels of the seeds (donor-first SMILES), same order as seed_latents.
            seed_latents: (n_seeds, d) latent means of the seeds.
            config: LPConfig (validated here).
            tracker: counters to continue (the sigma sweep shares one across sigmas); new if None.
        Raises:
            SamplingConfigError: bad settings or no seeds.
        """
        config.validate()
        z_seeds = np.asarray(seed_latents, dtype=np.float32)
        if z_seeds.ndim != 2 or len(z_seeds) == 0 or len(z_seeds) != len(seed_smiles):
            raise SamplingConfigError("no seeds to sample from: add at least one seed SMILES (one latent per seed)")
        tracker = tracker or NoveltyTracker(self.reference)
        tracker.add_seeds(seed_smiles)   # MOSES: a seed is never novel
        rng = np.random.default_rng(config.random_seed)
        total = config.attempts_per_seed * len(z_seeds)
        done = 0
        seen_valid: set[str] = set(tracker.seen_valid)
        for s_idx, (seed, z) in enumerate(zip(seed_smiles, z_seeds, strict=False)):
            remaining = config.attempts_per_seed
            while remaining > 0:
                n = min(config.batch_size, remaining)
                eps = rng.standard_normal((n, z.shape[0]), dtype=np.float32)
                z_new = z[None, :] + np.float32(config.sigma) * eps
                decoded = self.decode(z_new)
                rows: list[dict] = []
                keep: list[int] = []
                for i, smi in enumerate(decoded):
                    canon = self.canonical(smi)
                    valid, novel, _ = tracker.add(canon)
                    if valid and canon is not None and canon not in seen_valid:
                        seen_valid.add(canon)
                        keep.append(i)
                        rows.append({C.SMILES: smi, C.CANONICAL: canon, C.SEED_SMILES: seed,
                                     C.SIGMA: float(config.sigma), C.IS_VALID: True, C.IS_NOVEL: novel,
                                     C.IS_UNIQUE: True, C.DONOR_FIRST_OK: donor_first_ok(smi),
                                     C.RANDOM_SEED: config.random_seed})
                new_rows = pd.DataFrame(rows, columns=list(CANDIDATE_COLUMNS))
                new_latents = z_new[keep]
                if self.predict is not None and keep:
                    preds = self.predict(new_latents).reset_index(drop=True)
                    preds.columns = [f"{C.PREDICTED_PREFIX}{c}" for c in preds.columns]
                    new_rows = pd.concat([new_rows, preds], axis=1)
                remaining -= n
                done += n
                yield LPBatch(s_idx, seed, replace(tracker.counters), new_rows, new_latents, done, total)

    def run(self, seed_smiles: Sequence[str], seed_latents: np.ndarray, config: LPConfig,
            on_batch: Callable[[LPBatch], bool | None] | None = None) -> LPResult:
        """Run to the end (or until `on_batch` returns True) and collect the result.

        Returns:
            LPResult with counters, the candidate table (one row per distinct valid molecule, with
            `times_generated`) and the z' of each row.
        """
        frames: list[pd.DataFrame] = []
        lats: list[np.ndarray] = []
        counters = SamplingCounters()
        per_seed: dict[str, SamplingCounters] = {}
        before = SamplingCounters()
        tracker = NoveltyTracker(self.reference)
        for batch in self.iter_batches(seed_smiles, seed_latents, config, tracker):
            frames.append(batch.new_rows)
            lats.append(batch.new_latents)
            counters = batch.counters
            ps = per_seed.setdefault(batch.seed_smiles, SamplingCounters())
            for key in ("attempts", "valid", "novel", "unique", "novel_attempts"):
                setattr(ps, key, getattr(ps, key) + getattr(counters, key) - getattr(before, key))
            before = replace(counters)
            if on_batch is not None and on_batch(batch):
                break
        counts = tracker.valid_counts
        candidates = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(CANDIDATE_COLUMNS))
        candidates[C.TIMES_GENERATED] = [counts.get(c, 0) for c in candidates[C.CANONICAL]]
        d = np.asarray(seed_latents).shape[-1]
        latents = np.concatenate(lats) if lats else np.zeros((0, d), dtype=np.float32)
        return LPResult(counters, candidates, latents, per_seed)


def reference_set(canonical_smiles) -> frozenset[str]:
    """Novelty reference from a column of canonical kekulised SMILES (e.g. the ligand set's)."""
    return frozenset(str(s) for s in canonical_smiles if isinstance(s, str) and s)


def ligand_set_reference(path=None) -> frozenset[str]:
    """Novelty reference: canonical SMILES of the bundled ligand set (a superset of any training split,
    so "novel" here means new to every ligand the model could have seen)."""
    from gauss_core.ligands import load_ligand_set

    df = load_ligand_set(path) if path is not None else load_ligand_set()
    return reference_set(df[C.CANONICAL])


def training_reference(loaded: LoadedModel, ligands: pd.DataFrame | None = None) -> frozenset[str]:
    """Novelty reference of a model: canonical kekulised SMILES of its training set (paper: "novel if not
    present in the training set"), stored in the checkpoint. Canonical forms are looked up in `ligands`
    (a ligand set with smiles + canonical_smiles) when given, and computed with RDKit otherwise.
    Falls back to the whole bundled ligand set for checkpoints that do not store their training split.
    """
    from gauss_core.sampling.metrics import canonical_or_none

    train = loaded.train_smiles
    if not train:
        return reference_set(ligands[C.CANONICAL]) if ligands is not None else ligand_set_reference()
    lookup = dict(zip(ligands[C.SMILES], ligands[C.CANONICAL], strict=False)) if ligands is not None else {}
    out = {lookup.get(s) or canonical_or_none(s) for s in train}
    return frozenset(c for c in out if c is not None)
