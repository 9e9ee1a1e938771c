"""The string-valued states and modes that several modules compare, as StrEnums.

Their values are exactly the strings stored in SQLite, job.json, checkpoints and CSV files, so a member
compares equal to (and serialises as) its stored string. A light module on purpose: the CLI builds its
argument choices from these without importing the job queue or the model.
"""

from __future__ import annotations

from enum import StrEnum


class JobState(StrEnum):
    """A queue job's state: queued -> running -> done | failed | cancelled."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ExecutorName(StrEnum):
    """Where a queue job runs (stored with the job)."""

    LOCAL = "local"
    SLURM = "slurm"


class ExportFormat(StrEnum):
    """File formats a complex is exported in."""

    XYZ = "xyz"
    MOL2 = "mol2"
    SDF = "sdf"


class HeadKind(StrEnum):
    """The VAE's property head (ModelConfig.head, stored in checkpoints)."""

    GAUSS2 = "gauss2"   # latent -> 4 donor proxies (the paper's GAUSS-II)
    GAUSS1 = "gauss1"   # latent + 6-d structure -> 7 KD gaps
    NONE = "none"


class KDMode(StrEnum):
    """How the KD mapping set's complexes are made before the estimate (column kd_mode)."""

    TEMPLATE_SP = "template-sp"   # RDKit template + xtb single-point charges, no relaxation
    RELAXED = "relaxed"           # assembled + constrained xtb relaxation
    # lowest-energy conformer, GFN2 chooses the axial distance, the per-class DFT map corrects it
    AXIAL_MAPPED = "axial-mapped"


class CasscfGeometry(StrEnum):
    """Geometry of a queued CASSCF job (parameter `geometry`)."""

    ASSEMBLE = "assemble"     # assembled (+ xtb relaxation when relax=true)
    IDEALISED = "idealised"   # the idealised methoxide complex (methoxide only)
    XYZ = "xyz"               # a stored XYZ file (param xyz=<path>): one geometry for several basis settings
    AXIAL = "axial"           # assembled + xtb relax(mode='axial'): GFN2 chooses the axial Dy-L distance
    AXIAL_FF = "axial-ff"     # assembled + xtb relax(mode='axial-ff'): GFN-FF chooses it (GFN2 charges)
    AXIAL_MAPPED = "axial-mapped"  # GFN2's axial distance mapped onto the DFT references (complexes.axial_map)


class CasscfMethod(StrEnum):
    """Program of a queued CASSCF job (parameter `method`)."""

    OPENMOLCAS = "openmolcas"
    ORCA = "orca"             # only writes the input and runs ORCA when installed; nothing is parsed


class RelaxMode(StrEnum):
    """How gauss_core.complexes.relax relaxes a complex ("none" = the assembled geometry as it is)."""

    NONE = "none"
    CONSTRAINED = "constrained"  # axial distance of the donor-class template
    BOUNDED = "bounded"
    FREE = "free"  # unconstrained, for comparison only
    AXIAL = "axial"  # GFN2 chooses the axial distance
    AXIAL_FF = "axial-ff"  # GFN-FF chooses the axial distance
    AXIAL_MAPPED = "axial-mapped"  # GFN2 chooses it, the per-class DFT map corrects it (complexes.axial_map)


class Builder(StrEnum):
    """How the [Dy(H2O)5L2]+ template is built (complexes.assemble)."""

    AUTO = "auto"  # molSimplify, RDKit when molSimplify fails or is flagged
    MOLSIMPLIFY = "molsimplify"  # a random Open Babel conformer on each call
    RDKIT = "rdkit"  # seeded ETKDG conformers, picked for clearance
    SEARCH = "search"  # seeded ETKDG conformers, the lowest energy (GFN-FF, then GFN2 on the best 4; needs xtb)
