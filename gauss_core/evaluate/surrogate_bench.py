"""Retrospective benchmark of `gauss suggest` on the bundled CASSCF results, and the surrogate's group-CV.

Question: how many CASSCF runs does each strategy need to find the 10 ligands with the largest CASSCF first
KD gap among the bundled ones? Every strategy starts from the same 10 random ligands (per repeat), then adds
batches of 5:
- surrogate: the KD surrogate (gauss_core.surrogate) refitted on what is known so far, batch by expected
  improvement of the first gap with kriging believer and distance penalty (suggest_batch's rule);
- surrogate-mean: the same loop ranking by the predicted mean alone (pure exploitation, no uncertainty);
- point-charge: in decreasing crystal-field point-charge first gap (cf-pointcharge, assets/kd/kd_mapping.csv.gz);
- random: in random order.
The pool is the bundled set itself (the only ligands whose truth is known), so the numbers say how well the
ranking works within it, not on the 227k set.

    result = run(loaded)            # dict; section(result) -> markdown with docs/figures/surrogate_bench.png
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from gauss_core import columns, paths
from gauss_core.errors import GaussError
from gauss_core.chem import morgan_bits, scaffold_group
from gauss_core.surrogate.cv import CLASS_NAMES, knn_group_cv
from gauss_core.surrogate.features import casscf_training_rows, classes_of
from gauss_core.surrogate.gp import SurrogateConfig, fit_gp
from gauss_core.surrogate.model import fit_kd_surrogate, surrogate_features
from gauss_core.surrogate.suggest import SuggestConfig, acquisition, distance_penalty

FIGURE = "surrogate_bench.png"
STRATEGIES = ("surrogate", "surrogate-mean", "point-charge", "random")


def _surrogate_order(x: np.ndarray, z: np.ndarray, y1: np.ndarray, init: list[int], batch: int,
                     targets: set[int], config: SurrogateConfig, radius: float, exploit: bool = False) -> list[int]:
    """Picks (initial ones first) until every target is found, by suggest_batch's EI + kriging believer."""
    known = list(init)
    y = np.column_stack([y1])
    while not targets <= set(known) and len(known) < len(y1):
        fitted = fit_gp(x[known], y[known], config)
        best = float(y1[known].max())
        remaining = [i for i in range(len(y1)) if i not in set(known)]
        penalty = np.ones(len(remaining))
        for _ in range(min(batch, len(remaining))):
            m, s = fitted.predict(x[remaining], include_noise=False)
            score = m[:, 0] - m[:, 0].min() + 1e-9 if exploit else acquisition(m[:, 0], s[:, 0], None, best)
            j = int(np.argmax(score * penalty))
            row = remaining.pop(j)
            penalty = np.delete(penalty, j)
            if remaining:
                penalty *= distance_penalty(z[remaining], z[row], radius)
            known.append(row)
            best = max(best, float(m[j, 0]))
            fitted = fitted.refit_fixed(x[[row]], m[[j]])
    return known


def _runs_to_find(order: list[int], targets: set[int], n_init: int, batch: int) -> int:
    """CASSCF runs spent (whole batches) when the last target is found in `order`."""
    last = max(order.index(t) for t in targets) + 1
    return n_init + int(np.ceil(max(last - n_init, 0) / batch)) * batch


