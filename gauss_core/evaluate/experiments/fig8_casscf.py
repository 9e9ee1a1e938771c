"""Issue 13.5 (Fig. 8 with CASSCF, reduced): the seed-to-sample score with CASSCF gaps beside the estimates' on the
same pairs, read from docs/fig8_casscf.csv (scripts/fig8_casscf.py --collect). Never runs CASSCF: without the file
or with too few finished pairs the section is skipped with the reason and the commands to run."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from gauss_core.errors import GaussError
from gauss_core.evaluate.experiments.base import ExperimentResult, Numbers, RunContext, fmt, md_table, render

EXPERIMENT = "5b seed-to-sample, CASSCF"
SEED_SOURCES = {"casscf": "the project's CASSCF results, binned on their CASSCF first gap (seed values reused)",
                "estimate": "the KD mapping set's estimate bins (as section 5)"}


def read_pairs(path: Path | None) -> tuple[Path, pd.DataFrame]:
    """The pair table, or GaussError (the section's skip reason) when there is none."""
    from gauss_core.evaluate.casscf_fidelity import COMMAND, read_table

    if path is None or not Path(path).exists():
        raise GaussError(f"no Fig. 8 CASSCF results ({path or 'no file given'}); make them with {COMMAND}")
    return Path(path), read_table(Path(path))


def run(ctx: RunContext) -> ExperimentResult:
    from gauss_core import provenance
    from gauss_core.evaluate.casscf_fidelity import CASSCF, COMMAND, MIN_PAIRS
    from gauss_core.evaluate.casscf_fidelity_scores import casscf_figure, enough_pairs, paired_scores, progress
    from gauss_core.evaluate.fidelity import PAPER_SCORE

    path, pairs = read_pairs(ctx.config.fig8_casscf)
    per_bin, totals = progress(pairs)
    if not enough_pairs(totals):
        raise GaussError(f"{path.name}: CASSCF done for {totals['done']} / {totals['planned']} planned ligands, "
                         f"{totals['pairs_scored']} / {totals['pairs_planned']} seed-sample pairs scored (at least "
                         f"{MIN_PAIRS} needed); run the queued jobs and collect: {COMMAND}")
    scores = paired_scores(pairs)
    fig = casscf_figure(pairs, scores, ctx.figure("fig8_casscf.png"))
    numbers = Numbers()
    for tag, sc in scores.items():
        s = sc["score_gap1"]
        is_cas = provenance.is_casscf(tag)
        prov = (f"CASSCF ({tag}) for seeds and samples, {path.name}" if is_cas else
                f"ESTIMATE ({tag}) on the same seeds and samples as CASSCF, {path.name}")
        numbers.add(EXPERIMENT, f"R2-like score, first KD gap [{tag}] ({sc['n_pairs']} pairs, {sc['n_seeds']} seeds)",
                    s, f">= {PAPER_SCORE}" if is_cas else "", (not math.isnan(s) and s >= PAPER_SCORE) if is_cas
                    else None, prov)
    numbers.add(EXPERIMENT, "planned ligands with a CASSCF result", f"{totals['done']} / {totals['planned']}", "", None,
                CASSCF)
    sources = "; ".join(SEED_SOURCES.get(s, s) for s in sorted(set(pairs["seed_source"].astype(str))))
    return ExperimentResult(numbers.rows, {"scores": scores, "per_bin": per_bin, "totals": totals, "file": path.name,
                                           "seed_source": sources,
                                           "sigma": ", ".join(f"{s:g}" for s in sorted(set(pairs["sigma"].dropna()))),
                                           "figure": ctx.rel(fig)})


def section(result: ExperimentResult) -> str:
    from gauss_core import provenance

    d = result.data
    lines = [f"| {tag} | {'CASSCF' if provenance.is_casscf(tag) else 'ESTIMATE'} | {fmt(sc['score_gap1'])} | "
             f"{fmt(sc['score_gap7'])} | {fmt(sc['spearman_gap1'])} | {sc['n_pairs']} | {sc['n_seeds']} | "
             f"{sc['n_excluded_samples']} |" for tag, sc in d["scores"].items()]
    t = d["totals"]
    return render("fig8_casscf", file=d["file"], done=t["done"], planned=t["planned"], pairs=t["pairs_scored"],
                  pairs_planned=t["pairs_planned"], seed_source=d["seed_source"], sigma=d["sigma"],
                  lines="\n".join(lines), per_bin=md_table(d["per_bin"]), figure=d["figure"])
