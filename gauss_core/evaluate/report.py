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
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from gauss_core.atomic import atomic_write_json
from gauss_core import columns as C
from gauss_core import paths, provenance
from gauss_core.errors import GaussError
from gauss_core.evaluate import EXPERIMENTS
from gauss_core.evaluate.common import EvalInputs, is_estimate, kd_labelled, provenance_text
from gauss_core.evaluate.fidelity import PAPER_SCORE, FidelityConfig
from gauss_core.evaluate.latent_maps import LatentMapConfig
from gauss_core.evaluate.learning_curve import LearningCurveConfig
from gauss_core.evaluate.proxy_parity import CHARGE_R2_TARGET, ParityConfig
from gauss_core.evaluate.repopulation import RepopulationConfig
from gauss_core.evaluate.sweep_exp import SweepExpConfig

RECON_TARGET = 0.90
NUMBER_COLUMNS = ("experiment", "metric", "value", "target", "passed", "provenance")


@dataclass(frozen=True)
class ReportConfig:
    """Where inputs come from, where outputs go, and each experiment's settings."""

    checkpoint: Path = field(default_factory=lambda: paths.DEFAULT_CHECKPOINT)
    ligands: Path = field(default_factory=lambda: paths.LIGAND_SET)
    labels: Path | None = field(default_factory=lambda: paths.PROXY_LABELS)
    kd_mapping: Path | None = field(default_factory=lambda: paths.KD_MAPPING_SET)
    queue_db: Path | None = None           # None = GAUSS_HOME/queue.db; CASSCF results are read from it
    read_queue: bool = True
    casscf_set: Path | None = field(default_factory=lambda: paths.KD_CASSCF_SET)   # bundled CASSCF results
    kd_calibration: Path | None = field(default_factory=lambda: paths.KD_CALIBRATION)  # calibrated estimate
    out_md: Path = field(default_factory=lambda: paths.REPO_ROOT / "docs" / "evaluation.md")
    experiments: tuple[str, ...] = EXPERIMENTS
    learning: LearningCurveConfig = field(default_factory=LearningCurveConfig)
    sweep: SweepExpConfig = field(default_factory=SweepExpConfig)
    parity: ParityConfig = field(default_factory=ParityConfig)
    latent: LatentMapConfig = field(default_factory=LatentMapConfig)
    fidelity: FidelityConfig = field(default_factory=FidelityConfig)
    repopulation: RepopulationConfig = field(default_factory=RepopulationConfig)
    quick: bool = False
    # keep the sections (and their numbers) of earlier runs stored beside the report; replace only those run now
    update: bool = False

    @classmethod
    def quick_config(cls, **kw) -> ReportConfig:
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

    @property
    def sections_json(self) -> Path:
        """Each section's Markdown, numbers and run (when, how long, which --only), for --update."""
        return self.data_dir / "sections.json"


def casscf_results(config: ReportConfig) -> pd.DataFrame | None:
    """CASSCF KD results: the bundled file (config.casscf_set) plus the finished jobs of the live queue (the queue
    wins for a ligand in both; gauss_core.jobs.all_kd_results). Column `casscf_source` names the file, the queue
    or both. None when
    neither has any; only rows with a CASSCF provenance tag are kept.

    Raises:
        DataFormatError: the bundled file is unreadable or lacks the label columns.
    """
    from gauss_core.jobs import JobStore, all_kd_results
    from gauss_core.jobs.labels import SOURCE_COLUMN

    store = None
    if config.read_queue:
        db = config.queue_db or (paths.gauss_home() / "queue.db")
        try:
            store = JobStore(db) if Path(db).exists() else None
        except GaussError:
            store = None
    bundled = Path(config.casscf_set) if config.casscf_set is not None else None
    if bundled is not None and not bundled.exists():
        bundled = None
    if store is None and bundled is None:
        return None
    table = all_kd_results(store, bundled, include_bundled=bundled is not None)
    if len(table) == 0:
        return None
    is_cas = table[C.KD_PROVENANCE].map(lambda t: provenance.is_casscf(str(t))).astype(bool)
    table = table.loc[is_cas].dropna(subset=[C.KD_GAP_COLUMNS[0]]).reset_index(drop=True)
    queue_name = Path(config.queue_db or paths.gauss_home() / "queue.db").name
    names = {"bundled": f"bundled ({bundled.name})" if bundled is not None else "", "queue": f"queue ({queue_name})"}
    table["casscf_source"] = [" + ".join(names[part] for part in str(src).split(" + "))
                              for src in table.pop(SOURCE_COLUMN)]
    return table if len(table) else None


