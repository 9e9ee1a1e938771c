"""CASSCF job geometries (gauss_core.jobs.geometry): the axial geometry is a real GFN2 relaxation whose Dy-L
distance is computed, not the class template's, and its method is named in the job's geometry source."""

from __future__ import annotations

import numpy as np
import pytest

from gauss_core.jobs.kinds import resolve_params
from gauss_core.modes import CasscfGeometry


def _r_dy_l(cplx) -> float:
    return float(np.mean([np.linalg.norm(cplx.coords[i] - cplx.coords[cplx.metal_index]) for i in cplx.axial_indices]))


def test_axial_is_a_casscf_geometry_choice():
    assert resolve_params("casscf", {"geometry": "axial"})["geometry"] == CasscfGeometry.AXIAL == "axial"
    assert resolve_params("casscf", {"geometry": "axial-ff"})["geometry"] == CasscfGeometry.AXIAL_FF
    with pytest.raises(Exception, match="not one of"):
        resolve_params("casscf", {"geometry": "bounded"})


@pytest.mark.needs_xtb
def test_axial_geometry_of_methoxide_is_built_and_named():
    from gauss_core.jobs.geometry import casscf_complex

    structure, source, cplx = casscf_complex("[O-]C", relax=True, mode="axial")
    assert source == "xtb-gfn2-axial" and cplx is not None and cplx.geometry_provenance == source
    assert len(structure.symbols) == 26 and structure.charge == 1
    _, fixed_source, fixed = casscf_complex("[O-]C", relax=True)  # the default: the template's 2.15 A
    assert fixed_source.startswith("xtb-gfn2-constrained") and fixed is not None
    assert abs(_r_dy_l(fixed) - 2.15) < 0.02
    # GFN2 chooses its own axial distance (1.88 A for methoxide here: short of DFT, see relax.relax)
    assert 1.75 < _r_dy_l(cplx) < 2.3 and abs(_r_dy_l(cplx) - _r_dy_l(fixed)) > 0.03


@pytest.mark.needs_xtb
def test_casscf_geometry_from_the_search_builder_names_it():
    from gauss_core.jobs.geometry import casscf_complex

    structure, source, cplx = casscf_complex("[O-]C", relax=True, mode="axial", builder="search")
    assert cplx is not None and cplx.builder == "search"
    assert source.startswith("xtb-gfn2-axial (builder search)")
    assert len(structure.symbols) == cplx.n_atoms
