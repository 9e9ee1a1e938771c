"""Experiment 3b (Fig. 6b): proxy-head R2 against the number of labelled ligands (evaluate/learning_curve.py)."""

from __future__ import annotations

from gauss_core import columns as C
from gauss_core.evaluate.experiments.base import ExperimentResult, Numbers, RunContext, md_table, render


def run(ctx: RunContext) -> ExperimentResult:
    from gauss_core.evaluate.learning_curve import PROPERTY_MONITORS, label_curve
    from gauss_core.evaluate.learning_curve_figures import label_curve_figure

    inputs, lc = ctx.inputs, ctx.config.learning
    curve = label_curve(inputs, lc, log=ctx.log)
    curve.to_csv(ctx.data("label_learning_curve.csv"), index=False)
    if not len(curve):
        return ExperimentResult([], {"curve": curve})
    budget = lc.budget_text(lc.label_max_batches, PROPERTY_MONITORS)
    fig = label_curve_figure(curve, ctx.figure("fig6b_r2_vs_labelled.png"), budget)
    numbers = Numbers()
    for _, r in curve.iterrows():
        numbers.add("3 proxy parity", f"R2 q_donor_e, {int(r['n_labelled'])} labelled "
                    f"(small model, {int(r['batches'])} batches, stop: {r['stop']})",
                    float(r.get(f"r2_{C.Q_DONOR}", float("nan"))), "", None, f"labels {inputs.labels_provenance}")
    return ExperimentResult(numbers.rows, {"curve": curve, "budget": budget, "train_size": lc.label_train_size,
                                           "n_val": lc.n_val, "labels_provenance": inputs.labels_provenance,
                                           "figure": ctx.rel(fig)})


def section(result: ExperimentResult) -> str:
    d = result.data
    curve = d["curve"]
    if not len(curve):
        return render("label_curve_empty")
    cols = ["n_train", "n_labelled", "batches_cap", "batches_trained", "batches", "stop", "n_test"] + \
        [c for c in curve.columns if c.startswith("r2_")] + ["cpu_seconds"]
    return render("label_curve", train_size=d["train_size"], labels=d["labels_provenance"], budget=d["budget"],
                  n_val=d["n_val"], n_test=int(curve["n_test"].iloc[0]),
                  cpu_min=f"{curve['cpu_seconds'].sum() / 60:.1f}", table=md_table(curve, cols), figure=d["figure"])
