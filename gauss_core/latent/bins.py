"""The paper's KD bins: the range of the first KD gap of the labelled set split into 6 equal-width bins.

Paper, sec. II.2 / Fig. 5 and 8: "we divided the total span of KDs energy gaps for the training set into
several bins" / "the target KD gaps ... were divided into six bins", seeds are then drawn per bin.
Bins are numbered 1..6 from the smallest gap; the last bin includes the maximum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gauss_core.errors import GaussError

N_KD_BINS = 6


@dataclass(frozen=True)
class KDBins:
    """Equal-width bins of the first KD gap (cm^-1). `edges` has n_bins + 1 increasing values."""

    edges: tuple[float, ...]

    @property
    def n_bins(self) -> int:
        return len(self.edges) - 1

    def assign(self, gaps) -> np.ndarray:
        """Bin number 1..n_bins of each gap; 0 for NaN or values outside [edges[0], edges[-1]]."""
        g = np.asarray(gaps, dtype=float)
        idx = np.searchsorted(np.asarray(self.edges), g, side="right")
        idx = np.where(g == self.edges[-1], self.n_bins, idx)
        outside = ~np.isfinite(g) | (g < self.edges[0]) | (g > self.edges[-1])
        return np.where(outside, 0, idx).astype(int)

    def label(self, b: int) -> str:
        """Readable label of bin b (1-based), e.g. 'bin 3: 210-340 cm-1'."""
        lo, hi = self.edges[b - 1], self.edges[b]
        return f"bin {b}: {lo:.0f}-{hi:.0f} cm-1"

    def labels(self) -> list[str]:
        return [self.label(b) for b in range(1, self.n_bins + 1)]


def kd_bins(first_gaps, n_bins: int = N_KD_BINS) -> KDBins:
    """Bins over the span of the known first KD gaps.

    Args:
        first_gaps: first KD gaps in cm^-1 (NaN = unknown, ignored).
        n_bins: number of bins (paper: 6).
    Raises:
        GaussError: fewer than 2 distinct known gaps (no range to split).
    """
    g = np.asarray(first_gaps, dtype=float)
    g = g[np.isfinite(g)]
    if g.size < 2 or g.min() == g.max():
        raise GaussError(f"KD bins need at least 2 different known first KD gaps (have {g.size}); "
                         "label some complexes first (KD estimate or CASSCF)")
    edges = np.linspace(g.min(), g.max(), n_bins + 1)
    return KDBins(tuple(float(e) for e in edges))
