"""`gauss evaluate`: run the paper's six experiments on a checkpoint and write docs/evaluation.md.

Outputs (paths in ReportConfig): the Markdown report, PNG figures (figures/), the numbers table
(evaluation_numbers.csv and .json: experiment, metric, value, target, passed, provenance) and each
experiment's raw table (evaluation_data/*.csv). An experiment that cannot run (e.g. no KD mapping set
yet) is reported as skipped with the reason; the others still run.
"""

from __future__ import annotations

import json
import math
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gauss_core import columns as C
from gauss_core import paths, provenance
from gauss_core.errors import GaussError
from gauss_core.evaluate.common import EvalInputs, is_estimate, kd_labelled, provenance_text
from gauss_core.evaluate.fidelity import PAPER_SCORE, PHYSICAL_GAP1_MAX_CM1, FidelityConfig
from gauss_core.evaluate.latent_maps import LatentMapConfig
from gauss_core.evaluate.learning_curve import LearningCurveConfig
from gauss_core.evaluate.proxy_parity import CHARGE_R2_TARGET, ParityConfig
from gauss_core.evaluate.repopulation import RepopulationConfig
from gauss_core.evaluate.sweep_exp import SweepExpConfig

EXPERIMENTS = ("learning_curve", "sweep", "parity", "latent_maps", "fidelity", "repopulation")
RECON_TARGET = 0.90
NUMBER_COLUMNS = ("experiment", "metric", "value", "target", "passed", "provenance")


@dataclass
class ReportConfig:
    """Where inputs come from, where outputs go, and each experiment's settings."""

    checkpoint: Path = field(default_factory=lambda: paths.DEFAULT_CHECKPOINT)
    ligands: Path = field(default_factory=lambda: paths.LIGAND_SET)
    labels: Path | None = field(default_factory=lambda: paths.PROXY_LABELS)
    kd_mapping: Path | None = field(default_factory=lambda: paths.KD_MAPPING_SET)
    queue_db: Path | None = None           # None = GAUSS_HOME/queue.db; CASSCF results are read from it
    read_queue: bool = True
    out_md: Path = field(default_factory=lambda: paths.REPO_ROOT / "docs" / "evaluation.md")
    experiments: tuple[str, ...] = EXPERIMENTS
    learning: LearningCurveConfig = field(default_factory=LearningCurveConfig)
    sweep: SweepExpConfig = field(default_factory=SweepExpConfig)
    parity: ParityConfig = field(default_factory=ParityConfig)
    latent: LatentMapConfig = field(default_factory=LatentMapConfig)
    fidelity: FidelityConfig = field(default_factory=FidelityConfig)
    repopulation: RepopulationConfig = field(default_factory=RepopulationConfig)
    quick: bool = False

    @classmethod
    def quick_config(cls, **kw) -> "ReportConfig":
        return cls(learning=LearningCurveConfig.quick(), sweep=SweepExpConfig.quick(), parity=ParityConfig.quick(),
                   latent=LatentMapConfig.quick(), fidelity=FidelityConfig.quick(),
                   repopulation=RepopulationConfig.quick(), quick=True, **kw)

    @property
    def fig_dir(self) -> Path:
        return Path(self.out_md).parent / "figures"

    @property
    def data_dir(self) -> Path:
        return Path(self.out_md).parent / "evaluation_data"

    @property
    def numbers_csv(self) -> Path:
        return Path(self.out_md).parent / "evaluation_numbers.csv"


def casscf_results(config: ReportConfig) -> pd.DataFrame | None:
    """KD labels of finished CASSCF jobs in the queue (gauss_core.jobs.merge_kd_results), or None."""
    if not config.read_queue:
        return None
    try:
        from gauss_core.jobs import JobStore, merge_kd_results

        db = config.queue_db or (paths.gauss_home() / "queue.db")
        if not Path(db).exists():
            return None
        return merge_kd_results(JobStore(db))
    except GaussError:
        return None


