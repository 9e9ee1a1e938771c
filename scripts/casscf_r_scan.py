"""How the first KD gap moves with the Dy-L axial distance for ONE ligand: CASSCF along a rigid-body scan.

Across ligands of a donor class the published first gap falls by ~230 cm-1 per 0.1 A of Dy-L distance. This
scan separates the two possible reasons: the distance itself (the same ligand moved along the axis, nothing
else changed) and what comes with it (a stronger donor both binds closer and splits more). Each ligand's
complex is built once on the product's computed-distance geometry (`axial-mapped`, lowest-energy conformer);
then both axial ligands are moved as rigid bodies along their Dy->donor axes to each distance r0 + dr (the
coordinate the DFT references optimise: complexes.axial_map.moved_axial_ligands), and each geometry is one
casscf job (geometry='xyz'), run by the project's queue in the background, never here.

Queue (idempotent: the geometry files are reused, an existing job is returned):
    GAUSS_HOME=/work/rscan_home python scripts/casscf_r_scan.py --queue '[O-]C' 'O1COCC1C#N'
Run it:
    GAUSS_HOME=/work/rscan_home PYTHONPATH=. nohup python -m gauss_core worker --concurrency 1 --nice 15 &
Collect (writes docs/casscf_r_scan.csv, prints each ligand's slope of the first gap, cm-1 per 0.1 A):
    GAUSS_HOME=/work/rscan_home python scripts/casscf_r_scan.py --collect
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gauss_core.errors import GaussError  # noqa: E402
from gauss_core.evaluate.experiments.setup_truth import R_SCAN_CSV, r_slopes  # noqa: E402
from gauss_core.jobs.store import JobStore  # noqa: E402
from gauss_core.ligands.build import smiles_class  # noqa: E402
from gauss_core.paths import gauss_home  # noqa: E402

SHIFTS_A = (-0.10, -0.05, 0.0, 0.05, 0.10)   # dr around the computed distance r0
CSV_OUT = ROOT / "docs" / R_SCAN_CSV


def scan_geometries(smiles: str, shifts: tuple[float, ...], home: Path) -> list[tuple[float, float, Path]]:
    """(dr, r, xyz file) per shift: the ligand's axial-mapped complex with both axial ligands moved rigidly to
    r = r0 + dr (r0 the mean computed distance). Built once; existing files are reused. Next to each file its
    calibration descriptors (GFN2 charges recomputed on the moved geometry), `<file>.features.json`."""
    from gauss_core.kd.molcas_input import read_xyz_structure

    folder = home / "r_scan" / smiles_key(smiles)
    out = []
    base = None
    for dr in shifts:
        path = folder / f"dr{dr:+.3f}.xyz"
        if not path.exists() or not features_path(path).exists():
            base = base or _base_complex(smiles)
            _write_shifted(base, dr, path)
        r = _axial_r(read_xyz_structure(path.read_text()))
        out.append((dr, r, path))
    return out


def features_path(xyz: Path) -> Path:
    return xyz.with_name(xyz.name + ".features.json")


def _base_complex(smiles: str):
    """(structure, geometry source, Complex, r0) of the ligand's computed-distance complex."""
    from gauss_core.complexes.axial_map import axial_distances
    from gauss_core.jobs.geometry import casscf_complex

    structure, source, cx = casscf_complex(smiles, relax=True, mode="axial-mapped", builder="search")
    if cx is None:
        raise GaussError(f"{smiles}: no complex to move ({source})")
    return structure, source, cx, float(np.mean(axial_distances(cx)))


def _write_shifted(base, dr: float, path: Path) -> None:
    """Write the geometry shifted by dr (or check an existing file is that geometry) and its descriptors."""
    import json

    from gauss_core.complexes.axial_map import moved_axial_ligands
    from gauss_core.kd.estimate import complex_features, with_charges
    from gauss_core.kd.molcas_input import XyzStructure, read_xyz_structure

    structure, source, cx, r0 = base

    def at_target(_r: float, target: float = r0 + dr) -> float:
        return target

    coords = moved_axial_ligands(cx, cx.coords, at_target)
    if path.exists():  # written before the descriptors were: it must be this very geometry
        stored = np.array(read_xyz_structure(path.read_text()).coords)
        if stored.shape != coords.shape or np.abs(stored - coords).max() > 1e-4:
            raise GaussError(f"{path} is not the geometry a rebuild of {cx.ligand_smiles} gives (max deviation "
                             f"{np.abs(stored - coords).max() if stored.shape == coords.shape else 'shape'}); "
                             "move the scan folder away and queue it again")
    else:
        moved = XyzStructure(list(structure.symbols), [(float(x), float(y), float(z)) for x, y, z in coords],
                             structure.charge, f"{cx.ligand_smiles} {source} rigid axial shift {dr:+.3f} A")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(moved.to_xyz())
    shifted = with_charges(cx.copy(coords=coords, atomic_charges=None))  # GFN2 charges of the moved geometry
    feats = {k: v for k, v in complex_features(shifted).items() if k != "smiles"}
    geometry = source if dr == 0 else source.replace(" (builder search)", "") + \
        f" (builder search; rigid axial shift {dr:+.3f} A)"
    features_path(path).write_text(json.dumps({"features": feats, "geometry_source": geometry, "shift_A": dr},
                                              default=float))