def load_inputs(config: ReportConfig, log: Callable[[str], None] = print) -> EvalInputs:
    """Checkpoint, ligand set, proxy labels, KD mapping (+ CASSCF from the queue) and novelty reference."""
    from gauss_core.kd.kd_mapping import load_kd_mapping, with_casscf
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
    if cas is not None and C.LIGAND_CLASS in ligands.columns:
        cas[C.LIGAND_CLASS] = cas[C.SMILES].map(ligands.drop_duplicates(C.SMILES).set_index(C.SMILES)[C.LIGAND_CLASS])
    log(f"checkpoint {config.checkpoint} ({len(loaded.train_smiles)} training ligands, "
        f"{len(loaded.test_smiles)} held out); "
        f"{len(ligands)} ligands; labels: {0 if labels is None else len(labels)} ({tag}); KD-labelled: "
        f"{0 if kd is None else len(kd_labelled(kd))}; CASSCF: {0 if cas is None else len(cas)} "
        f"({'none' if cas is None else cas['casscf_source'].value_counts().to_dict()})")
    return EvalInputs(loaded=loaded, ligands=ligands, labels=labels, labels_provenance=tag, kd=kd,
                      reference=training_reference(loaded, ligands), casscf=cas)


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
    earlier = load_stored_sections(config, inputs) if config.update else {}
    run = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "only": ",".join(config.experiments)}
    runners = {"learning_curve": _exp_learning, "sweep": _exp_sweep, "parity": _exp_parity,
               "label_curve": _exp_label_curve, "latent_maps": _exp_latent, "fidelity": _exp_fidelity,
               "repopulation": _exp_repopulation}
    for name in config.experiments:
        if name not in runners:
            raise GaussError(f"unknown experiment {name!r}; choose from {', '.join(EXPERIMENTS)}")
        log(f"[{name}]")
        t0 = time.perf_counter()
        n0 = len(numbers.rows)
        try:
            sections[name] = runners[name](inputs, config, numbers, log)
        except GaussError as exc:
            skipped[name] = str(exc)
            log(f"  skipped: {exc}")
        except Exception as exc:  # one broken experiment must not lose the others' results
            skipped[name] = f"{type(exc).__name__}: {exc}"
            log(f"  failed: {traceback.format_exc(limit=3)}")
        earlier = _merge_section(earlier, name, sections.get(name), numbers.rows[n0:],
                                 {**run, "minutes": round((time.perf_counter() - t0) / 60, 1)})
        _write(config, inputs, earlier, skipped, t_all)  # after each experiment: a kill loses little
        _store_sections(config, inputs, earlier)
    n0 = len(numbers.rows)
    t0 = time.perf_counter()
    text = _casscf_section(inputs, config, numbers)
    earlier = _merge_section(earlier, "casscf", text, numbers.rows[n0:],
                             {**run, "minutes": round((time.perf_counter() - t0) / 60, 1)})
    frame = _write(config, inputs, earlier, skipped, t_all)
    _store_sections(config, inputs, earlier)
    log(f"wrote {config.out_md}, {config.numbers_csv} and figures in {config.fig_dir}")
    return {"numbers": frame, "sections": {k: v["markdown"] for k, v in earlier.items()}, "skipped": skipped,
            "md": Path(config.out_md)}


def _merge_section(stored: dict, name: str, markdown: str | None, rows: list[dict], run: dict) -> dict:
    """stored with `name` replaced by this run's section (a skipped experiment keeps its earlier section)."""
    if markdown is None:
        return stored
    return {**stored, name: {"markdown": markdown, "numbers": rows, "run": run}}


def _ordered(stored: dict) -> list[str]:
    return [k for k in (*EXPERIMENTS, "casscf") if k in stored]


def load_stored_sections(config: ReportConfig, inputs: EvalInputs) -> dict:
    """Sections of earlier runs stored beside the report ({} when none).

    Raises:
        GaussError: they were written for another checkpoint (their numbers would describe another model).
    """
    path = config.sections_json
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise GaussError(f"{path} is not readable JSON ({exc}): delete it and run gauss evaluate "
                         "without --update") from None
    if data.get("train_hash") != inputs.loaded.train_hash or data.get("epoch") != inputs.loaded.epoch:
        raise GaussError(f"the report's stored sections ({path}) belong to another checkpoint (epoch "
                         f"{data.get('epoch')}, training set {str(data.get('train_hash'))[:12]}): run gauss evaluate "
                         "without --update to rewrite the whole report for this one")
    return {k: v for k, v in data.get("sections", {}).items() if k in (*EXPERIMENTS, "casscf")}


