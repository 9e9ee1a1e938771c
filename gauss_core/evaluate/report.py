"""`gauss evaluate`: run the paper's experiments on a checkpoint and write docs/evaluation.md.

Outputs (paths in ReportConfig): the Markdown report, PNG figures (figures/), the numbers table
(evaluation_numbers.csv and .json: experiment, metric, value, target, passed, provenance) and each
experiment's raw table (evaluation_data/*.csv). An experiment that cannot run (e.g. no KD mapping set
yet) is reported as skipped with the reason; the others still run. Each experiment is one module of
evaluate/experiments/ (run + section); this module runs them in order and writes what they give.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from gauss_core.errors import GaussError
from gauss_core.evaluate.common import EvalInputs
from gauss_core.evaluate import EXPERIMENTS
from gauss_core.evaluate.experiments import CASSCF, experiment, unknown
from gauss_core.evaluate.experiments.base import RunContext
from gauss_core.evaluate.report_config import NUMBER_COLUMNS, ReportConfig
from gauss_core.evaluate.report_inputs import load_inputs
from gauss_core.evaluate.report_markdown import report_markdown
from gauss_core.evaluate.report_state import load_stored_sections, merge_section, ordered, store_sections

__all__ = ["ReportConfig", "run_report"]


def run_report(config: ReportConfig, log: Callable[[str], None] = print) -> dict:
    """Run the selected experiments and write the report, figures and numbers.

    Returns:
        {"numbers": DataFrame, "sections": {experiment: markdown}, "skipped": {experiment: reason}, "md": path}.
    Raises:
        GaussError: an unknown experiment name, or --update state of another checkpoint.
    """
    t_all = time.perf_counter()
    inputs = load_inputs(config, log)
    config.fig_dir.mkdir(parents=True, exist_ok=True)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    ctx = RunContext(inputs, config, log)
    skipped: dict[str, str] = {}
    stored = load_stored_sections(config, inputs) if config.update else {}
    run = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "only": ",".join(config.experiments)}
    for name in (*config.experiments, CASSCF):
        t0 = time.perf_counter()
        markdown: str | None = None
        rows: list[dict] = []
        if name == CASSCF:  # always run, and a failure there is not caught: it reads only the inputs
            markdown, rows = _run_one(name, ctx)
        else:
            if name not in EXPERIMENTS:
                raise unknown(name)
            log(f"[{name}]")
            try:
                markdown, rows = _run_one(name, ctx)
            except GaussError as exc:
                skipped[name] = str(exc)
                log(f"  skipped: {exc}")
            except Exception as exc:  # one broken experiment must not lose the others' results
                skipped[name] = f"{type(exc).__name__}: {exc}"
                log(f"  failed: {traceback.format_exc(limit=3)}")
        stored = merge_section(stored, name, markdown, rows,
                               {**run, "minutes": round((time.perf_counter() - t0) / 60, 1)})
        frame = _write(config, inputs, stored, skipped, t_all)  # after each experiment: a kill loses little
        store_sections(config, inputs, stored)
    log(f"wrote {config.out_md}, {config.numbers_csv} and figures in {config.fig_dir}")
    return {"numbers": frame, "sections": {k: v["markdown"] for k, v in stored.items()}, "skipped": skipped,
            "md": Path(config.out_md)}


def _run_one(name: str, ctx: RunContext) -> tuple[str, list[dict]]:
    module = experiment(name)
    result = module.run(ctx)
    return module.section(result), result.numbers


def _write(config: ReportConfig, inputs: EvalInputs, stored: dict, skipped: dict, t_all: float) -> pd.DataFrame:
    """Write the numbers (CSV + JSON) and the Markdown report as they stand."""
    frame = pd.DataFrame([row for k in ordered(stored) for row in stored[k]["numbers"]], columns=list(NUMBER_COLUMNS))
    frame.to_csv(config.numbers_csv, index=False)
    config.numbers_csv.with_suffix(".json").write_text(json.dumps(
        json.loads(frame.to_json(orient="records")), indent=1))
    Path(config.out_md).write_text(report_markdown(config, inputs, frame, stored, skipped,
                                                   time.perf_counter() - t_all))
    return frame
