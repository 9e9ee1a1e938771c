"""Conformer choice of builder "search": does a GFN2 single point change GFN-FF's pick? (docs/geometry.md, session 9)

For each bundled DFT reference ligand: the 8 seeded candidates relaxed by GFN-FF (core fixed), a GFN2 single point
of every candidate, and which candidate each method ranks first; plus the CPU of the search as shipped.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_conformers.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from gauss_core import paths  # noqa: E402
from gauss_core.complexes.assemble import ligand_info, rdkit_candidates  # noqa: E402
from gauss_core.complexes.axial_reference import load_references  # noqa: E402
from gauss_core.complexes.conformers import HARTREE_KCAL, lowest_energy_build, rank_candidates  # noqa: E402
from gauss_core.complexes.relax import RelaxationError, RelaxConfig, run_xtb  # noqa: E402
from gauss_core.procs import cpu_seconds_with_children  # noqa: E402


def main() -> None:
    refs = load_references(paths.ASSETS / "geometry" / "dft_axial_reference.csv.gz").drop_duplicates("smiles")
    differ, cpu = 0, []
    for smi, cls in zip(refs.smiles, refs.ligand_class, strict=True):
        ranked = [r for r in rank_candidates(rdkit_candidates(ligand_info(smi))) if np.isfinite(r.energy_Eh)]
        gfn2 = []
        for r in ranked:
            try:
                gfn2.append(run_xtb(r.complex, None, False, 0, RelaxConfig()).energy_Eh)
            except RelaxationError:
                gfn2.append(np.inf)
        pick = int(np.argmin(gfn2))
        differ += pick != 0
        t = cpu_seconds_with_children()
        lowest_energy_build(ligand_info(smi))
        cpu.append(cpu_seconds_with_children() - t)
        in_ff = (ranked[pick].energy_Eh - ranked[0].energy_Eh) * HARTREE_KCAL
        in_gfn2 = (gfn2[0] - gfn2[pick]) * HARTREE_KCAL
        print(f"class {cls} {smi:24s} GFN2 picks GFN-FF rank {pick} (+{in_ff:.1f} kcal/mol in GFN-FF; GFN-FF's pick "
              f"is +{in_gfn2:.1f} kcal/mol in GFN2); search {cpu[-1]:.1f} s CPU")
    print(f"\nGFN2 overrules GFN-FF for {differ} of {len(cpu)} ligands; search (as shipped: GFN2 on GFN-FF's best 4) "
          f"median {np.median(cpu):.1f} s CPU, max {np.max(cpu):.1f} s; load {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")


if __name__ == "__main__":
    main()
