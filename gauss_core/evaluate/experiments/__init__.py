"""The experiments of `gauss evaluate`, one module each (named as in EXPERIMENTS, plus `casscf`):

    run(ctx: RunContext) -> ExperimentResult   computes, writes its raw tables and figures, fills its numbers
    section(result) -> str                     the report section, rendered from templates/<name>.md

report.py runs them in order and joins their sections into the report.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from gauss_core.errors import GaussError
from gauss_core.evaluate import EXPERIMENTS

# The report's last section: the KD mapping set and CASSCF results (always run, not chosen with --only).
CASSCF = "casscf"
SECTIONS = (*EXPERIMENTS, CASSCF)


def experiment(name: str) -> ModuleType:
    """The module of one section (run + section): an experiment of EXPERIMENTS or CASSCF.

    Raises:
        GaussError: no such experiment.
    """
    if name not in SECTIONS:
        raise unknown(name)
    return import_module(f"gauss_core.evaluate.experiments.{name}")


def unknown(name: str) -> GaussError:
    """The error for an experiment name that --only does not know."""
    return GaussError(f"unknown experiment {name!r}; choose from {', '.join(EXPERIMENTS)}")