def _store_sections(config: ReportConfig, inputs: EvalInputs, stored: dict) -> None:
    data = {"checkpoint": str(config.checkpoint), "epoch": inputs.loaded.epoch,
            "train_hash": inputs.loaded.train_hash, "sections": stored}
    atomic_write_json(config.sections_json, data, indent=1, default=str)


def _write(config: ReportConfig, inputs: EvalInputs, stored: dict, skipped: dict, t_all: float) -> pd.DataFrame:
    """Write the numbers (CSV + JSON) and the Markdown report as they stand."""
    frame = pd.DataFrame([row for k in _ordered(stored) for row in stored[k]["numbers"]], columns=list(NUMBER_COLUMNS))
    frame.to_csv(config.numbers_csv, index=False)
    config.numbers_csv.with_suffix(".json").write_text(json.dumps(
        json.loads(frame.to_json(orient="records")), indent=1))
    md = _markdown(config, inputs, frame, stored, skipped, time.perf_counter() - t_all)
    Path(config.out_md).write_text(md)
    return frame


def _rel(config: ReportConfig, path: Path) -> str:
    return str(Path(path).relative_to(Path(config.out_md).parent))


# ----------------------------------------------------------------------------------------- experiments

def _exp_learning(inputs: EvalInputs, config: ReportConfig, numbers: Numbers, log) -> str:
    from gauss_core.evaluate.learning_curve import reconstruction_curve, reconstruction_figure

    curve = reconstruction_curve(inputs, config.learning, log=log)
    curve.to_csv(config.data_dir / "learning_curve.csv", index=False)
    fig = reconstruction_figure(curve, config.fig_dir / "fig2b_learning_curve.png", RECON_TARGET,
                                config.learning.budget_text(config.learning.max_batches))
    full = curve[curve["model"] == "evaluated checkpoint"].iloc[-1]
    from gauss_core.evaluate.learning_curve import evaluate_checkpoint, fixed_test_set

    whole = fixed_test_set(inputs, 10 ** 9, config.learning.seed)  # the checkpoint's whole held-out split
    m_all = evaluate_checkpoint(inputs, whole) if whole else {"recon_exact": float("nan")}
    acc = float(m_all["recon_exact"])
    numbers.add("1 learning curve", f"recon_exact (evaluated checkpoint, its whole test split, n {len(whole)})", acc,
                f">= {RECON_TARGET}", bool(acc >= RECON_TARGET),
                "gauss2 greedy decode vs input, canonical kekulised SMILES")
    numbers.add("1 learning curve", f"recon_exact (evaluated checkpoint, fixed test subset, n {int(full['n_test'])})",
                float(full["recon_exact"]), "", None, "same test subset as the small models")
    for _, r in curve[curve["model"] != "evaluated checkpoint"].iterrows():
        numbers.add("1 learning curve", f"recon_exact, n_train {int(r['n_train'])} ({int(r['batches'])} batches, "
                    f"stop: {r['stop']})", float(r["recon_exact"]), "", None, "small model, real trainer")
    cols = ["model", "n_train", "n_labelled", "batches_cap", "batches_trained", "batches", "epochs", "stop", "n_test",
            "recon_exact", "recon_token", "seconds", "cpu_seconds"]
    lc = config.learning
    spent = curve.loc[curve["model"] != "evaluated checkpoint", "cpu_seconds"].sum()
    return (f"Fixed test set: {int(full['n_test'])} ligands of the checkpoint's held-out split. Small models: the "
            f"project's trainer, same vocabulary, nested random training subsets, each trained "
            f"{lc.budget_text(lc.max_batches)} (validation: {lc.n_val} other held-out ligands). Columns: batches_cap = "
            f"the budget, batches_trained = what was run, batches/epochs = the reported check, stop = why training "
            f"ended (a point stopped by the cap is a lower bound; the paper trains to convergence). The small models "
            f"took {spent / 60:.1f} CPU min in all; the evaluated checkpoint's point is the bundled model."
            f"\n\n{_md_table(curve, cols)}\n\n![learning curve]({_rel(config, fig)})\n")


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
    return text


