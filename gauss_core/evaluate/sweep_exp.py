"""Experiment 2 (Fig. 2c): the sigma sweep from ONE random seed, via gauss_core.sampling.sigma_sweep.

Paper: 50 batches of 100 samples for each sigma in [0, 1]; validity 100% at sigma 0, falling in a bell
shape to ~0 near sigma 1; novelty and uniqueness peak near sigma 0.3. `sweep_shape` checks that shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gauss_core.evaluate.common import EvalInputs
from gauss_core.sampling import LPSampler, SweepConfig, sigma_sweep
from gauss_core.sampling.sweep import default_sigmas


@dataclass(frozen=True)
class SweepExpConfig:
    """sigmas, batches x batch_size per sigma (paper: 50 x 100), and the seed of the random seed pick."""

    sigmas: tuple[float, ...] = field(default_factory=default_sigmas)
    batches: int = 50
    batch_size: int = 100
    seed: int = 0

    @classmethod
    def quick(cls) -> SweepExpConfig:
        return cls(sigmas=(0.0, 0.3, 1.0), batches=2, batch_size=50)


def pick_random_seed(inputs: EvalInputs, seed: int = 0) -> str:
    """One random training ligand (as in the paper: at sigma 0 the decode is the seed itself, so nothing is
    novel) that the model can encode; any ligand of the set when the checkpoint stores no training split."""
    rng = np.random.default_rng(seed)
    train = list(inputs.loaded.train_smiles)
    cand = [train[i] for i in rng.permutation(len(train))[:200] if inputs.loaded.vocab.check(train[i]) is None]
    if not cand:
        cand = [s for s in inputs.ligands["smiles"] if inputs.loaded.vocab.check(s) is None][:200]
    return cand[int(np.random.default_rng(seed).integers(len(cand)))]


def run_sweep(inputs: EvalInputs, config: SweepExpConfig) -> tuple[str, pd.DataFrame]:
    """(seed SMILES, sweep table with gauss_core.sampling.sweep.SWEEP_COLUMNS)."""
    from gauss_core.latent import encode_smiles

    seed = pick_random_seed(inputs, config.seed)
    z = encode_smiles(inputs.loaded, [seed])[0]
    sampler = LPSampler.from_model(inputs.loaded, inputs.reference, with_predictions=False)
    table = sigma_sweep(sampler, seed, z, SweepConfig(sigmas=tuple(config.sigmas), batches=config.batches,
                                                      batch_size=config.batch_size, random_seed=config.seed))
    return seed, table


def sweep_shape(table: pd.DataFrame) -> dict:
    """The paper's shape, checked: validity at the smallest sigma >= validity at the largest, validity
    highest at the smallest sigma, novelty peak position. Returns a dict of facts and `ok`."""
    t = table.sort_values("sigma")
    v = t["validity_pct"].to_numpy()
    peak_novel = float(t["sigma"].iloc[int(np.argmax(t["novelty_pct"].to_numpy()))])
    peak_unique = float(t["sigma"].iloc[int(np.argmax(t["uniqueness_pct"].to_numpy()))])
    facts = {
        "validity_at_min_sigma_pct": float(v[0]), "validity_at_max_sigma_pct": float(v[-1]),
        "validity_decreasing": bool(v[0] >= v[-1]), "validity_max_at_min_sigma": bool(v[0] >= v.max() - 1e-9),
        "novelty_peak_sigma": peak_novel, "uniqueness_peak_sigma": peak_unique,
        "novelty_zero_at_sigma0": bool(t["sigma"].iloc[0] > 0 or t["novelty_pct"].iloc[0] <= 1.0),
    }
    facts["ok"] = bool(facts["validity_decreasing"] and facts["validity_max_at_min_sigma"]
                       and facts["novelty_zero_at_sigma0"] and 0.05 <= peak_unique <= 0.7)
    return facts


def sweep_png(table: pd.DataFrame, seed: str, path: Path) -> Path:
    """Fig. 2c-style PNG: rates (%) on the left axis, accumulated novel / unique counts on the right."""
    from gauss_core.evaluate.common import plt, save_figure

    pyplot = plt()
    fig, ax = pyplot.subplots(figsize=(6, 4))
    for col, name in (("validity_pct", "valid %"), ("novelty_pct", "novel %"), ("uniqueness_pct", "unique %")):
        ax.plot(table["sigma"], table[col], "o-", label=name)
    ax.set_xlabel("σ (standard deviation of ε)")
    ax.set_ylabel("% of attempts")
    ax.set_ylim(0, 105)
    ax2 = ax.twinx()
    ax2.plot(table["sigma"], table["cumulative_novel"], ":", color="C1", label="accumulated novel")
    ax2.plot(table["sigma"], table["cumulative_unique"], ":", color="C2", label="accumulated unique")
    ax2.set_ylabel("accumulated samples")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="center right")
    ax.set_title(f"σ sweep from one seed: {seed}", fontsize=9)
    n = int(table["attempts"].iloc[0]) if len(table) else 0
    return save_figure(fig, path,
                       f"{n} attempts per σ; novelty vs the model's training set (canonical kekulised SMILES)")
