"""Starting orbitals with the Dy 4f in the active space (gauss_core.kd.molcas_orbitals): the swap rule on a
constructed orbital file, and a real two-run OpenMolcas CASSCF of the idealised methoxide complex that gives the
one-run result (the stored real output)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from gauss_core.kd.molcas_orbitals import alter_keyword, dy_f_population, four_f_swaps

DATA = Path(__file__).parent / "data" / "molcas"


def _orbital_file(path: Path, f_positions: list[int], n: int = 10, weight: float = 1.0) -> Path:
    """A GUESSORB-like .h5: Dy carries 7 f functions (0-6), O three others; orbital i is basis function
    perm[i], so the orbitals at f_positions are pure Dy f (scaled by weight, rest on O)."""
    import h5py

    others = [i for i in range(n) if i not in f_positions]
    perm = np.empty(n, dtype=int)
    perm[f_positions] = np.arange(7)
    perm[others] = np.arange(7, n)
    coeffs = np.zeros((n, n))
    coeffs[np.arange(n), perm] = 1.0
    if weight < 1.0:  # mix each f orbital with an O function so its f population is `weight`
        for i in f_positions:
            coeffs[i] = 0.0
            coeffs[i, perm[i]] = np.sqrt(weight)
            coeffs[i, 7] = np.sqrt(1 - weight)
    ids = np.array([[1, 4, 3, m] for m in range(-3, 4)] + [[2, 2, 1, m] for m in range(-1, n - 8)])
    with h5py.File(path, "w") as f:
        f.attrs["NBAS"] = np.array([n])
        f["BASIS_FUNCTION_IDS"] = ids
        f["MO_VECTORS"] = coeffs.reshape(-1)
        f["AO_OVERLAP_MATRIX"] = np.eye(n).reshape(-1)
        f["CENTER_LABELS"] = np.array([b"DY1     ", b"O2      "])
        f["MO_ENERGIES"] = np.linspace(-1, 1, n)
    return path


def test_the_seven_most_4f_like_orbitals_are_swapped_into_the_active_window(tmp_path):
    path = _orbital_file(tmp_path / "g.h5", [0, 1, 2, 3, 4, 8, 9])
    population, energies = dy_f_population(path)
    assert np.allclose(population, [1, 1, 1, 1, 1, 0, 0, 0, 1, 1]) and len(energies) == 10
    pairs = four_f_swaps(path, n_inactive=3)  # active window = orbitals 4..10 (1-based)
    assert pairs == [(1, 6), (2, 7), (3, 8)]
    assert alter_keyword(pairs) == "  ALTEr = 3; 1 1 6; 1 2 7; 1 3 8" and alter_keyword([]) == ""
    assert four_f_swaps(_orbital_file(tmp_path / "in.h5", [3, 4, 5, 6, 7, 8, 9]), n_inactive=3) == []  # in place
    # a guess without seven clearly-4f orbitals is left as it is
    assert four_f_swaps(_orbital_file(tmp_path / "weak.h5", [0, 1, 2, 3, 4, 8, 9], weight=0.2), n_inactive=3) == []


def test_an_unreadable_orbital_file_names_the_file(tmp_path):
    from gauss_core.kd.molcas_input import MolcasRunError

    bad = tmp_path / "casscf.guessorb.h5"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(MolcasRunError, match="casscf.guessorb.h5"):
        four_f_swaps(bad, 10)


@pytest.mark.slow
@pytest.mark.needs_molcas
def test_two_runs_with_the_4f_guess_give_the_one_run_result(tmp_path):
    from gauss_core.jobs.geometry import idealised_dy_water5_methoxide2
    from gauss_core.kd.molcas_casscf import MolcasCasscfConfig, parse_molcas_output, run_casscf_4f_guess

    with gzip.open(DATA / "dy_water5_ome2_idealised.out.gz", "rt") as fh:
        stored = fh.read()  # one run from GUESSORB
    messages: list[str] = []
    # ligands MB: the basis of the stored run this compares with
    run, text, pairs = run_casscf_4f_guess(idealised_dy_water5_methoxide2(),
                                           MolcasCasscfConfig(ligand_basis="ANO-RCC-MB"), tmp_path,
                                           log=messages.append)
    assert run.returncode == 0 and "starting orbitals: GUESSORB" in messages[0]
    assert (tmp_path / "casscf.guess.out").exists() and (tmp_path / "casscf.out").exists()
    new, old = parse_molcas_output(text), parse_molcas_output(stored)
    # the stored run used the acCD threshold 1e-4 (now 1e-3: gaps move by < 1 cm-1, docs/casscf.md)
    assert np.allclose(new.energies_cm1, old.energies_cm1, atol=1.5)
    assert new.doublets[0].g[2] == pytest.approx(old.doublets[0].g[2], abs=1e-3)

    # methoxide's GUESSORB already has its 4f in the active window (orbitals 71-77): nothing to swap, and the
    # split into two runs alone changes nothing. (A neutral-O complex needed 7 swaps: 40 -> 18 RASSCF
    # iterations, same energies; docs/casscf.md.)
    assert pairs == [] and "0 orbital pair(s) swapped" in messages[0]


def test_an_active_space_without_the_4f_shell_is_refused(tmp_path):
    """The check after RASSCF (jobs.kinds.check_active_space): seven active orbitals on Dy f pass and are
    recorded; one ligand-like orbital in the window (f population 0.2) fails the job with the reason."""
    from gauss_core.kd.molcas_orbitals import check_active_space
    from gauss_core.kd.molcas_input import MolcasRunError
    from gauss_core.kd.molcas_orbitals import active_4f_population

    class Structure:  # 3 inactive orbitals + 9 active electrons
        @staticmethod
        def n_electrons() -> int:
            return 2 * 3 + 9

    good = _orbital_file(tmp_path / "casscf.rasscf.h5", [3, 4, 5, 6, 7, 8, 9])
    assert active_4f_population(good, n_inactive=3) == [1.0] * 7
    logged: list[str] = []
    assert check_active_space(good, Structure(), logged.append) == [1.0] * 7
    assert "Dy-f population of the active orbitals" in logged[0]
    (tmp_path / "bad").mkdir()
    # orbital 4 (1-based, the first active one) holds no f: a ligand orbital is in the active space
    bad = _orbital_file(tmp_path / "bad" / "casscf.rasscf.h5", [0, 4, 5, 6, 7, 8, 9])
    with pytest.raises(MolcasRunError, match="not the Dy 4f shell"):
        check_active_space(bad, Structure(), logged.append)
    assert check_active_space(tmp_path / "missing.h5", Structure(), logged.append) is None