def _exp_label_curve(inputs: EvalInputs, config: ReportConfig, numbers: Numbers, log) -> str:
    from gauss_core.evaluate.learning_curve import PROPERTY_MONITORS, label_curve, label_curve_figure

    lc = config.learning
    curve = label_curve(inputs, lc, log=log)
    curve.to_csv(config.data_dir / "label_learning_curve.csv", index=False)
    if not len(curve):
        return "R² learning curve: not enough labelled ligands outside the held-out set.\n"
    budget = lc.budget_text(lc.label_max_batches, PROPERTY_MONITORS)
    fig = label_curve_figure(curve, config.fig_dir / "fig6b_r2_vs_labelled.png", budget)
    for _, r in curve.iterrows():
        numbers.add("3 proxy parity", f"R2 q_donor_e, {int(r['n_labelled'])} labelled "
                    f"(small model, {int(r['batches'])} batches, stop: {r['stop']})",
                    float(r.get(f"r2_{C.Q_DONOR}", float("nan"))), "", None, f"labels {inputs.labels_provenance}")
    cols = ["n_train", "n_labelled", "batches_cap", "batches_trained", "batches", "stop", "n_test"] + \
        [c for c in curve.columns if c.startswith("r2_")] + ["cpu_seconds"]
    return (f"R² against the number of labelled training ligands: training size fixed at {lc.label_train_size}, of "
            f"which n_labelled carry their proxy labels ({inputs.labels_provenance}); each model trained {budget} "
            f"(validation: {lc.n_val} labelled ligands outside every training set); tested on "
            f"{int(curve['n_test'].iloc[0])} held-out labelled ligands. {curve['cpu_seconds'].sum() / 60:.1f} CPU min "
            f"in all.\n\n{_md_table(curve, cols)}\n\n![R2 learning curve]({_rel(config, fig)})\n")


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
    from gauss_core.evaluate.fidelity import (fidelity_figure, per_bin_table, protocol_markdown, run_fidelity,
                                              scores_by_estimator, within_class_table)

    fc = replace(config.fidelity, calibration=config.kd_calibration)
    seeds, samples, summary = run_fidelity(inputs, fc, log)
    seeds.to_csv(config.data_dir / "fidelity_seeds.csv", index=False)
    samples.to_csv(config.data_dir / "fidelity_samples.csv", index=False)
    scores = scores_by_estimator(samples, summary["estimators"])
    pd.DataFrame([{"estimator": t, **{k: (json.dumps(v) if isinstance(v, dict) else v) for k, v in sc.items()}}
                  for t, sc in scores.items()]).to_csv(config.data_dir / "fidelity_scores.csv", index=False)
    fig = fidelity_figure(samples, scores, config.fig_dir / "fig8_seed_to_sample.png")
    lines = []
    for tag, sc in scores.items():
        prov = f"ESTIMATE ({tag}) for seeds and samples: {summary['estimators'].get(tag, tag)}"
        s = sc["score_gap1"]
        numbers.add("5 seed-to-sample", f"R2-like score, first KD gap [{tag}] ({sc['n_pairs']} pairs)", s,
                    f">= {PAPER_SCORE}", bool(s >= PAPER_SCORE) if not math.isnan(s) else False, prov)
        numbers.add("5 seed-to-sample", f"R2-like score, last KD gap [{tag}]", sc["score_gap7"], "", None, prov)
        numbers.add("5 seed-to-sample", f"Pearson r, first KD gap sample vs seed [{tag}]", sc["pearson_gap1"], "",
                    None, prov)
        numbers.add("5 seed-to-sample", f"R2-like score, first KD gap, every estimated pair, no exclusion [{tag}] "
                    f"({sc['n_pairs_all']} pairs)", sc["score_gap1_all"], "", None, prov)
        reasons = "; ".join(f"{k}: {v}" for k, v in sc["excluded_reasons"].items()) or "none"
        numbers.add("5 seed-to-sample", f"samples excluded by the rules [{tag}]", sc["n_excluded_samples"], "", None,
                    reasons)
        lines.append(f"| {tag} | {summary['estimators'].get(tag, tag)} | {_fmt(s)} | {_fmt(sc['score_gap7'])} | "
                     f"{_fmt(sc['pearson_gap1'])} | {_fmt(sc['spearman_gap1'])} | {sc['n_pairs']} | {sc['n_seeds']} | "
                     f"{sc['n_excluded_samples']} ({reasons}) | {_fmt(sc['score_gap1_all'])} ({sc['n_pairs_all']}) |")
    n_seeds = int(seeds.loc[seeds["accepted"].astype(bool), C.SMILES].nunique()) if len(seeds) else 0
    n_replaced = int(seeds.loc[~seeds["accepted"].astype(bool), C.SMILES].nunique()) if len(seeds) else 0
    head = ("| estimator | provenance | score gap1 | score gap7 | Pearson r gap1 | Spearman gap1 | pairs | seeds | "
            "samples excluded (reasons) | score gap1, no exclusion (pairs) |\n|" + "---|" * 10)
    per_bin = per_bin_table(samples)
    by_class = within_class_table(samples)
    by_class.to_csv(config.data_dir / "fidelity_within_class.csv", index=False)
    for r in by_class.dropna(subset=["score_gap1"]).itertuples(index=False):
        numbers.add("5 seed-to-sample", f"R2-like score, first KD gap, within seed class {r.seed_class} "
                    f"[{r.estimator}] ({r.pairs} pairs)", r.score_gap1, "", None,
                    f"ESTIMATE ({r.estimator}); pairs whose seed is class {r.seed_class}")
    class_text = ("" if not len(by_class) else
                  "\n\nWithin each seed's donor class (the classes sit at different gap levels, so the pooled score "
                  "partly rewards samples for keeping their seed's class; these rows are the harder test; "
                  "same_class_pct = samples in their seed's class):\n\n" + _md_table(by_class))
    notes = "".join(f"\n\n**Note on {tag}:** {'; '.join(n)} (its numbers are an extrapolation; `--kd-mode relaxed` "
                    f"gives the geometries it was fitted on)." for tag, n in summary["estimator_notes"].items() if n)
    return (f"{n_seeds} seeds over {fc.n_bins} bins of the first gap ({n_replaced} seed candidates replaced by the "
            f"rules), up to {fc.samples_per_seed} novel unique samples per seed (sigma from {fc.sigma_start}, "
            f"+{fc.sigma_step} per round of {fc.attempts_per_round} attempts, at most {fc.sigma_max}); "
            f"{summary['seconds']:.0f} s. **All KD values here are ESTIMATES, not CASSCF**: seeds and samples go "
            f"through the same estimator, the seeds' values recomputed. Score = 1 - sum (E_sample - E_seed)^2 / "
            f"sum (E_sample - mean E_sample)^2 (the paper's 0.82 was computed with CASSCF KDs).\n\n"
            f"{protocol_markdown(fc, summary)}{notes}\n\n{head}\n" + "\n".join(lines) + "\n\n"
            + (_md_table(per_bin) if len(per_bin) else "") + class_text + f"\n\n![fidelity]({_rel(config, fig)})\n")


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
            f"{summary['n_estimated']} new ligands KD-estimated. "
            f"**KD values: {prov} (estimates unless tagged casscf)**."
            f"\n\n{_md_table(pd.DataFrame([summary]).T.reset_index().set_axis(['quantity', 'value'], axis=1))}\n\n"
            f"![repopulation]({_rel(config, fig)})\n")


