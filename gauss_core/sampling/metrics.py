"""Validity, novelty and uniqueness of generated SMILES: exact definitions, written down once.

Two families of numbers are reported, and they are kept apart on purpose:

1. Streaming counters (what the dashboard and `gauss sample` show while sampling), on MOSES definitions
   (Polykovskiy et al. 2020, below) so that a count and its rate always use the same population:

   - attempts: number of latent samples z' decoded.
   - valid:    attempts whose decoded string is a non-empty SMILES that RDKit parses *and* sanitises
               (`Chem.MolFromSmiles` with default sanitisation returns a molecule). Counted per attempt.
   - unique:   number of *distinct* valid molecules (canonical kekulised SMILES, `gauss_core.chem.canonical_kekule`:
               RDKit canonical SMILES, kekulised, no stereo).
   - novel:    number of distinct valid molecules that are neither in the reference (training) set nor one of
               the run's seeds (a seed is never novel, even when it is not a training molecule).
   Hence novel <= unique <= valid <= attempts.
   - novel_attempts: valid attempts decoding to a novel molecule (the paper's Fig. 2c "novel" percentage,
               counted per attempt); only the sigma sweep reports it, as the paper does.

2. MOSES rates (Polykovskiy et al., "Molecular Sets (MOSES): A Benchmarking Platform for Molecular
   Generation Models", Front. Pharmacol. 11:565644 (2020), sec. "Metrics"), computed on the same samples:

   - validity   = |valid| / |generated|
   - uniqueness = |set(valid)| / |valid|              (MOSES "unique@k" with k = all valid samples)
   - novelty    = |set(valid) \\ train| / |set(valid)|  (fraction of distinct valid molecules not in train)

   where set() and membership use canonical SMILES (here: canonical kekulised, as in the paper).

SamplingCounters.rates() gives the MOSES rates of the streaming counters. The sigma sweep (the paper's Fig. 2c)
reports novel_attempts / attempts and novel / attempts per sigma, as the paper's percentages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from gauss_core.chem import canonical_kekule


def canonical_or_none(smiles: str) -> str | None:
    """Canonical kekulised SMILES of a decoded string, or None when it is not a valid molecule.

    The empty string is invalid although RDKit parses it into an empty molecule.
    """
    if not smiles or not smiles.strip():
        return None
    return canonical_kekule(smiles)


class CanonicalCache:
    """Memoised `canonical_or_none`: at small sigma most decodes repeat, so RDKit runs once per string.

    Args:
        max_entries: the memo is emptied when it grows past this (a long-lived dashboard sampler would
            otherwise grow without bound; ~100 bytes per entry).
    """

    def __init__(self, max_entries: int = 500_000) -> None:
        self._memo: dict[str, str | None] = {}
        self.max_entries = max_entries

    def __call__(self, smiles: str) -> str | None:
        try:
            return self._memo[smiles]
        except KeyError:
            canon = canonical_or_none(smiles)
            if len(self._memo) >= self.max_entries:
                self._memo.clear()
            self._memo[smiles] = canon
            return canon

    def __len__(self) -> int:
        return len(self._memo)


@dataclass
class SamplingCounters:
    """Streaming counters with the definitions of this module's docstring (family 1)."""

    attempts: int = 0
    valid: int = 0
    novel: int = 0
    unique: int = 0
    novel_attempts: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def rates(self) -> dict[str, float]:
        """MOSES rates: validity = valid / attempts, uniqueness = unique / valid, novelty = novel / unique
        (0 when a denominator is 0)."""
        return {"validity": self.valid / self.attempts if self.attempts else 0.0,
                "uniqueness": self.unique / self.valid if self.valid else 0.0,
                "novelty": self.novel / self.unique if self.unique else 0.0}


@dataclass
class NoveltyTracker:
    """Updates `SamplingCounters` from canonical SMILES, one attempt at a time.

    Args:
        reference: canonical kekulised SMILES of the training set (novelty reference).
        seeds: canonical SMILES of the run's seeds (never novel); `add_seeds` adds more.
    """

    reference: frozenset[str] | set[str]
    counters: SamplingCounters = field(default_factory=SamplingCounters)
    seen_novel: set[str] = field(default_factory=set)
    seen_valid: set[str] = field(default_factory=set)
    valid_counts: dict[str, int] = field(default_factory=dict)   # canonical -> valid attempts decoding to it
    seeds: set[str] = field(default_factory=set)

    def add_seeds(self, seed_smiles) -> None:
        """Mark seed molecules (any SMILES form) as never novel."""
        for smi in seed_smiles:
            canon = canonical_or_none(str(smi))
            if canon is not None:
                self.seeds.add(canon)

    def is_novel(self, canonical: str) -> bool:
        return canonical not in self.reference and canonical not in self.seeds

    def add(self, canonical: str | None) -> tuple[bool, bool, bool]:
        """Count one attempt. Returns (valid, novel, first_time_novel)."""
        c = self.counters
        c.attempts += 1
        if canonical is None:
            return False, False, False
        c.valid += 1
        if canonical not in self.seen_valid:
            self.seen_valid.add(canonical)
            c.unique += 1
        self.valid_counts[canonical] = self.valid_counts.get(canonical, 0) + 1
        if not self.is_novel(canonical):
            return True, False, False
        c.novel_attempts += 1
        if canonical in self.seen_novel:
            return True, True, False
        self.seen_novel.add(canonical)
        c.novel += 1
        return True, True, True


@dataclass(frozen=True)
class MosesRates:
    """MOSES validity / uniqueness / novelty (family 2 of the module docstring)."""

    validity: float
    uniqueness: float
    novelty: float
    n_generated: int
    n_valid: int
    n_distinct_valid: int


def moses_rates(canonicals: Iterable[str | None], reference: set[str] | frozenset[str]) -> MosesRates:
    """MOSES rates of one list of generated samples.

    Args:
        canonicals: canonical SMILES per generated sample, None for invalid ones (see `canonical_or_none`).
        reference: canonical SMILES of the training set.
    Returns:
        MosesRates; a rate whose denominator is 0 is reported as 0.0.
    """
    items = list(canonicals)
    valid = [c for c in items if c is not None]
    distinct = set(valid)
    novel = distinct - set(reference)
    return MosesRates(
        validity=len(valid) / len(items) if items else 0.0,
        uniqueness=len(distinct) / len(valid) if valid else 0.0,
        novelty=len(novel) / len(distinct) if distinct else 0.0,
        n_generated=len(items),
        n_valid=len(valid),
        n_distinct_valid=len(distinct),
    )
