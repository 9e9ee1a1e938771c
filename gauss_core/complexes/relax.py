"""GFN2-xTB relaxation of a complex on its Y(III) analogue (as the paper does), Dy put back after.

Why constrained: unconstrained GFN2 relaxations of [Y(H2O)5L2]+ chelate (an extra ligand O/N within
2.8 A of the metal in 142 of 298 complexes measured here), lose donors, move protons from water to the
ligand and bend the axis (median 148 deg against 162 deg in DFT), which ruins any KD estimate. So:

Stage 1 "constrained": Y, the five water O (planar, 72 deg apart) and the two axial donors are fixed
exactly ($fix); the water H atoms and the ligand bodies relax (GFN-FF pre-optimisation, then GFN2).
Stage 2 "bounded" (optional): only Y stays fixed; the seven Y-donor distances are held by harmonic
constraints at the template values and the L-Y-L angle is held at 180 deg, for at most `bounded_cycles`
optimisation steps. If stage 2 raises any structural flag the stage-1 geometry is kept and the
rejection is recorded as a flag.

Axial bond length: GFN2 makes Y-O(axial) 1.86-1.97 A against 2.1-2.2 A in DFT. Point-charge crystal
fields scale as r^-(k+1), so we do not let GFN2 choose it: the axial distance stays at the donor-class
DFT value of the template (assemble.TemplateDistances: O- 2.15, O 2.30, N- 2.30, N 2.50, water 2.40 A).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from gauss_core import provenance
from gauss_core.complexes.axial_map import apply_axial_map, axial_distances, bundled_map
from gauss_core.complexes.checks import FLAG_NAMES, run_checks
from gauss_core.complexes.structure import Complex
from gauss_core.errors import GaussError, MissingProgramError
from gauss_core.modes import RelaxMode

MODES = tuple(m.value for m in RelaxMode if m != RelaxMode.NONE)
CONSTRAINED = "xtb-gfn2-constrained"
BOUNDED = "xtb-gfn2-bounded"
FREE = "xtb-gfn2-free"  # unconstrained; kept to show why the constraints are needed
AXIAL = "xtb-gfn2-axial"  # metal and water pentagon held, axial ligands free (L-M-L angle held at 180)
AXIAL_FF = "xtb-gfnff-axial"  # the same with GFN-FF choosing the axial distance (mode "axial-ff")
# mode "axial-mapped": geometry_provenance is AXIAL + "+" + the map's method (e.g. "dft-class-linear-n18"); a
# complex with one of these flags after the GFN2 axial stage is not mapped (its axial distance is not a bond)
UNMAPPABLE = ("dissociated", "lost-donor", "bond-broken", "proton-transfer")


class RelaxationError(GaussError):
    """xtb failed or returned no geometry."""


@dataclass(frozen=True)
class RelaxConfig:
    """Settings of the xtb runs.

    opt_level: xtb --opt level of stage 1 and 2; "loose" is enough there because the core is fixed.
    axial_opt_level: xtb --opt level of the axial stage (modes "axial", "axial-ff"). The axial distance sits
        on a flat coordinate: "loose" stopped up to 0.08 A (and 15 kcal/mol) short of the minimum, so the result
        depended on the machine's floating-point path; "normal" lands within 0.01 A of "tight" (docs/geometry.md).
    ff_preopt: pre-optimise the free atoms with GFN-FF (same fixed core) before GFN2.
    axial_map: JSON file of the per-class map of mode "axial-mapped" (None: the bundled
        assets/geometry/axial_map_gfn2.json).
    retry_etemps_K: electronic temperatures tried when the GFN2 SCC fails at 300 K.
    max_cycles: cap of stage 1; bounded_cycles: cap of stage 2.
    force_constant: harmonic constraint strength of stage 2 (Eh / bohr^2).
    timeout_s: wall limit per xtb call.
    """

    opt_level: str = "loose"
    axial_opt_level: str = "normal"
    max_cycles: int = 150
    bounded_cycles: int = 40
    force_constant: float = 1.0
    timeout_s: float = 300.0
    xtb: str = "xtb"
    retry_etemps_K: tuple[float, ...] = (1000.0, 3000.0)
    ff_preopt: bool = True
    axial_map: str | None = None


def xtb_binary(config: RelaxConfig = RelaxConfig()) -> str:
    path = shutil.which(config.xtb) or (config.xtb if os.path.exists(config.xtb) else None)
    if not path:
        raise MissingProgramError("xtb is not installed: install it (Debian: apt-get install xtb, or "
                                  "`make setup`) or put it on PATH")
    return path


def _write_xyz(path: Path, symbols: list[str], coords: np.ndarray) -> None:
    lines = [str(len(symbols)), "gauss"] + [f"{s} {x:.8f} {y:.8f} {z:.8f}"
                                            for s, (x, y, z) in zip(symbols, coords, strict=False)]
    path.write_text("\n".join(lines) + "\n")


def _read_xyz(path: Path) -> np.ndarray:
    lines = path.read_text().splitlines()
    n = int(lines[0])
    return np.array([[float(v) for v in ln.split()[1:4]] for ln in lines[2:2 + n]])


def _y_symbols(cx: Complex) -> list[str]:
    return ["Y" if s == "Dy" else s for s in cx.symbols]


@dataclass
class XtbResult:
    """Output of one xtb call: coordinates (Angstrom), GFN2 charges (e), energy (Eh), convergence."""

    coords: np.ndarray
    charges: np.ndarray
    energy_Eh: float
    converged: bool
    cycles: int
    etemp_K: float = 300.0


def run_xtb_once(cx: Complex, xcontrol: str | None, opt: bool, cycles: int, config: RelaxConfig,
                  etemp: float = 300.0, method: str = "gfn2") -> XtbResult:
    exe = xtb_binary(config)
    with tempfile.TemporaryDirectory(prefix="gauss-xtb-") as tmp:
        work = Path(tmp)
        _write_xyz(work / "in.xyz", _y_symbols(cx), cx.coords)
        level = ["--gfnff"] if method == "gfnff" else ["--gfn", "2", "--etemp", f"{etemp:g}"]
        cmd = [exe, "in.xyz", *level, "--chrg", str(cx.charge), "--uhf", "0", "-P", "1"]
        if opt:
            cmd += ["--opt", config.opt_level, "--cycles", str(cycles)]
        if xcontrol:
            (work / "xcontrol").write_text(xcontrol)
            cmd += ["--input", "xcontrol"]
        env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OMP_STACKSIZE="500M")
        try:
            proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=config.timeout_s)
        except subprocess.TimeoutExpired:
            raise RelaxationError(f"xtb ran longer than {config.timeout_s:.0f} s on {cx.ligand_smiles!r}; "
                                  "raise RelaxConfig.timeout_s or use the unrelaxed template") from None
        out = proc.stdout
        geom = work / ("xtbopt.xyz" if opt else "in.xyz")
        need_charges = method != "gfnff"
        if proc.returncode != 0 or not geom.exists() or (need_charges and not (work / "charges").exists()):
            tail = "\n".join((out + proc.stderr).strip().splitlines()[-12:])
            raise RelaxationError(f"xtb failed on [Y(H2O)5L2] with L={cx.ligand_smiles!r} (exit {proc.returncode}):"
                                  f"\n{tail}")
        coords = _read_xyz(geom)
        charges = np.loadtxt(work / "charges") if need_charges else np.zeros(len(coords))
    energy = float("nan")
    for line in out.splitlines():
        if "TOTAL ENERGY" in line:
            energy = float(line.split()[3])
    converged = (not opt) or "GEOMETRY OPTIMIZATION CONVERGED" in out
    return XtbResult(coords, charges, energy, converged, out.count(" CYCLE "), etemp)


def run_xtb(cx: Complex, xcontrol: str | None, opt: bool, cycles: int, config: RelaxConfig) -> XtbResult:
    """One xtb call on the Y analogue.

    The +3 complexes of neutral ligands sometimes have a tiny GFN2 HOMO-LUMO gap and the SCC does not
    converge at the default electronic temperature (300 K); the call is then repeated with Fermi
    smearing at `config.retry_etemps_K` (recorded in the result and as a flag by relax()).
    """
    last: RelaxationError | None = None
    for etemp in (300.0, *config.retry_etemps_K):
        try:
            return run_xtb_once(cx, xcontrol, opt, cycles, config, etemp)
        except RelaxationError as exc:
            if "longer than" in str(exc):
                raise
            last = exc
    assert last is not None
    raise last


def stage1_control(cx: Complex) -> str:
    fixed = [cx.metal_index] + list(cx.donor_indices)
    return "$fix\n   atoms: " + ",".join(str(i + 1) for i in fixed) + "\n$end\n"


def _axial_control(cx: Complex) -> str:
    """Metal and the whole water pentagon fixed; the axial ligands move freely, their axis held straight."""
    fixed = [cx.metal_index] + [i for i, f in enumerate(cx.fragment) if i != cx.metal_index
                                and any(f == cx.fragment[o] for o in cx.water_o_indices)]
    a, b = cx.axial_indices
    return ("$fix\n   atoms: " + ",".join(str(i + 1) for i in sorted(set(fixed))) + "\n$constrain\n"
            f"   force constant=0.5\n   angle: {a + 1}, {cx.metal_index + 1}, {b + 1}, 179.9\n$end\n")


def _stage2_control(cx: Complex, target: Complex, config: RelaxConfig) -> str:
    m = cx.metal_index
    lines = ["$fix", f"   atoms: {m + 1}", "$constrain", f"   force constant={config.force_constant}"]
    for d in cx.donor_indices:
        r0 = float(np.linalg.norm(target.coords[d] - target.coords[m]))
        lines.append(f"   distance: {m + 1}, {d + 1}, {r0:.4f}")
    a, b = cx.axial_indices
    lines.append(f"   angle: {a + 1}, {m + 1}, {b + 1}, 179.9")
    lines.append("$end")
    return "\n".join(lines) + "\n"


def relax(cx: Complex, mode: str = "constrained", config: RelaxConfig = RelaxConfig()) -> Complex:
    """Relax the complex with GFN2-xTB on its Y analogue.

    Args:
        cx: assembled complex (any builder).
        mode: "constrained" (stage 1 only), "bounded" (stage 1 then the bounded stage 2), "axial" (stage 1,
            then metal and water pentagon held while the axial ligands relax freely: the axial distance is
            GFN2's own, about 0.15 A short of DFT), "axial-ff" (the same, the distance chosen by GFN-FF),
            "axial-mapped" ("axial", then each axial ligand moved rigidly to the distance the per-class DFT map
            gives, complexes.axial_map; GFN2 charges of the moved geometry) or
            "free" (plain unconstrained GFN2 optimisation, for comparison only: it chelates and bends).
        config: xtb settings.
    Returns:
        New Complex with Dy coordinates from the Y relaxation, xTB (GFN2) charges of the final geometry,
        geometry_provenance naming the stage ("xtb-gfn2-constrained", "xtb-gfnff-axial", ...), checks and
        flags recomputed.
    Raises:
        MissingProgramError without xtb; RelaxationError when xtb fails.
    """
    if mode not in MODES:
        raise GaussError(f"unknown relaxation mode {mode!r}: choose one of {', '.join(MODES)}")
    t0 = time.perf_counter()
    if mode == "free":
        res = run_xtb(cx, None, True, 4 * config.max_cycles, config)
        out = _relaxed(cx, res, FREE)
        out.checks["relax_seconds"] = time.perf_counter() - t0
        return out
    start = cx
    if config.ff_preopt:
        try:  # GFN-FF pre-optimisation with the same fixed core: ~0.2 s, saves about 40 % of the GFN2 steps
            ff = run_xtb_once(cx, stage1_control(cx), True, 4 * config.max_cycles, config, method="gfnff")
            start = cx.copy(coords=ff.coords)
        except RelaxationError:
            start = cx
    res = run_xtb(start, stage1_control(cx), True, config.max_cycles, config)
    out = _relaxed(cx, res, CONSTRAINED)
    if mode in ("axial", "axial-ff", "axial-mapped"):
        # The axial distance is computed, not fixed: GFN2 (or GFN-FF) chooses it from the stage-1 geometry.
        # (GFN1 was tried too: xtb 6 exits with an error on these Y complexes.)
        axial_config = replace(config, opt_level=config.axial_opt_level)
        if mode == "axial-ff":  # GFN-FF chooses the distance (~0.4 s); GFN2 charges of the result
            ff_ax = run_xtb_once(out, _axial_control(out), True, 4 * config.max_cycles, axial_config, method="gfnff")
            out = _relaxed(out, _with_gfn2_charges(out, ff_ax, config), AXIAL_FF)
        else:
            res_ax = run_xtb(out, _axial_control(out), True, config.max_cycles, axial_config)
            out = _relaxed(out, res_ax, AXIAL)
        if mode == "axial-mapped":
            out = _mapped(out, config)
    if mode == "bounded":
        res2 = run_xtb(out, _stage2_control(out, cx, config), True, config.bounded_cycles, config)
        bounded = _relaxed(out, res2, BOUNDED)
        bounded.flags = [f for f in bounded.flags if not f.startswith("xtb-not-converged")]  # capped on purpose
        had = {f.split(":")[0] for f in out.flags}
        new_flags = [f for f in bounded.flags if f.startswith(FLAG_NAMES) and f.split(":")[0] not in had]
        if new_flags:
            out.flags.append("bounded-relaxation-rejected: " + "; ".join(new_flags) + " (constrained geometry kept)")
        else:
            out = bounded
    out.checks["relax_seconds"] = time.perf_counter() - t0
    return out


def _relaxed(cx: Complex, res: XtbResult, tag: str) -> Complex:
    """Copy of `cx` at the xtb geometry (Dy back in place of Y) with charges, checks and flags renewed."""
    out = cx.copy(coords=res.coords, geometry_provenance=tag, atomic_charges=res.charges,
                  atomic_charges_provenance=provenance.XTB_GFN2)
    out.flags = [f for f in out.flags if not f.startswith(("bounded-relaxation", "xtb-not-converged", "xtb-smeared"))]
    run_checks(out)
    out.checks["xtb_energy_Eh"] = res.energy_Eh
    out.checks["xtb_cycles"] = float(res.cycles)
    out.checks["xtb_converged"] = float(res.converged)
    out.checks["xtb_etemp_K"] = res.etemp_K
    if res.etemp_K > 300.0:
        out.flags.append(f"xtb-smeared: SCC converged only with electronic temperature {res.etemp_K:.0f} K")
    if not res.converged:
        out.flags.append(f"xtb-not-converged: stopped after {res.cycles} cycles (raise RelaxConfig.max_cycles)")
    return out


def _mapped(cx: Complex, config: RelaxConfig) -> Complex:
    """The GFN2 axial geometry moved to the mapped axial distance, with GFN2 charges of the moved geometry (the
    KD estimates read charges of the geometry they see); the raw GFN2 distance stays in the checks."""
    broken = [f.split(":")[0] for f in cx.flags if f.startswith(UNMAPPABLE)]
    if broken:
        # The map is fitted on bound, intact ligands (GFN2 1.9-2.5 A); its slope < 1 would pull a ligand that left
        # the metal back inside 2.8 A and hide it, so such a complex keeps GFN2's own geometry and says why.
        cx.flags.append(f"axial-map-not-applied: {', '.join(broken)} in GFN2; the map is fitted on bound, intact "
                        "ligands")
        return cx
    correction = bundled_map(config.axial_map)
    raw_r = float(np.mean(axial_distances(cx)))
    moved = apply_axial_map(cx, correction, f"{AXIAL}+{correction.method}")
    sp = run_xtb(moved, None, False, 0, config)
    out = _relaxed(moved, replace(sp, coords=moved.coords), moved.geometry_provenance)
    out.checks.update({k: v for k, v in cx.checks.items() if k.startswith("xtb_")})  # the axial stage's run
    out.checks["axial_raw_A"] = raw_r
    out.checks["axial_map_shift_A"] = moved.checks["axial_map_shift_A"]
    return out


def _with_gfn2_charges(cx: Complex, ff: XtbResult, config: RelaxConfig) -> XtbResult:
    """The GFN-FF geometry with GFN2 charges of it: the KD estimates read GFN2 charges, never force-field ones."""
    sp = run_xtb(cx.copy(coords=ff.coords), None, False, 0, config)
    return replace(ff, charges=sp.charges, etemp_K=sp.etemp_K)


def xtb_charges(cx: Complex, config: RelaxConfig = RelaxConfig()) -> np.ndarray:
    """GFN2-xTB (CM5-free Mulliken-type) charges of the Y analogue at the current geometry, no optimisation."""
    return run_xtb(cx, None, False, 0, config).charges
