"""Running pymolcas: the refusals before any process starts, the clean environment, pruning a finished run."""

from __future__ import annotations

import pytest

from gauss_core.kd import molcas_run as mc


def test_run_refuses_a_project_name_with_shell_characters(tmp_path):
    with pytest.raises(mc.MolcasInputError, match="project name"):
        mc.run_molcas("&GATEWAY\n", tmp_path, project="x; rm -rf ~")
    with pytest.raises(mc.MolcasInputError, match="file stem"):
        mc.run_molcas("&GATEWAY\n", tmp_path, project="casscf", stem="../casscf")


def test_missing_pymolcas_names_the_install(monkeypatch):
    from gauss_core.errors import MissingProgramError

    monkeypatch.setenv("GAUSS_PYMOLCAS", "")
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(mc.shutil, "which", lambda *a, **k: None)
    with pytest.raises(MissingProgramError, match="apt-get install openmolcas"):
        mc.find_pymolcas()


def test_environment_is_clean_and_scratch_stays_in_the_job(monkeypatch, tmp_path):
    monkeypatch.setenv("VIRTUAL_ENV", "/some/venv")
    monkeypatch.setenv("PYTHONPATH", "/some/where")
    env = mc.molcas_env(tmp_path, 1500, threads=2)
    assert "VIRTUAL_ENV" not in env and "PYTHONPATH" not in env
    assert env["MOLCAS_WORKDIR"] == str(tmp_path / "scratch") and env["MOLCAS_OUTPUT"] == str(tmp_path)
    assert env["MOLCAS_MEM"] == "1500" and env["OMP_NUM_THREADS"] == "2"


def test_prune_keeps_what_a_restart_needs_and_counts_the_bytes(tmp_path):
    bulky = {"dy.SpdOrb.1": 100, "dy.RasOrb.3": 50, "dy.RICDLib": 30, "dy.old.aniso": 7}
    kept = ("dy.input", "dy.out", "dy.RasOrb", "dy.rasscf.h5", "dy.rassi.h5", "dy.aniso")
    for name, size in bulky.items():
        (tmp_path / name).write_bytes(b"x" * size)
    for name in kept:
        (tmp_path / name).write_text("keep")
    (tmp_path / "scratch" / "sub").mkdir(parents=True)
    (tmp_path / "scratch" / "sub" / "big").write_bytes(b"x" * 1000)
    assert mc.prune_outputs(tmp_path) == sum(bulky.values()) + 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept)
