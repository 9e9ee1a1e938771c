"""Where the bundled data, checkpoints and per-user state live.

Bundled files (assets/, checkpoints/) are found, first match wins:
1. the directory named by GAUSS_ASSETS / GAUSS_CHECKPOINT_DIR;
2. the repository checkout this package was imported from (a clone, or `pip install -e .`);
3. the copy an installed wheel put under <prefix>/share/gauss-studio/ (pyproject's data-files), for the
   environment's prefix and then the user scheme (`pip install --user`).
When none exists the repository location is returned, so an error names a path a developer recognises.

Mutable state (job queue, caches, job directories) goes under GAUSS_HOME, by default .gauss next to the
repository in a checkout and ~/.gauss for an installed wheel, so that a cluster user can point it at a
shared filesystem.
"""

from __future__ import annotations

import os
import site
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# The wheel's data-files target, relative to an installation prefix (pyproject [tool.setuptools.data-files]).
SHARE_SUBDIR = Path("share") / "gauss-studio"


def in_checkout(repo_root: Path = REPO_ROOT) -> bool:
    """True when gauss_core is imported from a source tree (not from an installed wheel in site-packages)."""
    return (repo_root / "pyproject.toml").is_file()


def install_prefixes() -> list[Path]:
    """Prefixes an installed wheel may have put its data files under: the environment's, then the user's."""
    prefixes = [Path(sys.prefix)]
    user_base = site.getuserbase()
    if user_base:
        prefixes.append(Path(user_base))
    return prefixes


def resolve_data_dir(name: str, env_var: str, environ: Mapping[str, str] | None = None,
                     repo_root: Path = REPO_ROOT, prefixes: Sequence[Path] | None = None) -> Path:
    """The directory of bundled data `name` ("assets" or "checkpoints"), in the order of the module docstring.

    Args:
        name: directory name in the repository and under <prefix>/share/gauss-studio/.
        env_var: environment variable that overrides the search (used as given, even if missing, so a
            typo surfaces as a file-not-found error naming that path).
        environ, repo_root, prefixes: what to search (defaults: os.environ, this checkout, install_prefixes()).
    """
    environ = os.environ if environ is None else environ
    explicit = environ.get(env_var)
    if explicit:
        return Path(explicit).expanduser()
    in_repo = repo_root / name
    if in_repo.is_dir():
        return in_repo
    for prefix in install_prefixes() if prefixes is None else prefixes:
        installed = prefix / SHARE_SUBDIR / name
        if installed.is_dir():
            return installed
    return in_repo


ASSETS = resolve_data_dir("assets", "GAUSS_ASSETS")
CHECKPOINTS = resolve_data_dir("checkpoints", "GAUSS_CHECKPOINT_DIR")

QM9_SMILES = ASSETS / "qm9" / "qm9_gdb17_smiles.csv.gz"
LIGAND_SET = ASSETS / "ligands" / "ligands.csv.gz"
PROXY_LABELS = ASSETS / "labels" / "proxy_xtb.csv.gz"
KD_MAPPING_SET = ASSETS / "kd" / "kd_mapping.csv.gz"
# the same ligands estimated on the computed-axial-distance geometry (gauss kdmap build --mode axial-mapped)
KD_MAPPING_AXIAL = ASSETS / "kd" / "kd_mapping_axial_mapped.csv.gz"
# CASSCF results computed by the project's own queue, exported with provenance (gauss kdmap export)
KD_CASSCF_SET = ASSETS / "kd" / "casscf_results.csv.gz"
# CASSCF on the computed-distance geometry (issue 13.4's campaign, scripts/casscf_campaign.py): shown on the map
# with its geometry named, kept out of the fits made on KD_CASSCF_SET's fixed-distance geometry
KD_CASSCF_CAMPAIGN = ASSETS / "kd" / "casscf_results_axial_mapped.csv.gz"
# the calibrated KD estimate fitted to KD_CASSCF_SET, with its cross-validated accuracy (gauss complex calibrate)
KD_CALIBRATION = ASSETS / "kd" / "kd_calibration.json"
DEFAULT_CHECKPOINT = CHECKPOINTS / "gauss2_default.pt"


def default_home(repo_root: Path = REPO_ROOT) -> Path:
    """GAUSS_HOME when unset: .gauss in a checkout, ~/.gauss for an installed wheel (site-packages is no
    place for a queue database)."""
    return repo_root / ".gauss" if in_checkout(repo_root) else Path.home() / ".gauss"


def gauss_home() -> Path:
    """Directory for mutable state (queue DB, caches, job dirs); created on first use.

    Raises NotWritableError (one line) when it cannot be created, e.g. GAUSS_HOME names a file.
    """
    home = Path(os.environ.get("GAUSS_HOME", default_home()))
    _make_dir(home, "GAUSS_HOME")
    return home


_FIX = "set GAUSS_HOME to a writable folder"


def _make_dir(path: Path, what: str) -> None:
    from gauss_core.errors import NotWritableError

    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise NotWritableError(f"{what} {path} is a file, not a folder; {_FIX}") from None
    except OSError as exc:
        raise NotWritableError(f"{what} {path} cannot be created ({exc.strerror}); {_FIX}") from None


def writable_dir(path: str | Path, what: str = "folder") -> Path:
    """path, created if needed, after checking that a file can be written into it (a probe file, so a
    read-only filesystem is caught even for root); else NotWritableError naming the path and the fix.

    Called before expensive work whose result is stored there, so the user learns it in milliseconds.
    """
    import tempfile

    from gauss_core.errors import NotWritableError

    path = Path(path)
    _make_dir(path, what)
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-probe-"):
            pass
    except OSError as exc:
        raise NotWritableError(f"{what} {path} is not writable ({exc.strerror}); {_FIX}") from None
    return path
