"""Settings of `gauss evaluate`: where inputs come from, where the report, figures, tables and the --update
state go, and each experiment's settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gauss_core import paths
from gauss_core.evaluate import EXPERIMENTS
from gauss_core.evaluate.fidelity import FidelityConfig
from gauss_core.evaluate.latent_maps import LatentMapConfig
from gauss_core.evaluate.learning_curve import LearningCurveConfig
from gauss_core.evaluate.proxy_parity import ParityConfig
from gauss_core.evaluate.repopulation import RepopulationConfig
from gauss_core.evaluate.sweep_exp import SweepExpConfig

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
    # Fig. 8 with CASSCF (issue 13.5): the pair table of scripts/fig8_casscf.py --collect; read, never computed here
    fig8_casscf: Path | None = field(default_factory=lambda: paths.REPO_ROOT / "docs" / "fig8_casscf.csv")
    # issue 13 (section 8): folder of geometry_compare.csv, casscf_on_dft.csv, casscf_basis_study.csv; None = docs/
    setup_truth_dir: Path | None = None
    surrogate_repeats: int = 20            # random starts of the suggest benchmark (section 7)
    quick: bool = False
    # keep the sections (and their numbers) of earlier runs of this report; replace only those run now
    update: bool = False
    # where those sections are kept; None = <report folder>/evaluation_data/sections.json, committed with the
    # report, so that a fresh clone can re-run one section without losing the others
    state_json: Path | None = None

    @classmethod
    def quick_config(cls, **kw) -> ReportConfig:
        return cls(learning=LearningCurveConfig.quick(), sweep=SweepExpConfig.quick(), parity=ParityConfig.quick(),
                   latent=LatentMapConfig.quick(), fidelity=FidelityConfig.quick(),
                   repopulation=RepopulationConfig.quick(), surrogate_repeats=2, quick=True,
                   **kw)

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
        """Each section's Markdown, numbers and run (when, how long, which --only), for --update: state_json, else
        evaluation_data/sections.json beside the report. It lived under GAUSS_HOME until session 13, when a fresh
        machine lost it and --update had nothing to keep: the state travels with the report it describes."""
        if self.state_json is not None:
            return Path(self.state_json)
        return self.data_dir / "sections.json"
