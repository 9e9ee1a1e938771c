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


def test_setup_label_names_distance_and_basis():
    """A CASSCF value names what it was computed on; a result that did not record its basis (jobs.labels writes
    "Dy ?, ligands ?") and a missing one (NaN in a merged table) say nothing about the basis."""
    assert P.basis_label("Dy ANO-RCC-VDZP, ligands ANO-RCC-MB") == "basis Dy VDZP / ligands MB"
    assert P.basis_label("Dy ?, ligands ?") == P.basis_label(float("nan")) == P.basis_label(None) == ""
    assert (P.setup_label("xtb-gfn2-constrained", "Dy ANO-RCC-VTZP, ligands ANO-RCC-VDZP")
            == "fixed Dy–L distance · basis Dy VTZP / ligands VDZP")
    assert P.setup_label(float("nan"), "Dy ANO-RCC-VDZP, ligands donor-VDZP") == "basis Dy VDZP / ligands donor-VDZP"
    assert P.setup_label("xtb-gfn2-axial") == P.COMPUTED_DISTANCE
