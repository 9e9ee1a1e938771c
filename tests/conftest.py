"""Shared fixtures: a tiny ligand set built by the real QM9 donor rules, and a tiny checkpoint trained by
the real trainer for a few steps on it (session-scoped: built once per test run). The needs_xtb and
needs_molcas markers: skipped with the reason when the program is missing, a failure under CI (CI=true),
where `make test` has installed them and a skipped QC test would pass silently."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parent.parent
TINY_QM9_MOLECULES = 400   # first QM9 molecules -> ~600 ligands: enough vocabulary, seconds to build

# marker -> (environment variable naming the program, its default name, how to install it); the same
# lookups as gauss_core.proxies.xtb.xtb_executable and gauss_core.kd.molcas_casscf.find_pymolcas
PROGRAMS = {
    "needs_xtb": ("GAUSS_XTB", "xtb", "apt-get install xtb (or `make system-deps`), or set GAUSS_XTB"),
    "needs_molcas": ("GAUSS_PYMOLCAS", "pymolcas",
                     "apt-get install openmolcas (or `make system-deps`), or set GAUSS_PYMOLCAS"),
}


def in_ci(environ=os.environ) -> bool:
    return environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def missing_program(marker: str, environ=os.environ) -> str | None:
    """Why the program behind `marker` cannot run here, or None when it is on PATH."""
    env_var, default, install = PROGRAMS[marker]
    name = environ.get(env_var) or default
    if shutil.which(name):
        return None
    return f"{name} is not installed ({install})"


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in PROGRAMS:
        if item.get_closest_marker(marker) is None:
            continue
        reason = missing_program(marker)
        if reason is None:
            continue
        if in_ci():
            pytest.fail(f"{reason}; CI runs every QC test, so a missing program is an error here", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def tiny_ligand_set(tmp_path_factory) -> Path:
    """Gzipped ligand set (columns.LIGAND_COLUMNS) from the first QM9 molecules."""
    from gauss_core.ligands import BuildConfig, build_ligand_set

    path = tmp_path_factory.mktemp("ligands") / "tiny_ligands.csv.gz"
    build_ligand_set(BuildConfig(limit=TINY_QM9_MOLECULES, workers=1, progress=False), out_path=path)
    return path


@pytest.fixture(scope="session")
def tiny_checkpoint(tiny_ligand_set, tmp_path_factory) -> Path:
    """A GAUSS-II checkpoint trained for a few epochs on the tiny set with the project's trainer."""
    import torch

    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("ckpt") / "tiny.pt"
    train_tiny_model(tiny_ligand_set, out)
    return out


def train_tiny_model(ligand_set: Path, out: Path) -> Path:
    """Train the real model briefly (2 epochs, 50 held out) and write its checkpoint to `out`.

    No label table is given, so the head learns donor_Z only (the trainer's documented fallback); that is
    enough for the dashboard and sampling tests, which need a real checkpoint, not a good one.
    """
    from gauss_core.train import TrainConfig, train_from_files

    config = TrainConfig(n_test=50, max_epochs=2, batch_size=100, seed=0, device="cpu", threads=1, progress=False)
    train_from_files(ligand_set, out, (), config, log=lambda msg: None)
    return out


@pytest.fixture(scope="session")
def tiny_loaded(tiny_checkpoint):
    from gauss_core.model.checkpoint import load_checkpoint

    return load_checkpoint(tiny_checkpoint)


@pytest.fixture(scope="session")
def tiny_ligands(tiny_ligand_set):
    from gauss_core.ligands import load_ligand_set

    return load_ligand_set(tiny_ligand_set)


@pytest.fixture(scope="session")
def tiny_kd_mapping(tiny_ligands, tmp_path_factory):
    """A real KD mapping set of 16 tiny-set ligands (RDKit template + xtb single point + crystal field)."""
    from gauss_core.kd.kd_mapping import KDMapConfig, build_kd_mapping

    base = tmp_path_factory.mktemp("kdmap")
    cfg = KDMapConfig(n_ligands=16, out=base / "kd.csv.gz", cache_dir=base / "cache")
    build_kd_mapping(cfg, tiny_ligands, log=lambda s: None)
    return cfg.out


@pytest.fixture(scope="module")
def inputs(tiny_checkpoint, tiny_ligand_set, tiny_kd_mapping):
    """The evaluation experiments' EvalInputs on the tiny checkpoint, ligand set and KD mapping set."""
    from gauss_core.evaluate.report_config import ReportConfig
    from gauss_core.evaluate.report_inputs import load_inputs

    cfg = ReportConfig(checkpoint=tiny_checkpoint, ligands=tiny_ligand_set, kd_mapping=tiny_kd_mapping,
                       read_queue=False, casscf_set=None, kd_calibration=None)
    return load_inputs(cfg, log=lambda s: None)


@pytest.fixture()
def hand_made_calibration():
    """A CalibratedModel with fixed coefficients (NOT fitted to CASSCF): gap k = 100 + 1.5 cf_gap1 + 0.1 k cf_gap7
    (k = 1..7),
    to check that the fidelity experiment runs seeds and samples through it."""
    from gauss_core.kd import CalibratedModel

    coef = [[1.5, 0.1 * k] for k in range(1, 8)]
    return CalibratedModel(name="kd-calibrated-ridge-v1", feature_names=["cf_gap1_cm1", "cf_gap7_cm1"],
                           mean=[0.0, 0.0], scale=[1.0, 1.0], coef=coef, intercept=[100.0] * 7, alpha=1.0, n_train=0,
                           cv_mae_cm1=float("nan"), cv_mae_per_gap_cm1=[float("nan")] * 7, cv_r_gap1=float("nan"),
                           cv_r_gap7=float("nan"), cf_only_r_gap1=float("nan"), training_hash="hand-made",
                           training_provenance=[])  # fitted-on geometry: the default (constrained GFN2)


@pytest.fixture()
def app_env(tiny_checkpoint, tiny_ligand_set, tmp_path, monkeypatch):
    """Environment of a dashboard run on the tiny model, with its own empty GAUSS_HOME."""
    home = tmp_path / "gauss_home"
    monkeypatch.setenv("GAUSS_CHECKPOINT", str(tiny_checkpoint))
    monkeypatch.setenv("GAUSS_LIGAND_SET", str(tiny_ligand_set))
    monkeypatch.setenv("GAUSS_HOME", str(home))
    return {"GAUSS_CHECKPOINT": str(tiny_checkpoint), "GAUSS_LIGAND_SET": str(tiny_ligand_set),
            "GAUSS_HOME": str(home)}


def load_script(name: str):
    """A script of scripts/ imported as a module (they are not a package), for tests of its functions."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
