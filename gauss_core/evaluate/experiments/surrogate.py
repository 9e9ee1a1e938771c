"""Issue 14 (the paper's thesis that a few CASSCF results map the latent space): the latent KD surrogate's
group-cross-validated accuracy and the retrospective `gauss suggest` benchmark (evaluate/surrogate_bench.py)."""

from __future__ import annotations

from gauss_core.evaluate.experiments.base import ExperimentResult, Numbers, RunContext

EXPERIMENT = "surrogate + suggest"


def run(ctx: RunContext) -> ExperimentResult:
    import numpy as np

    from gauss_core import provenance
    from gauss_core.evaluate import surrogate_bench as sb

    # 10 random starts, batches of 5, find the top 10 (surrogate_bench.run's defaults); repeats from the config
    result = sb.run(ctx.inputs.loaded, n_repeats=ctx.config.surrogate_repeats, casscf_path=ctx.config.casscf_set,
                    mapping_path=ctx.config.kd_mapping)
    numbers = Numbers()
    medians = {name: float(np.median(result["runs"][name])) for name in sb.STRATEGIES}
    for name, median in medians.items():
        numbers.add(EXPERIMENT, f"median CASSCF runs to find the top {result['top_k']}: {name}", median,
                    "< random" if name != "random" else "", median < medians["random"] if name != "random" else None,
                    "bundled CASSCF")
    cv = result.get("cv")
    if cv:
        numbers.add(EXPERIMENT, "surrogate group-CV first-gap MAE (cm-1)", cv["mae"][0], "", None,
                    provenance.SURROGATE_GP_LATENT)
        numbers.add(EXPERIMENT, "surrogate group-CV first-gap Spearman", cv["spearman"][0], "", None,
                    provenance.SURROGATE_GP_LATENT)
        for c in cv["per_class"].values():
            numbers.add(EXPERIMENT, f"surrogate group-CV first-gap Spearman, {c['name']}", c["spearman_gap1"], "",
                        None, provenance.SURROGATE_GP_LATENT)
    knn = (result.get("knn") or {}).get("latent")
    if knn:  # issue 13's yardstick: the latent space alone, out of fold
        numbers.add(EXPERIMENT, "kNN on the latent space, first-gap R2 (group-CV)", knn["r2"], ">= 0.7",
                    knn["r2"] >= 0.7, "bundled CASSCF")
        for c in knn["per_class"].values():
            numbers.add(EXPERIMENT, f"kNN on the latent space, first-gap R2 within {c['name']}", c["r2"], ">= 0.3",
                        c["r2"] >= 0.3, "bundled CASSCF")
    ctx.log(f"  median runs: {medians}")
    return ExperimentResult(numbers.rows, {"result": result, "fig_dir": ctx.config.fig_dir,
                                           "figure": ctx.rel(ctx.figure(sb.FIGURE))})


def section(result: ExperimentResult) -> str:
    from gauss_core.evaluate import surrogate_bench as sb

    d = result.data
    return sb.section(d["result"], d["fig_dir"], d["figure"])
