"""CASSCF on the DFT axial reference geometries, against CASSCF on the product's geometry (issue 13.1 / 13.4).

How much does the first KD gap move when the axial distance is DFT's instead of the donor-class template's?
Every bundled DFT reference (assets/geometry/dft_axial_reference.csv.gz) whose ligand also has a bundled
CASSCF result (assets/kd/casscf_results.csv.gz, template distance) gets one casscf job on its DFT geometry
(geometry='xyz', same CASSCF recipe), so the only difference between the two gaps is the axial distance.

    GAUSS_HOME=/work/dftcas_home python scripts/casscf_on_dft_geometry.py --queue     # resumable
    GAUSS_HOME=/work/dftcas_home python -m gauss_core worker --concurrency 1 --nice 15
    GAUSS_HOME=/work/dftcas_home python scripts/casscf_on_dft_geometry.py --collect   # docs/casscf_on_dft.csv
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gauss_core.complexes.assemble import DISTANCES, ligand_info  # noqa: E402
from gauss_core.complexes.axial_reference import load_references  # noqa: E402
from gauss_core.jobs.store import JobStore, default_db_path  # noqa: E402
from gauss_core.paths import ASSETS, gauss_home  # noqa: E402

OUT = ROOT / "docs" / "casscf_on_dft.csv"


def pairs() -> pd.DataFrame:
    refs = load_references(ASSETS / "geometry" / "dft_axial_reference.csv.gz")
    refs = refs[refs["flags"].astype(str) == ""]
    casscf = pd.read_csv(ASSETS / "kd" / "casscf_results.csv.gz")
    return refs.merge(casscf[["smiles", "kd_gap1_cm1", "kd_geometry_source"]], on="smiles")


def queue(store: JobStore, home: Path) -> None:
    folder = home / "casscf_on_dft" / "xyz"
    folder.mkdir(parents=True, exist_ok=True)
    for row in pairs().itertuples(index=False):
        path = folder / f"{hashlib.sha1(row.smiles.encode()).hexdigest()[:12]}.xyz"
        if not path.exists():  # the casscf job reads 'charge=N' from the comment line
            info = ligand_info(row.smiles)
            lines = row.xyz.splitlines()
            lines[1] = f"{lines[1]} charge={3 + 2 * info.charge}"
            path.write_text("\n".join(lines) + "\n")
        job = store.enqueue("casscf", row.smiles, {"geometry": "xyz", "xyz": str(path)})
        print(f"job {job.id:3d} {job.state:8s} {row.smiles:24s} r_DFT {row.r_dft_A:.3f} A")


def collect(store: JobStore) -> pd.DataFrame:
    done = {j.smiles: j.result for j in store.list(kind="casscf") if j.state == "done" and j.result}
    rows = []
    for row in pairs().itertuples(index=False):
        info = ligand_info(row.smiles)
        res = done.get(row.smiles) or {}
        gap = (res.get("gaps_cm1") or [None])[0]
        rows.append({"smiles": row.smiles, "ligand_class": row.ligand_class,
                     "r_template_A": DISTANCES.axial(info.donor_element, info.charge), "r_dft_A": row.r_dft_A,
                     "gap1_template_geometry_cm1": round(float(row.kd_gap1_cm1), 1),
                     "gap1_dft_geometry_cm1": None if gap is None else round(float(gap), 1),
                     "template_geometry": row.kd_geometry_source.split(" [")[0],
                     "dft_geometry": "dft-pbe-def2svp-y-axial"})
    table = pd.DataFrame(rows)
    table["dgap1_cm1"] = table.gap1_dft_geometry_cm1 - table.gap1_template_geometry_cm1
    table["dr_A"] = (table.r_dft_A - table.r_template_A).round(4)
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queue", action="store_true")
    ap.add_argument("--collect", action="store_true")
    args = ap.parse_args()
    store = JobStore(default_db_path())
    if args.queue:
        queue(store, gauss_home())
    if args.collect:
        table = collect(store)
        table.to_csv(OUT, index=False)
        print(table.to_string(index=False))
        print(f"{table.gap1_dft_geometry_cm1.notna().sum()} of {len(table)} done -> {OUT}")


if __name__ == "__main__":
    main()
