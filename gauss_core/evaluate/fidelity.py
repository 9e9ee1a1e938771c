"""Experiment 5 (Fig. 8): seed-to-sample fidelity of the first KD gap.

Paper protocol: the span of first KD gaps of the KD-labelled set is split into 6 bins; seeds are drawn
at random per bin (here 5); around each seed, LP sampling at sigma = 0.1 (4000 attempts), then sigma
raised by 0.1 per further round, until 10 unique novel samples are found; each sample is assembled into
[Dy(H2O)5L2]+ and its KDs computed; the samples' gaps are compared with their seed's.

Score (the paper's "metric similar to the R^2 score", 0.82 for GAUSS-II):
    score = 1 - sum_i (E_sample_i - E_seed(i))^2 / sum_i (E_sample_i - mean(E_sample))^2
i.e. the R^2 of predicting each sample's gap by its seed's gap.

KD values here are ESTIMATES, never CASSCF. Seeds and samples go through the SAME estimator
(kd_mapping.estimate_ligand, the mapping set's mode): the seeds' values are recomputed, not read from the
mapping table. Estimators scored, each reported with its provenance:
  * "cf-pointcharge": template geometry + GFN2-xTB charges + point-charge crystal field (always);
  * the calibrated estimate (kd-calibrated-ridge-*) when a calibration file exists (paths.KD_CALIBRATION):
    a ridge model of the 7 gaps fitted to the project's own CASSCF results.

Rules, fixed before any score was looked at (the same for every estimator and for seeds and samples):
  R1 assembly checks: an estimate is excluded when its complex carries a failure flag of
     gauss_core.complexes.checks (FAILURE_FLAGS: lost-donor, chelation, metal-contact, clash,
     proton-transfer, bond-broken): the point charges then sit where no atom of a real complex can be, and
     the crystal field is meaningless (e.g. 722 cm-1 first gap / 9222 cm-1 splitting for a ligand whose
     second OH lands 2.3 A from Dy). bent-axis (a real geometry) and unrelaxed-template (informational)
     are not failures. An estimate that raised an error is excluded too.
  R2 physical plausibility: the 7 gaps must be finite, >= 0 and non-decreasing, and the total splitting
     of the J = 15/2 multiplet (gap 7) at most MAX_TOTAL_SPLITTING_CM1 = 2000 cm-1 (the largest known
     Dy(III) splittings are ~1500-2000 cm-1; the project's CASSCF of [Dy(H2O)5(OMe)2]+ gives 1025).
  Bins: 6 equal-width bins of the first gap between the 1st and 99th percentiles of the mapping set's
     first gaps (rows passing R1 and R2 only); values beyond them count in the end bins, so a few extreme
     estimates cannot stretch the bins.
  Seeds: drawn at random per bin among mapping rows passing R1 and R2 that the model can encode; a seed
     whose recomputed primary (cf-pointcharge) estimate fails R1/R2 is replaced by the next random ligand
     of its bin.
  Samples: candidates are taken in the order LP sampling finds them; a candidate whose primary estimate
     fails R1/R2 is recorded as excluded (with its reason) and the next candidate is used, until
     samples_per_seed samples pass or max_candidates_per_seed were estimated.
  A seed/sample pair is scored for an estimator when both pass R1 and R2 under that estimator. Every
  excluded estimate is kept in the tables with its reason; the report gives the counts per reason and,
  for transparency, the score over every estimated pair with no exclusion.

The scores, tables and figure of a run are in fidelity_scores.py.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gauss_core import columns as C
from gauss_core import paths, provenance
from gauss_core.errors import GaussError
from gauss_core.evaluate.common import EvalInputs, kd_labelled
from gauss_core.modes import KDMode

PAPER_SCORE = 0.82
# Flags of gauss_core.complexes.checks that mean the assembled complex is not a valid one (rule R1).
FAILURE_FLAGS = ("lost-donor", "chelation", "metal-contact", "clash", "proton-transfer", "bond-broken")
# Rule R2: the total crystal-field splitting of Dy(III) 6H15/2 in real complexes stays below ~2000 cm-1.
MAX_TOTAL_SPLITTING_CM1 = 2000.0
BIN_PERCENTILES = (1.0, 99.0)
GAP1, GAP7 = C.KD_GAP_COLUMNS[0], C.KD_GAP_COLUMNS[-1]
_FLAG_RE = re.compile(r"(?:^|;)\s*(" + "|".join(re.escape(f) for f in FAILURE_FLAGS) + r")\b")


@dataclass(frozen=True)
class FidelityConfig:
    """Paper settings: 6 bins, 5 seeds per bin, 10 unique samples per seed, sigma from 0.1 (+0.1 per round).

    Attributes:
        max_candidates_per_seed: cap on estimated candidates per seed (excluded ones are replaced up to it).
        bin_percentiles: the bins span these percentiles of the valid mapping set's first gaps.
        calibration: calibrated-estimate file; used (beside cf-pointcharge) when it exists; None = never.
    """

    n_bins: int = 6
    seeds_per_bin: int = 5
    samples_per_seed: int = 10
    max_candidates_per_seed: int = 20
    sigma_start: float = 0.1
    sigma_step: float = 0.1
    sigma_max: float = 0.5
    attempts_per_round: int = 4000
    batch_size: int = 500
    kd_mode: str = KDMode.TEMPLATE_SP.value
    bin_percentiles: tuple[float, float] = BIN_PERCENTILES
    calibration: Path | None = field(default_factory=lambda: paths.KD_CALIBRATION)
    seed: int = 0

    @classmethod
    def quick(cls) -> FidelityConfig:
        return cls(n_bins=2, seeds_per_bin=1, samples_per_seed=2, max_candidates_per_seed=4, attempts_per_round=200,
                   batch_size=100, sigma_start=0.5, sigma_step=0.5, sigma_max=3.0)


@dataclass(frozen=True)
class Estimator:
    """One KD estimator applied to seeds and samples alike.

    Attributes:
        tag: provenance tag of its numbers (cf-pointcharge or the calibrated model's name).
        source: where it comes from, for the report (mode, calibration file and its CV accuracy).
        calibrated: the CalibratedModel, or None for the point-charge estimate.
    """

    tag: str
    source: str
    calibrated: object | None = None


def estimators_for(config: FidelityConfig) -> list[Estimator]:
    """cf-pointcharge, plus the calibrated estimate when config.calibration exists (raises if it is broken)."""
    out = [Estimator(provenance.CF_POINTCHARGE, f"{provenance.describe(provenance.CF_POINTCHARGE)}, "
                                                f"mode {config.kd_mode}")]
    if config.calibration is not None and Path(config.calibration).exists():
        from gauss_core.kd import CalibratedModel

        model = CalibratedModel.load(config.calibration)
        out.append(Estimator(model.name, f"{provenance.describe(model.name)}, mode {config.kd_mode}; ridge fitted to "
                                         f"{model.n_train} CASSCF complexes ({', '.join(model.training_provenance)}), "
                                         f"cross-validated MAE {model.cv_mae_cm1:.0f} cm-1, file "
                                         f"{Path(config.calibration).name}", model))
    return out


def exclusion_reason(row: dict) -> str:
    """'' when an estimate passes rules R1 and R2 (module docstring), else the reason(s), '; '-joined.

    Args:
        row: an estimate_ligand row or a mapping-table row: the 7 gap columns, `flags` and optionally `error`.
    """
    err = row.get("error")
    if isinstance(err, str) and err:
        return f"estimate failed: {err[:120]}"
    reasons = []
    flags = row.get("flags")
    if isinstance(flags, str) and flags:
        reasons += [f"assembly check: {f}" for f in dict.fromkeys(_FLAG_RE.findall(flags))]
    gaps = np.array([row.get(c, np.nan) for c in C.KD_GAP_COLUMNS], dtype=float)
    if not np.isfinite(gaps).all():
        reasons.append("implausible: missing gaps")
    elif (gaps < 0).any() or (np.diff(gaps) < -1e-6).any():
        reasons.append("implausible: negative or unordered gaps")
    elif gaps[-1] > MAX_TOTAL_SPLITTING_CM1:
        reasons.append(f"implausible: total splitting > {MAX_TOTAL_SPLITTING_CM1:.0f} cm-1")
    return "; ".join(reasons)


def reason_counts(reasons) -> dict[str, int]:
    """How often each single reason occurs ('' = not excluded, not counted; 'estimate failed' grouped)."""
    counts: dict[str, int] = {}
    for text in reasons:
        if not isinstance(text, str) or not text:
            continue
        for part in (["estimate failed"] if text.startswith("estimate failed") else text.split("; ")):
            counts[part] = counts.get(part, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def robust_bins(first_gaps, n_bins: int, percentiles: tuple[float, float] = BIN_PERCENTILES):
    """Equal-width KDBins between two percentiles of the known first gaps (assign with `assign_bins`)."""
    from gauss_core.latent.bins import KDBins

    g = np.asarray(first_gaps, dtype=float)
    g = g[np.isfinite(g)]
    if g.size < 2:
        raise GaussError(f"fidelity bins need at least 2 valid first KD gaps (have {g.size}): build the KD mapping "
                         "set first (`gauss kdmap build`)")
    lo, hi = np.percentile(g, percentiles)
    if not hi > lo:
        lo, hi = float(g.min()), float(g.max())
    if not hi > lo:
        raise GaussError("fidelity bins: every valid first KD gap is the same; no range to split")
    return KDBins(tuple(float(e) for e in np.linspace(lo, hi, n_bins + 1)))


def assign_bins(bins, gaps) -> np.ndarray:
    """Bin 1..n of each gap; values beyond the edges go to the end bins; 0 for NaN."""
    g = np.asarray(gaps, dtype=float)
    return bins.assign(np.clip(g, bins.edges[0], bins.edges[-1]))


def seed_gap_columns(kd: pd.DataFrame) -> tuple[list[str], str]:
    """The mapping set's estimate columns (est_* when CASSCF overlays them) and their provenance column."""
    if all(f"est_{c}" in kd.columns for c in C.KD_GAP_COLUMNS):
        return [f"est_{c}" for c in C.KD_GAP_COLUMNS], "est_kd_provenance"
    return list(C.KD_GAP_COLUMNS), C.KD_PROVENANCE


def seed_candidates(inputs: EvalInputs, config: FidelityConfig) -> tuple[pd.DataFrame, dict]:
    """Candidate seeds, each bin's rows in a seeded random order (column `kd_bin`, `rank_in_bin`), and a
    summary of the mapping set (rows, excluded per reason, bin edges).

    Only mapping rows passing rules R1 and R2 that the model can encode are candidates; the bins span the
    config.bin_percentiles of their first gaps.
    """
    kd = kd_labelled(inputs.kd)
    gap_cols, prov_col = seed_gap_columns(kd)
    kd = kd.dropna(subset=[gap_cols[0]]).reset_index(drop=True)
    if len(kd) == 0:
        raise GaussError("no KD-labelled ligand: build the KD mapping set first (`gauss kdmap build`)")
    est = kd[gap_cols].set_axis(list(C.KD_GAP_COLUMNS), axis=1)
    est["flags"] = kd.get("flags", "")
    reasons = [exclusion_reason(r) for r in est.to_dict("records")]
    kd["set_excluded"] = reasons
    valid = kd[kd["set_excluded"] == ""].copy()
    bins = robust_bins(valid[gap_cols[0]], config.n_bins, config.bin_percentiles)
    valid["kd_bin"] = assign_bins(bins, valid[gap_cols[0]])
    valid["set_gap1_cm1"] = valid[gap_cols[0]]
    valid["set_kd_provenance"] = valid[prov_col]
    valid = valid[[inputs.loaded.vocab.check(s) is None for s in valid[C.SMILES]]]
    parts = []
    for b in range(1, bins.n_bins + 1):
        g = valid[valid["kd_bin"] == b]
        g = g.sample(frac=1.0, random_state=config.seed + b).assign(rank_in_bin=np.arange(len(g)))
        parts.append(g)
    cands = pd.concat(parts, ignore_index=True)
    if len(cands) == 0:
        raise GaussError("no valid KD-labelled ligand the model can encode: build the KD mapping set first")
    summary = {"n_set": int(len(kd)), "n_set_excluded": int((kd["set_excluded"] != "").sum()),
               "set_excluded_reasons": reason_counts(kd["set_excluded"]), "bin_edges": list(bins.edges),
               "bin_percentiles": list(config.bin_percentiles), "set_provenance": prov_col}
    return cands, summary


def iter_samples(inputs: EvalInputs, seed_smiles: str, z: np.ndarray, config: FidelityConfig,
                 rng_seed: int) -> Generator[tuple[str, float], None, None]:
    """(smiles, sigma) of novel, distinct, donor-first samples in the order found; sigma rises by sigma_step
    after each round of attempts_per_round, up to sigma_max. Stop pulling to stop sampling."""
    from gauss_core.sampling import LPConfig, LPSampler, NoveltyTracker
    from gauss_core.sampling.metrics import canonical_or_none

    sampler = LPSampler.from_model(inputs.loaded, inputs.reference, with_predictions=False)
    seen = {canonical_or_none(seed_smiles)}
    sigma, rnd = config.sigma_start, 0
    while sigma <= config.sigma_max + 1e-9:
        lp = LPConfig(sigma=sigma, attempts_per_seed=config.attempts_per_round, batch_size=config.batch_size,
                      random_seed=rng_seed * 100 + rnd)
        for batch in sampler.iter_batches([seed_smiles], z[None, :], lp, NoveltyTracker(inputs.reference)):
            for r in batch.new_rows.itertuples(index=False):
                canon = getattr(r, C.CANONICAL)
                if getattr(r, C.IS_NOVEL) and getattr(r, C.DONOR_FIRST_OK) and canon not in seen:
                    seen.add(canon)
                    yield getattr(r, C.SMILES), sigma
        sigma, rnd = round(sigma + config.sigma_step, 4), rnd + 1


def _estimate_rows(smiles: str, estimators: list[Estimator], mode: str) -> dict[str, dict]:
    """{estimator tag: estimate row + 'excluded' reason}; one complex serves every estimator, and a build that
    fails (GaussError) gives each estimator the row {"error": message}."""
    from gauss_core.kd.kd_mapping import estimate_ligand_all

    try:
        rows = estimate_ligand_all(smiles, mode, [e.calibrated for e in estimators])
    except GaussError as exc:
        rows = [{"error": str(exc)[:300]} for _ in estimators]
    out = {}
    for e, row in zip(estimators, rows, strict=False):
        row["excluded"] = exclusion_reason(row)
        out[e.tag] = row
    return out


_KEEP = (*C.KD_GAP_COLUMNS, C.KD_PROVENANCE, C.KD_MODE, "flags", "error")


def run_fidelity(inputs: EvalInputs, config: FidelityConfig, log: Callable[[str], None] = print,
                 estimators: list[Estimator] | None = None,
                 candidates: Callable[..., Generator[tuple[str, float], None, None]] = iter_samples
                 ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Run the experiment.

    Args:
        estimators: default estimators_for(config).
        candidates: (inputs, seed smiles, seed latent, config, rng seed) -> (smiles, sigma) in the order found;
            default LP sampling (iter_samples).

    Returns:
        (seeds, samples, summary). seeds: one row per accepted or rejected seed candidate and estimator
        (smiles, kd_bin, set_gap1_cm1, estimator, the recomputed 7 gaps, excluded, accepted). samples: one row
        per estimated candidate and estimator (seed_smiles, kd_bin, seed_gap1_cm1, seed_gap7_cm1,
        seed_excluded, smiles, sigma, estimator, 7 gaps, kd_provenance, kd_mode, flags, error, excluded).
        summary: seed_candidates' summary + estimators {tag: source}, estimator_notes {tag: warnings the
        estimator flagged, e.g. a calibrated model applied to other geometries than it was fitted on} + seconds.
    """
    from gauss_core.latent import encode_smiles

    t_start = time.perf_counter()
    estimators = estimators if estimators is not None else estimators_for(config)
    primary = estimators[0].tag
    cands, summary = seed_candidates(inputs, config)
    seed_rows, sample_rows = [], []
    n_seeds = 0
    for b in sorted(cands["kd_bin"].unique()):
        accepted = 0
        for cand in cands[cands["kd_bin"] == b].sort_values("rank_in_bin").itertuples(index=False):
            if accepted >= config.seeds_per_bin:
                break
            s_smi = getattr(cand, C.SMILES)
            est = _estimate_rows(s_smi, estimators, config.kd_mode)
            ok = est[primary]["excluded"] == ""
            for tag, row in est.items():
                seed_rows.append({C.SMILES: s_smi, "kd_bin": int(b), "set_gap1_cm1": cand.set_gap1_cm1,
                                  "set_kd_provenance": cand.set_kd_provenance, "estimator": tag,
                                  **{c: row.get(c) for c in _KEEP}, "excluded": row["excluded"], "accepted": ok})
            if not ok:
                log(f"  seed candidate {s_smi} (bin {b}) replaced: {est[primary]['excluded']}")
                continue
            accepted += 1
            t0 = time.perf_counter()
            z = encode_smiles(inputs.loaded, [s_smi], check_chemistry=False)[0]
            n_ok = n_tried = 0
            found = candidates(inputs, s_smi, z, config, config.seed + n_seeds)
            while n_ok < config.samples_per_seed and n_tried < config.max_candidates_per_seed:
                nxt = next(found, None)  # pulled one at a time: sigma rises only while samples are missing
                if nxt is None:
                    break
                smi, sigma = nxt
                n_tried += 1
                s_est = _estimate_rows(smi, estimators, config.kd_mode)
                n_ok += s_est[primary]["excluded"] == ""
                for tag, row in s_est.items():
                    seed = est[tag]
                    sample_rows.append({"seed_smiles": s_smi, "kd_bin": int(b), "seed_gap1_cm1": seed.get(GAP1),
                                        "seed_gap7_cm1": seed.get(GAP7), "seed_excluded": seed["excluded"],
                                        C.SMILES: smi, C.SIGMA: sigma, "estimator": tag,
                                        **{c: row.get(c) for c in _KEEP}, "excluded": row["excluded"]})
            found.close()
            n_seeds += 1
            log(f"  seed {n_seeds} (bin {b}, gap1 {est[primary].get(GAP1, float('nan')):.0f} cm-1 {primary}): "
                f"{n_ok} samples, {n_tried - n_ok} excluded ({time.perf_counter() - t0:.0f} s)")
    seeds = pd.DataFrame(seed_rows)
    samples = pd.DataFrame(sample_rows, columns=["seed_smiles", "kd_bin", "seed_gap1_cm1", "seed_gap7_cm1",
                                                 "seed_excluded", C.SMILES, C.SIGMA, "estimator", *_KEEP, "excluded"])
    summary["estimators"] = {e.tag: e.source for e in estimators}
    summary["estimator_notes"] = {
        tag: sorted({f.strip() for fl in samples.loc[samples["estimator"] == tag, "flags"].dropna()
                     for f in str(fl).split(";") if f.strip().startswith("calibrated on")})
        for tag in summary["estimators"]}
    summary["seconds"] = round(time.perf_counter() - t_start, 1)
    return seeds, samples, summary
