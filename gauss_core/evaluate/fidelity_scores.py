"""Experiment 5 (Fig. 8): the scores, tables and figure of a seed-to-sample fidelity run (fidelity.py, whose
docstring defines the paper's R^2-like score and the exclusion rules applied before scoring)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gauss_core import columns as C
from gauss_core import provenance
from gauss_core.evaluate.fidelity import GAP1, GAP7, PAPER_SCORE, reason_counts
from gauss_core.ligands.build import smiles_class
from gauss_core.stats import pearson, r2, spearman


def scored_pairs(samples: pd.DataFrame) -> pd.DataFrame:
    """Rows whose sample and seed both pass the rules (empty `excluded` / `seed_excluded`) with finite gaps."""
    if len(samples) == 0:
        return samples
    ok = samples[GAP1].notna() & samples["seed_gap1_cm1"].notna()
    for col in ("excluded", "seed_excluded"):
        if col in samples:
            ok &= samples[col].fillna("").astype(str) == ""
    return samples[ok]


def fidelity_scores(samples: pd.DataFrame) -> dict:
    """The paper's R^2-like score on the first gap (headline) and the last gap, on the scored pairs of ONE
    estimator; also Pearson/Spearman, counts, exclusion reasons, and the score over every estimated pair."""
    ok = scored_pairs(samples)
    every = samples.dropna(subset=[GAP1, "seed_gap1_cm1"]) if len(samples) else samples
    excl = samples["excluded"].fillna("").astype(str) if "excluded" in samples else pd.Series("", index=samples.index)
    seed_excl = (samples["seed_excluded"].fillna("").astype(str) if "seed_excluded" in samples
                 else pd.Series("", index=samples.index))
    out = {"score_gap1": r2(ok[GAP1], ok["seed_gap1_cm1"]) if len(ok) else float("nan"),
           "score_gap7": r2(ok[GAP7], ok["seed_gap7_cm1"]) if len(ok) else float("nan"),
           "pearson_gap1": pearson(ok[GAP1], ok["seed_gap1_cm1"]) if len(ok) else float("nan"),
           "spearman_gap1": spearman(ok[GAP1], ok["seed_gap1_cm1"]) if len(ok) else float("nan"),
           "n_pairs": int(len(ok)), "n_seeds": int(ok["seed_smiles"].nunique()) if len(ok) else 0,
           "n_estimated": int(len(samples)), "n_excluded_samples": int((excl != "").sum()),
           "n_pairs_seed_excluded": int(((seed_excl != "") & (excl == "")).sum()),
           "excluded_reasons": reason_counts(excl),
           "score_gap1_all": r2(every[GAP1], every["seed_gap1_cm1"]) if len(every) else float("nan"),
           "n_pairs_all": int(len(every))}
    return out


def scores_by_estimator(samples: pd.DataFrame, tags=None) -> dict[str, dict]:
    """fidelity_scores per estimator tag: `tags` (every estimator run, also those without any pair) or the
    table's own tags in order of appearance."""
    tags = list(tags) if tags is not None else list(dict.fromkeys(samples.get("estimator", [])))
    return {tag: fidelity_scores(samples[samples["estimator"] == tag]) for tag in tags}


MIN_CLASS_PAIRS = 10   # fewer scored pairs in a class give no within-class score


