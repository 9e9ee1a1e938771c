"""Experiment 4 (Fig. 7): latent PCA coloured by the proxies and the first KD gap (evaluate/latent_maps.py)."""

from __future__ import annotations

from gauss_core import columns as C
from gauss_core.evaluate.common import provenance_text
from gauss_core.evaluate.experiments.base import ExperimentResult, Numbers, RunContext, md_table, render


def run(ctx: RunContext) -> ExperimentResult:
    from gauss_core.evaluate.latent_maps import build_map, map_figure, map_scores

    inputs = ctx.inputs
    lmap, props = build_map(inputs, ctx.config.latent)
    scores = map_scores(lmap, props, ctx.config.latent)
    scores.to_csv(ctx.data("latent_map_scores.csv"), index=False)
    fig = map_figure(lmap, props, scores, ctx.figure("fig7_latent_pca.png"), inputs.labels_provenance)
    kd_prov = provenance_text(props[C.KD_PROVENANCE].dropna())
    numbers = Numbers()
    for _, s in scores.iterrows():
        prov = kd_prov if s["property"] == C.KD_GAP_COLUMNS[0] else inputs.labels_provenance
        numbers.add("4 latent PCA", f"kNN R2 of {s['property']} from PCA(2) (n {int(s['n'])})",
                    float(s["knn_r2_pca2"]), "", None, prov)
        numbers.add("4 latent PCA", f"kNN R2 of {s['property']} from latent (32-d)", float(s["knn_r2_latent"]), "",
                    None, prov)
    return ExperimentResult(numbers.rows, {"n": len(lmap), "explained": lmap.explained_variance_ratio.sum(),
                                           "kd_provenance": kd_prov, "scores": scores, "figure": ctx.rel(fig)})


def section(result: ExperimentResult) -> str:
    d = result.data
    return render("latent_maps", n=d["n"], explained=f"{100 * d['explained']:.0f}", kd_provenance=d["kd_provenance"],
                  table=md_table(d["scores"]), figure=d["figure"])
