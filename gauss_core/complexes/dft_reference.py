"""DFT reference of the axial metal-ligand distance of [Dy(H2O)5L2]+, on the Y(III) analogue (PySCF).

Why Y: Dy(III) has an open 4f^9 shell that Kohn-Sham DFT handles poorly and that barely takes part in
bonding; Y(III) has the same charge and almost the same ionic radius (Y3+ 0.90 A, Dy3+ 0.91 A, CN 6), a
closed shell, and a standard small-core ECP with def2 basis sets. The paper relaxes its complexes on the
Y analogue for the same reason. The result is labelled as a Y-analogue DFT distance, never as Dy.

What is optimised: the two axial ligands are moved as rigid bodies along their metal->donor axes (two
coordinates) until the DFT force along each axis vanishes; the metal, the water pentagon and the ligand
bodies stay as the GFN2-xTB constrained relaxation left them. This is the coordinate that sets the first
KD gap (about -230 cm-1 per 0.1 A within a donor class) and the one GFN2 gets wrong (axial bonds
0.2 A too short); a full optimisation costs 5-10 times more on this machine (measured: one PBE/def2-SVP
SCF + gradient of [Y(H2O)5(OMe)2]+ takes about 75 s on one core) and moves r by less than the
ligand-to-ligand spread we need to resolve. Each step is a Newton step with a secant-updated force
constant per coordinate.

A neutral donor that drifts beyond `dissociation_A` is flagged as dissociated and not optimised further:
such a complex has no meaningful axial crystal field.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gauss_core.atomic import atomic_write_json, atomic_write_text
from gauss_core.complexes.structure import Complex
from gauss_core.errors import GaussError
from gauss_core.provenance import DFT_AXIAL_Y

BOHR_A = 0.529177210903


class DftReferenceError(GaussError):
    """The DFT reference calculation failed (SCF did not converge, PySCF missing, bad structure)."""


@dataclass(frozen=True)
class DftAxialConfig:
    """Settings of the axial DFT optimisation.

    xc / basis / auxbasis: functional and basis (def2 ECP on Y); density fitting of J only (GGA).
    grid_level: PySCF DFT grid level (2 is ample for forces to 1e-4 Eh/A on these systems).
    grad_tol: stop when |force along each axis| is below this (Eh/A); 3e-4 Eh/A with force constants of
        ~0.2 Eh/A^2 leaves r within ~0.002 A of the minimum.
    max_steps: cap of gradient evaluations; max_step_A: cap of one Newton step.
    k0: initial force constant of each axial coordinate (Eh/A^2).
    dissociation_A: a donor beyond this distance counts as dissociated.
    threads: PySCF threads (one per process on the shared 2-core machine).
    """

    xc: str = "pbe"
    basis: str = "def2-svp"
    auxbasis: str = "def2-universal-jfit"
    grid_level: int = 2
    conv_tol: float = 1e-8
    grad_tol: float = 3e-4
    max_steps: int = 10
    max_step_A: float = 0.12
    k0: float = 0.2
    dissociation_A: float = 2.8
    threads: int = 1


@dataclass
class DftAxialResult:
    """Outcome of one axial optimisation; distances in Angstrom, energy in Hartree."""

    r_axial_A: list[float]
    r_start_A: list[float]
    energy_Eh: float
    forces_Eh_A: list[float]
    steps: int
    converged: bool
    flags: list[str]
    coords: np.ndarray
    symbols: list[str]
    history: list[dict] = field(default_factory=list)
    cpu_s: float = 0.0
    provenance: str = DFT_AXIAL_Y

    @property
    def r_mean_A(self) -> float:
        return float(np.mean(self.r_axial_A))

    def to_xyz(self, comment: str = "") -> str:
        lines = [str(len(self.symbols)), comment]
        lines += [f"{s:2s} {x:12.6f} {y:12.6f} {z:12.6f}" for s, (x, y, z) in zip(self.symbols, self.coords,
                                                                                   strict=True)]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict:
        return {"provenance": self.provenance, "r_axial_A": [round(r, 4) for r in self.r_axial_A],
                "r_mean_A": round(self.r_mean_A, 4), "r_start_A": [round(r, 4) for r in self.r_start_A],
                "energy_Eh": self.energy_Eh, "forces_Eh_A": self.forces_Eh_A, "steps": self.steps,
                "converged": self.converged, "flags": list(self.flags), "history": self.history,
                "cpu_s": round(self.cpu_s, 1)}


def _y_analogue_symbols(cx: Complex) -> list[str]:
    return ["Y" if i == cx.metal_index else s for i, s in enumerate(cx.symbols)]


def _ligand_atoms(cx: Complex) -> list[list[int]]:
    """Atom indices of each axial ligand (the fragment of each axial donor)."""
    return [cx.fragment_atoms(cx.fragment[d]) for d in cx.axial_indices]


def _scf_and_forces(symbols: list[str], coords: np.ndarray, charge: int, config: DftAxialConfig,
                    dm0: np.ndarray | None) -> tuple[float, np.ndarray, np.ndarray]:
    """Energy (Eh), gradient (Eh/A, n x 3) and density matrix of one geometry."""
    from pyscf import dft, gto

    mol = gto.M(atom=[(s, c) for s, c in zip(symbols, coords, strict=True)], unit="Angstrom",
                basis=config.basis, ecp={"Y": config.basis}, charge=charge, spin=0, verbose=0)
    mf = dft.RKS(mol).density_fit(auxbasis=config.auxbasis)
    mf.xc = config.xc
    mf.grids.level = config.grid_level
    mf.conv_tol = config.conv_tol
    mf.max_cycle = 100
    # A job process may leave numpy raising on underflow (an earlier xtb/molSimplify import); PySCF's
    # screening underflows by design, so it runs under numpy's default error handling.
    with np.errstate(divide="warn", over="warn", under="ignore", invalid="warn"):
        return _converged_scf(mf, dm0)


def _converged_scf(mf, dm0: np.ndarray | None) -> tuple[float, np.ndarray, np.ndarray]:
    energy = mf.kernel(dm0=dm0)
    if not mf.converged:
        mf = mf.newton()  # second-order SCF rescues the rare oscillating case
        energy = mf.kernel(dm0=mf.make_rdm1() if dm0 is None else dm0)
        if not mf.converged:
            raise DftReferenceError("SCF did not converge (also not with the second-order solver); the "
                                    "starting structure is probably broken: check the complex's flags")
    grad = mf.nuc_grad_method().kernel() / BOHR_A
    return float(energy), np.asarray(grad), mf.make_rdm1()


def _save_state(path: Path, coords: np.ndarray, k: np.ndarray, prev_g, prev_dq, history: list[dict]) -> None:
    """After each DFT step: what a restarted job needs to continue from here (written atomically)."""
    state = {"coords": coords.tolist(), "k": k.tolist(), "history": history,
             "prev_g": None if prev_g is None else list(map(float, prev_g)),
             "prev_dq": None if prev_dq is None else list(map(float, prev_dq))}
    atomic_write_json(path, state)


def recover_state(path: Path) -> bool:
    """Bring back the saved steps of an earlier attempt when the worker moved them to attempt-<n>/.

    The worker keeps a requeued job's files in attempt-<n>/ (jobs/worker.py); without this a DFT job put
    back in the queue by a stopped worker would start its 20-40 min steps again. The attempt holding the
    most steps wins. Returns whether a state was brought back.
    """
    if path.exists():
        return False
    best, best_steps = None, 0
    for candidate in path.parent.glob(f"attempt-*/{path.name}"):
        try:
            n_steps = len(json.loads(candidate.read_text())["history"])
        except (ValueError, KeyError, TypeError, OSError):  # unreadable: that attempt's steps are lost
            continue
        if n_steps > best_steps:
            best, best_steps = candidate, n_steps
    if best is None:
        return False
    atomic_write_text(path, best.read_text())
    return True


def optimise_axial(cx: Complex, config: DftAxialConfig = DftAxialConfig(),
                   log: Callable[[str], None] = lambda msg: None,
                   state_path: Path | None = None) -> DftAxialResult:
    """Optimise the two axial metal-donor distances of `cx` by DFT on its Y(III) analogue.

    Args:
        cx: an assembled (ideally xtb-relaxed) complex; its metal, waters and ligand bodies are kept.
        config: DFT settings and convergence criteria.
        log: receives one line per step.
        state_path: where each step's geometry and force constants are kept; when it exists (a job killed
            by a worker stop or the end of a session) the optimisation continues from its last step.
    Returns:
        DftAxialResult with the optimised distances, the final geometry (metal shown as Dy again).
    """
    try:
        from pyscf import lib
    except ImportError as exc:  # pragma: no cover - pyscf is in requirements.txt
        raise DftReferenceError("PySCF is not installed: run `make setup` (requirements.txt pins it)") from exc
    lib.num_threads(config.threads)
    t_cpu = time.process_time()
    symbols = _y_analogue_symbols(cx)
    coords = np.array(cx.coords, dtype=float)
    metal = coords[cx.metal_index].copy()
    donors = list(cx.axial_indices)
    ligands = _ligand_atoms(cx)
    axes = [(coords[d] - metal) / np.linalg.norm(coords[d] - metal) for d in donors]
    neutral = cx.ligand_charge == 0
    r_start = [float(np.linalg.norm(coords[d] - metal)) for d in donors]
    k = np.full(len(donors), config.k0)
    dm = None
    history: list[dict] = []
    flags: list[str] = []
    prev_g: np.ndarray | None = None
    prev_dq: np.ndarray | None = None
    converged = False
    energy = float("nan")
    g_axis = np.zeros(len(donors))
    steps, done_steps = 0, 0
    if state_path is not None and state_path.exists():
        try:
            saved = json.loads(state_path.read_text())
            saved_coords = np.asarray(saved["coords"], dtype=float)
            if saved_coords.shape == coords.shape:
                coords, k, history = saved_coords, np.asarray(saved["k"], dtype=float), list(saved["history"])
                prev_g = None if saved["prev_g"] is None else np.asarray(saved["prev_g"])
                prev_dq = None if saved["prev_dq"] is None else np.asarray(saved["prev_dq"])
                done_steps = len(history)
                log(f"continuing from step {done_steps} of an earlier attempt ({state_path.name})")
        except (ValueError, KeyError, OSError) as exc:  # an unreadable state only costs the steps it held
            log(f"earlier DFT state unreadable ({exc}); starting again")
    for steps in range(done_steps + 1, config.max_steps + 1):
        energy, grad, dm = _scf_and_forces(symbols, coords, cx.charge, config, dm)
        # dE/dq_j: moving ligand j outwards by dq along its axis.
        g_axis = np.array([float(np.sum(grad[atoms] @ axes[j])) for j, atoms in enumerate(ligands)])
        r_now = [float(np.linalg.norm(coords[d] - metal)) for d in donors]
        history.append({"step": steps, "r_A": [round(r, 4) for r in r_now], "energy_Eh": energy,
                        "dE_dr_Eh_A": [round(float(g), 6) for g in g_axis]})
        log(f"DFT step {steps}: r = {', '.join(f'{r:.4f}' for r in r_now)} A, "
            f"dE/dr = {', '.join(f'{g:+.5f}' for g in g_axis)} Eh/A, E = {energy:.6f} Eh")
        if prev_g is not None and prev_dq is not None:
            for j in range(len(donors)):
                if abs(prev_dq[j]) > 1e-4:
                    k_new = (g_axis[j] - prev_g[j]) / prev_dq[j]
                    if 0.02 < k_new < 2.0:  # keep the model positive and sane
                        k[j] = k_new
        if np.all(np.abs(g_axis) < config.grad_tol):
            converged = True
            break
        if neutral and max(r_now) > config.dissociation_A:
            flags.append("dissociated")
            break
        dq = np.clip(-g_axis / k, -config.max_step_A, config.max_step_A)
        for j, atoms in enumerate(ligands):
            coords[atoms] += dq[j] * axes[j]
        prev_g, prev_dq = g_axis, dq
        if state_path is not None:
            _save_state(state_path, coords, k, prev_g, prev_dq, history)
    r_final = [float(np.linalg.norm(coords[d] - metal)) for d in donors]
    if neutral and max(r_final) > config.dissociation_A and "dissociated" not in flags:
        flags.append("dissociated")
    if not converged and "dissociated" not in flags:
        flags.append("not_converged")
    out_symbols = list(cx.symbols)
    return DftAxialResult(r_axial_A=r_final, r_start_A=r_start, energy_Eh=energy,
                          forces_Eh_A=[round(float(g), 6) for g in g_axis], steps=steps, converged=converged,
                          flags=flags, coords=coords, symbols=out_symbols, history=history,
                          cpu_s=time.process_time() - t_cpu)
