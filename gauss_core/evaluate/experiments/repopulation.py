"""Experiment 6 (Fig. 10): targeted repopulation around the best KD-labelled seeds (evaluate/repopulation.py)."""

from __future__ import annotations

import pandas as pd

from gauss_core import columns as C
from gauss_core.evaluate.common import provenance_text
from gauss_core.evaluate.experiments.base import ExperimentResult, Numbers, RunContext, md_table, render

SUMMARY_NUMBERS = ("mean_unique_per_seed", "mean_unique_vs_subset_per_seed", "n_generated_distinct", "subset_gap1_mean",
                   "seeds_gap1_mean", "generated_gap1_mean", "generated_above_subset_median_pct")


def run(ctx: RunContext) -> ExperimentResult:
    from gauss_core.evaluate.repopulation import repopulation_figure, repopulation_summary, run_repopulation

    result = run_repopulation(ctx.inputs, ctx.config.repopulation, ctx.log)
    for key, df in result.items():
        df.to_csv(ctx.data(f"repopulation_{key}.csv"), index=False)
    summary = repopulation_summary(result)
    prov = provenance_text(pd.concat([result["subset"][C.KD_PROVENANCE], result["estimated"][C.KD_PROVENANCE]]))
    fig = repopulation_figure(result, summary, ctx.figure("fig10_repopulation.png"), prov)
    numbers = Numbers()
    for key in SUMMARY_NUMBERS:
        numbers.add("6 repopulation", key, summary[key], "", None,
                    ("ESTIMATE: " + prov) if "gap1" in key else "RDKit, vs training set")
    return ExperimentResult(numbers.rows, {"summary": summary, "sigma": ctx.config.repopulation.sigma,
                                           "provenance": prov, "figure": ctx.rel(fig)})


def section(result: ExperimentResult) -> str:
    d = result.data
    s = d["summary"]
    table = md_table(pd.DataFrame([s]).T.reset_index().set_axis(["quantity", "value"], axis=1))
    return render("repopulation", n_subset=s["n_subset"], n_seeds=s["n_seeds"], sigma=d["sigma"],
                  attempts=s["attempts_per_seed"], n_estimated=s["n_estimated"], provenance=d["provenance"],
                  table=table, figure=d["figure"])
