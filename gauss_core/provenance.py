"""Provenance tags: every stored or displayed number names the method that made it."""

from __future__ import annotations

XTB_GFN2 = "xtb-gfn2"
XTB_GFN1 = "xtb-gfn1"
OPENMOLCAS_LOPROP = "openmolcas-loprop"
CF_POINTCHARGE = "cf-pointcharge"
CASSCF_OPENMOLCAS = "casscf-openmolcas"
CASSCF_ORCA = "casscf-orca"
IMPORTED = "imported"
MODEL_PREDICTION = "gauss2-prediction"
DFT_AXIAL_Y = "dft-pbe-def2svp-y-axial"  # Y(III)-analogue DFT axial distance (complexes.dft_reference)
# Gaussian-process surrogate on the 32-d latent, fitted on CASSCF results (gauss_core.surrogate): an estimate.
SURROGATE_GP_LATENT = "surrogate-gp-latent"

ALL = (XTB_GFN2, XTB_GFN1, OPENMOLCAS_LOPROP, CF_POINTCHARGE, CASSCF_OPENMOLCAS, CASSCF_ORCA, IMPORTED,
       MODEL_PREDICTION, SURROGATE_GP_LATENT, DFT_AXIAL_Y)

# Tags whose KD numbers come from an ab initio calculation; everything else is an estimate.
CASSCF_TAGS = frozenset({CASSCF_OPENMOLCAS, CASSCF_ORCA})


def is_casscf(tag: str) -> bool:
    """True only for genuine CASSCF results; estimates must never be shown as CASSCF."""
    return tag in CASSCF_TAGS


def describe(tag: str) -> str:
    """Human-readable name of a provenance tag, for legends and tables."""
    names = {
        XTB_GFN2: "GFN2-xTB (fast proxy)",
        XTB_GFN1: "GFN1-xTB (fast proxy)",
        OPENMOLCAS_LOPROP: "OpenMolcas LoProp PBE",
        CF_POINTCHARGE: "crystal-field point-charge estimate",
        CASSCF_OPENMOLCAS: "CASSCF(9,7)+SO, OpenMolcas",
        CASSCF_ORCA: "CASSCF(9,7)+QDPT, ORCA",
        IMPORTED: "imported by user",
        MODEL_PREDICTION: "GAUSS-II model prediction",
        DFT_AXIAL_Y: "PBE/def2-SVP axial distance, Y(III) analogue (PySCF)",
        SURROGATE_GP_LATENT: "latent-space GP surrogate fitted on CASSCF results (estimate)",
    }
    if tag in names:
        return names[tag]
    if tag.startswith(SURROGATE_GP_LATENT):
        return f"latent-space GP surrogate, an estimate ({tag})"
    if tag.startswith("kd-calibrated"):
        return f"calibrated KD estimate ({tag})"
    return tag


COMPUTED_DISTANCE = "computed Dy–L distance"
FIXED_DISTANCE = "fixed Dy–L distance"


def recorded_basis(kd_basis: object) -> str:
    """A CASSCF result's kd_basis ("Dy ANO-RCC-VDZP, ligands ANO-RCC-MB"), or "" when missing (None, NaN) or not
    recorded by its job (jobs.labels writes "Dy ?, ligands ?")."""
    text = kd_basis if isinstance(kd_basis, str) else ""
    return "" if "?" in text else text.strip()


def basis_label(kd_basis: object) -> str:
    """Short name of a CASSCF result's basis ("Dy ANO-RCC-VDZP, ligands ANO-RCC-MB" -> "basis Dy VDZP / ligands
    MB"); "" when not recorded. A neutral donor's first gap moves by up to a factor 10 between ligand MB and VDZP
    (docs/casscf.md, basis study), so results on different bases are named apart."""
    parts = [part.strip().replace("ANO-RCC-", "") for part in recorded_basis(kd_basis).split(",") if part.strip()]
    return "basis " + " / ".join(parts) if parts else ""


def setup_label(geometry_source: object, kd_basis: object = None) -> str:
    """What a KD value was computed on: the kind of Dy-L distance and, for CASSCF, the basis (" · "-joined)."""
    return " · ".join(x for x in (axial_distance_kind(geometry_source), basis_label(kd_basis)) if x)


def axial_distance_kind(geometry_source: object) -> str:
    """Whether a complex geometry's Dy-L axial distance was computed or fixed per donor class, from its
    geometry provenance (e.g. "xtb-gfn2-axial+dft-class-linear-n18 (builder search)", "xtb-gfn2-constrained
    [flags: ...]"); "" when the source does not say or is missing (None, NaN). Within a class the first KD gap
    follows this distance, so results on the two kinds are not directly comparable."""
    head = str(geometry_source or "").split(" [")[0].strip()
    if "-axial" in head or head.startswith("dft-"):
        return COMPUTED_DISTANCE
    if head.startswith(("xtb-gfn2-constrained", "xtb-gfn2-bounded", "molsimplify", "rdkit")):
        return FIXED_DISTANCE
    return ""