def _casscf_section(inputs: EvalInputs, config: ReportConfig, numbers: Numbers) -> str:
    """The KD mapping set, the CASSCF results (bundled file + queue) and how well the estimates rank them."""
    from gauss_core.evaluate.casscf_check import (MIN_PAIRS, calibration_cv, calibration_cv_figure, comparison_figure,
                                                  comparison_table, estimate_vs_casscf)

    kd = kd_labelled(inputs.kd)
    cas = inputs.casscf if inputs.casscf is not None else pd.DataFrame(columns=[C.SMILES, C.KD_PROVENANCE,
                                                                                "casscf_source"])
    sources = cas["casscf_source"].value_counts().to_dict() if len(cas) else {}
    numbers.add("KD mapping", "ligands with CASSCF (bundled file + queue)", int(len(cas)), ">= 100", len(cas) >= 100,
                provenance_text(cas[C.KD_PROVENANCE]) + (f"; sources {sources}" if sources else ""))
    if len(kd) == 0 or C.KD_PROVENANCE not in kd:
        return f"No KD mapping set yet; {len(cas)} CASSCF results ({sources or 'none'}).\n"
    is_cas = kd[C.KD_PROVENANCE].map(lambda t: provenance.is_casscf(str(t)))
    est_prov = (kd["est_kd_provenance"] if "est_kd_provenance" in kd else kd.loc[~is_cas, C.KD_PROVENANCE]).dropna()
    n_est = int(len(est_prov))
    per_class = kd[C.LIGAND_CLASS].value_counts().sort_index().to_dict() if C.LIGAND_CLASS in kd else {}
    numbers.add("KD mapping", "ligands with a KD estimate", n_est, ">= 2000", n_est >= 2000, provenance_text(est_prov))
    cas_class = cas[C.LIGAND_CLASS].value_counts().sort_index().to_dict() if C.LIGAND_CLASS in cas and len(cas) else {}
    text = (f"KD mapping set: {n_est} ligands with a KD estimate ({provenance_text(est_prov)}); "
            f"per class: {per_class}. "
            f"Estimate modes: {kd.get(C.KD_MODE, pd.Series(dtype=str)).dropna().value_counts().to_dict()}.\n\n"
            f"CASSCF results: {len(cas)} ({provenance_text(cas[C.KD_PROVENANCE])}); sources: {sources or 'none'}; "
            f"per class: {cas_class}.\n")
    pairs = estimate_vs_casscf(inputs.kd)
    pairs.to_csv(config.data_dir / "estimate_vs_casscf.csv", index=False)
    if len(pairs) >= MIN_PAIRS:
        stats = comparison_table(pairs)
        stats.to_csv(config.data_dir / "estimate_vs_casscf_stats.csv", index=False)
        fig = comparison_figure(pairs, stats, config.fig_dir / "kd_estimate_vs_casscf.png")
        prov = "cf-pointcharge (KD mapping set) vs " + provenance_text(pairs[C.KD_PROVENANCE])
        for _, r in stats.iterrows():
            for key, label in (("spearman", "Spearman rho"), ("pearson", "Pearson r"), ("mae_cm1", "MAE (cm-1)")):
                numbers.add("KD mapping", f"{label}, estimate vs CASSCF first gap, {r['group']} (n {int(r['n'])})",
                            float(r[key]), "", None, prov)
        text += (f"\nHow well the crystal-field point-charge ESTIMATE of the mapping set ranks the CASSCF first gap "
                 f"(same ligands; bias = mean of estimate - CASSCF):\n\n{_md_table(stats)}\n\n"
                 f"![estimate vs CASSCF]({_rel(config, fig)})\n")
    else:
        text += (f"\n{len(pairs)} ligands have both a CASSCF result and a mapping-set estimate: too few to say "
                 "how well the estimate ranks CASSCF (queue a stratified 100 with `gauss kdmap casscf --n 100`, "
                 "run `gauss worker`, bundle with `gauss queue labels --bundle`).\n")
    cal = calibration_cv(config.kd_calibration)
    if cal is not None:
        prov = (f"{cal['name']}: {cal['file']}, cross-validated on {cal['n_train']} CASSCF complexes "
                f"({', '.join(cal['training_provenance'])})")
        numbers.add("KD mapping", f"calibrated estimate, CV MAE first gap (cm-1), n {cal['n_train']}",
                    cal["cv_mae_gap1_cm1"], "", None, prov)
        numbers.add("KD mapping", f"calibrated estimate, CV Pearson r first gap, n {cal['n_train']}", cal["cv_r_gap1"],
                    "", None, prov)
        if np.isfinite(cal.get("cv_spearman_gap1", float("nan"))):
            numbers.add("KD mapping", f"calibrated estimate, CV Spearman rho first gap, n {cal['n_train']}",
                        cal["cv_spearman_gap1"], "", None, prov)
        extra = {k: v for k, v in cal.items() if k.startswith("cv_") and k not in
                 ("cv_mae_gap1_cm1", "cv_mae_cm1", "cv_r_gap1", "cv_spearman_gap1", "cv_per_class", "cv_gap1_pairs")}
        text += (f"\nCalibrated estimate `{cal['name']}` (ridge on cheap descriptors of "
                 f"{cal['feature_geometry'] or '?'} geometries, fitted to {cal['n_train']} CASSCF complexes; "
                 f"file `{cal['file']}`). Its accuracy is "
                 f"given only **cross-validated** (never in-sample): "
                 f"first-gap MAE {_fmt(cal['cv_mae_gap1_cm1'])} cm-1, "
                 f"Pearson r {_fmt(cal['cv_r_gap1'])}, MAE over all 7 gaps {_fmt(cal['cv_mae_cm1'])} cm-1 (the "
                 f"point-charge gap alone on the same complexes: r {_fmt(cal['cf_only_r_gap1'])})"
                 + (f"; Spearman rho {_fmt(cal['cv_spearman_gap1'])} (point-charge gap alone "
                    f"{_fmt(cal['cf_only_spearman_gap1'])})" if "cv_spearman_gap1" in cal else
                    "; the file stores no CV Spearman or per-class numbers (refit it)")
                 + (f"; further CV numbers: {json.dumps(extra)}" if extra else "") + ".\n")
        if cal["cv_per_class"]:
            per_class = pd.DataFrame([{"class": k, **v} for k, v in cal["cv_per_class"].items()])
            text += f"\nCross-validated, per ligand class:\n\n{_md_table(per_class)}\n"
        cv_fig = calibration_cv_figure(cal, config.fig_dir / "kd_calibrated_cv.png")
        if cv_fig is not None:
            text += f"\n![calibrated estimate, cross-validated]({_rel(config, cv_fig)})\n"
    else:
        text += "\nNo calibrated estimate yet (`gauss complex calibrate` writes it once CASSCF results exist).\n"
    return text


