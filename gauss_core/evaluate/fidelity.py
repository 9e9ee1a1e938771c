"""Experiment 5 (Fig. 8): seed-to-sample fidelity of the first KD gap.

Paper protocol: the span of first KD gaps of the KD-labelled set is split into 6 bins; seeds are drawn
at random per bin (here 5); around each seed, LP sampling at sigma = 0.1 (4000 attempts), then sigma
raised by 0.1 per further round, until 10 unique novel samples are found; each sample is assembled into
[Dy(H2O)5L2]+ and its KDs computed; the samples' gaps are compared with their seed's.

Score (the paper's "metric similar to the R^2 score", 0.82 for GAUSS-II):
    score = 1 - sum_i (E_sample_i - E_seed(i))^2 / sum_i (E_sample_i - mean(E_sample))^2
i.e. the R^2 of predicting each sample's gap by its seed's gap. Here samples get the SAME KD estimator
as the seeds' mapping-set values (kd_mapping.estimate_ligand, mode of the mapping set), so the score
measures the latent space's fidelity under that estimator; it is an estimate-based number, not CASSCF,
and the report says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gauss_core import columns as C
from gauss_core.evaluate.common import EvalInputs, kd_labelled, r2
from gauss_core.errors import GaussError

PAPER_SCORE = 0.82
# A first gap above this is outside anything a Dy(III) J = 15/2 multiplet in these complexes shows (the whole
# splitting is ~1000-1500 cm-1): such an estimate is an estimator failure, reported and scored separately.
PHYSICAL_GAP1_MAX_CM1 = 2000.0


@dataclass
class FidelityConfig:
    """Paper settings: 6 bins, 5 seeds per bin, 10 unique samples per seed, sigma from 0.1 (+0.1 per round)."""

    n_bins: int = 6
    seeds_per_bin: int = 5
    samples_per_seed: int = 10
    sigma_start: float = 0.1
    sigma_step: float = 0.1
    sigma_max: float = 0.5
    attempts_per_round: int = 4000
    batch_size: int = 500
    kd_mode: str = "template-sp"
    seed: int = 0

    @classmethod
    def quick(cls) -> "FidelityConfig":
        return cls(n_bins=2, seeds_per_bin=1, samples_per_seed=2, attempts_per_round=200, batch_size=100,
                   sigma_start=0.5, sigma_step=0.5, sigma_max=3.0)


def seed_gap_columns(kd: pd.DataFrame) -> tuple[list[str], str]:
    """The seeds' gap columns computed by the same estimator as the samples (est_* when CASSCF overlays them)."""
    if all(f"est_{c}" in kd.columns for c in C.KD_GAP_COLUMNS):
        return [f"est_{c}" for c in C.KD_GAP_COLUMNS], "est_kd_provenance"
    return list(C.KD_GAP_COLUMNS), C.KD_PROVENANCE


def pick_seeds(inputs: EvalInputs, config: FidelityConfig) -> pd.DataFrame:
    """Up to seeds_per_bin random encodable KD-labelled ligands per bin of the first gap (column kd_bin)."""
    from gauss_core.latent.bins import kd_bins

    kd = kd_labelled(inputs.kd)
    gap_cols, prov_col = seed_gap_columns(kd)
    kd = kd.dropna(subset=[gap_cols[0]])
    kd = kd[[inputs.loaded.vocab.check(s) is None for s in kd[C.SMILES]]].reset_index(drop=True)
    bins = kd_bins(kd[gap_cols[0]], config.n_bins)
    kd["kd_bin"] = bins.assign(kd[gap_cols[0]])
    picks = []
    for b in range(1, bins.n_bins + 1):
        g = kd[kd["kd_bin"] == b]
        if len(g):
            picks.append(g.sample(n=min(config.seeds_per_bin, len(g)), random_state=config.seed + b))
    if not picks:
        raise GaussError("no KD-labelled ligand the model can encode: build the KD mapping set first")
    seeds = pd.concat(picks, ignore_index=True)
    seeds["seed_gap1_cm1"] = seeds[gap_cols[0]]
    seeds["seed_gap7_cm1"] = seeds[gap_cols[-1]]
    seeds["seed_kd_provenance"] = seeds[prov_col]
    seeds.attrs["bin_edges"] = bins.edges
    return seeds


def sample_around(inputs: EvalInputs, seed_smiles: str, z: np.ndarray, config: FidelityConfig,
                  rng_seed: int) -> list[tuple[str, float]]:
    """Up to samples_per_seed (smiles, sigma) novel, distinct, donor-first samples, sigma escalating per round."""
    from gauss_core.sampling import LPConfig, LPSampler, NoveltyTracker
    from gauss_core.sampling.metrics import canonical_or_none

    sampler = LPSampler.from_model(inputs.loaded, inputs.reference, with_predictions=False)
    seed_canon = canonical_or_none(seed_smiles)
    found: list[tuple[str, float]] = []
    seen: set[str] = set()
    sigma, rnd = config.sigma_start, 0
    while sigma <= config.sigma_max + 1e-9 and len(found) < config.samples_per_seed:
        lp = LPConfig(sigma=sigma, attempts_per_seed=config.attempts_per_round, batch_size=config.batch_size,
                      random_seed=rng_seed * 100 + rnd)
        for batch in sampler.iter_batches([seed_smiles], z[None, :], lp, NoveltyTracker(inputs.reference)):
            rows = batch.new_rows
            for r in rows.itertuples(index=False):
                canon = getattr(r, C.CANONICAL)
                if (getattr(r, C.IS_NOVEL) and getattr(r, C.DONOR_FIRST_OK) and canon not in seen
                        and canon != seed_canon):
                    seen.add(canon)
                    found.append((getattr(r, C.SMILES), sigma))
            if len(found) >= config.samples_per_seed:
                break
        sigma, rnd = round(sigma + config.sigma_step, 4), rnd + 1
    return found[:config.samples_per_seed]