def within_class_table(samples: pd.DataFrame) -> pd.DataFrame:
    """Per estimator and seed class: scored pairs, the share of samples in their seed's class, and the score
    and Spearman rho among the pairs of that class (NaN below MIN_CLASS_PAIRS). Donor classes sit at very
    different gap levels, so the pooled score partly measures that samples keep their seed's class; the
    within-class rows are the harder test."""
    ok = scored_pairs(samples)
    cols = ["estimator", "seed_class", "pairs", "same_class_pct", "score_gap1", "spearman_gap1"]
    if len(ok) == 0:
        return pd.DataFrame(columns=cols)
    classes = {smi: smiles_class(smi) for smi in set(ok["seed_smiles"]) | set(ok[C.SMILES])}
    seed_cls = ok["seed_smiles"].map(classes)
    same = ok[C.SMILES].map(classes) == seed_cls
    rows = []
    for tag in dict.fromkeys(ok["estimator"]):
        for cls in sorted(set(seed_cls[ok["estimator"] == tag])):
            pick = (ok["estimator"] == tag) & (seed_cls == cls)
            g = ok[pick]
            enough = len(g) >= MIN_CLASS_PAIRS
            rows.append({"estimator": tag, "seed_class": int(cls), "pairs": int(len(g)),
                         "same_class_pct": 100.0 * float(same[pick].mean()),
                         "score_gap1": r2(g[GAP1], g["seed_gap1_cm1"]) if enough else float("nan"),
                         "spearman_gap1": spearman(g[GAP1], g["seed_gap1_cm1"]) if enough else float("nan")})
    return pd.DataFrame(rows, columns=cols)


def per_bin_table(samples: pd.DataFrame) -> pd.DataFrame:
    """Per estimator and bin: seeds, scored samples, mean seed and sample first gap."""
    ok = scored_pairs(samples)
    if len(ok) == 0:
        return pd.DataFrame()
    order = {tag: i for i, tag in enumerate(dict.fromkeys(ok["estimator"]))}
    table = ok.groupby(["estimator", "kd_bin"], sort=False).agg(
        seeds=("seed_smiles", "nunique"), samples=(C.SMILES, "count"), seed_gap1=("seed_gap1_cm1", "mean"),
        sample_gap1=(GAP1, "mean")).reset_index()
    return table.sort_values(["estimator", "kd_bin"], key=lambda col: col.map(order) if col.name == "estimator"
                             else col, kind="stable").reset_index(drop=True)


ESTIMATE_NOTE = ("KD values: ESTIMATES (same estimator for seeds and samples), not CASSCF; pairs failing the assembly "
                 "checks or physical plausibility excluded; colour = bin")


def fidelity_figure(samples: pd.DataFrame, scores: dict[str, dict], path: Path, note: str = ESTIMATE_NOTE) -> Path:
    """Fig. 8-style plot: each scored sample's first (and last) KD gap against its seed's, one row per estimator
    (titled CASSCF or ESTIMATE by its provenance tag); `note`: the provenance footnote."""
    from gauss_core.evaluate.common import plt, save_figure

    pyplot = plt()
    tags = list(scores) or ["-"]
    fig, axes = pyplot.subplots(len(tags), 2, figsize=(9, 3.8 * len(tags)), squeeze=False)
    for row_axes, tag in zip(axes, tags, strict=False):
        ok = scored_pairs(samples[samples["estimator"] == tag]) if len(samples) else samples
        sc = scores.get(tag, {})
        kind = "CASSCF" if provenance.is_casscf(tag) else "ESTIMATE"
        for ax, (gap, seed_col, key) in zip(row_axes, ((GAP1, "seed_gap1_cm1", "score_gap1"),
                                                       (GAP7, "seed_gap7_cm1", "score_gap7")), strict=False):
            if len(ok):
                ax.scatter(ok[seed_col], ok[gap], s=10, c=ok["kd_bin"], cmap="viridis", alpha=0.7)
                lo = float(min(ok[seed_col].min(), ok[gap].min()))
                hi = float(max(ok[seed_col].max(), ok[gap].max()))
                ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
            ax.set_xlabel(f"seed {gap} (cm⁻¹), {tag}")
            ax.set_ylabel(f"sample {gap} (cm⁻¹), {tag}")
            paper = f" (paper gap1: {PAPER_SCORE})" if key == "score_gap1" else ""
            ax.set_title(f"{tag} {kind}, {gap}: score {sc.get(key, float('nan')):.2f}{paper}\n"
                         f"{sc.get('n_pairs', 0)} pairs, {sc.get('n_excluded_samples', 0)} samples excluded",
                         fontsize=8)
    fig.suptitle("Seed-to-sample fidelity (Fig. 8)", fontsize=10)
    return save_figure(fig, path, note)
