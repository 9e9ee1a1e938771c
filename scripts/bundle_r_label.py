"""Bundle the bond-length label from a labelling campaign's cache, with no xtb run.

The campaign (`gauss label --method axial ... --cache CACHE`) keeps running elsewhere; this writes what has landed
as `assets/labels/proxy_r_dyl.csv.gz` (the bundled axial map applied) and the gzipped cache next to it, so that
another machine can resume from it (docs/geometry.md, "Bond-length proxy label").

    python scripts/bundle_r_label.py --cache /work/label_home/proxy_r_dyl.cache.jsonl

Several campaigns (e.g. the 3,000-ligand subset and the held-out test-split ligands) go into one table: repeat
--cache; the bundled cache is their concatenation, so either campaign resumes from it.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

from gauss_core.complexes.axial_map import load_r_correction
from gauss_core.kd.bond_length import records_to_frame

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, action="append", required=True,
                        help="a campaign's JSONL cache (repeat for several)")
    parser.add_argument("--map", type=Path, default=ROOT / "assets/geometry/axial_map_gfn2.json")
    parser.add_argument("--out", type=Path, default=ROOT / "assets/labels/proxy_r_dyl.csv.gz")
    args = parser.parse_args()
    records, lines = [], []
    for cache in args.cache:
        for n, line in enumerate(cache.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                # A campaign killed mid-write leaves a torn last line; the ligand is relabelled on resume.
                print(f"skipping unreadable line {n} of {cache}")
                continue
            lines.append(line)
    table = records_to_frame(records, load_r_correction(args.map))
    table = table.drop_duplicates("smiles", keep="last").reset_index(drop=True)
    table.to_csv(args.out, index=False)
    cache_copy = args.out.with_name(args.out.name.replace(".csv.gz", ".cache.jsonl.gz"))
    with gzip.open(cache_copy, "wt") as dst:
        dst.write("\n".join(lines) + "\n")
    ok = table["r_dyl_A"].notna()
    print(len(table), "rows,", int(ok.sum()), "with r_dyl_A;", table["r_dyl_method"][ok].unique())
    print(table[ok].groupby("ligand_class")["r_dyl_A"].agg(["count", "mean", "std", "min", "max"]).round(3))
    print("CPU s median", table["r_dyl_cpu_s"].median(), "mean", round(table["r_dyl_cpu_s"].mean(), 2))


if __name__ == "__main__":
    main()
