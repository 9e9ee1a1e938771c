"""gauss_core.provenance: tags, their names, and the geometry kind a CASSCF result was computed on."""

from gauss_core import provenance as P


def test_only_casscf_tags_count_as_casscf_and_every_tag_has_a_name():
    assert P.is_casscf(P.CASSCF_OPENMOLCAS) and P.is_casscf(P.CASSCF_ORCA)
    assert not any(P.is_casscf(t) for t in (P.CF_POINTCHARGE, P.SURROGATE_GP_LATENT, "kd-calibrated-ridge-v1", ""))
    assert all(P.describe(t) != t for t in P.ALL)
    assert "estimate" in P.describe("kd-calibrated-ridge-v1")


def test_axial_distance_kind_reads_the_geometry_provenance():
    """Real kd_geometry_source values of the bundled results (assets/kd): the campaign's mapped GFN2 axial
    geometry and the DFT reference have a computed Dy-L distance; the constrained/bounded relaxations and an
    unrelaxed build keep the class template's; flags after ' [' do not change it; unknown sources say nothing."""
    computed = ("xtb-gfn2-axial+dft-class-linear-n18 (builder search)", "xtb-gfn2-axial", "xtb-gfnff-axial",
                "dft-pbe-def2svp-y-axial ligand conformer at r 2.156 A")
    fixed = ("xtb-gfn2-constrained", "xtb-gfn2-constrained [flags: bond-broken: 1 bond(s) stretched; -axial]",
             "xtb-gfn2-bounded", "molsimplify", "rdkit-conformers-gfnff-lowest")
    assert {P.axial_distance_kind(g) for g in computed} == {P.COMPUTED_DISTANCE}
    assert {P.axial_distance_kind(g) for g in fixed} == {P.FIXED_DISTANCE}
    assert P.axial_distance_kind("") == P.axial_distance_kind("xyz file") == ""