def _markdown(config: ReportConfig, inputs: EvalInputs, numbers: pd.DataFrame, sections: dict, skipped: dict,
              seconds: float) -> str:
    titles = {"learning_curve": "1. Learning curve: reconstruction accuracy vs training-set size (Fig. 2b)",
              "sweep": "2. σ sweep from one random seed (Fig. 2c)",
              "parity": "3. Proxy-head parity (Fig. 6c)",
              "label_curve": "3b. Proxy-head R² learning curve (Fig. 6b)",
              "latent_maps": "4. Latent PCA coloured by the proxies and the first KD gap (Fig. 7)",
              "fidelity": "5. Seed-to-sample fidelity (Fig. 8)",
              "repopulation": "6. Targeted repopulation (Fig. 10)",
              "casscf": "KD mapping set and CASSCF results"}
    targets = numbers[numbers["target"].astype(str) != ""]
    est_note = ("" if inputs.kd is None or not is_estimate(kd_labelled(inputs.kd)[C.KD_PROVENANCE])
                else "\n**KD numbers in this report are crystal-field estimates (provenance `cf-pointcharge`) unless a "
                     "row says CASSCF; an estimate is never CASSCF.**\n")
    runs = sorted({(v["run"]["when"], v["run"]["only"]) for v in sections.values()})
    joined = "" if len(runs) <= 1 else (
        f" The report joins the sections of {len(runs)} runs of `gauss evaluate` on this checkpoint, kept with "
        f"`--update` (a section's run is named under its heading); this run: `--only {','.join(config.experiments)}`.")
    lines = [
        "# GAUSS-II evaluation: the paper's experiments on the bundled model", "",
        f"Written by `gauss evaluate{' --quick' if config.quick else ''}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        f"in {seconds / 60:.1f} min. Checkpoint: `{config.checkpoint}` (epoch {inputs.loaded.epoch}, "
        f"{len(inputs.loaded.train_smiles)} training ligands). Ligand set: `{config.ligands}`. Proxy labels: "
        f"{inputs.labels_provenance}. Numbers: `{config.numbers_csv.name}` (+ .json); raw tables: "
        f"`{config.data_dir.name}/`.{joined}", est_note,
        "## Targets", "", _md_table(targets, ["experiment", "metric", "value", "target", "passed", "provenance"]), "",
    ]
    if config.quick:
        lines += ["_Quick mode: tiny settings for tests; these numbers say nothing about the model's quality._", ""]
    for key in (*EXPERIMENTS, "casscf"):
        if key in sections:
            run = sections[key]["run"]
            took = f"; this section took {run['minutes']} min" if run.get("minutes") is not None else ""
            origin = f"_From the run of {run['when']} (`--only {run['only']}`{took})._\n\n" if len(runs) > 1 else ""
            lines += [f"## {titles[key]}", "", origin + sections[key]["markdown"], ""]
        elif key in skipped:
            lines += [f"## {titles[key]}", "", f"Skipped: {skipped[key]}", ""]
    lines += ["## All numbers", "", _md_table(numbers), ""]
    return "\n".join(lines)
