"""Sigma sweep from one seed: validity, novelty and uniqueness against sigma (the paper's Fig. 2c).

Per sigma, `batches` x `batch_size` LP samples are drawn. Percentages are per sigma step, of the
attempts at that step, as the paper's: novelty_pct = novel attempts, uniqueness_pct = distinct novel molecules
(counter definitions in `gauss_core.sampling.metrics`; columns `novel` = novel attempts, `unique` = distinct
novel molecules within the step, the paper's words). The cumulative columns accumulate over the sweep as
the paper's right axis: novel attempts summed, and distinct novel molecules over all steps so far.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from gauss_core.sampling.lp import LPConfig, LPSampler, SamplingConfigError
from gauss_core.sampling.metrics import NoveltyTracker

SWEEP_COLUMNS = ("sigma", "attempts", "valid", "novel", "unique", "validity_pct", "novelty_pct",
                 "uniqueness_pct", "cumulative_novel", "cumulative_unique", "seconds")


def default_sigmas() -> tuple[float, ...]:
    """0, 0.1, ..., 1.0: the paper's range [0, 1]."""
    return tuple(round(float(s), 2) for s in np.linspace(0.0, 1.0, 11))


@dataclass(frozen=True)
class SweepConfig:
    """Settings of a sweep (paper: 50 batches of 100 samples per sigma, sigma in [0, 1])."""

    sigmas: tuple[float, ...] = field(default_factory=default_sigmas)
    batches: int = 50
    batch_size: int = 100
    random_seed: int = 0

    def validate(self) -> None:
        if not self.sigmas:
            raise SamplingConfigError("the sweep needs at least one sigma value, e.g. 0, 0.1, ..., 1")
        if any((not np.isfinite(s)) or s < 0 for s in self.sigmas):
            raise SamplingConfigError(f"every sigma must be >= 0 (got {list(self.sigmas)})")
        if self.batches < 1 or self.batch_size < 1:
            raise SamplingConfigError("batches and batch size must both be >= 1")


def sigma_sweep(sampler: LPSampler, seed_smiles: str, seed_latent: np.ndarray, config: SweepConfig,
                on_step: Callable[[dict], bool | None] | None = None) -> pd.DataFrame:
    """Run the sweep; one row per sigma (SWEEP_COLUMNS).

    Args:
        sampler: an LPSampler (its decode does the batching; `batch_size` here is per decode call).
        seed_smiles, seed_latent: the seed and its (d,) latent mean.
        on_step: called with each finished row; returning True stops the sweep early.
    """
    import time

    config.validate()
    z = np.asarray(seed_latent, dtype=np.float32).reshape(1, -1)
    rows: list[dict] = []
    cumulative_novel = 0
    all_unique: set[str] = set()
    for step, sigma in enumerate(config.sigmas):
        t0 = time.perf_counter()
        tracker = NoveltyTracker(sampler.reference)
        lp = LPConfig(sigma=float(sigma), attempts_per_seed=config.batches * config.batch_size,
                      batch_size=config.batch_size, random_seed=config.random_seed + step)
        for _ in sampler.iter_batches([seed_smiles], z, lp, tracker):
            pass
        c = tracker.counters
        cumulative_novel += c.novel_attempts
        all_unique |= tracker.seen_novel
        n = max(c.attempts, 1)
        # the paper's Fig. 2c words: "novel" per attempt, "unique" = distinct novel molecules
        row = {"sigma": float(sigma), "attempts": c.attempts, "valid": c.valid, "novel": c.novel_attempts,
               "unique": c.novel, "validity_pct": 100.0 * c.valid / n, "novelty_pct": 100.0 * c.novel_attempts / n,
               "uniqueness_pct": 100.0 * c.novel / n, "cumulative_novel": cumulative_novel,
               "cumulative_unique": len(all_unique), "seconds": time.perf_counter() - t0}
        rows.append(row)
        if on_step is not None and on_step(row):
            break
    return pd.DataFrame(rows, columns=list(SWEEP_COLUMNS))


def sweep_figure(sweep: pd.DataFrame, title: str = "") -> go.Figure:
    """Fig. 2c-style chart: rates (%) on the left axis, cumulative novel/unique counts on the right."""
    fig = go.Figure()
    for col, name, colour in (("validity_pct", "valid %", "#1f77b4"), ("novelty_pct", "novel %", "#ff7f0e"),
                              ("uniqueness_pct", "unique %", "#2ca02c")):
        fig.add_trace(go.Scatter(x=sweep["sigma"], y=sweep[col], mode="lines+markers", name=name,
                                 line={"color": colour}))
    for col, name, colour in (("cumulative_novel", "cumulative novel", "#ff7f0e"),
                              ("cumulative_unique", "cumulative unique", "#2ca02c")):
        fig.add_trace(go.Scatter(x=sweep["sigma"], y=sweep[col], mode="lines", name=name, yaxis="y2",
                                 line={"color": colour, "dash": "dot"}))
    fig.update_layout(title=title or "LP sampling against sigma (one seed)", xaxis_title="sigma (std of eps)",
                      yaxis={"title": "% of attempts", "range": [0, 105]},
                      yaxis2={"title": "accumulated samples", "overlaying": "y", "side": "right",
                              "rangemode": "tozero", "showgrid": False},
                      legend={"orientation": "h", "y": -0.25}, margin={"t": 50, "b": 40})
    return fig


def sweep_sigmas(max_sigma: float, steps: int) -> Sequence[float]:
    """Evenly spaced sigmas from 0 to max_sigma (steps >= 2)."""
    if steps < 2 or max_sigma <= 0:
        raise SamplingConfigError("a sweep needs max sigma > 0 and at least 2 steps")
    return tuple(round(float(s), 4) for s in np.linspace(0.0, max_sigma, steps))