def run(loaded=None, n_repeats: int = 20, n_init: int = 10, batch: int = 5, top_k: int = 10, seed: int = 0,
        casscf_path: Path | None = None, mapping_path: Path | None = None,
        config: SurrogateConfig | None = None) -> dict:
    """Run the benchmark (and the full-data group-CV of the surrogate).

    Args:
        loaded: LoadedModel (default: the bundled checkpoint).
        n_repeats: random starts (seeds seed .. seed + n_repeats - 1).
        casscf_path, mapping_path: bundled CASSCF results and point-charge estimates (defaults: assets/kd).
        config: surrogate config inside the loop (default: no optimiser restarts, no CV: speed).
    Returns:
        dict with 'runs' {strategy: [runs per repeat]}, 'curves' {strategy: mean share of top-k found after
        each run count}, settings, 'cv' (SurrogateCV.as_dict() of the surrogate on all results), timings.
    """
    from gauss_core.jobs.labels import load_bundled_kd_results
    from gauss_core.latent import encode_smiles
    from gauss_core.model.checkpoint import load_checkpoint

    t0 = time.perf_counter()
    loaded = loaded or load_checkpoint(paths.DEFAULT_CHECKPOINT)
    rows = load_bundled_kd_results(casscf_path)
    full = fit_kd_surrogate(loaded, rows, SurrogateConfig())
    train = casscf_training_rows(rows)
    mapping = pd.read_csv(mapping_path or paths.KD_MAPPING_SET).drop_duplicates(columns.SMILES)
    cf = train[columns.SMILES].map(mapping.set_index(columns.SMILES)[columns.KD_GAP_COLUMNS[0]])
    train = train[cf.notna()].reset_index(drop=True)
    cf = cf.dropna().to_numpy()
    smiles = list(train[columns.SMILES])
    z = encode_smiles(loaded, smiles)
    x = surrogate_features(z, classes_of(smiles), True)
    y1 = train[columns.KD_GAP_COLUMNS[0]].to_numpy(dtype=float)
    if len(y1) < n_init + top_k:
        raise GaussError(f"{len(y1)} CASSCF results with a point-charge estimate in the KD mapping set; the "
                         f"benchmark needs at least {n_init + top_k} (bundled: assets/kd/casscf_results.csv.gz and "
                         "assets/kd/kd_mapping.csv.gz)")
    groups, cls = [scaffold_group(s) for s in smiles], classes_of(smiles)
    # the yardsticks of issue 13: how well the latent space alone, and a same-class fingerprint neighbour,
    # predict the CASSCF first gap (out of fold, scaffold groups)
    knn = {"latent": knn_group_cv(z, y1, groups, cls),
           "fingerprint": knn_group_cv(morgan_bits(smiles), y1, groups, cls, metric="jaccard", same_class=True)}
    by_gap = np.argsort(-y1)
    targets = set(by_gap[:top_k].tolist())
    target_classes = pd.Series(classes_of([smiles[i] for i in by_gap[:top_k]])).value_counts().to_dict()
    loop_config = config or replace(SurrogateConfig(), n_restarts=0, cv_folds=0)
    radius = SuggestConfig().diversity_radius
    runs: dict[str, list[int]] = {s: [] for s in STRATEGIES}
    found = {s: np.zeros((n_repeats, len(y1))) for s in STRATEGIES}
    for r in range(n_repeats):
        rng = np.random.default_rng(seed + r)
        init = rng.choice(len(y1), size=n_init, replace=False).tolist()
        rest = [i for i in range(len(y1)) if i not in set(init)]
        shuffled = rng.permutation(rest).tolist()
        orders = {"random": init + shuffled,
                  # ties in the point-charge value broken by the random order
                  "point-charge": init + sorted(shuffled, key=lambda i: -cf[i]),
                  "surrogate": _surrogate_order(x, z, y1, init, batch, targets, loop_config, radius),
                  "surrogate-mean": _surrogate_order(x, z, y1, init, batch, targets, loop_config, radius,
                                                     exploit=True)}
        for name, order in orders.items():
            runs[name].append(_runs_to_find(order, targets, n_init, batch))
            hits = np.cumsum([i in targets for i in order]) / top_k
            found[name][r, :len(hits)] = hits
            found[name][r, len(hits):] = hits[-1]
    return {"n_ligands": len(y1), "n_init": n_init, "batch": batch, "top_k": top_k, "n_repeats": n_repeats,
            "seed": seed, "runs": runs, "target_range": (float(y1[by_gap[top_k - 1]]), float(y1[by_gap[0]])),
            "next_below": float(y1[by_gap[top_k]]) if len(y1) > top_k else float("nan"),
            "target_classes": {int(k): int(v) for k, v in target_classes.items()},
            "curves": {s: found[s].mean(axis=0).tolist() for s in STRATEGIES},
            "cv": full.cv.as_dict() if full.cv else None, "surrogate_label": full.label, "knn": knn,
            "surrogate_fit_s": full.fit_seconds, "seconds": time.perf_counter() - t0}


