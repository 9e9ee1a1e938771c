"""What every experiment shares: its run context, its result, the numbers table rows and Markdown helpers."""

from __future__ import annotations

import math
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gauss_core.evaluate.common import EvalInputs

if TYPE_CHECKING:
    from gauss_core.evaluate.report_config import ReportConfig


@dataclass
class RunContext:
    """An experiment's inputs, the report's settings (its own under config.<experiment>) and the log."""

    inputs: EvalInputs
    config: ReportConfig
    log: Callable[[str], None] = print

    def data(self, name: str) -> Path:
        """Path of a raw table in the report's data directory."""
        return self.config.data_dir / name

    def figure(self, name: str) -> Path:
        """Path of a figure in the report's figure directory."""
        return self.config.fig_dir / name

    def rel(self, path: Path) -> str:
        """`path` relative to the report (for Markdown links)."""
        return str(Path(path).relative_to(Path(self.config.out_md).parent))


class Numbers:
    """Rows of the numbers table (experiment, metric, value, target, passed, provenance), in the order added."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, experiment: str, metric: str, value, target: str = "", passed=None, prov: str = "") -> None:
        if isinstance(value, (np.floating, np.integer)):
            value = value.item()
        self.rows.append({"experiment": experiment, "metric": metric, "value": value, "target": target,
                          "passed": passed, "provenance": prov})


@dataclass
class ExperimentResult:
    """What run() found: its rows of the numbers table and what section() renders (figure paths relative to
    the report)."""

    numbers: list[dict] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


def fmt(v) -> str:
    """A table cell: 3 decimals below 100, none above, '-' for None, 'n/a' for NaN."""
    if v is None:
        return "-"
    if isinstance(v, float):
        if math.isnan(v):
            return "n/a"
        return f"{v:.3f}" if abs(v) < 100 else f"{v:.0f}"
    return str(v)


def md_table(df: pd.DataFrame, cols: list[str] | None = None) -> str:
    """A Markdown table of `cols` (default all) of df, cells through fmt."""
    cols = cols or list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        lines.append("| " + " | ".join(fmt(r[c]) for c in cols) + " |")
    return "\n".join(lines)


def render(template: str, **values: object) -> str:
    """templates/<template>.md (package data) with its $placeholders filled (all of them must be given).

    Raises:
        KeyError: a placeholder without a value.
    """
    text = resources.files("gauss_core.evaluate").joinpath("templates", f"{template}.md").read_text(encoding="utf-8")
    return string.Template(text).substitute({k: str(v) for k, v in values.items()})
