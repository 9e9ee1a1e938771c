"""Experiment 3 (Fig. 6c): proxy-head parity on held-out labelled ligands (evaluate/proxy_parity.py)."""

from __future__ import annotations

import math

import numpy as np

from gauss_core import columns as C
from gauss_core import provenance
from gauss_core.evaluate.common import EvalInputs
from gauss_core.evaluate.experiments.base import ExperimentResult, Numbers, RunContext, md_table, render


def run(ctx: RunContext) -> ExperimentResult:
    from gauss_core.evaluate.proxy_parity import CHARGE_R2_TARGET, parity_figure, parity_scores, parity_table

    inputs = ctx.inputs
    table = parity_table(inputs, ctx.config.parity)
    scores = parity_scores(table, inputs.loaded.label_names)
    table.to_csv(ctx.data("proxy_parity.csv"), index=False)
    scores.to_csv(ctx.data("proxy_parity_scores.csv"), index=False)
    fig = parity_figure(table, scores, ctx.figure("fig6c_proxy_parity.png"), inputs.labels_provenance)
    numbers = Numbers()
    for _, s in scores.iterrows():
        target = f">= {CHARGE_R2_TARGET}" if s["label"] == C.Q_DONOR else ""
        passed = bool(s["r2"] >= CHARGE_R2_TARGET) if s["label"] == C.Q_DONOR and not math.isnan(s["r2"]) else (
            False if s["label"] == C.Q_DONOR else None)
        numbers.add("3 proxy parity", f"R2 {s['label']} (held-out, n {int(s['n'])})", float(s["r2"]), target, passed,
                    f"labels {inputs.labels_provenance if s['label'] != C.DONOR_Z else 'ligand set'}")
    drift = label_drift(inputs)
    if drift:
        numbers.add("3 proxy parity", "label table differs from the checkpoint's training labels", "; ".join(drift),
                    "", None, "label means vs checkpoint label_mean/label_std")
    return ExperimentResult(numbers.rows, {"drift": drift, "n_encoded": len(table), "scores": scores,
                                           "labels_provenance": inputs.labels_provenance, "figure": ctx.rel(fig)})


def section(result: ExperimentResult) -> str:
    d = result.data
    warning = ("" if not d["drift"] else "**Warning: the label table differs from the labels this checkpoint was "
               f"trained on ({'; '.join(d['drift'])}): retrain or evaluate with the training labels.**\n\n")
    return render("parity", warning=warning, n_encoded=d["n_encoded"], labels=d["labels_provenance"],
                  predictions=provenance.describe(provenance.MODEL_PREDICTION), table=md_table(d["scores"]),
                  figure=d["figure"])


def label_drift(inputs: EvalInputs) -> list[str]:
    """Labels whose mean in the label table is more than one training std away from the checkpoint's training
    mean: the table was recomputed with another recipe since the model was trained (parity would then
    measure the change of recipe, not the model)."""
    if inputs.labels is None:
        return []
    out = []
    loaded = inputs.loaded
    for name, mean, std in zip(loaded.label_names, loaded.label_mean, loaded.label_std, strict=False):
        if name == C.DONOR_Z or name not in inputs.labels.columns or (mean == 0.0 and std == 1.0):
            continue  # (0, 1) = the trainer's placeholder for a label that had no labelled rows
        m = float(inputs.labels[name].mean())
        if np.isfinite(m) and std > 0 and abs(m - mean) > std:
            out.append(f"{name}: table mean {m:.3g}, training mean {mean:.3g} (std {std:.3g})")
    return out