def _figure(result: dict, out_dir: Path) -> Path:
    from gauss_core.evaluate.common import plt, save_figure

    pyplot = plt()
    fig, ax = pyplot.subplots(figsize=(6, 4))
    for name in STRATEGIES:
        curve = np.asarray(result["curves"][name]) * result["top_k"]
        median = np.median(result["runs"][name])
        ax.plot(np.arange(1, len(curve) + 1), curve, label=f"{name} (median {median:.0f} runs)")
    ax.axvline(result["n_init"], color="grey", lw=0.8, ls=":")
    ax.set_xlabel("CASSCF runs")
    ax.set_ylabel(f"top-{result['top_k']} first-gap ligands found (mean of {result['n_repeats']})")
    ax.legend(frameon=False)
    return save_figure(fig, out_dir / FIGURE,
                       f"bundled CASSCF set, n={result['n_ligands']}; start {result['n_init']} random, batches of "
                       f"{result['batch']}")


KNN_NAMES = {"latent": "GAUSS-II latent means (32-d, Euclidean), any class",
             "fingerprint": "Morgan fingerprint (r 2, 2048 bits, Tanimoto), same donor class only"}


def knn_section(knn: dict) -> str:
    """Markdown table of the out-of-fold kNN first-gap predictions (empty when none was computed)."""
    from gauss_core.evaluate.experiments.base import render

    rows = []
    for name, res in knn.items():
        if not res:
            continue
        per = res["per_class"]
        cells = " | ".join(f"{per[c]['r2']:.2f} / {per[c]['spearman']:.2f}" if c in per else "n/a"
                           for c in (1, 2, 3, 4))
        rows.append(f"| {KNN_NAMES.get(name, name)} | {res['k']} | {res['n']} | {res['r2']:.2f} / "
                    f"{res['spearman']:.2f} | {cells} |")
    if not rows:
        return ""
    n_folds = next(r["n_folds"] for r in knn.values() if r)
    return render("surrogate_knn", n_folds=n_folds, rows="\n".join(rows))


def section(result: dict, figure_dir: Path | None = None, figure_link: str | None = None) -> str:
    """Markdown of the measured benchmark and CV (templates/surrogate*.md), writing the figure to figure_dir
    (default docs/figures); figure_link is how the Markdown refers to it (default figures/<name>)."""
    from gauss_core.evaluate.experiments.base import render

    figure_dir = Path(figure_dir) if figure_dir else paths.REPO_ROOT / "docs" / "figures"
    _figure(result, figure_dir)
    rows = []
    for name in STRATEGIES:
        v = np.asarray(result["runs"][name])
        rows.append(f"| {name} | {np.median(v):.0f} | {v.mean():.1f} ± {v.std():.1f} | {v.min()}-{v.max()} |")
    last_seed = result["seed"] + result["n_repeats"] - 1
    classes = ", ".join(f"{CLASS_NAMES.get(c, c)} {n}" for c, n in sorted(result["target_classes"].items()))
    text = render("surrogate_bench", top_k=result["top_k"], n_ligands=result["n_ligands"],
                  n_repeats=result["n_repeats"], seed=result["seed"], last_seed=last_seed,
                  n_init=result["n_init"], batch=result["batch"], low=f"{result['target_range'][0]:.0f}",
                  high=f"{result['target_range'][1]:.0f}", next_below=f"{result['next_below']:.0f}",
                  classes=classes,
                  rows="\n".join(rows), figure=figure_link or f"figures/{FIGURE}")
    text += knn_section(result.get("knn") or {})
    cv = result.get("cv")
    if not cv:
        return text
    k = len(cv["mae"])
    per_class = "\n".join(f"| {c['name']} | {c['n']} | {c['mae_gap1']:.0f} | {c['spearman_gap1']:.2f} |"
                           for c in cv["per_class"].values())
    return text + render("surrogate_cv", label=result["surrogate_label"], grouping=cv["grouping"],
                         n_folds=cv["n_folds"], n_groups=cv["n_groups"], fit_s=f"{result['surrogate_fit_s']:.1f}",
                         gap_header=" | ".join(str(i + 1) for i in range(k)), gap_rule="|---" * (k + 1) + "|",
                         mae=" | ".join(f"{v:.0f}" for v in cv["mae"]),
                         spearman=" | ".join(f"{v:.2f}" for v in cv["spearman"]), per_class=per_class,
                         cover1=f"{cv['coverage_1sd']:.0%}", cover2=f"{cv['coverage_2sd']:.0%}")
