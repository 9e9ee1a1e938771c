"""Experiment 1 (Fig. 2b): reconstruction accuracy against training-set size (evaluate/learning_curve.py)."""

from __future__ import annotations

from gauss_core.evaluate.experiments.base import ExperimentResult, Numbers, RunContext, md_table, render

RECON_TARGET = 0.90
COLUMNS = ["model", "n_train", "n_labelled", "batches_cap", "batches_trained", "batches", "epochs", "stop", "n_test",
           "recon_exact", "recon_token", "seconds", "cpu_seconds"]


def run(ctx: RunContext) -> ExperimentResult:
    from gauss_core.evaluate.learning_curve import evaluate_checkpoint, fixed_test_set, reconstruction_curve
    from gauss_core.evaluate.learning_curve_figures import reconstruction_figure

    inputs, lc = ctx.inputs, ctx.config.learning
    curve = reconstruction_curve(inputs, lc, log=ctx.log)
    curve.to_csv(ctx.data("learning_curve.csv"), index=False)
    fig = reconstruction_figure(curve, ctx.figure("fig2b_learning_curve.png"), RECON_TARGET,
                                lc.budget_text(lc.max_batches))
    full = curve[curve["model"] == "evaluated checkpoint"].iloc[-1]
    whole = fixed_test_set(inputs, 10 ** 9, lc.seed)  # the checkpoint's whole held-out split
    m_all = evaluate_checkpoint(inputs, whole) if whole else {"recon_exact": float("nan")}
    acc = float(m_all["recon_exact"])
    numbers = Numbers()
    numbers.add("1 learning curve", f"recon_exact (evaluated checkpoint, its whole test split, n {len(whole)})", acc,
                f">= {RECON_TARGET}", bool(acc >= RECON_TARGET),
                "gauss2 greedy decode vs input, canonical kekulised SMILES")
    numbers.add("1 learning curve", f"recon_exact (evaluated checkpoint, fixed test subset, n {int(full['n_test'])})",
                float(full["recon_exact"]), "", None, "same test subset as the small models")
    for _, r in curve[curve["model"] != "evaluated checkpoint"].iterrows():
        numbers.add("1 learning curve", f"recon_exact, n_train {int(r['n_train'])} ({int(r['batches'])} batches, "
                    f"stop: {r['stop']})", float(r["recon_exact"]), "", None, "small model, real trainer")
    spent = curve.loc[curve["model"] != "evaluated checkpoint", "cpu_seconds"].sum()
    return ExperimentResult(numbers.rows, {"curve": curve, "n_test": int(full["n_test"]),
                                           "budget": lc.budget_text(lc.max_batches), "n_val": lc.n_val,
                                           "cpu_seconds": spent, "figure": ctx.rel(fig)})


def section(result: ExperimentResult) -> str:
    d = result.data
    return render("learning_curve", n_test=d["n_test"], budget=d["budget"], n_val=d["n_val"],
                  cpu_min=f"{d['cpu_seconds'] / 60:.1f}", table=md_table(d["curve"], COLUMNS), figure=d["figure"])
