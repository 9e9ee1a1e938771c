"""The experiments' shared pieces (templates, tables) and sections rendered from hand-made results; the
label-drift check of the parity experiment on the tiny model. The experiments' runs: test_report.py."""

from __future__ import annotations

import re
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from gauss_core import columns as C
from gauss_core.errors import GaussError
from gauss_core.evaluate import EXPERIMENTS
from gauss_core.evaluate.experiments import SECTIONS, experiment
from gauss_core.evaluate.experiments.base import ExperimentResult, fmt, md_table, render


def test_a_template_with_a_missing_value_is_an_error_not_a_dollar_in_the_report():
    with pytest.raises(KeyError, match="figure"):
        render("sweep", seed="C", batches=1, batch_size=2, table="|", shape="{}")
    text = render("sweep", seed="C", batches=1, batch_size=2, table="|t|", shape="{}", figure="figures/x.png")
    assert "`C`; 1 batches of 2 per sigma" in text and text.endswith("![sigma sweep](figures/x.png)\n")


def test_every_section_has_its_module_and_every_template_is_shipped():
    assert SECTIONS[:-1] == EXPERIMENTS
    for name in SECTIONS:
        module = experiment(name)
        assert callable(module.run) and callable(module.section), name
    with pytest.raises(GaussError, match="unknown experiment 'fig99'"):
        experiment("fig99")
    shipped = {p.name for p in resources.files("gauss_core.evaluate").joinpath("templates").iterdir()}
    package = resources.files("gauss_core.evaluate")
    code = "".join(package.joinpath("experiments", f"{n}.py").read_text() for n in SECTIONS)
    code += package.joinpath("report_markdown.py").read_text()
    code += package.joinpath("surrogate_bench.py").read_text()   # the surrogate section, also `gauss suggest --doc`
    used = {f"{n}.md" for n in re.findall(r'render\("(\w+)"', code)}
    assert used == shipped


def test_table_cells():
    assert [fmt(None), fmt(float("nan")), fmt(0.12345), fmt(1234.5), fmt(True)] == ["-", "n/a", "0.123", "1234",
                                                                                      "True"]
    assert md_table(pd.DataFrame({"a": [1.0], "b": ["x"]})) == "| a | b |\n|---|---|\n| 1.000 | x |"


def test_casscf_section_without_a_mapping_set_and_with_too_few_pairs():
    casscf = experiment("casscf")
    none = ExperimentResult([], {"mapping": False, "n_casscf": 3, "sources": {}})
    assert casscf.section(none) == "No KD mapping set yet; 3 CASSCF results (none).\n"
    few = ExperimentResult([], {"mapping": True, "n_casscf": 2, "sources": {"queue (queue.db)": 2}, "n_est": 40,
                                "est_provenance": "p", "per_class": {1: 40}, "modes": {"template-sp": 40},
                                "casscf_provenance": "q", "casscf_per_class": {}, "n_pairs": 1, "calibration": None})
    text = casscf.section(few)
    assert text.startswith("KD mapping set: 40 ligands with a KD estimate (p); per class: {1: 40}. Estimate modes: "
                           "{'template-sp': 40}.\n\nCASSCF results: 2 (q); sources: {'queue (queue.db)': 2}; ")
    assert "\n1 ligands have both a CASSCF result and a mapping-set estimate: too few" in text
    assert text.endswith("\nNo calibrated estimate yet (`gauss complex calibrate` writes it once CASSCF results "
                         "exist).\n")


@pytest.mark.needs_xtb
def test_label_drift_flags_a_recomputed_label_table(inputs):
    from dataclasses import replace

    from gauss_core.evaluate.experiments.parity import label_drift

    k = list(inputs.loaded.label_names).index(C.Q_DONOR)
    loaded = replace(inputs.loaded, label_mean=np.array(inputs.loaded.label_mean, dtype=float),
                     label_std=np.array(inputs.loaded.label_std, dtype=float))
    loaded.label_mean[k], loaded.label_std[k] = -0.4, 0.2   # as if trained on labelled rows
    inputs = replace(inputs, loaded=loaded)
    shifted = inputs.labels.copy()
    shifted[C.Q_DONOR] = -0.4 + 5 * 0.2
    drift = label_drift(replace(inputs, labels=shifted))
    assert len(drift) == 1 and drift[0].startswith(C.Q_DONOR)
    same = shifted.copy()
    same[C.Q_DONOR] = -0.45
    assert not any(d.startswith(C.Q_DONOR) for d in label_drift(replace(inputs, labels=same)))


def test_surrogate_section_renders_the_benchmark_and_the_cv(tmp_path):
    """The surrogate experiment's Markdown comes from its two templates: every strategy's median, the CV tables."""
    from gauss_core.evaluate import surrogate_bench as sb

    result = {"n_ligands": 117, "n_init": 10, "batch": 5, "top_k": 10, "n_repeats": 2, "seed": 0,
              "runs": {"surrogate": [40, 45], "surrogate-mean": [50, 55], "point-charge": [35, 35],
                       "random": [110, 120]},
              "curves": {s: [0.1 * i for i in range(11)] for s in sb.STRATEGIES}, "target_range": (480.0, 590.0),
              "next_below": 470.0, "target_classes": {3: 7, 4: 3},
              "cv": {"grouping": "scaffold groups", "n_folds": 5, "n_groups": 80, "mae": [44.0] * 7,
                     "spearman": [0.88] * 7, "coverage_1sd": 0.74, "coverage_2sd": 0.93,
                     "per_class": {"1": {"name": "neutral O", "n": 29, "mae_gap1": 30.0, "spearman_gap1": 0.4}}},
              "surrogate_label": "surrogate-gp-latent (n=117)", "surrogate_fit_s": 1.3}
    text = sb.section(result, tmp_path, "figures/surrogate_bench.png")
    assert "| random | 115 | 115.0 ± 5.0 | 110-120 |" in text
    assert "| point-charge | 35 |" in text and "runs to find the top 10" in text
    assert "| neutral O | 29 | 30 | 0.40 |" in text and "74% / 93%" in text
    assert "$" not in text                                       # every placeholder filled
    assert (tmp_path / sb.FIGURE).exists()
