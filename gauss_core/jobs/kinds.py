"""Registry of job kinds: what a job of each kind computes, given its ligand SMILES and parameters.

A kind's `run(ctx)` executes inside the job directory (in a runner process the executor can kill as
a whole process group) and returns a JSON-serialisable result dict.

Kinds:
    casscf  OpenMolcas CASSCF(9,7)+SO on [Dy(H2O)5L2]+ -> 8 KD energies, g-tensors, B(k,q).
    loprop  OpenMolcas LoProp donor-atom labels of the free ligand (gauss_core.proxies.loprop).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gauss_core import columns
from gauss_core.errors import GaussError
from gauss_core.kd.molcas_input import MolcasCasscfConfig
from gauss_core.provenance import CASSCF_OPENMOLCAS, DFT_AXIAL_Y, OPENMOLCAS_LOPROP
from gauss_core.modes import Builder, CasscfGeometry, CasscfMethod


class UnknownJobKindError(GaussError):
    """A job kind that is not registered."""


@dataclass
class JobContext:
    """What a running job knows: its id, ligand, parameters and directory."""

    job_id: int
    kind: str
    smiles: str
    params: dict
    workdir: Path

    def log(self, message: str) -> None:
        """Append a time-stamped line to the job's log.txt."""
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        with open(self.workdir / "log.txt", "a") as fh:
            fh.write(f"[{stamp}] [{self.kind}] {message}\n")


@dataclass(frozen=True)
class JobKind:
    """A registered job kind."""

    name: str
    run: Callable[[JobContext], dict]
    provenance: str
    description: str
    default_params: dict = field(default_factory=dict)


REGISTRY: dict[str, JobKind] = {}


def register_kind(kind: JobKind) -> JobKind:
    """Add (or replace) a job kind in the registry."""
    REGISTRY[kind.name] = kind
    return kind


