"""gauss_core.paths: bundled data is found from an environment variable, a source checkout or an
installed wheel's share/gauss-studio, in that order; mutable state never lands in site-packages."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from gauss_core import paths

REPO = Path(__file__).resolve().parent.parent


def _tree(root: Path, *dirs: str) -> Path:
    for d in dirs:
        (root / d).mkdir(parents=True)
    return root


def test_resolution_order_env_then_checkout_then_installed_prefixes(tmp_path):
    checkout = _tree(tmp_path / "repo", "assets")
    (checkout / "pyproject.toml").write_text("")
    site_packages = _tree(tmp_path / "site-packages", "gauss_core")      # a wheel install: no assets here
    env_prefix = _tree(tmp_path / "venv", "share/gauss-studio/assets")
    user_prefix = _tree(tmp_path / "user", "share/gauss-studio/assets", "share/gauss-studio/checkpoints")
    prefixes = [env_prefix, user_prefix]

    def resolve(name, environ, repo_root):
        return paths.resolve_data_dir(name, "GAUSS_ASSETS", environ=environ, repo_root=repo_root,
                                      prefixes=prefixes)

    explicit = tmp_path / "elsewhere"
    assert resolve("assets", {"GAUSS_ASSETS": str(explicit)}, checkout) == explicit   # used even if absent
    assert resolve("assets", {"GAUSS_ASSETS": ""}, checkout) == checkout / "assets"    # empty = unset
    assert resolve("assets", {}, checkout) == checkout / "assets"
    assert resolve("assets", {}, site_packages) == env_prefix / "share" / "gauss-studio" / "assets"
    assert resolve("checkpoints", {}, site_packages) == user_prefix / "share" / "gauss-studio" / "checkpoints"
    # nothing anywhere: the repository location, so the file-not-found error names a familiar path
    assert resolve("nothing", {}, site_packages) == site_packages / "nothing"


def test_mutable_state_defaults_to_the_checkout_or_the_home_directory(tmp_path, monkeypatch):
    checkout = tmp_path / "repo"
    checkout.mkdir()
    (checkout / "pyproject.toml").write_text("")
    assert paths.default_home(checkout) == checkout / ".gauss"
    assert paths.default_home(tmp_path / "site-packages") == Path.home() / ".gauss"
    monkeypatch.setenv("GAUSS_HOME", str(tmp_path / "state"))
    assert paths.gauss_home() == tmp_path / "state" and (tmp_path / "state").is_dir()


def test_this_checkout_finds_its_own_bundled_files():
    assert paths.in_checkout() and paths.ASSETS == REPO / "assets"
    for bundled in (paths.LIGAND_SET, paths.PROXY_LABELS, paths.KD_CASSCF_SET, paths.KD_CALIBRATION,
                    paths.DEFAULT_CHECKPOINT):
        assert bundled.is_file(), bundled


@pytest.mark.slow
def test_built_wheel_installed_elsewhere_finds_assets_and_web_files(tmp_path):
    """A wheel built from this tree, installed (no dependencies) into a fresh venv and imported from outside
    the repository, finds the bundled ligand set, checkpoint, 3Dmol.js and the map widget's JS."""
    # built from a copy: setuptools writes build/ and *.egg-info into the source tree
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".gauss", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "artifacts", "runs"))
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                    "--wheel-dir", str(wheels), str(source)], check=True, cwd=tmp_path)
    (wheel,) = wheels.glob("gauss_studio-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([py, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)], check=True,
                   cwd=tmp_path)
    probe = ("from gauss_core import paths; import gauss_app, pathlib; "
             "web = pathlib.Path(gauss_app.__file__).parent / 'web' / 'latent_map.js'; "
             "print(paths.in_checkout(), paths.LIGAND_SET.is_file(), paths.DEFAULT_CHECKPOINT.is_file(), "
             "(paths.ASSETS / 'web' / '3Dmol-min.js').is_file(), web.is_file(), paths.ASSETS)")
    out = subprocess.run([py, "-c", probe], check=True, cwd=tmp_path, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}).stdout.split()
    assert out[:5] == ["False", "True", "True", "True", "True"], out
    assert Path(out[5]) == env_dir / "share" / "gauss-studio" / "assets"
