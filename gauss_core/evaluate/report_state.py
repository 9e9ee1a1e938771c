"""The --update state of `gauss evaluate`: each section's Markdown, numbers and run, kept between runs of one
report (ReportConfig.sections_json, beside the report: a fresh clone can update one section)."""

from __future__ import annotations

import json
from pathlib import Path

from gauss_core.atomic import atomic_write_json
from gauss_core.errors import GaussError
from gauss_core.evaluate.common import EvalInputs
from gauss_core.evaluate.experiments import SECTIONS
from gauss_core.evaluate.report_config import ReportConfig


def merge_section(stored: dict, name: str, markdown: str | None, rows: list[dict], run: dict) -> dict:
    """stored with `name` replaced by this run's section (a skipped experiment keeps its earlier section)."""
    if markdown is None:
        return stored
    return {**stored, name: {"markdown": markdown, "numbers": rows, "run": run}}


def ordered(stored: dict) -> list[str]:
    """The stored sections' names in report order."""
    return [k for k in SECTIONS if k in stored]


def load_stored_sections(config: ReportConfig, inputs: EvalInputs) -> dict:
    """Sections of earlier runs of this report ({} when none).

    Raises:
        GaussError: they were written for another checkpoint (their numbers would describe another model).
    """
    path = config.sections_json
    if not path.exists():
        if Path(config.out_md).exists():  # a report without its state: --update would silently drop its sections
            raise GaussError(f"--update: {config.out_md} exists but the state that keeps its sections ({path}) "
                             "does not, so only the sections run now would remain; run gauss evaluate without "
                             "--update to rewrite the whole report, or restore that file (it is committed with "
                             "the report)")
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
    return {k: v for k, v in data.get("sections", {}).items() if k in SECTIONS}


def store_sections(config: ReportConfig, inputs: EvalInputs, stored: dict) -> None:
    data = {"checkpoint": str(config.checkpoint), "report": str(config.out_md), "epoch": inputs.loaded.epoch,
            "train_hash": inputs.loaded.train_hash, "sections": stored}
    atomic_write_json(config.sections_json, data, indent=1, default=str)