def get_kind(name: str) -> JobKind:
    """The registered kind called name; raises UnknownJobKindError listing the known ones."""
    if name not in REGISTRY:
        raise UnknownJobKindError(f"unknown job kind {name!r}; choose one of {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]


def resolve_params(name: str, params: dict | None) -> dict:
    """Kind defaults overlaid with the user's parameters; unknown keys are an error."""
    from gauss_core.ligands.validate import validate_params

    return validate_params(name, get_kind(name).default_params, params, PARAM_CHOICES)


# Parameters with a fixed set of values, checked on enqueue rather than when the job runs.
PARAM_CHOICES: dict[str, tuple[str, ...]] = {"geometry": tuple(CasscfGeometry),
                                             "ligand_basis": ("ANO-RCC-MB", "ANO-RCC-VDZ", "ANO-RCC-VDZP",
                                                              "ANO-RCC-VTZP", "donor-VDZP", "shell-VDZP"),
                                             "dy_basis": ("ANO-RCC-VDZP", "ANO-RCC-VTZP", "ANO-RCC-VQZP"),
                                             "method": tuple(CasscfMethod),
                                             "builder": tuple(Builder)}


def check_smiles(smiles: str) -> str:
    """Validate a job's SMILES before any work: no whitespace (RDKit would silently read the text after
    a space as a molecule name and compute something else), and parseable by RDKit.

    Returns:
        The SMILES, unchanged.
    """
    from gauss_core.ligands.validate import validate_ligand

    validate_ligand(smiles)  # also refuses radicals, metals, oversized and donor-less ligands
    return smiles


# ------------------------------------------------------------------------------------------- casscf

CASSCF_DEFAULTS = {
    "method": CasscfMethod.OPENMOLCAS.value,  # "openmolcas" runs here; "orca" needs an ORCA 5 binary on PATH
    # the calculation's own defaults (MolcasCasscfConfig; why VDZP on every ligand atom: docs/casscf.md)
    "dy_basis": MolcasCasscfConfig.dy_basis,
    "ligand_basis": MolcasCasscfConfig.ligand_basis,
    "n_roots": 21,
    "memory_mb": 2000,
    # "assemble" (+ constrained xtb relax if relax), "axial" / "axial-ff" (GFN2 / GFN-FF chooses the axial
    # distance), "axial-mapped" (GFN2's distance mapped onto the DFT references), "idealised" (methoxide only)
    # or "xyz"
    "geometry": CasscfGeometry.ASSEMBLE.value,
    "relax": True,                 # GFN2-xTB constrained relaxation of the assembled complex (seconds)
    "builder": "auto",             # template builder; "search" = lowest-energy ligand conformer
    "xyz": "",                     # geometry="xyz": a stored XYZ (XyzStructure.to_xyz), so settings share it
    "timeout_s": 6 * 3600,
}


# The ligand bases a chemist picks between when queueing (dashboard), with what the basis study found
# (docs/casscf.md, docs/casscf_basis_study.csv); the other PARAM_CHOICES stay for studies and the CLI.
LIGAND_BASIS_NOTES = {
    "ANO-RCC-VDZP": "ANO-RCC-VDZP: first gap within 6 % of the largest basis tried; ~4-13x MB's CPU",
    "ANO-RCC-MB": "ANO-RCC-MB: fast, but a neutral donor's first gap can be off by up to 10x",
}


def run_casscf(ctx: JobContext) -> dict:
    """CASSCF(9,7)+SO of [Dy(H2O)5L2]+ for ctx.smiles; returns KD energies, gaps, g-tensors, B(k,q)."""
    from gauss_core.jobs.geometry import casscf_complex, idealised_dy_water5_methoxide2, METHOXIDE_SMILES
    from gauss_core.kd import molcas_casscf as mc
    from gauss_core.kd.molcas_orbitals import check_active_space

    p = ctx.params
    t0 = time.time()
    check_smiles(ctx.smiles)
    if p["geometry"] == CasscfGeometry.IDEALISED:
        if ctx.smiles.strip() not in METHOXIDE_SMILES:
            raise GaussError("geometry='idealised' exists only for methoxide ([O-]C); use geometry='assemble'")
        structure, source, cplx = idealised_dy_water5_methoxide2(), "idealised-methoxide", None
    elif p["geometry"] == CasscfGeometry.ASSEMBLE:
        structure, source, cplx = casscf_complex(ctx.smiles, relax=bool(p["relax"]), builder=str(p["builder"]))
    elif p["geometry"] in (CasscfGeometry.AXIAL, CasscfGeometry.AXIAL_FF, CasscfGeometry.AXIAL_MAPPED):  # relax() modes
        structure, source, cplx = casscf_complex(ctx.smiles, relax=True, mode=str(p["geometry"]),
                                                 builder=str(p["builder"]))
    elif p["geometry"] == CasscfGeometry.XYZ:
        path = Path(str(p["xyz"]))
        if not path.is_file():
            raise GaussError(f"geometry='xyz' needs xyz=<path of an existing XYZ file>, got {str(path)!r}")
        structure, source, cplx = mc.read_xyz_structure(path.read_text()), f"xyz:{path}", None
    else:
        raise GaussError(f"geometry={p['geometry']!r}: choose one of {', '.join(CasscfGeometry)}")
    (ctx.workdir / "complex.xyz").write_text(structure.to_xyz())
    ctx.log(f"geometry: {source}, {len(structure.symbols)} atoms, charge {structure.charge}")
    features = estimate_features(cplx, ctx.log)
    if p["method"] == CasscfMethod.ORCA:
        from gauss_core.kd import orca
        return orca.run_orca_job(structure, ctx.workdir, log=ctx.log) | {"geometry_source": source,
                                                                          "estimate_features": features}
    if p["method"] != CasscfMethod.OPENMOLCAS:
        raise GaussError(f"method={p['method']!r}: choose 'openmolcas' or 'orca'")
    config = mc.MolcasCasscfConfig(dy_basis=p["dy_basis"], ligand_basis=p["ligand_basis"],
                                   n_roots=int(p["n_roots"]), memory_mb=int(p["memory_mb"]))
    config.validate()
    ctx.log(f"running OpenMolcas (Dy {config.dy_basis}, ligands {config.ligand_basis}, {config.n_roots} roots, "
            f"start orbitals {config.start_orbitals})")
    if config.start_orbitals == "guessorb-4f":
        run, output, swaps = mc.run_casscf_4f_guess(structure, config, ctx.workdir, project="casscf",
                                                    timeout_s=float(p["timeout_s"]), new_session=False, log=ctx.log)
    else:
        run = mc.run_molcas(mc.write_molcas_input(structure, config), ctx.workdir, memory_mb=config.memory_mb,
                            project="casscf", new_session=False, timeout_s=float(p["timeout_s"]))
        output, swaps = run.output_path.read_text(errors="replace") if run.output_path.exists() else "", []
    if run.returncode != 0:
        raise mc.MolcasRunError(f"pymolcas exited with code {run.returncode}: {mc.molcas_error_summary(output)};"
                                f" see {run.output_path}")
    result = mc.parse_molcas_output(output)
    active_4f = check_active_space(ctx.workdir / "casscf.rasscf.h5", structure, ctx.log)  # raises if not 4f
    freed = mc.prune_outputs(ctx.workdir)
    ctx.log(f"pruned {freed / 1e6:.0f} MB of per-root orbital files and scratch")
    ctx.log("KD energies (cm-1): " + " ".join(f"{e:.1f}" for e in result.energies_cm1))
    ctx.log(f"ground KD g = {result.doublets[0].g}")
    return {"provenance": CASSCF_OPENMOLCAS, "method": CasscfMethod.OPENMOLCAS.value, "geometry_source": source,
            "basis": {"Dy": config.dy_basis, "ligands": config.ligand_basis}, "n_roots": config.n_roots,
            "start_orbitals": config.start_orbitals, "orbital_swaps": [list(pair) for pair in swaps],
            "wall_s": round(time.time() - t0, 1), "output": run.output_path.name, "estimate_features": features,
            "active_4f_population": active_4f, **result.to_dict()}


def estimate_features(cplx, log) -> dict | None:
    """The calibrated estimate's descriptors (and the point-charge gaps) of the very geometry CASSCF gets,
    so a later calibration fits CASSCF against the same structure; None when unavailable (never fatal)."""
    if cplx is None:
        return None
    try:
        from gauss_core.kd.estimate import complex_features

        feats = complex_features(cplx)
    except Exception as exc:  # the CASSCF result matters more than its descriptors
        log(f"estimate descriptors not computed: {exc}")
        return None
    log("point-charge estimate on this geometry: gap1 {:.0f}, gap7 {:.0f} cm-1".format(
        float(feats["cf_gap1_cm1"]), float(feats["cf_gap7_cm1"])))
    return {k: v for k, v in feats.items() if k != columns.SMILES}


register_kind(JobKind("casscf", run_casscf, CASSCF_OPENMOLCAS,
                      "CASSCF(9,7)+SO on [Dy(H2O)5L2]+ (OpenMolcas): 8 KDs, g-tensors, crystal field",
                      CASSCF_DEFAULTS))


# ------------------------------------------------------------------------------------------- loprop

LOPROP_DEFAULTS = {"basis": "ANO-R1"}


def run_loprop(ctx: JobContext) -> dict:
    """LoProp donor-atom labels of the free ligand via gauss_core.proxies.loprop.run_loprop_job."""
    from gauss_core.chem import mol_from_smiles
    from gauss_core.proxies.loprop import run_loprop_job

    check_smiles(ctx.smiles)
    charge = sum(a.GetFormalCharge() for a in mol_from_smiles(ctx.smiles).GetAtoms())
    ctx.log(f"LoProp ({ctx.params['basis']}) of the free ligand, charge {charge}")
    result = run_loprop_job(ctx.smiles, charge, ctx.workdir, basis=ctx.params["basis"])
    return json.loads(json.dumps(result, default=str))  # paths -> strings


register_kind(JobKind("loprop", run_loprop, OPENMOLCAS_LOPROP,
                      "LoProp PBE donor-atom charge, dipole, polarisability of the ligand (OpenMolcas)",
                      LOPROP_DEFAULTS))


# ---------------------------------------------------------------------------------------- dft-axial

# builder "search": the lowest-energy ligand conformer, so that a reference and the cheap path relaxed
# from the same build share the conformer (jobs queued before 2026-12-04 used "auto", a random molSimplify one)
DFT_AXIAL_DEFAULTS = {"xc": "pbe", "basis": "def2-svp", "grad_tol": 3e-4, "max_steps": 10, "builder": "search"}


def run_dft_axial(ctx: JobContext) -> dict:
    """DFT (PySCF, Y(III) analogue) axial metal-donor distances of [Dy(H2O)5L2]+, starting from the GFN2-xTB
    constrained relaxation; the reference the cheap geometry paths are judged against (docs/geometry.md)."""
    from gauss_core.complexes import to_xyz
    from gauss_core.complexes.dft_reference import DftAxialConfig, optimise_axial, recover_state
    from gauss_core.kd.characterise import build_geometry

    p = ctx.params
    check_smiles(ctx.smiles)
    t0 = time.time()
    start = build_geometry(ctx.smiles, "constrained", builder=str(p["builder"]), validate=False)  # validated above
    (ctx.workdir / "start_xtb.xyz").write_text(to_xyz(start))
    ctx.log(f"start: {start.geometry_provenance}, {start.n_atoms} atoms, flags {start.flags or 'none'}")
    config = DftAxialConfig(xc=str(p["xc"]), basis=str(p["basis"]), grad_tol=float(p["grad_tol"]),
                            max_steps=int(p["max_steps"]))
    state_path = ctx.workdir / "dft_state.json"
    if recover_state(state_path):
        ctx.log("DFT steps of an earlier attempt brought back from attempt-<n>/")
    result = optimise_axial(start, config, log=ctx.log, state_path=state_path)
    (ctx.workdir / "complex_dft.xyz").write_text(result.to_xyz(f"{result.provenance} {ctx.smiles}"))
    ctx.log(f"r = {result.r_mean_A:.4f} A after {result.steps} steps, flags {result.flags or 'none'}")
    return {**result.to_dict(), "start_flags": list(start.flags), "n_atoms": start.n_atoms,
            "xc": config.xc, "basis": config.basis, "builder": str(p["builder"]), "wall_s": round(time.time() - t0, 1)}


register_kind(JobKind("dft-axial", run_dft_axial, DFT_AXIAL_Y,
                      "DFT (PBE/def2-SVP, Y analogue) axial metal-ligand distance of [Dy(H2O)5L2]+ (PySCF)",
                      DFT_AXIAL_DEFAULTS))