def load_inputs(config: ReportConfig, log: Callable[[str], None] = print) -> EvalInputs:
    """Checkpoint, ligand set, proxy labels, KD mapping (+ CASSCF from the queue) and novelty reference."""
    from gauss_core.evaluate.kd_mapping import load_kd_mapping, with_casscf
    from gauss_core.ligands import load_ligand_set
    from gauss_core.model.checkpoint import load_checkpoint
    from gauss_core.sampling import training_reference
    from gauss_core.train import read_label_tables

    loaded = load_checkpoint(config.checkpoint)
    ligands = load_ligand_set(config.ligands)
    labels, tag = None, "none"
    if config.labels is not None and Path(config.labels).exists():
        labels = read_label_tables([config.labels])
        raw = pd.read_csv(config.labels, usecols=lambda c: c == C.PROVENANCE)
        tag = ", ".join(sorted(set(raw[C.PROVENANCE].dropna().astype(str)))) if len(raw.columns) else "unknown"
    kd = None
    if config.kd_mapping is not None and Path(config.kd_mapping).exists():
        kd = load_kd_mapping(config.kd_mapping)
    cas = casscf_results(config)
    if kd is not None or (cas is not None and len(cas)):
        base = kd if kd is not None else pd.DataFrame(columns=[C.SMILES, *C.KD_GAP_COLUMNS, C.KD_PROVENANCE])
        kd = with_casscf(base, cas)
        if C.LIGAND_CLASS in ligands.columns:
            cls = ligands.drop_duplicates(C.SMILES).set_index(C.SMILES)[C.LIGAND_CLASS]
            kd[C.LIGAND_CLASS] = kd[C.SMILES].map(cls)
    log(f"checkpoint {config.checkpoint} ({len(loaded.train_smiles)} training ligands, {len(loaded.test_smiles)} held out); "
        f"{len(ligands)} ligands; labels: {0 if labels is None else len(labels)} ({tag}); KD-labelled: "
        f"{0 if kd is None else len(kd_labelled(kd))}")
    return EvalInputs(loaded=loaded, ligands=ligands, labels=labels, labels_provenance=tag, kd=kd,
                      reference=training_reference(loaded, ligands))


