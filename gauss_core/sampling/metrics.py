"""Validity, novelty and uniqueness of generated SMILES: exact definitions, written down once.

Two families of numbers are reported, and they are kept apart on purpose:

1. Streaming counters (what the dashboard and `gauss sample` show while sampling), following the paper's
   Fig. 2c / Methods (GAUSS-II, sec. II.1 and IV "After training, the generated strings are validated
   using RDKit and compared to the training set SMILES ..."):

   - attempts: number of latent samples z' decoded.
   - valid:    attempts whose decoded string is a non-empty SMILES that RDKit parses *and* sanitises
               (`Chem.MolFromSmiles` with default sanitisation returns a molecule).
   - novel:    valid attempts whose canonical kekulised SMILES (`gauss_core.chem.canonical_kekule`: RDKit
               canonical SMILES, kekulised, no stereo) is not in the reference (training) set. Counted per
               attempt, so a novel molecule generated twice counts twice.
   - unique:   number of *distinct* canonical SMILES among the novel attempts ("each unique sample was
               counted only once in the unique subset"). Hence unique <= novel <= valid <= attempts.

2. MOSES rates (Polykovskiy et al., "Molecular Sets (MOSES): A Benchmarking Platform for Molecular
   Generation Models", Front. Pharmacol. 11:565644 (2020), sec. "Metrics"), computed on the same samples:

   - validity   = |valid| / |generated|
   - uniqueness = |set(valid)| / |valid|              (MOSES "unique@k" with k = all valid samples)
   - novelty    = |set(valid) \\ train| / |set(valid)|  (fraction of distinct valid molecules not in train)

   where set() and membership use canonical SMILES (here: canonical kekulised, as in the paper).

The paper's per-sigma percentages (Fig. 2c) are counters / attempts; MOSES rates use the denominators above.
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

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def rates(self) -> dict[str, float]:
        """Fractions of attempts (the paper's Fig. 2c percentages / 100); 0 when nothing was tried."""
        n = max(self.attempts, 1)
        return {"validity": self.valid / n, "novelty": self.novel / n, "uniqueness": self.unique / n}


@dataclass
class NoveltyTracker:
    """Updates `SamplingCounters` from canonical SMILES, one attempt at a time.

    Args:
        reference: canonical kekulised SMILES of the training set (novelty reference).
    """

    reference: frozenset[str] | set[str]
    counters: SamplingCounters = field(default_factory=SamplingCounters)
    seen_novel: set[str] = field(default_factory=set)
    seen_valid: set[str] = field(default_factory=set)
    valid_counts: dict[str, int] = field(default_factory=dict)   # canonical -> valid attempts decoding to it

    def add(self, canonical: str | None) -> tuple[bool, bool, bool]:
        """Count one attempt. Returns (valid, novel, first_time_novel)."""
        c = self.counters
        c.attempts += 1
        if canonical is None:
            return False, False, False
        c.valid += 1
        self.seen_valid.add(canonical)
        self.valid_counts[canonical] = self.valid_counts.get(canonical, 0) + 1
        if canonical in self.reference:
            return True, False, False
        c.novel += 1
        if canonical in self.seen_novel:
            return True, True, False
        self.seen_novel.add(canonical)
        c.unique += 1
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
