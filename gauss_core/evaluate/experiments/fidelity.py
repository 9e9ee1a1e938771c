"""Experiment 5 (Fig. 8): seed-to-sample fidelity of the first KD gap (evaluate/fidelity.py, fidelity_scores.py)."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pandas as pd

from gauss_core import columns as C
from gauss_core.evaluate.experiments.base import ExperimentResult, Numbers, RunContext, fmt, md_table, render
from gauss_core.evaluate.fidelity import FAILURE_FLAGS, MAX_TOTAL_SPLITTING_CM1, PAPER_SCORE, FidelityConfig

HEAD = ("| estimator | provenance | score gap1 | score gap7 | Pearson r gap1 | Spearman gap1 | pairs | seeds | "
        "samples excluded (reasons) | score gap1, no exclusion (pairs) |\n|" + "---|" * 10)


def run(ctx: RunContext) -> ExperimentResult:
    from gauss_core.evaluate.fidelity import run_fidelity
    from gauss_core.evaluate.fidelity_scores import (fidelity_figure, per_bin_table, scores_by_estimator,
                                                     within_class_table)

    fc = replace(ctx.config.fidelity, calibration=ctx.config.kd_calibration)
    seeds, samples, summary = run_fidelity(ctx.inputs, fc, ctx.log)
    seeds.to_csv(ctx.data("fidelity_seeds.csv"), index=False)
    samples.to_csv(ctx.data("fidelity_samples.csv"), index=False)
    scores = scores_by_estimator(samples, summary["estimators"])
    pd.DataFrame([{"estimator": t, **{k: (json.dumps(v) if isinstance(v, dict) else v) for k, v in sc.items()}}
                  for t, sc in scores.items()]).to_csv(ctx.data("fidelity_scores.csv"), index=False)
    fig = fidelity_figure(samples, scores, ctx.figure("fig8_seed_to_sample.png"))
    numbers = Numbers()
    for tag, sc in scores.items():
        prov = f"ESTIMATE ({tag}) for seeds and samples: {summary['estimators'].get(tag, tag)}"
        s = sc["score_gap1"]
        numbers.add("5 seed-to-sample", f"R2-like score, first KD gap [{tag}] ({sc['n_pairs']} pairs)", s,
                    f">= {PAPER_SCORE}", bool(s >= PAPER_SCORE) if not math.isnan(s) else False, prov)
        numbers.add("5 seed-to-sample", f"R2-like score, last KD gap [{tag}]", sc["score_gap7"], "", None, prov)
        numbers.add("5 seed-to-sample", f"Pearson r, first KD gap sample vs seed [{tag}]", sc["pearson_gap1"], "",
                    None, prov)
        numbers.add("5 seed-to-sample", f"R2-like score, first KD gap, every estimated pair, no exclusion [{tag}] "
                    f"({sc['n_pairs_all']} pairs)", sc["score_gap1_all"], "", None, prov)
        numbers.add("5 seed-to-sample", f"samples excluded by the rules [{tag}]", sc["n_excluded_samples"], "", None,
                    _reasons(sc))
    n_seeds = int(seeds.loc[seeds["accepted"].astype(bool), C.SMILES].nunique()) if len(seeds) else 0
    n_replaced = int(seeds.loc[~seeds["accepted"].astype(bool), C.SMILES].nunique()) if len(seeds) else 0
    by_class = within_class_table(samples)
    by_class.to_csv(ctx.data("fidelity_within_class.csv"), index=False)
    for r in by_class.dropna(subset=["score_gap1"]).itertuples(index=False):
        numbers.add("5 seed-to-sample", f"R2-like score, first KD gap, within seed class {r.seed_class} "
                    f"[{r.estimator}] ({r.pairs} pairs)", r.score_gap1, "", None,
                    f"ESTIMATE ({r.estimator}); pairs whose seed is class {r.seed_class}")
    return ExperimentResult(numbers.rows, {"config": fc, "summary": summary, "scores": scores, "n_seeds": n_seeds,
                                           "n_replaced": n_replaced, "per_bin": per_bin_table(samples),
                                           "by_class": by_class, "figure": ctx.rel(fig)})


def _reasons(sc: dict) -> str:
    return "; ".join(f"{k}: {v}" for k, v in sc["excluded_reasons"].items()) or "none"


def section(result: ExperimentResult) -> str:
    d = result.data
    fc, summary, by_class, per_bin = d["config"], d["summary"], d["by_class"], d["per_bin"]
    lines = [f"| {tag} | {summary['estimators'].get(tag, tag)} | {fmt(sc['score_gap1'])} | {fmt(sc['score_gap7'])} | "
             f"{fmt(sc['pearson_gap1'])} | {fmt(sc['spearman_gap1'])} | {sc['n_pairs']} | {sc['n_seeds']} | "
             f"{sc['n_excluded_samples']} ({_reasons(sc)}) | {fmt(sc['score_gap1_all'])} ({sc['n_pairs_all']}) |"
             for tag, sc in d["scores"].items()]
    class_text = "" if not len(by_class) else render("fidelity_within_class", table=md_table(by_class)).rstrip("\n")
    notes = "".join(f"\n\n**Note on {tag}:** {'; '.join(n)} (its numbers are an extrapolation; `--kd-mode relaxed` "
                    f"gives the geometries it was fitted on)." for tag, n in summary["estimator_notes"].items() if n)
    return render("fidelity", n_seeds=d["n_seeds"], n_bins=fc.n_bins, n_replaced=d["n_replaced"],
                  samples_per_seed=fc.samples_per_seed, sigma_start=fc.sigma_start, sigma_step=fc.sigma_step,
                  attempts=fc.attempts_per_round, sigma_max=fc.sigma_max, seconds=f"{summary['seconds']:.0f}",
                  protocol=protocol(fc, summary), notes=notes, head=HEAD, lines="\n".join(lines),
                  per_bin=md_table(per_bin) if len(per_bin) else "", class_text=class_text, figure=d["figure"])


def protocol(config: FidelityConfig, summary: dict) -> str:
    """The rules as run, with the mapping set's exclusions and the bin edges."""
    lo, hi = summary.get("bin_percentiles", config.bin_percentiles)
    return render("fidelity_protocol", flags=", ".join(FAILURE_FLAGS), max_split=f"{MAX_TOTAL_SPLITTING_CM1:.0f}",
                  n_bins=config.n_bins, lo=f"{lo:g}", hi=f"{hi:g}",
                  edges=", ".join(f"{e:.0f}" for e in summary.get("bin_edges", [])),
                  n_set=summary.get("n_set", 0), n_set_excluded=summary.get("n_set_excluded", 0),
                  set_reasons="; ".join(f"{k}: {v}" for k, v in summary.get("set_excluded_reasons", {}).items())
                  or "none", seeds_per_bin=config.seeds_per_bin,
                  max_candidates=config.max_candidates_per_seed).rstrip("\n")