class Numbers:
    """The numbers table, filled experiment by experiment."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, experiment: str, metric: str, value, target: str = "", passed=None, prov: str = "") -> None:
        if isinstance(value, (np.floating, np.integer)):
            value = value.item()
        self.rows.append({"experiment": experiment, "metric": metric, "value": value, "target": target,
                          "passed": passed, "provenance": prov})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=list(NUMBER_COLUMNS))


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        if math.isnan(v):
            return "n/a"
        return f"{v:.3f}" if abs(v) < 100 else f"{v:.0f}"
    return str(v)


def _md_table(df: pd.DataFrame, cols: list[str] | None = None) -> str:
    cols = cols or list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        lines.append("| " + " | ".join(_fmt(r[c]) for c in cols) + " |")
    return "\n".join(lines)


def run_report(config: ReportConfig, log: Callable[[str], None] = print) -> dict:
    """Run the selected experiments and write the report, figures and numbers.

    Returns:
        {"numbers": DataFrame, "sections": {experiment: markdown}, "skipped": {experiment: reason}, "md": path}.
    """
    t_all = time.perf_counter()
    inputs = load_inputs(config, log)
    config.fig_dir.mkdir(parents=True, exist_ok=True)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    numbers = Numbers()
    sections: dict[str, str] = {}
    skipped: dict[str, str] = {}
    runners = {"learning_curve": _exp_learning, "sweep": _exp_sweep, "parity": _exp_parity,
               "latent_maps": _exp_latent, "fidelity": _exp_fidelity, "repopulation": _exp_repopulation}
    for name in config.experiments:
        if name not in runners:
            raise GaussError(f"unknown experiment {name!r}; choose from {', '.join(EXPERIMENTS)}")
        log(f"[{name}]")
        t0 = time.perf_counter()
        try:
            sections[name] = runners[name](inputs, config, numbers, log)
        except GaussError as exc:
            skipped[name] = str(exc)
            log(f"  skipped: {exc}")
        except Exception as exc:  # one broken experiment must not lose the others' results
            skipped[name] = f"{type(exc).__name__}: {exc}"
            log(f"  failed: {traceback.format_exc(limit=3)}")
        log(f"  ({time.perf_counter() - t0:.0f} s)")
        _write(config, inputs, numbers, sections, skipped, t_all)  # after each experiment: a kill loses little
    sections["casscf"] = _casscf_section(inputs, numbers)
    frame = _write(config, inputs, numbers, sections, skipped, t_all)
    log(f"wrote {config.out_md}, {config.numbers_csv} and figures in {config.fig_dir}")
    return {"numbers": frame, "sections": sections, "skipped": skipped, "md": Path(config.out_md)}


def _write(config: ReportConfig, inputs: EvalInputs, numbers: Numbers, sections: dict, skipped: dict,
           t_all: float) -> pd.DataFrame:
    """Write the numbers (CSV + JSON) and the Markdown report as they stand."""
    frame = numbers.frame()
    frame.to_csv(config.numbers_csv, index=False)
    config.numbers_csv.with_suffix(".json").write_text(json.dumps(
        json.loads(frame.to_json(orient="records")), indent=1))
    md = _markdown(config, inputs, frame, sections, skipped, time.perf_counter() - t_all)
    Path(config.out_md).write_text(md)
    return frame


def _rel(config: ReportConfig, path: Path) -> str:
    return str(Path(path).relative_to(Path(config.out_md).parent))


# ----------------------------------------------------------------------------------------- experiments

def _exp_learning(inputs: EvalInputs, config: ReportConfig, numbers: Numbers, log) -> str:
    from gauss_core.evaluate.learning_curve import reconstruction_curve, reconstruction_figure

    curve = reconstruction_curve(inputs, config.learning, log=log)
    curve.to_csv(config.data_dir / "learning_curve.csv", index=False)
    fig = reconstruction_figure(curve, config.fig_dir / "fig2b_learning_curve.png", RECON_TARGET)
    full = curve[curve["model"] == "evaluated checkpoint"].iloc[-1]
    from gauss_core.evaluate.learning_curve import evaluate_checkpoint, fixed_test_set

    whole = fixed_test_set(inputs, 10 ** 9, config.learning.seed)  # the checkpoint's whole held-out split
    m_all = evaluate_checkpoint(inputs, whole) if whole else {"recon_exact": float("nan")}
    acc = float(m_all["recon_exact"])
    numbers.add("1 learning curve", f"recon_exact (evaluated checkpoint, its whole test split, n {len(whole)})", acc,
                f">= {RECON_TARGET}", bool(acc >= RECON_TARGET), "gauss2 greedy decode vs input, canonical kekulised SMILES")
    numbers.add("1 learning curve", f"recon_exact (evaluated checkpoint, fixed test subset, n {int(full['n_test'])})",
                float(full["recon_exact"]), "", None, "same test subset as the small models")
    for _, r in curve[curve["model"] != "evaluated checkpoint"].iterrows():
        numbers.add("1 learning curve", f"recon_exact, n_train {int(r['n_train'])} ({int(r['epochs'])} epochs)",
                    float(r["recon_exact"]), "", None, "small model, real trainer")
    cols = ["model", "n_train", "n_labelled", "epochs", "n_test", "recon_exact", "recon_token", "seconds"]
    return (f"Fixed test set: {int(full['n_test'])} ligands of the checkpoint's held-out split. Small models: the "
            f"project's trainer with an equal budget of about {config.learning.steps_per_model} batches of "
            f"{config.learning.batch_size} each (epochs column; at most {config.learning.max_epochs}; the paper trains "
            f"to convergence, so these points are lower bounds), same vocabulary.\n\n{_md_table(curve, cols)}\n\n![learning curve]({_rel(config, fig)})\n")


def _exp_sweep(inputs: EvalInputs, config: ReportConfig, numbers: Numbers, log) -> str:
    from gauss_core.evaluate.sweep_exp import run_sweep, sweep_png, sweep_shape

    seed, table = run_sweep(inputs, config.sweep)
    table.to_csv(config.data_dir / "sigma_sweep.csv", index=False)
    fig = sweep_png(table, seed, config.fig_dir / "fig2c_sigma_sweep.png")
    shape = sweep_shape(table)
    numbers.add("2 sigma sweep", "validity at sigma min (%)", shape["validity_at_min_sigma_pct"], "~100", None, "RDKit")
    numbers.add("2 sigma sweep", "validity at sigma max (%)", shape["validity_at_max_sigma_pct"], "~0", None, "RDKit")
    numbers.add("2 sigma sweep", "uniqueness peak sigma", shape["uniqueness_peak_sigma"], "~0.3", None, "")
    numbers.add("2 sigma sweep", "paper's shape (validity falls from sigma 0, novelty 0 at sigma 0, unique peak "
                "in 0.05-0.7)", shape["ok"], "True", shape["ok"], "")
    numbers.add("2 sigma sweep", "accumulated unique", int(table["cumulative_unique"].iloc[-1]), "", None, "")
    log(f"  seed {seed}: shape ok = {shape['ok']}")
    cols = ["sigma", "attempts", "validity_pct", "novelty_pct", "uniqueness_pct", "cumulative_novel",
            "cumulative_unique", "seconds"]
    return (f"One random seed from the training set: `{seed}`; {config.sweep.batches} batches of "
            f"{config.sweep.batch_size} per sigma. Novel = canonical kekulised SMILES not in the model's training "
            f"set; unique = distinct novel molecules within the sigma step.\n\n{_md_table(table, cols)}\n\n"
            f"Shape check: {json.dumps(shape)}\n\n![sigma sweep]({_rel(config, fig)})\n")


def _exp_parity(inputs: EvalInputs, config: ReportConfig, numbers: Numbers, log) -> str:
    from gauss_core.evaluate.learning_curve import label_curve, label_curve_figure
    from gauss_core.evaluate.proxy_parity import parity_figure, parity_scores, parity_table

    table = parity_table(inputs, config.parity)
    scores = parity_scores(table, inputs.loaded.label_names)
    table.to_csv(config.data_dir / "proxy_parity.csv", index=False)
    scores.to_csv(config.data_dir / "proxy_parity_scores.csv", index=False)
    fig = parity_figure(table, scores, config.fig_dir / "fig6c_proxy_parity.png", inputs.labels_provenance)
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
    text = ("" if not drift else "**Warning: the label table differs from the labels this checkpoint was trained on "
            f"({'; '.join(drift)}): retrain or evaluate with the training labels.**\n\n")
    text += (f"Held-out labelled ligands: labelled, not in the model's training split ({len(table)} encoded). Labels: "
            f"{inputs.labels_provenance}; predictions: {provenance.describe(provenance.MODEL_PREDICTION)}.\n\n"
            f"{_md_table(scores)}\n\n![parity]({_rel(config, fig)})\n")
    curve = label_curve(inputs, config.learning, log=log)
    curve.to_csv(config.data_dir / "label_learning_curve.csv", index=False)
    if len(curve):
        fig2 = label_curve_figure(curve, config.fig_dir / "fig6b_r2_vs_labelled.png")
        for _, r in curve.iterrows():
            numbers.add("3 proxy parity", f"R2 q_donor_e, {int(r['n_labelled'])} labelled (small model)",
                        float(r.get(f"r2_{C.Q_DONOR}", float("nan"))), "", None, f"labels {inputs.labels_provenance}")
        cols = ["n_train", "n_labelled", "epochs", "n_test"] + [c for c in curve.columns if c.startswith("r2_")]
        text += (f"\nR² against the number of labelled training ligands (training size fixed at "
                 f"{config.learning.label_train_size}, about {config.learning.steps_per_model} batches, tested on the held-out "
                 f"labelled ligands):\n\n{_md_table(curve, cols)}\n\n![R2 learning curve]({_rel(config, fig2)})\n")
    else:
        text += "\nR² learning curve: not enough labelled ligands outside the held-out set.\n"
    return text


def label_drift(inputs: EvalInputs) -> list[str]:
    """Labels whose mean in the label table is more than one training std away from the checkpoint's training
    mean: the table was recomputed with another recipe since the model was trained (parity would then
    measure the change of recipe, not the model)."""
    if inputs.labels is None:
        return []
    out = []
    for name, mean, std in zip(inputs.loaded.label_names, inputs.loaded.label_mean, inputs.loaded.label_std):
        if name == C.DONOR_Z or name not in inputs.labels.columns or (mean == 0.0 and std == 1.0):
            continue  # (0, 1) = the trainer's placeholder for a label that had no labelled rows
        m = float(inputs.labels[name].mean())
        if np.isfinite(m) and std > 0 and abs(m - mean) > std:
            out.append(f"{name}: table mean {m:.3g}, training mean {mean:.3g} (std {std:.3g})")
    return out


def _exp_latent(inputs: EvalInputs, config: ReportConfig, numbers: Numbers, log) -> str:
    from gauss_core.evaluate.latent_maps import build_map, map_figure, map_scores

    lmap, props = build_map(inputs, config.latent)
    scores = map_scores(lmap, props, config.latent)
    scores.to_csv(config.data_dir / "latent_map_scores.csv", index=False)
    fig = map_figure(lmap, props, scores, config.fig_dir / "fig7_latent_pca.png", inputs.labels_provenance)
    kd_prov = provenance_text(props[C.KD_PROVENANCE].dropna())
    for _, s in scores.iterrows():
        prov = kd_prov if s["property"] == C.KD_GAP_COLUMNS[0] else inputs.labels_provenance
        numbers.add("4 latent PCA", f"kNN R2 of {s['property']} from PCA(2) (n {int(s['n'])})",
                    float(s["knn_r2_pca2"]), "", None, prov)
        numbers.add("4 latent PCA", f"kNN R2 of {s['property']} from latent (32-d)", float(s["knn_r2_latent"]), "",
                    None, prov)
    return (f"PCA of {len(lmap)} latent means (explained variance {100 * lmap.explained_variance_ratio.sum():.0f}%). "
            f"First-gap colouring: {kd_prov}.\n\n{_md_table(scores)}\n\n![latent PCA]({_rel(config, fig)})\n")


def _exp_fidelity(inputs: EvalInputs, config: ReportConfig, numbers: Numbers, log) -> str:
    from gauss_core.evaluate.fidelity import fidelity_figure, fidelity_scores, run_fidelity

    seeds, samples = run_fidelity(inputs, config.fidelity, log)
    seeds.to_csv(config.data_dir / "fidelity_seeds.csv", index=False)
    samples.to_csv(config.data_dir / "fidelity_samples.csv", index=False)
    scores = fidelity_scores(samples)
    fig = fidelity_figure(samples, scores, config.fig_dir / "fig8_seed_to_sample.png")
    prov = provenance_text(samples[C.KD_PROVENANCE].dropna()) + f" (mode {config.fidelity.kd_mode}); seeds: " + \
        provenance_text(seeds["seed_kd_provenance"])
    s = scores["score_gap1"]
    numbers.add("5 seed-to-sample", "R2-like score, first KD gap", s, f">= {PAPER_SCORE}",
                bool(s >= PAPER_SCORE) if not math.isnan(s) else False, "ESTIMATE: " + prov)
    numbers.add("5 seed-to-sample", f"R2-like score, first KD gap, without {scores.get('n_unphysical', 0)} estimate(s) "
                f"above {PHYSICAL_GAP1_MAX_CM1:.0f} cm-1", scores.get("score_gap1_physical", float("nan")), "", None,
                "ESTIMATE: " + prov)
    numbers.add("5 seed-to-sample", "R2-like score, last KD gap", scores["score_gap7"], "", None, "ESTIMATE: " + prov)
    numbers.add("5 seed-to-sample", "seed/sample pairs", scores["n_pairs"], "", None, "")
    per_bin = samples.dropna(subset=[C.KD_GAP_COLUMNS[0]]).groupby("kd_bin").agg(
        seeds=("seed_smiles", "nunique"), samples=(C.SMILES, "count"), seed_gap1=("seed_gap1_cm1", "mean"),
        sample_gap1=(C.KD_GAP_COLUMNS[0], "mean")).reset_index() if len(samples) else pd.DataFrame()
    return (f"{len(seeds)} seeds over {config.fidelity.n_bins} bins of the first gap, {config.fidelity.samples_per_seed} "
            f"novel unique samples per seed (sigma from {config.fidelity.sigma_start}, +{config.fidelity.sigma_step} per "
            f"round of {config.fidelity.attempts_per_round} attempts). **KD values are crystal-field estimates, not "
            f"CASSCF** ({prov}). Score = 1 - sum (E_sample - E_seed)^2 / sum (E_sample - mean E_sample)^2.\n\n"
            f"Scores: {json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in scores.items()})}\n\n"
            + (_md_table(per_bin) if len(per_bin) else "") + f"\n\n![fidelity]({_rel(config, fig)})\n")


def _exp_repopulation(inputs: EvalInputs, config: ReportConfig, numbers: Numbers, log) -> str:
    from gauss_core.evaluate.repopulation import repopulation_figure, repopulation_summary, run_repopulation

    result = run_repopulation(inputs, config.repopulation, log)
    for key, df in result.items():
        df.to_csv(config.data_dir / f"repopulation_{key}.csv", index=False)
    summary = repopulation_summary(result)
    prov = provenance_text(pd.concat([result["subset"][C.KD_PROVENANCE], result["estimated"][C.KD_PROVENANCE]]))
    fig = repopulation_figure(result, summary, config.fig_dir / "fig10_repopulation.png", prov)
    for key in ("mean_unique_per_seed", "mean_unique_vs_subset_per_seed", "n_generated_distinct", "subset_gap1_mean",
                "seeds_gap1_mean", "generated_gap1_mean", "generated_above_subset_median_pct"):
        numbers.add("6 repopulation", key, summary[key], "", None,
                    ("ESTIMATE: " + prov) if "gap1" in key else "RDKit, vs training set")
    return (f"Random {summary['n_subset']} KD-labelled ligands, top {summary['n_seeds']} as seeds, sigma "
            f"{config.repopulation.sigma}, {summary['attempts_per_seed']} attempts per seed; "
            f"{summary['n_estimated']} new ligands KD-estimated. **KD values: {prov} (estimates unless tagged casscf)**."
            f"\n\n{_md_table(pd.DataFrame([summary]).T.reset_index().set_axis(['quantity', 'value'], axis=1))}\n\n"
            f"![repopulation]({_rel(config, fig)})\n")


def _casscf_section(inputs: EvalInputs, numbers: Numbers) -> str:
    """How many CASSCF results the queue has, and how well the estimate ranks them (Spearman)."""
    kd = kd_labelled(inputs.kd)
    if len(kd) == 0 or C.KD_PROVENANCE not in kd:
        numbers.add("KD mapping", "CASSCF results in the queue", 0, ">= 100", False, "")
        return "No KD mapping set and no CASSCF results yet.\n"
    cas = kd[kd[C.KD_PROVENANCE].map(lambda t: provenance.is_casscf(str(t)))]
    n_est = int((~kd[C.KD_PROVENANCE].map(lambda t: provenance.is_casscf(str(t)))).sum())
    per_class = kd[C.LIGAND_CLASS].value_counts().sort_index().to_dict() if C.LIGAND_CLASS in kd else {}
    numbers.add("KD mapping", "ligands with a KD estimate", n_est, ">= 2000", n_est >= 2000,
                provenance_text(kd.loc[~kd[C.KD_PROVENANCE].map(lambda t: provenance.is_casscf(str(t))), C.KD_PROVENANCE]))
    numbers.add("KD mapping", "ligands with CASSCF (queue)", int(len(cas)), ">= 100", len(cas) >= 100,
                provenance_text(cas[C.KD_PROVENANCE]))
    text = (f"KD-labelled ligands: {len(kd)} ({provenance_text(kd[C.KD_PROVENANCE])}); per class: {per_class}.\n"
            f"Estimate modes: {kd.get(C.KD_MODE, pd.Series(dtype=str)).dropna().value_counts().to_dict()}.\n")
    both = cas.dropna(subset=[f"est_{C.KD_GAP_COLUMNS[0]}"]) if f"est_{C.KD_GAP_COLUMNS[0]}" in cas else cas.iloc[:0]
    if len(both) >= 3:
        from scipy.stats import spearmanr

        rho = float(spearmanr(both[f"est_{C.KD_GAP_COLUMNS[0]}"], both[C.KD_GAP_COLUMNS[0]]).correlation)
        numbers.add("KD mapping", f"Spearman rank correlation estimate vs CASSCF, gap1 (n {len(both)})", rho, "", None,
                    "cf-pointcharge vs " + provenance_text(both[C.KD_PROVENANCE]))
        text += f"\nThe estimate ranks the {len(both)} CASSCF first gaps with Spearman rho = {rho:.2f}.\n"
    else:
        text += (f"\n{len(cas)} CASSCF results in the queue so far: too few to say how well the estimate ranks them "
                 "(queue a stratified 100 with `gauss kdmap casscf --n 100`, run `gauss worker`).\n")
    return text


def _markdown(config: ReportConfig, inputs: EvalInputs, numbers: pd.DataFrame, sections: dict, skipped: dict,
              seconds: float) -> str:
    titles = {"learning_curve": "1. Learning curve: reconstruction accuracy vs training-set size (Fig. 2b)",
              "sweep": "2. σ sweep from one random seed (Fig. 2c)",
              "parity": "3. Proxy-head parity and R² learning curve (Fig. 6b, c)",
              "latent_maps": "4. Latent PCA coloured by the proxies and the first KD gap (Fig. 7)",
              "fidelity": "5. Seed-to-sample fidelity (Fig. 8)",
              "repopulation": "6. Targeted repopulation (Fig. 10)",
              "casscf": "KD mapping set and CASSCF results"}
    targets = numbers[numbers["target"].astype(str) != ""]
    est_note = ("" if inputs.kd is None or not is_estimate(kd_labelled(inputs.kd)[C.KD_PROVENANCE])
                else "\n**KD numbers in this report are crystal-field estimates (provenance `cf-pointcharge`) unless a "
                     "row says CASSCF; an estimate is never CASSCF.**\n")
    lines = [
        "# GAUSS-II evaluation: the paper's experiments on the bundled model", "",
        f"Written by `gauss evaluate{' --quick' if config.quick else ''}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        f"in {seconds / 60:.1f} min. Checkpoint: `{config.checkpoint}` (epoch {inputs.loaded.epoch}, "
        f"{len(inputs.loaded.train_smiles)} training ligands). Ligand set: `{config.ligands}`. Proxy labels: "
        f"{inputs.labels_provenance}. Numbers: `{config.numbers_csv.name}` (+ .json); raw tables: "
        f"`{config.data_dir.name}/`.", est_note,
        "## Targets", "", _md_table(targets, ["experiment", "metric", "value", "target", "passed", "provenance"]), "",
    ]
    if config.quick:
        lines += ["_Quick mode: tiny settings for tests; these numbers say nothing about the model's quality._", ""]
    for key in (*EXPERIMENTS, "casscf"):
        if key in sections:
            lines += [f"## {titles[key]}", "", sections[key], ""]
        elif key in skipped:
            lines += [f"## {titles[key]}", "", f"Skipped: {skipped[key]}", ""]
    lines += ["## All numbers", "", _md_table(numbers), ""]
    return "\n".join(lines)
