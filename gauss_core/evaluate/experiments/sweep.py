"""Experiment 2 (Fig. 2c): sigma sweep from one random seed (evaluate/sweep_exp.py)."""

from __future__ import annotations

import json

from gauss_core.evaluate.experiments.base import ExperimentResult, Numbers, RunContext, md_table, render

COLUMNS = ["sigma", "attempts", "validity_pct", "novelty_pct", "uniqueness_pct", "cumulative_novel",
           "cumulative_unique", "seconds"]


def run(ctx: RunContext) -> ExperimentResult:
    from gauss_core.evaluate.sweep_exp import run_sweep, sweep_png, sweep_shape

    sc = ctx.config.sweep
    seed, table = run_sweep(ctx.inputs, sc)
    table.to_csv(ctx.data("sigma_sweep.csv"), index=False)
    fig = sweep_png(table, seed, ctx.figure("fig2c_sigma_sweep.png"))
    shape = sweep_shape(table)
    numbers = Numbers()
    numbers.add("2 sigma sweep", "validity at sigma min (%)", shape["validity_at_min_sigma_pct"], "~100", None, "RDKit")
    numbers.add("2 sigma sweep", "validity at sigma max (%)", shape["validity_at_max_sigma_pct"], "~0", None, "RDKit")
    numbers.add("2 sigma sweep", "uniqueness peak sigma", shape["uniqueness_peak_sigma"], "~0.3", None, "")
    numbers.add("2 sigma sweep", "paper's shape (validity falls from sigma 0, novelty 0 at sigma 0, unique peak "
                "in 0.05-0.7)", shape["ok"], "True", shape["ok"], "")
    numbers.add("2 sigma sweep", "accumulated unique", int(table["cumulative_unique"].iloc[-1]), "", None, "")
    ctx.log(f"  seed {seed}: shape ok = {shape['ok']}")
    return ExperimentResult(numbers.rows, {"seed": seed, "table": table, "shape": shape, "batches": sc.batches,
                                           "batch_size": sc.batch_size, "figure": ctx.rel(fig)})


def section(result: ExperimentResult) -> str:
    d = result.data
    return render("sweep", seed=d["seed"], batches=d["batches"], batch_size=d["batch_size"],
                  table=md_table(d["table"], COLUMNS), shape=json.dumps(d["shape"]), figure=d["figure"])