def smiles_key(smiles: str) -> str:
    """A file-system-safe folder name of a SMILES."""
    import hashlib

    return hashlib.sha1(smiles.encode()).hexdigest()[:12]


def _axial_r(structure) -> float:
    from gauss_core.kd.molcas_input import axial_donor_indices

    i_dy = structure.symbols.index("Dy")
    dy = np.array(structure.coords[i_dy])
    return float(np.mean([np.linalg.norm(np.array(structure.coords[i]) - dy)
                          for i in axial_donor_indices(structure)]))


def queue(smiles_list: list[str], store: JobStore, home: Path, ligand_basis: str = "ANO-RCC-MB",
          shifts: tuple[float, ...] = SHIFTS_A) -> list[tuple[str, float, int, str]]:
    """Enqueue one casscf job per (ligand, shift); (smiles, r, job id, state) per job."""
    rows = []
    for smi in smiles_list:
        for _dr, r, path in scan_geometries(smi, shifts, home):
            job = store.enqueue("casscf", smi, {"geometry": "xyz", "xyz": str(path), "ligand_basis": ligand_basis})
            rows.append((smi, r, job.id, str(job.state)))
    return rows


def collect(store: JobStore) -> pd.DataFrame:
    """One row per scan job (geometry file under r_scan/): smiles, class, basis, r, state, gap1..gap7, and
    for finished jobs the columns `gauss complex calibrate --casscf` reads (kd_gap*, kd_provenance, the
    geometry source naming the shift, kd_rigid_shift_A and the descriptors of that geometry)."""
    import json

    from gauss_core import columns
    from gauss_core.kd.molcas_input import read_xyz_structure

    rows = []
    for job in store.list(kind="casscf"):
        xyz = Path(str(job.params.get("xyz", "")))
        if job.params.get("geometry") != "xyz" or xyz.parent.parent.name != "r_scan" or not xyz.exists():
            continue
        row = {"smiles": job.smiles, "ligand_class": smiles_class(job.smiles), "job_id": job.id,
               "ligand_basis": job.params.get("ligand_basis"), "state": str(job.state),
               "r_A": round(_axial_r(read_xyz_structure(xyz.read_text())), 4)}
        energies = (job.result or {}).get("energies_cm1") or []
        for k in range(1, 8):
            row[f"gap{k}_cm1"] = round(energies[k] - energies[0], 1) if len(energies) > k else None
        side = json.loads(features_path(xyz).read_text()) if features_path(xyz).exists() else {}
        row["kd_geometry_source"] = side.get("geometry_source")
        row["kd_rigid_shift_A"] = side.get("shift_A")
        row.update(side.get("features", {}))
        row[columns.KD_PROVENANCE] = (job.result or {}).get("provenance")
        for k, col in enumerate(columns.KD_GAP_COLUMNS, start=1):
            row[col] = row[f"gap{k}_cm1"]
        row["kd_basis"] = f"Dy {job.params.get('dy_basis', 'ANO-RCC-VDZP')}, ligands {row['ligand_basis']}"
        row["kd_job_id"] = job.id
        rows.append(row)
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    act = ap.add_mutually_exclusive_group(required=True)
    act.add_argument("--queue", nargs="+", metavar="SMILES", help="ligands to scan (donor-first SMILES)")
    act.add_argument("--collect", action="store_true", help=f"write {CSV_OUT.name} and print the slopes")
    ap.add_argument("--ligand-basis", default="ANO-RCC-MB", help="ligand basis of the jobs (default ANO-RCC-MB)")
    ap.add_argument("--out", type=Path, default=CSV_OUT)
    args = ap.parse_args(argv)
    home = gauss_home()
    store = JobStore(home / "queue.db")
    try:
        if args.queue:
            for smi, r, job_id, state in queue(args.queue, store, home, args.ligand_basis):
                print(f"job {job_id:4d} {state:9s} {smi:22s} r {r:.3f} A")
            return 0
        table = collect(store)
    except GaussError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    table.to_csv(args.out, index=False)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False) if len(table) else "no scan jobs in this queue")
        fits = r_slopes(table)
        print(fits.to_string(index=False) if len(fits) else "no ligand has 3 finished points yet")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
