"""The report document of `gauss evaluate`: header (templates/report_head.md), the sections in report order
(each experiment's own Markdown), skipped ones with their reason, and the numbers tables."""

from __future__ import annotations

import time

import pandas as pd

from gauss_core import columns as C
from gauss_core.evaluate.common import EvalInputs, is_estimate, kd_labelled
from gauss_core.evaluate.experiments import SECTIONS
from gauss_core.evaluate.experiments.base import md_table, render
from gauss_core.evaluate.report_config import ReportConfig

TITLES = {"learning_curve": "1. Learning curve: reconstruction accuracy vs training-set size (Fig. 2b)",
          "sweep": "2. σ sweep from one random seed (Fig. 2c)",
          "parity": "3. Proxy-head parity (Fig. 6c)",
          "label_curve": "3b. Proxy-head R² learning curve (Fig. 6b)",
          "latent_maps": "4. Latent PCA coloured by the proxies and the first KD gap (Fig. 7)",
          "fidelity": "5. Seed-to-sample fidelity (Fig. 8)",
          "fig8_casscf": "5b. Seed-to-sample fidelity with CASSCF (Fig. 8, reduced scale)",
          "repopulation": "6. Targeted repopulation (Fig. 10)",
          "surrogate": "7. Latent KD surrogate and suggesting the next CASSCF jobs",
          "setup_truth": "8. Geometry and CASSCF setup against the project's own references (issue 13)",
          "casscf": "KD mapping set and CASSCF results"}


def report_markdown(config: ReportConfig, inputs: EvalInputs, numbers: pd.DataFrame, sections: dict, skipped: dict,
                    seconds: float) -> str:
    """The whole report: `sections` as stored ({name: {"markdown", "numbers", "run"}}), `skipped` {name: reason}."""
    targets = numbers[numbers["target"].astype(str) != ""]
    est_note = ("" if inputs.kd is None or not is_estimate(kd_labelled(inputs.kd)[C.KD_PROVENANCE])
                else "\n**KD numbers in this report are crystal-field estimates (provenance `cf-pointcharge`) unless a "
                     "row says CASSCF; an estimate is never CASSCF.**\n")
    runs = sorted({(v["run"]["when"], v["run"]["only"]) for v in sections.values()})
    joined = "" if len(runs) <= 1 else (
        f" The report joins the sections of {len(runs)} runs of `gauss evaluate` on this checkpoint, kept with "
        f"`--update` (a section's run is named under its heading); this run: `--only {','.join(config.experiments)}`.")
    head = render("report_head", quick=" --quick" if config.quick else "",
                  when=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), minutes=f"{seconds / 60:.1f}",
                  checkpoint=config.checkpoint, epoch=inputs.loaded.epoch, n_train=len(inputs.loaded.train_smiles),
                  ligands=config.ligands, labels=inputs.labels_provenance, numbers_file=config.numbers_csv.name,
                  data_dir=config.data_dir.name, joined=joined, estimate_note=est_note,
                  targets=md_table(targets, ["experiment", "metric", "value", "target", "passed", "provenance"]))
    lines: list[str] = []
    if config.quick:
        lines += ["_Quick mode: tiny settings for tests; these numbers say nothing about the model's quality._", ""]
    for key in SECTIONS:
        if key in sections:
            run = sections[key]["run"]
            took = f"; this section took {run['minutes']} min" if run.get("minutes") is not None else ""
            origin = f"_From the run of {run['when']} (`--only {run['only']}`{took})._\n\n" if len(runs) > 1 else ""
            lines += [f"## {TITLES[key]}", "", origin + sections[key]["markdown"], ""]
        elif key in skipped:
            lines += [f"## {TITLES[key]}", "", f"Skipped: {skipped[key]}", ""]
    lines += ["## All numbers", "", md_table(numbers), ""]
    return head + "\n" + "\n".join(lines)