def run_fidelity(inputs: EvalInputs, config: FidelityConfig,
                 log: Callable[[str], None] = print) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(seeds table, samples table). Samples: seed_smiles, kd_bin, smiles, sigma, the 7 gaps, kd_provenance,
    kd_mode, error (per-sample failures kept, gaps NaN)."""
    from gauss_core.evaluate.kd_mapping import estimate_ligand
    from gauss_core.latent import encode_smiles

    seeds = pick_seeds(inputs, config)
    z_all = encode_smiles(inputs.loaded, seeds[C.SMILES].tolist(), check_chemistry=False)
    rows = []
    for i, seed in enumerate(seeds.itertuples(index=False)):
        t0 = time.perf_counter()
        s_smi = getattr(seed, C.SMILES)
        samples = sample_around(inputs, s_smi, z_all[i], config, config.seed + i)
        for smi, sigma in samples:
            base = {"seed_smiles": s_smi, "kd_bin": int(seed.kd_bin), "seed_gap1_cm1": seed.seed_gap1_cm1,
                    "seed_gap7_cm1": seed.seed_gap7_cm1, "seed_kd_provenance": seed.seed_kd_provenance,
                    C.SMILES: smi, C.SIGMA: sigma}
            try:
                est = estimate_ligand(smi, config.kd_mode)
                base.update({c: est[c] for c in (*C.KD_GAP_COLUMNS, C.KD_PROVENANCE, C.KD_MODE)})
            except GaussError as exc:
                base["error"] = str(exc)[:300]
            rows.append(base)
        log(f"  seed {i + 1}/{len(seeds)} (bin {seed.kd_bin}, gap1 {seed.seed_gap1_cm1:.0f} cm-1): "
            f"{len(samples)} samples ({time.perf_counter() - t0:.0f} s)")
    samples = pd.DataFrame(rows)
    for col in (*C.KD_GAP_COLUMNS, C.KD_PROVENANCE, C.KD_MODE, "error"):
        if col not in samples.columns:
            samples[col] = np.nan
    return seeds, samples


def fidelity_scores(samples: pd.DataFrame) -> dict:
    """The paper's R^2-like score on the first gap (headline) and the last gap; n pairs."""
    ok = samples.dropna(subset=[C.KD_GAP_COLUMNS[0]]) if len(samples) else samples
    if len(ok) == 0:
        return {"score_gap1": float("nan"), "score_gap7": float("nan"), "n_pairs": 0, "n_seeds": 0,
                "n_failed": int(len(samples))}
    return {"score_gap1": r2(ok[C.KD_GAP_COLUMNS[0]], ok["seed_gap1_cm1"]),
            "score_gap7": r2(ok[C.KD_GAP_COLUMNS[-1]], ok["seed_gap7_cm1"]),
            "pearson_gap1": float(np.corrcoef(ok[C.KD_GAP_COLUMNS[0]], ok["seed_gap1_cm1"])[0, 1]) if len(ok) > 2 else float("nan"),
            "n_pairs": int(len(ok)), "n_seeds": int(ok["seed_smiles"].nunique()),
            "n_failed": int(len(samples) - len(ok)),
            **_physical_scores(ok)}


def _physical_scores(ok: pd.DataFrame) -> dict:
    phys = ok[ok[C.KD_GAP_COLUMNS[0]] <= PHYSICAL_GAP1_MAX_CM1]
    return {"score_gap1_physical": r2(phys[C.KD_GAP_COLUMNS[0]], phys["seed_gap1_cm1"]),
            "n_unphysical": int(len(ok) - len(phys))}


def fidelity_figure(samples: pd.DataFrame, scores: dict, path: Path) -> Path:
    """Fig. 8-style plot: each sample's first (and last) KD gap against its seed's."""
    from gauss_core.evaluate.common import plt, save_figure

    pyplot = plt()
    fig, axes = pyplot.subplots(1, 2, figsize=(9, 4))
    ok = samples.dropna(subset=[C.KD_GAP_COLUMNS[0]]) if len(samples) else samples
    for ax, (gap, seed_col, key) in zip(axes, ((C.KD_GAP_COLUMNS[0], "seed_gap1_cm1", "score_gap1"),
                                                (C.KD_GAP_COLUMNS[-1], "seed_gap7_cm1", "score_gap7"))):
        if len(ok):
            ax.scatter(ok[seed_col], ok[gap], s=10, c=ok["kd_bin"], cmap="viridis", alpha=0.7)
            lo = float(min(ok[seed_col].min(), ok[gap].min()))
            hi = float(max(ok[seed_col].max(), ok[gap].max()))
            ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
        ax.set_xlabel(f"seed {gap} (cm⁻¹)")
        ax.set_ylabel(f"sample {gap} (cm⁻¹)")
        ax.set_title(f"{gap}: score {scores.get(key, float('nan')):.2f} (paper gap1: {PAPER_SCORE})", fontsize=9)
    modes = ", ".join(sorted(set(ok[C.KD_MODE].dropna()))) if len(ok) else "-"
    fig.suptitle("Seed-to-sample fidelity (Fig. 8)", fontsize=10)
    return save_figure(fig, path, f"KD values: crystal-field ESTIMATES (cf-pointcharge, mode {modes}) for seeds and "
                                  "samples alike, not CASSCF; colour = KD bin of the seed")
