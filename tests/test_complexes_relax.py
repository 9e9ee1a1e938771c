"""GFN2-xTB relaxation on the Y analogue (real xtb runs, a few seconds each)."""

from __future__ import annotations

import numpy as np
import pytest

from gauss_core import provenance
from gauss_core.complexes import RelaxConfig, assemble, descriptors, relax
from gauss_core.errors import MissingProgramError

STRUCTURAL = ("chelation", "lost-donor", "proton-transfer", "bent-axis", "metal-contact", "bond-broken")


@pytest.fixture(scope="module")
def ome():
    return assemble("[O-]C", builder="rdkit")


@pytest.fixture(scope="module")
def ome_relaxed(ome):
    return relax(ome, "constrained")


@pytest.mark.needs_xtb
def test_constrained_keeps_the_core_and_puts_dy_back(ome, ome_relaxed):
    r = ome_relaxed
    assert r.geometry_provenance == "xtb-gfn2-constrained"
    assert r.symbols[r.metal_index] == "Dy"          # relaxed as Y, Dy put back
    core = [r.metal_index, *r.donor_indices]
    assert np.allclose(r.coords[core], ome.coords[core], atol=1e-4)  # $fix: exactly fixed
    assert not np.allclose(r.coords, ome.coords, atol=1e-3)           # the rest moved
    assert r.atomic_charges is not None and r.atomic_charges_provenance == provenance.XTB_GFN2
    assert r.atomic_charges.sum() == pytest.approx(r.charge, abs=1e-3)
    assert r.atomic_charges[r.axial_indices].max() < -0.3             # alkoxide O is negative
    d = descriptors(r)
    assert d["r_Dy_L1_A"] == pytest.approx(2.15, abs=1e-3)            # DFT-like axial distance kept
    assert d["angle_L_Dy_L_deg"] == pytest.approx(180.0, abs=0.1)
    assert not any(f.startswith(STRUCTURAL) for f in r.flags), r.flags


@pytest.mark.needs_xtb
def test_bounded_relaxation_holds_distances(ome_relaxed):
    b = relax(ome_relaxed, "bounded")
    assert b.geometry_provenance in ("xtb-gfn2-bounded", "xtb-gfn2-constrained")
    if b.geometry_provenance == "xtb-gfn2-constrained":  # rejected: the reason must be recorded
        assert any(f.startswith("bounded-relaxation-rejected") for f in b.flags)
    d = descriptors(b)
    assert d["r_Dy_L1_A"] == pytest.approx(2.15, abs=0.05)
    assert d["angle_L_Dy_L_deg"] > 170


@pytest.mark.slow
@pytest.mark.needs_xtb
@pytest.mark.parametrize("smiles", ["[O-]C(=O)C", "[O-]COC", "[O-]N=O"])
def test_constraints_prevent_chelation_that_free_relaxation_shows(smiles):
    """A second O two bonds from the donor: free GFN2 chelates and bends the axis; constrained does not."""
    cx = assemble(smiles, builder="rdkit")
    free = relax(cx, "free")
    assert free.geometry_provenance == "xtb-gfn2-free"
    assert any(f.startswith("chelation") for f in free.flags), free.flags
    held = relax(cx, "constrained")
    assert not any(f.startswith(STRUCTURAL) for f in held.flags), held.flags
    assert held.checks["n_donors"] == 7 and held.checks["n_extra_within_2p8_A"] == 0


def test_missing_xtb_is_reported():
    cx = assemble("[O-]C", builder="rdkit")
    with pytest.raises(MissingProgramError, match="xtb is not installed"):
        relax(cx, config=RelaxConfig(xtb="/nonexistent/xtb"))
