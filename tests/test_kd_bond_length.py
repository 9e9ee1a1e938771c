"""Bond-length proxy label (gauss_core.kd.bond_length): real xtb axial geometries through `gauss label --method
axial`, the per-class correction file, and the dissociation flag on a constructed geometry."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from gauss_core import columns
from gauss_core.cli import main as gauss_main
from gauss_core.complexes import assemble
from gauss_core.errors import DataFormatError
from gauss_core.complexes.checks import run_checks
from gauss_core.complexes.axial_map import axial_distances
from gauss_core.kd.bond_length import DISSOCIATED, axial_labeller, is_dissociated, records_to_frame

CORRECTION = {"method": "lead-fit-v1", "classes": {"1": [0.5, 1.2], "2": [1.0, 0.0], "3": [1.1, 0.1],
                                                   "4": [1.0, 0.2]}}


def _write(path, data) -> str:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


@pytest.mark.needs_xtb
def test_label_axial_gives_plausible_distances_with_provenance_and_applies_a_correction(tmp_path, capsys):
    src = tmp_path / "in.csv"
    pd.DataFrame({"smiles": ["[O-]C", "OC"]}).to_csv(src, index=False)
    out = tmp_path / "r.csv"
    base = ["label", "--method", "axial", "--input", str(src), "--out", str(out), "--workers", "1", "--quiet"]
    assert gauss_main(base) == 0
    table = pd.read_csv(out, keep_default_na=False).set_index("smiles")
    r_anion, r_neutral = float(table.loc["[O-]C", columns.R_DYL]), float(table.loc["OC", columns.R_DYL])
    # GFN2 with the axial distance free: methoxide ~1.89 A (docs/geometry.md), a neutral O donor longer
    assert 1.75 < r_anion < 2.05 and 2.05 < r_neutral < 2.7 and r_neutral > r_anion + 0.15
    assert (table[columns.R_DYL_METHOD] == "xtb-gfn2-axial@search").all()  # default: lowest-energy conformer
    assert DISSOCIATED not in "".join(table[columns.R_DYL_FLAGS])
    assert (table[columns.R_DYL_CPU].astype(float) > 0).all()
    assert table.loc["OC", columns.LIGAND_CLASS] == 1 and table.loc["[O-]C", columns.LIGAND_CLASS] == 3
    assert np.isclose(table.loc["[O-]C", "r_dyl_raw_A"], r_anion)

    # the correction is applied to the cached raw distances: no new xtb run, its name in the method
    capsys.readouterr()
    fix = _write(tmp_path / "fit.json", CORRECTION)
    assert gauss_main([*base, "--r-correction", fix]) == 0
    assert "2 from cache, 0 new" in capsys.readouterr().err
    fixed = pd.read_csv(out, keep_default_na=False).set_index("smiles")
    assert fixed.loc["[O-]C", columns.R_DYL] == pytest.approx(1.1 * r_anion + 0.1, abs=1e-5)
    assert fixed.loc["OC", columns.R_DYL] == pytest.approx(0.5 * r_neutral + 1.2, abs=1e-5)
    assert (fixed[columns.R_DYL_METHOD] == "xtb-gfn2-axial@search+lead-fit-v1").all()


def test_cli_refuses_a_malformed_correction_before_any_xtb_work(tmp_path):
    src = tmp_path / "in.csv"
    pd.DataFrame({"smiles": ["[O-]C"]}).to_csv(src, index=False)
    out = tmp_path / "r.csv"
    bad = _write(tmp_path / "bad.json", {"method": "x", "classes": {"1": [1, 0]}})
    args = ["label", "--method", "axial", "--input", str(src), "--out", str(out), "--r-correction", bad]
    assert gauss_main(args) == 2
    assert not out.exists() and not (tmp_path / "r.csv.cache.jsonl").exists()
    assert gauss_main(["label", "--input", str(src), "--out", str(out), "--r-correction",
                       _write(tmp_path / "ok.json", CORRECTION)]) == 2  # xtb labels have no distance to correct


def _pulled_out(smiles: str, shift_A: float):
    """An assembled complex with the second axial ligand moved outwards along its metal-donor axis."""
    cx = assemble(smiles, builder="rdkit")
    m, donor = cx.coords[cx.metal_index], cx.axial_indices[1]
    axis = (cx.coords[donor] - m) / np.linalg.norm(cx.coords[donor] - m)
    frag = cx.fragment[donor]
    coords = cx.coords.copy()
    coords[[i for i, f in enumerate(cx.fragment) if f == frag]] += shift_A * axis
    return cx.copy(coords=coords)


def test_a_neutral_donor_beyond_2_8_A_is_dissociated_and_has_no_distance():
    cx = _pulled_out("OC", 0.7)
    r1, r2 = axial_distances(cx)
    assert r1 == pytest.approx(2.30, abs=0.01) and r2 == pytest.approx(3.00, abs=0.01)  # template O 2.30 A
    assert is_dissociated((r1, r2), 0) and not is_dissociated((r1, r2), -1)  # anions are not judged so
    assert not is_dissociated(axial_distances(_pulled_out("OC", 0.3)), 0)
    # the structure checks every relaxation runs flag the same geometry, so the record carries the flag
    assert any(f.startswith(DISSOCIATED) for f in run_checks(cx).flags)
    assert not any(f.startswith(DISSOCIATED) for f in run_checks(_pulled_out("[O-]C", 0.7)).flags)
    rec = {"smiles": "OC", "method": "xtb-gfn2-axial", "ok": True, "error": None, "r_dyl_1_A": r1,
           "r_dyl_2_A": r2, "ligand_charge": 0, "ligand_class": 1, "complex_flags": ["lost-donor"], "cpu_s": 3.0}
    kept = dict(rec, smiles="OCC", r_dyl_2_A=2.4, complex_flags=[])
    table = records_to_frame([rec, kept]).set_index("smiles")
    assert math.isnan(table.loc["OC", columns.R_DYL]) and table.loc["OC", "r_dyl_raw_A"] == pytest.approx(2.65)
    assert table.loc["OC", columns.R_DYL_FLAGS] == "dissociated;lost-donor"
    assert table.loc["OCC", columns.R_DYL] == pytest.approx((r1 + 2.4) / 2)
    assert table.loc["OCC", columns.R_DYL_FLAGS] == ""
    # an anion whose donor let go (another atom binds): a real case, [O-]C(C)(CO)C(=O)C=O at 3.15 A in GFN2
    broken = records_to_frame([dict(kept, smiles="[O-]CC", ligand_charge=-1, ligand_class=3, r_dyl_1_A=3.15,
                                    r_dyl_2_A=3.15, complex_flags=["chelation", "lost-donor"])])
    assert math.isnan(broken[columns.R_DYL][0]) and broken[columns.R_DYL_FLAGS][0] == "chelation;lost-donor"
    assert broken["r_dyl_raw_A"][0] == pytest.approx(3.15)
    chelated = records_to_frame([dict(kept, complex_flags=["chelation"])])  # still the donor's bond: kept
    assert chelated[columns.R_DYL][0] == pytest.approx((r1 + 2.4) / 2)
    flagged = records_to_frame([dict(kept, complex_flags=[DISSOCIATED, "chelation"])])  # flag from the checks
    assert math.isnan(flagged[columns.R_DYL][0]) and flagged[columns.R_DYL_FLAGS][0] == "dissociated;chelation"
    # a failed geometry keeps its error and has no distance
    failed = records_to_frame([{"smiles": "NC", "method": "xtb-gfn2-axial", "ok": False,
                                "error": "RelaxationError: x"}])
    assert math.isnan(failed[columns.R_DYL][0]) and failed["error"][0].startswith("RelaxationError")


def test_the_geometry_path_names_the_cache_key_and_an_unknown_one_is_refused():
    assert axial_labeller().key == "xtb-gfn2-axial" and axial_labeller(relax="axial-ff").key == "xtb-gfnff-axial"
    rec = {"smiles": "OC", "method": "xtb-gfnff-axial", "ok": True, "error": None, "r_dyl_1_A": 2.3,
           "r_dyl_2_A": 2.4, "ligand_charge": 0, "ligand_class": 1, "geometry_method": "xtb-gfnff-axial"}
    assert records_to_frame([rec])[columns.R_DYL_METHOD][0] == "xtb-gfnff-axial"
    with pytest.raises(DataFormatError, match="axial-ff"):
        axial_labeller(relax="constrained")
